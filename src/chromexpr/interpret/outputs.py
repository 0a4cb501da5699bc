"""Interpretation tables' number format, bin axes and signal profile panels (other figures:
``chromexpr.plots.figure.new_figure`` / ``save_png``; tables:
``chromexpr.atomic.write_tsv``)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence

from matplotlib.axes import Axes

from chromexpr.plots.figure import new_figure, save_png, set_suptitle

# Interpretation tables are read by people: six significant digits.
FLOAT_FORMAT = "%.6g"


def bin_axis_kb(bin_offsets, bin_size: int):
    """Centre of each bin relative to the TSS, in kb, for x axes."""
    return (bin_offsets + bin_size / 2) / 1000


@contextlib.contextmanager
def profile_panels(
    marks: Sequence[str], title: str, path: str | os.PathLike[str], simulated: bool = False
) -> Iterator[list[Axes]]:
    """One panel per mark, side by side, for mean count per bin against kb from the TSS; yields
    the panels to draw on, then adds the legend and ``title`` and saves the PNG to ``path``
    (``simulated``: with the simulated-data note)."""
    figure = new_figure(3.0 * len(marks), 3.2)
    axes = figure.subplots(1, len(marks), squeeze=False)[0]
    for axis, mark in zip(axes, marks, strict=True):
        axis.set_title(mark, fontsize="medium")
        axis.set_xlabel("kb from TSS")
    axes[0].set_ylabel("mean count per bin")
    yield list(axes)
    axes[-1].legend(fontsize="x-small")
    set_suptitle(figure, title)
    save_png(figure, path, simulated)
