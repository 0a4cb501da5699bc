"""The field's published comparisons, tested on the run's own outputs.

Each ``Claim`` compares two models on the same test genes (or, for the cross-cell claim, a model
transferred from other cell types against the one trained on the cell itself). Per sample (cell
type) the AUC difference is the mean over the run's folds and seeds of (model a - model b), each
with DeLong's test of the two correlated ROC curves; across samples:

- a superiority claim (a > b) is tested by the two-sided Wilcoxon signed-rank test on the
  per-sample differences: supported when significant with a > b, contradicted when significant
  with a < b;
- an equivalence claim (a = b) by two one-sided Wilcoxon tests (TOST) with the configured margin:
  supported when significant, contradicted when the 95% interval of the mean difference lies
  wholly outside the margin.

p-values are adjusted by Holm's method over the claims tested; anything else is inconclusive at
the run's size (with three cell types no Wilcoxon test can reach p < 0.05: its smallest two-sided
p-value is 2 / 2^n).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from chromexpr.atomic import atomic_path, write_tsv
from chromexpr.differential.claims import pearson_differences, read_scores
from chromexpr.errors import InputFormatError
from chromexpr.plots.claims import plot_claims
from chromexpr.stats import delong_test, equivalence_p, holm, mean_interval, wilcoxon_p
from chromexpr.tables import predictions_path, read_prediction_table

SUPERIORITY, EQUIVALENCE = "superiority", "equivalence"
MODELS, CROSSCELL, DIFFERENTIAL = "models", "crosscell", "differential"
# The cross-cell claim's comparison: the model's own-cell AUC against its AUC when trained on
# another cell type (pairwise transfer, no input normalisation).
OWN_CELL = "own cell"
SUPPORTED, CONTRADICTED, INCONCLUSIVE, NOT_RUN = (
    "supported",
    "contradicted",
    "inconclusive at this run's size",
    "not run",
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
    "verdict",
    "note",
)
PAIR_COLUMNS = ("claim", "cell", "fold", "seed", "auc_a", "auc_b", "difference", "delong_p")


@dataclass(frozen=True)
class ClaimsOutputs:
    """The files ``build_claims`` writes."""

    claims: Path
    markdown: Path
    pairs: Path
    png: Path
    svg: Path


@dataclass(frozen=True)
class Claim:
    """A published comparison: ``better`` beats (or, for equivalence, equals) ``other``."""

    key: str
    statement: str
    source: str
    better: str
    other: str
    kind: str = SUPERIORITY
    experiment: str = MODELS

    @property
    def compared(self) -> str:
        relation = "=" if self.kind == EQUIVALENCE else ">"
        if self.experiment == CROSSCELL:
            return f"{self.better} from other cells {relation} {self.better} on its own cell"
        if self.experiment == DIFFERENTIAL:
            return f"{self.better} {relation} {self.other} (Pearson r of log2 fold change)"
        return f"{self.better} {relation} {self.other}"


CLAIMS = (
    Claim(
        "linear_equals_cnn",
        "A 12-parameter linear model has the same predictive power as DeepChrome's CNN",
        "DeepChrome 2.0 (Kadavath et al., arXiv 2209.11923)",
        "linear",
        "deepchrome",
        EQUIVALENCE,
    ),
    Claim(
        "crnn_over_deepchrome",
        "The CRNN is a statistically significant improvement over DeepChrome",
        "Zhu et al., EMBEC & NBC 2017",
        "crnn",
        "deepchrome",
    ),
    Claim(
        "neighbours_help",
        "Neighbouring genes' histone codes improve the prediction",
        "SimpleChrome (Cheng et al. 2020)",
        "simplechrome",
        "simplechrome_self",
    ),
    Claim(
        "code_independent_of_cell_type",
        "The histone code is independent of cell type: a model transfers without loss",
        "DeepChrome 2.0 (Kadavath et al., arXiv 2209.11923)",
        "deepchrome",
        OWN_CELL,
        EQUIVALENCE,
        CROSSCELL,
    ),
    Claim(
        "gbdt_over_deepchrome",
        "Gradient-boosted trees beat deep models (mean AUC 0.903 against DeepChrome's 0.801)",
        "PatternChrome (Bioinformatics 2025)",
        "gbdt",
        "deepchrome",
    ),
    Claim(
        "gbdt_over_attentivechrome",
        "Gradient-boosted trees beat deep models (mean AUC 0.903 against AttentiveChrome's 0.81)",
        "PatternChrome (Bioinformatics 2025)",
        "gbdt",
        "attentivechrome",
    ),
    Claim(
        "attentivechrome_over_deepchrome",
        "Attention over bins and marks improves on DeepChrome",
        "AttentiveChrome (Singh et al., NeurIPS 2017)",
        "attentivechrome",
        "deepchrome",
    ),
    Claim(
        "deepchrome_over_mlp",
        "DeepChrome's CNN beats its MLP baseline",
        "DeepChrome (Singh et al., Bioinformatics 2016)",
        "deepchrome",
        "mlp",
    ),
    Claim(
        "deepdiff_over_difference",
        "DeepDiff beats the difference of single-cell models",
        "DeepDiff (Sekhon et al., Bioinformatics 2018)",
        "deepdiff",
        "difference",
        experiment=DIFFERENTIAL,
    ),
)


def read_runs(metrics_paths: Sequence[Path]) -> pd.DataFrame:
    """One row per classifier run: cell, model, fold, seed, test_auc and its predictions.tsv
    (beside metrics.json). A run without ``fold`` counts as fold 0; ``seed`` falls back to the
    training settings' seed."""
    rows = []
    for path in map(Path, metrics_paths):
        try:
            metrics = json.loads(path.read_text())
            rows.append(
                {
                    "cell": str(metrics["cell"]),
                    "model": metrics["model"],
                    "fold": metrics.get("fold", 0),
                    "seed": metrics.get("seed", metrics.get("settings", {}).get("seed", 0)),
                    "test_auc": metrics["test_auc"],
                    "predictions": predictions_path(path),
                }
            )
        except (OSError, json.JSONDecodeError, KeyError) as error:
            raise InputFormatError(path, f"cannot read a classifier's metrics: {error}") from error
    runs = pd.DataFrame(rows, columns=["cell", "model", "fold", "seed", "test_auc", "predictions"])
    repeated = runs[runs.duplicated(["cell", "model", "fold", "seed"], keep=False)]
    if len(repeated):
        raise InputFormatError(
            repeated["predictions"].iloc[0].parent / "metrics.json",
            "the same (cell, model, fold, seed) is given twice",
        )
    return runs


