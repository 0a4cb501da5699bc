"""Figures of the conditional GAN (``chromexpr.interpret.gan``): real against generated mean
profiles with the class interpolation, and grids of real and generated count matrices."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib import colormaps

from chromexpr.interpret.gan.networks import CLASS_NAMES
from chromexpr.interpret.outputs import bin_axis_kb
from chromexpr.plots.figure import new_figure, save_png, set_suptitle


def plot_profiles(
    path: str | os.PathLike[str],
    real: Mapping[int, np.ndarray],
    generated: Mapping[int, np.ndarray],
    interpolation: tuple[np.ndarray, np.ndarray],
    marks: Sequence[str],
    bin_offsets: np.ndarray,
    title: str,
    simulated: bool = False,
) -> None:
    """Two rows of one panel per mark, mean count per bin against kb from the TSS. Top: real
    test genes (solid) and generated samples (dashed) per class. Bottom: the generator's mean
    expected counts along the interpolation from the low to the high class embedding."""
    bin_size = int(bin_offsets[1] - bin_offsets[0]) if len(bin_offsets) > 1 else 1
    positions = bin_axis_kb(bin_offsets, bin_size)
    colours = ("tab:blue", "tab:red")
    profiles, steps = interpolation
    shades = colormaps["coolwarm"](steps)
    figure = new_figure(2.9 * len(marks), 5.8)
    axes = figure.subplots(2, len(marks), squeeze=False, sharex=True)
    for index, mark in enumerate(marks):
        top, bottom = axes[0, index], axes[1, index]
        top.set_title(mark, fontsize="medium")
        for target_class, name in enumerate(CLASS_NAMES):
            colour = colours[target_class]
            top.plot(positions, real[target_class][:, index].mean(axis=0), color=colour)
            top.plot(
                positions,
                generated[target_class][:, index].mean(axis=0),
                color=colour,
                linestyle="--",
                label=f"{name}: real (solid), generated (dashed)",
            )
        for step, shade in zip(range(len(steps)), shades, strict=True):
            bottom.plot(positions, profiles[step, index], color=shade, label=f"{steps[step]:.2g}")
        bottom.set_xlabel("kb from TSS")
    axes[0, 0].set_ylabel("mean count per bin")
    axes[1, 0].set_ylabel("generated mean count\n(class interpolated)")
    axes[0, -1].legend(fontsize="xx-small")
    axes[1, -1].legend(title="low 0 to high 1", fontsize="xx-small", title_fontsize="xx-small")
    set_suptitle(figure, title)
    save_png(figure, path, simulated)


def plot_sample_grid(
    path: str | os.PathLike[str],
    real: Mapping[int, np.ndarray],
    generated: Mapping[int, np.ndarray],
    marks: Sequence[str],
    title: str,
    per_row: int = 4,
    simulated: bool = False,
) -> None:
    """Heatmaps (marks x bins, log1p colour scale) of the first ``per_row`` real and generated
    matrices of each class: rows real low, generated low, real high, generated high."""
    rows = [
        (f"{name}, {kind}", source[target_class][:per_row])
        for target_class, name in enumerate(CLASS_NAMES)
        for kind, source in (("real", real), ("generated", generated))
    ]
    top = max(float(np.log1p(samples).max()) for _, samples in rows) or 1.0
    figure = new_figure(2.4 * per_row, 1.3 * len(rows) + 0.8)
    axes = figure.subplots(len(rows), per_row, squeeze=False)
    for row, (label, samples) in enumerate(rows):
        for column in range(per_row):
            axis = axes[row, column]
            axis.set_xticks([])
            axis.set_yticks([])
            if column < len(samples):
                image = axis.imshow(
                    np.log1p(samples[column]),
                    aspect="auto",
                    cmap="magma",
                    vmin=0,
                    vmax=top,
                    interpolation="nearest",
                )
            if column == 0:
                axis.set_ylabel(label, fontsize="small")
                axis.set_yticks(np.arange(len(marks)), marks, fontsize="xx-small")
    figure.colorbar(image, ax=axes, label="log1p count", shrink=0.6)
    set_suptitle(figure, f"{title}: marks x bins, TSS window left to right")
    save_png(figure, path, simulated)
