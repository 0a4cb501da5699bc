"""The claims table: per claim, the test across samples, Holm's adjustment, the verdict; its
Markdown and forest plot (``chromexpr.claims``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from chromexpr.atomic import atomic_path, write_tsv
from chromexpr.claims.catalog import CLAIMS, CROSSCELL, DIFFERENTIAL, EQUIVALENCE, Claim
from chromexpr.claims.differences import (
    PAIR_COLUMNS,
    crosscell_differences,
    model_differences,
    pearson_differences,
    read_differential_scores,
    read_runs,
)
from chromexpr.crosscell.transfer_tests import read_transfer_tests
from chromexpr.plots.claims import plot_claims
from chromexpr.stats import equivalence_p, holm, mean_interval, wilcoxon_p

SUPPORTED, CONTRADICTED, INCONCLUSIVE, NOT_RUN, NOT_JUDGED = (
    "supported",
    "contradicted",
    "inconclusive at this run's size",
    "not run",
    "not judged",
)
CLAIM_COLUMNS = (
    "key",
    "claim",
    "source",
    "compared",
    "kind",
    "samples",
    "mean_difference",
    "ci_low",
    "ci_high",
    "test",
    "p_value",
    "p_holm",
    "delong_per_sample",
    "not_converged",
    "verdict",
    "note",
)


@dataclass(frozen=True)
class ClaimsOutputs:
    """The files ``build_claims`` writes."""

    claims: Path
    markdown: Path
    pairs: Path
    png: Path
    svg: Path


def _delong_summary(pairs: pd.DataFrame, alpha: float) -> str:
    """How many (cell, fold, seed) comparisons DeLong's test finds significant, each way."""
    tested = pairs.dropna(subset=["delong_p"])
    if not len(tested):
        return ""
    significant = tested[tested["delong_p"] < alpha]
    for_a = int((significant["difference"] > 0).sum())
    return f"{for_a} for, {len(significant) - for_a} against, of {len(tested)}"


def claim_row(claim: Claim, pairs: pd.DataFrame, margin: float, alpha: float) -> dict:
    """The claim's row before Holm's adjustment and the verdict: the mean over samples of the
    per-sample difference (mean over folds and seeds), its 95% t interval and the test's p."""
    row = {
        "key": claim.key,
        "claim": claim.statement,
        "source": claim.source,
        "compared": claim.compared,
        "kind": claim.kind,
    }
    per_sample = pairs.groupby("cell", sort=True)["difference"].mean().to_numpy()
    if not len(per_sample):
        return row | {"samples": 0, "test": "", "not_converged": "", "verdict": NOT_RUN}
    mean, low, high = mean_interval(per_sample)
    if claim.kind == EQUIVALENCE:
        test, p_value = f"TOST Wilcoxon, margin {margin:g}", equivalence_p(per_sample, margin)
    else:
        test, p_value = "Wilcoxon signed-rank, two-sided", wilcoxon_p(per_sample)
    return row | {
        "samples": len(per_sample),
        "mean_difference": mean,
        "ci_low": low,
        "ci_high": high,
        "test": test,
        "p_value": p_value,
        "delong_per_sample": _delong_summary(pairs, alpha),
        "not_converged": _not_converged_models(claim, pairs),
    }


def _not_converged_models(claim: Claim, pairs: pd.DataFrame) -> str:
    """The models of ``claim`` with a run in ``pairs`` that did not converge (or did not record
    it), comma-separated; empty when every run converged."""
    failing = pairs.loc[pairs["not_converged"] != "", "not_converged"]
    names = {claim.better} if claim.experiment == CROSSCELL else {claim.better, claim.other}
    return ", ".join(
        name
        for name in sorted(names)
        if any(re.search(rf"\b{re.escape(name)}\b", text) for text in failing)
    )


def _not_converged_note(pairs: pd.DataFrame) -> str:
    """The note of a claim not judged, from its pairs' ``not_converged``: which runs did not
    converge, e.g. "did not converge: linear on E003, E005"."""
    failing = pairs[pairs["not_converged"] != ""].groupby("not_converged", sort=True)["cell"]
    return "did not converge: " + "; ".join(
        f"{what} on {', '.join(sorted(set(cells)))}" for what, cells in failing
    )


def verdict(row: pd.Series, margin: float, alpha: float) -> str:
    """supported, contradicted or inconclusive, from the Holm-adjusted p and the interval; not
    judged where a model compared did not converge."""
    if row["samples"] == 0:
        return NOT_RUN
    if row["not_converged"]:
        return f"{NOT_JUDGED}: {row['not_converged']} did not converge"
    significant = row["p_holm"] < alpha
    if row["kind"] == EQUIVALENCE:
        if significant:
            return SUPPORTED
        outside = row["ci_low"] > margin or row["ci_high"] < -margin
        return CONTRADICTED if outside else INCONCLUSIVE
    if significant:
        return SUPPORTED if row["mean_difference"] > 0 else CONTRADICTED
    return INCONCLUSIVE