def model_differences(runs: pd.DataFrame, claim: Claim) -> pd.DataFrame:
    """``PAIR_COLUMNS`` rows: per (cell, fold, seed) both models ran, AUC(a) - AUC(b) on their
    common test genes with DeLong's p-value. InputFormatError when the two runs hold different
    test genes or labels (they were not trained on one split)."""
    keys = ["cell", "fold", "seed"]
    pairs = runs[runs["model"] == claim.better].merge(
        runs[runs["model"] == claim.other], on=keys, suffixes=("_a", "_b")
    )
    rows = []
    for pair in pairs.sort_values(keys).itertuples(index=False):
        scores_a, scores_b = (
            read_prediction_table(pair.predictions_a),
            read_prediction_table(pair.predictions_b),
        )
        if list(scores_a.index) != list(scores_b.index) or not np.array_equal(
            scores_a["label"], scores_b["label"]
        ):
            raise InputFormatError(
                pair.predictions_b,
                f"test genes or labels differ from {pair.predictions_a}; compare runs of one split",
            )
        test = delong_test(scores_a["label"], scores_a["probability"], scores_b["probability"])
        rows.append(
            (claim.key, pair.cell, pair.fold, pair.seed)
            + (test.auc_a, test.auc_b, test.difference, test.p_value)
        )
    return pd.DataFrame(rows, columns=list(PAIR_COLUMNS))


def crosscell_differences(crosscell: pd.DataFrame, claim: Claim) -> pd.DataFrame:
    """``PAIR_COLUMNS`` rows, one per test cell: the mean pairwise-transfer AUC of ``claim``'s
    model trained on each other cell minus its AUC trained on the test cell itself (no input
    normalisation). No per-gene scores are kept by the transfer experiments, so no DeLong p."""
    pairwise = crosscell[
        (crosscell["experiment"] == "pairwise")
        & (crosscell["model"] == claim.better)
        & (crosscell["normalisation"] == "none")
    ]
    rows = []
    for cell, scores in pairwise.groupby("test_cell", sort=True):
        own = scores.loc[scores["train_set"] == cell, "auc"]
        transferred = scores.loc[scores["train_set"] != cell, "auc"]
        if len(own) != 1 or not len(transferred):
            continue
        mean_transfer = float(transferred.mean())
        rows.append(
            (claim.key, cell, 0, 0, mean_transfer, float(own.iloc[0]))
            + (mean_transfer - float(own.iloc[0]), np.nan)
        )
    return pd.DataFrame(rows, columns=list(PAIR_COLUMNS))


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
        return row | {"samples": 0, "test": "", "verdict": NOT_RUN}
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
    }


def verdict(row: pd.Series, margin: float, alpha: float) -> str:
    """supported, contradicted or inconclusive, from the Holm-adjusted p and the interval."""
    if row["samples"] == 0:
        return NOT_RUN
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

    A claim whose models (or cross-cell transfer, or the differential task's ``differential``
    table) were not run keeps its row, verdict "not run", with a note naming what is missing."""
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
            note = "mean transfer AUC from the other cells; per-gene scores not kept, so no DeLong"
        rows.append(row | {"note": note})
        all_pairs.append(pairs)
    table = pd.DataFrame(rows).reindex(columns=list(CLAIM_COLUMNS))
    table["p_holm"] = holm(table["p_value"].to_numpy(dtype=np.float64))
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
            p_value, verdict = f"{row.p_holm:.3g}", row.verdict
        lines.append(
            f"| {row.claim}; *{row.source}* | {row.compared} | {row.samples} | {effect} "
            f"| {row.test} | {p_value} | {verdict} |"
        )
    return "\n".join(lines) + "\n"


def build_claims(
    metrics_paths: Sequence[Path],
    crosscell_table: Path | None,
    margin: float,
    alpha: float,
    outputs: ClaimsOutputs,
    simulated: bool,
    differential_table: Path | None = None,
) -> pd.DataFrame:
    """Write the claims table, the per-sample differences behind it and their forest plot;
    return the claims table."""
    crosscell = None
    if crosscell_table is not None:
        crosscell = pd.read_csv(
            crosscell_table, sep="\t", dtype={"train_set": str, "test_cell": str}
        )
    table, pairs = claims_table(
        read_runs(metrics_paths), crosscell, margin, alpha, CLAIMS, read_scores(differential_table)
    )
    write_tsv(table, outputs.claims)
    with atomic_path(outputs.markdown) as tmp:
        tmp.write_text(claims_markdown(table))
    write_tsv(pairs, outputs.pairs)
    plot_claims(table, pairs, margin, outputs.png, outputs.svg, simulated)
    return table
