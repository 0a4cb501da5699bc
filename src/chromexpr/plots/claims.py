"""The forest plot of the published claims tested (``chromexpr.claims``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from chromexpr.plots.figure import fitted, new_figure, save_figure, set_title

# The width of a claim's label, in inches at LABEL_SIZE points: the pair compared, then the verdict.
LABEL_WIDTH, LABEL_SIZE = 2.6, 9.0
JUDGED_COLOUR, NOT_JUDGED_COLOUR = "tab:blue", "0.55"


def claim_label(row: pd.Series) -> str:
    """The pair compared and, below it, the verdict, each wrapped to ``LABEL_WIDTH``."""
    return "\n".join(
        fitted(text, LABEL_WIDTH, LABEL_SIZE) for text in (row["compared"], row["verdict"])
    )


def plot_claims(
    claims: pd.DataFrame,
    pairs: pd.DataFrame,
    margin: float,
    out_png: Path,
    out_svg: Path,
    simulated: bool,
) -> None:
    """Forest plot of the claims tested: per claim, each sample's AUC difference (model a - model
    b, mean over folds and seeds) as small points, and the mean over samples with its 95% t
    interval, labelled with the pair compared and the verdict; a claim not judged (a model did
    not converge) in grey with hollow markers. 0 and the equivalence margin as reference lines;
    claims not run are left out."""
    tested = claims[claims["samples"] > 0].reset_index(drop=True)
    figure = new_figure(10.0, 2.2 + 0.75 * max(len(tested), 1))
    axes = figure.add_subplot()
    axes.axvspan(-margin, margin, color="0.9", label=f"equivalence margin ±{margin:g}")
    axes.axvline(0, color="black", linewidth=0.8)
    for position, row in tested.iterrows():
        judged = not row.get("not_converged")
        colour = JUDGED_COLOUR if judged else NOT_JUDGED_COLOUR
        per_sample = pairs[pairs["claim"] == row["key"]].groupby("cell")["difference"].mean()
        # Samples just below their claim's interval, so that the interval does not hide them.
        axes.plot(
            per_sample,
            np.full(len(per_sample), position + 0.22),
            "|",
            color="0.4",
            markersize=8,
            label="one sample (cell type)" if position == 0 else None,
        )
        low, high = row["ci_low"], row["ci_high"]
        errors = (
            None
            if pd.isna(low)
            else [[row["mean_difference"] - low], [high - row["mean_difference"]]]
        )
        axes.errorbar(
            row["mean_difference"],
            position,
            xerr=errors,
            fmt="o",
            color=colour,
            markerfacecolor=colour if judged else "white",
            capsize=3,
        )
    axes.set_yticks(range(len(tested)), [claim_label(row) for _, row in tested.iterrows()])
    axes.tick_params(axis="y", labelsize=LABEL_SIZE)
    for label, (_, row) in zip(axes.get_yticklabels(), tested.iterrows(), strict=True):
        label.set_color("black" if not row.get("not_converged") else NOT_JUDGED_COLOUR)
    axes.set_ylim(max(len(tested), 1) - 0.4, -0.6)
    axes.set_xlabel("test AUC difference, model a - model b")
    set_title(axes, "Published claims: test AUC difference per pair of models compared")
    if not len(tested):
        axes.text(
            0.5, 0.5, "no claim could be tested on this run", ha="center", transform=axes.transAxes
        )
    axes.grid(axis="x", alpha=0.3)
    # On the right, beside the axes' title; a demo run's simulated-data note takes the bottom.
    handles, labels = axes.get_legend_handles_labels()
    mean = Line2D([], [], color=JUDGED_COLOUR, marker="o", label="mean over samples, 95% interval")
    figure.legend(
        [*handles, mean],
        [*labels, mean.get_label()],
        loc="outside right upper",
        fontsize="small",
    )
    save_figure(figure, out_png, out_svg, simulated)
