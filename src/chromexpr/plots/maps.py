"""The class optimisation maps' figure: the maps, and beside them the maps of their controls.

Top: one heatmap (marks x bins) per class on a shared scale, and high minus low on a diverging
scale centred on 0. Below, the controls panel (``chromexpr.interpret.controls``): the
high-minus-low map of each judged control model (the fully randomised model, each ablated mark,
permuted labels, the single-mark model), each on its own diverging scale so that its shape
shows whatever its size, titled with the control's figure and verdict.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from chromexpr.interpret.outputs import bin_axis_kb
from chromexpr.plots.figure import new_figure, save_png, set_suptitle

CLASS_NAMES = ("low", "high")
CONTROL_COLUMNS = 3
# What each control's panel title reports: the statistic and how its values are summarised.
FIGURES = {
    "rank_correlation": ("max |rank r| with the real map", lambda values: values.abs().max()),
    "score_ratio": ("score ratio", lambda values: values.max()),
    "reference_correlation": ("max r with the reference", lambda values: values.max()),
}


def control_title(description: str, rows: pd.DataFrame) -> str:
    """``description``, the figure its rows report and whether they pass; ``rows`` are one
    control model's rows of the controls table."""
    parts = [description]
    for statistic, part in rows.groupby("statistic", sort=False):
        label, summary = FIGURES[statistic]
        value = summary(part["value"])
        parts.append(f"{label} {value:.2f}" if np.isfinite(value) else f"{label}: none")
    verdict = "passes" if rows["passes"].astype(bool).all() else "FAILS"
    return f"{parts[0]}\n{', '.join(parts[1:])}: {verdict}"


def draw_heatmap(axis, values, marks, extent, colours, low, high):
    image = axis.imshow(
        values,
        aspect="auto",
        cmap=colours,
        vmin=low,
        vmax=high,
        extent=extent,
        interpolation="nearest",
    )
    axis.set_yticks(np.arange(len(marks)) + 0.5, marks)
    return image


def plot_maps(
    path: str | os.PathLike[str],
    maps: np.ndarray,
    controls: Sequence[tuple[str, np.ndarray, pd.DataFrame]],
    marks: Sequence[str],
    bin_offsets: np.ndarray,
    title: str,
    input_transform: str,
    simulated: bool = False,
) -> None:
    """The maps ``maps`` [classes, marks, bins] and the controls panel: ``controls`` holds, per
    judged control model, its description, its high-minus-low [marks, bins] and its rows of the
    controls table (``chromexpr.interpret.controls``)."""
    bin_size = int(bin_offsets[1] - bin_offsets[0]) if len(bin_offsets) > 1 else 1
    positions = bin_axis_kb(bin_offsets, bin_size)
    extent = (positions[0] - bin_size / 2000, positions[-1] + bin_size / 2000, len(marks), 0)
    control_rows = -(-len(controls) // CONTROL_COLUMNS)
    figure = new_figure(10, 1.6 + 1.4 * (len(CLASS_NAMES) + 1) + 2.0 * control_rows)
    top, bottom = figure.subfigures(2, 1, height_ratios=[3 * 1.4, 2.0 * max(control_rows, 1)])
    axes = top.subplots(len(CLASS_NAMES) + 1, 1, sharex=True, squeeze=False)[:, 0]
    difference = maps[1] - maps[0]
    largest = float(np.abs(difference).max()) or 1.0
    panels = [
        (f"class {name}", values, "magma", 0.0, float(maps.max()) or 1.0)
        for name, values in zip(CLASS_NAMES, maps, strict=True)
    ]
    panels.append(("high minus low", difference, "RdBu_r", -largest, largest))
    for axis, (label, values, colours, low, high) in zip(axes, panels, strict=True):
        image = draw_heatmap(axis, values, marks, extent, colours, low, high)
        axis.set_title(label, fontsize="medium")
        top.colorbar(image, ax=axis, label=input_transform, pad=0.01)
    axes[-1].set_xlabel("position relative to the TSS (kb)")
    bottom.suptitle(
        "Controls: high minus low of each control model's map, each on its own scale "
        "(blue below 0, red above)",
        fontsize="medium",
    )
    grid = bottom.subplots(max(control_rows, 1), CONTROL_COLUMNS, squeeze=False)
    for index, axis in enumerate(grid.flat):
        if index >= len(controls):
            axis.set_axis_off()
            continue
        description, profile, rows = controls[index]
        size = float(np.abs(profile).max()) or 1.0
        draw_heatmap(axis, profile, marks, extent, "RdBu_r", -size, size)
        axis.set_title(control_title(description, rows), fontsize="small")
        axis.tick_params(labelsize="x-small")
        if index % CONTROL_COLUMNS:
            axis.set_yticklabels([])
        axis.set_xlabel("kb from the TSS", fontsize="x-small")
    set_suptitle(figure, title)
    save_png(figure, path, simulated)


def plot_maps_with_controls(
    path: str | os.PathLike[str],
    maps_npz: str | os.PathLike[str],
    controls_npz: str | os.PathLike[str],
    controls_tsv: str | os.PathLike[str],
    title: str,
    simulated: bool = False,
) -> None:
    """``plot_maps`` of the files the optimisation and controls jobs wrote."""
    with np.load(maps_npz) as archive:
        maps = archive["maps"]
        marks = [str(mark) for mark in archive["marks"]]
        bin_offsets = archive["bin_offsets"]
        input_transform = str(archive["input_transform"])
    with np.load(controls_npz) as archive:
        profiles = dict(zip(archive["names"].tolist(), archive["profiles"], strict=True))
    table = pd.read_csv(controls_tsv, sep="\t")
    judged = table[(table["method"] == "optimisation") & (table["mark"] != "all")]
    judged = judged[judged["passes"].notna()]
    controls = [
        (model, profiles[f"optimisation/{model}"], rows)
        for model, rows in judged.groupby("control_model", sort=False)
    ]
    plot_maps(path, maps, controls, marks, bin_offsets, title, input_transform, simulated)
