"""The forest plot of the published claims tested (``chromexpr.claims``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from chromexpr.plots.figure import new_figure, save_figure, set_suptitle


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
    interval; 0 and the equivalence margin as reference lines. Claims not run are left out."""
    tested = claims[claims["samples"] > 0].reset_index(drop=True)
    figure = new_figure(11.0, 2.4 + 0.5 * max(len(tested), 1))
    axes = figure.add_subplot()
    axes.axvspan(-margin, margin, color="0.9", label=f"equivalence margin ±{margin:g}")
    axes.axvline(0, color="black", linewidth=0.8)
    for position, row in tested.iterrows():
        per_sample = pairs[pairs["claim"] == row["key"]].groupby("cell")["difference"].mean()
        # Samples just below their claim's interval, so that the interval does not hide them.
        axes.plot(
            per_sample,
            np.full(len(per_sample), position + 0.2),
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
            color="tab:blue",
            capsize=3,
            label="mean over samples, 95% interval" if position == 0 else None,
        )
    axes.set_yticks(range(len(tested)), tested["compared"])
    axes.set_ylim(max(len(tested), 1) - 0.4, -0.6)
    axes.set_xlabel("test AUC difference, model a - model b")
    set_suptitle(figure, "Published claims: test AUC difference per pair of models compared")
    if not len(tested):
        axes.text(
            0.5, 0.5, "no claim could be tested on this run", ha="center", transform=axes.transAxes
        )
    axes.grid(axis="x", alpha=0.3)
    # On the right: the title takes the top edge, a demo run's simulated-data note the bottom.
    figure.legend(loc="outside right upper", fontsize="small")
    save_figure(figure, out_png, out_svg, simulated)
