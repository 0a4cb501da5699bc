"""A figure's making and saving, shared by every figure of the package: a bare Figure on the Agg
canvas, titles wrapped to fit, the simulated-data note, and PNG/SVG files that are
byte-identical for the same figure."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from chromexpr.atomic import atomic_path

# A fixed salt makes the SVG's element ids, hence the file, identical from run to run.
SVG_HASH_SALT = "chromexpr"

# Written on every figure of a run on the embedded demo's generated data.
SIMULATED_NOTE = "Simulated demo data (chromexpr's generator), not measurements"

# Width of an average character as a share of the font size (DejaVu Sans, mixed text).
CHARACTER_WIDTH = 0.6


def new_figure(width: float, height: float) -> Figure:
    """A Figure with its own Agg canvas (no pyplot state, safe in parallel jobs)."""
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def fitted(text: str, width_inches: float, fontsize: float) -> str:
    """``text`` wrapped onto lines that fit ``width_inches`` at ``fontsize`` points, so that a
    title never runs past the figure's edge."""
    characters = max(10, int(width_inches * 72 / (fontsize * CHARACTER_WIDTH)))
    return textwrap.fill(text, width=characters, break_on_hyphens=False)


def set_title(axes: Axes, text: str, fontsize: float = 12.0) -> None:
    """``axes``' title, wrapped to the axes' width."""
    width = axes.get_position().width * axes.figure.get_figwidth()
    axes.set_title(fitted(text, width, fontsize), fontsize=fontsize)


def set_suptitle(figure: Figure, text: str, fontsize: float = 12.0) -> None:
    """``figure``'s title, wrapped to the figure's width."""
    figure.suptitle(fitted(text, figure.get_figwidth(), fontsize), fontsize=fontsize)


def mark_simulated(figure: Figure) -> None:
    """Write ``SIMULATED_NOTE`` along the figure's bottom edge (under any figure-level x label),
    where the constrained layout keeps room for it."""
    note = fitted(SIMULATED_NOTE, figure.get_figwidth(), 10.0)
    label = figure.get_supxlabel()
    figure.supxlabel(f"{label}\n{note}" if label else note, fontsize=10.0, color="firebrick")


def save_png(figure: Figure, path: str | os.PathLike[str], simulated: bool = False) -> None:
    """Write ``figure`` as PNG without a timestamp, so the same inputs give the same bytes;
    ``simulated`` adds ``SIMULATED_NOTE`` first."""
    if simulated:
        mark_simulated(figure)
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=130, metadata={"Software": None})


def save_figure(figure: Figure, out_png: Path, out_svg: Path, simulated: bool = False) -> None:
    """Write ``figure`` as PNG and SVG, atomically, byte-identical for the same figure;
    ``simulated`` adds ``SIMULATED_NOTE`` first."""
    if simulated:
        mark_simulated(figure)
    with mpl.rc_context({"svg.hashsalt": SVG_HASH_SALT}):
        with atomic_path(out_png) as tmp:
            figure.savefig(tmp, format="png", dpi=150, metadata={"Software": None})
        with atomic_path(out_svg) as tmp:
            figure.savefig(tmp, format="svg", metadata={"Date": None})
