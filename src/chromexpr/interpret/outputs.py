"""Interpretation tables' number format and bin axes (figures: ``chromexpr.plots.new_figure`` /
``save_png``; tables: ``chromexpr.atomic.write_tsv``)."""

from __future__ import annotations

# Interpretation tables are read by people: six significant digits.
FLOAT_FORMAT = "%.6g"


def bin_axis_kb(bin_offsets, bin_size: int):
    """Centre of each bin relative to the TSS, in kb, for x axes."""
    return (bin_offsets + bin_size / 2) / 1000