def claims_table(
    runs: pd.DataFrame,
    crosscell: pd.DataFrame | None,
    margin: float,
    alpha: float,
    claims: Sequence[Claim] = CLAIMS,
    differential: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(claims table [claims, CLAIM_COLUMNS], per-sample differences [rows, PAIR_COLUMNS]).

    A claim whose models (or cross-cell transfer) were not run keeps its row, verdict "not run",
    with a note naming what is missing; a claim with a run that did not converge keeps its
    figures, verdict "not judged", with a note naming the runs, and is left out of Holm's family.
    ``crosscell``: the pairwise transfer tests (``chromexpr.crosscell.transfer_tests``);
    ``differential``: the differential task's differential.tsv (None where it did not run).
    """
    rows, all_pairs = [], []
    run_models = set(runs["model"])
    for claim in claims:
        note = ""
        if claim.experiment == DIFFERENTIAL:
            pairs = pearson_differences(differential, claim.key, claim.better, claim.other)
            note = "Pearson r of the fold change per pair" if len(pairs) else "differential not run"
        elif claim.experiment == CROSSCELL:
            if crosscell is None:
                pairs, note = pd.DataFrame(columns=PAIR_COLUMNS), "cross-cell transfer not run"
            else:
                pairs = crosscell_differences(crosscell, claim)
                if not len(pairs):
                    note = f"no pairwise transfer of {claim.better} without normalisation"
        else:
            missing = [name for name in (claim.better, claim.other) if name not in run_models]
            if missing:
                pairs, note = pd.DataFrame(columns=PAIR_COLUMNS), f"{', '.join(missing)} not run"
            else:
                pairs = model_differences(runs, claim)
                if not len(pairs):
                    note = "the two models share no cell type"
        row = claim_row(claim, pairs, margin, alpha)
        if claim.experiment == CROSSCELL and len(pairs):
            note = "mean transfer AUC from the other cells; DeLong per test cell"
        if row.get("not_converged"):
            note = _not_converged_note(pairs)
        rows.append(row | {"note": note})
        all_pairs.append(pairs)
    table = pd.DataFrame(rows).reindex(columns=list(CLAIM_COLUMNS))
    judged = table["p_value"].where(table["not_converged"] == "")
    table["p_holm"] = holm(judged.to_numpy(dtype=np.float64))
    table["verdict"] = [verdict(row, margin, alpha) for _, row in table.iterrows()]
    pairs = pd.concat([frame for frame in all_pairs if len(frame)] or [pd.DataFrame()])
    return table, pairs.reindex(columns=list(PAIR_COLUMNS))


def claims_markdown(table: pd.DataFrame) -> str:
    """The claims table as a Markdown pipe table: claim and source, pair, samples, mean
    difference [95% interval], test, Holm-adjusted p, verdict."""
    lines = [
        "| claim; *source* | compared | samples | AUC difference [95% CI] | test | p (Holm) "
        "| verdict |",
        "|:--|:--|--:|:--|:--|--:|:--|",
    ]
    for row in table.itertuples(index=False):
        if row.samples == 0:
            effect, p_value, verdict = "", "", f"{row.verdict}: {row.note}"
        else:
            interval = "" if pd.isna(row.ci_low) else f" [{row.ci_low:+.3f}, {row.ci_high:+.3f}]"
            effect = f"{row.mean_difference:+.3f}{interval}"
            p_value = "" if pd.isna(row.p_holm) else f"{row.p_holm:.3g}"
            verdict = row.verdict
        lines.append(
            f"| {row.claim}; *{row.source}* | {row.compared} | {row.samples} | {effect} "
            f"| {row.test} | {p_value} | {verdict} |"
        )
    return "\n".join(lines) + "\n"


def build_claims(
    metrics_paths: Sequence[Path],
    crosscell_tests: Sequence[Path] | None,
    margin: float,
    alpha: float,
    outputs: ClaimsOutputs,
    simulated: bool,
    differential_table: Path | None = None,
) -> pd.DataFrame:
    """Write the claims table, the per-sample differences behind it and their forest plot;
    return the claims table. ``crosscell_tests``: the pairwise transfer tests (None where
    cross-cell transfer did not run)."""
    crosscell = None if crosscell_tests is None else read_transfer_tests(crosscell_tests)
    table, pairs = claims_table(
        read_runs(metrics_paths),
        crosscell,
        margin,
        alpha,
        CLAIMS,
        read_differential_scores(differential_table),
    )
    write_tsv(table, outputs.claims)
    with atomic_path(outputs.markdown) as tmp:
        tmp.write_text(claims_markdown(table))
    write_tsv(pairs, outputs.pairs)
    plot_claims(table, pairs, margin, outputs.png, outputs.svg, simulated)
    return table
