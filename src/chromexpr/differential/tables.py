"""The differential task's tables: every (pair, model)'s test scores, and DeepDiff against each
baseline per pair.

``results/tables/differential.tsv``, one row per (cell_a, cell_b, model), from the test genes
of the model's ``predictions.tsv`` (``chromexpr.differential.scores`` for the intervals):
``n_test``, ``n_up``, ``n_down``; ``pearson``, ``spearman`` with ``_low``/``_high`` (95%
bootstrap over genes); ``auc_up``, ``auc_down`` with DeLong's ``_low``/``_high``; from
``metrics.json``: ``valid_pearson``, ``best_epoch``, ``epochs_run``, ``seconds_per_epoch``,
``n_parameters``.

``results/tables/differential_comparisons.tsv``, one row per pair and baseline, where DeepDiff
ran: DeepDiff's test Pearson r minus the baseline's on the same genes (``difference``), its
paired bootstrap interval and p-value, and the p-value adjusted by Holm's method over the rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from chromexpr.atomic import atomic_path, write_tsv
from chromexpr.differential.outputs import PREDICTION_COLUMN
from chromexpr.differential.pairs import CLASS_NAMES
from chromexpr.differential.registry import DEEPDIFF
from chromexpr.differential.scores import bootstrap_correlations, change_aucs, paired_bootstrap
from chromexpr.errors import InputFormatError
from chromexpr.stats import holm

KEYS = ("cell_a", "cell_b", "model")
METRIC_COLUMNS = ("valid_pearson", "best_epoch", "epochs_run", "seconds_per_epoch", "n_parameters")
COMPARISON_COLUMNS = (
    "cell_a",
    "cell_b",
    "model",
    "baseline",
    "n_test",
    "pearson",
    "baseline_pearson",
    "difference",
    "low",
    "high",
    "p_value",
    "p_holm",
)
CLASS_VALUES = {name: value for value, name in zip((-1, 0, 1), CLASS_NAMES, strict=True)}


def read_run(metrics_path: Path) -> tuple[dict, pd.DataFrame]:
    """(metrics.json, the test rows of predictions.tsv beside it); InputFormatError naming the
    file otherwise."""
    metrics_path = Path(metrics_path)
    predictions_path = metrics_path.with_name("predictions.tsv")
    try:
        metrics = json.loads(metrics_path.read_text())
        predictions = pd.read_csv(predictions_path, sep="\t", dtype={"gene_id": str})
        test = predictions[predictions["split"] == "test"]
        test = test[["gene_id", "log2_fold_change", "change", PREDICTION_COLUMN]]
        metrics = {key: metrics[key] for key in (*KEYS, *METRIC_COLUMNS)}
    except (OSError, ValueError, KeyError) as error:
        raise InputFormatError(metrics_path, f"cannot read a differential run: {error}") from error
    return metrics, test.reset_index(drop=True)


def run_scores(metrics_path: Path, resamples: int, seed: int) -> dict:
    """One row of ``differential.tsv`` (module docstring)."""
    metrics, test = read_run(metrics_path)
    observed, predicted = test["log2_fold_change"].to_numpy(), test[PREDICTION_COLUMN].to_numpy()
    classes = test["change"].map(CLASS_VALUES).to_numpy()
    return {
        **{key: metrics[key] for key in KEYS},
        "n_test": len(test),
        **bootstrap_correlations(observed, predicted, resamples, seed),
        **change_aucs(classes, predicted),
        **{key: metrics[key] for key in METRIC_COLUMNS},
    }


def differential_table(metrics_paths: Sequence[Path], resamples: int, seed: int) -> pd.DataFrame:
    """``differential.tsv`` of the runs whose ``metrics.json`` are given, in their order."""
    rows = [run_scores(path, resamples, seed) for path in metrics_paths]
    table = pd.DataFrame(rows)
    repeated = table[table.duplicated(list(KEYS), keep=False)]
    if len(repeated):
        first = repeated.iloc[0]
        raise InputFormatError(
            metrics_paths[int(repeated.index[0])],
            f"{first['model']} on {first['cell_a']}-{first['cell_b']} is given twice",
        )
    return table


def comparison_table(metrics_paths: Sequence[Path], resamples: int, seed: int) -> pd.DataFrame:
    """``differential_comparisons.tsv``: DeepDiff against every other model of each pair."""
    runs = {}
    for path in metrics_paths:
        metrics, test = read_run(path)
        runs[tuple(metrics[key] for key in KEYS)] = test
    rows = []
    for (cell_a, cell_b, model), test in runs.items():
        if model != DEEPDIFF:
            continue
        for (other_a, other_b, baseline), other in runs.items():
            if (other_a, other_b) != (cell_a, cell_b) or baseline == DEEPDIFF:
                continue
            if not test["gene_id"].equals(other["gene_id"]):
                raise InputFormatError(
                    f"predictions of {baseline} on {cell_a}-{cell_b}",
                    "test genes differ from DeepDiff's; compare runs of one split",
                )
            observed = test["log2_fold_change"].to_numpy()
            compared = paired_bootstrap(
                observed,
                test[PREDICTION_COLUMN].to_numpy(),
                other[PREDICTION_COLUMN].to_numpy(),
                resamples,
                seed,
            )
            rows.append(
                {
                    "cell_a": cell_a,
                    "cell_b": cell_b,
                    "model": model,
                    "baseline": baseline,
                    "n_test": len(test),
                    "pearson": np.corrcoef(observed, test[PREDICTION_COLUMN])[0, 1],
                    "baseline_pearson": np.corrcoef(observed, other[PREDICTION_COLUMN])[0, 1],
                    **compared,
                }
            )
    table = pd.DataFrame(rows).reindex(columns=list(COMPARISON_COLUMNS))
    table["p_holm"] = holm(table["p_value"].to_numpy(dtype=np.float64))
    return table


def differential_markdown(table: pd.DataFrame) -> str:
    """The scores as a Markdown table: pair, model, Pearson and Spearman [95% CI], AUCs."""
    lines = [
        "| pair (B over A) | model | test genes | Pearson r [95% CI] | Spearman r [95% CI] "
        "| AUC up [95% CI] | AUC down [95% CI] |",
        "|:--|:--|--:|:--|:--|:--|:--|",
    ]

    def interval(row, name: str) -> str:
        if pd.isna(row[name]):
            return "n/a"
        return f"{row[name]:.3f} [{row[f'{name}_low']:.3f}, {row[f'{name}_high']:.3f}]"

    for _, row in table.iterrows():
        lines.append(
            f"| {row['cell_b']} / {row['cell_a']} | {row['model']} | {row['n_test']} "
            f"| {interval(row, 'pearson')} | {interval(row, 'spearman')} "
            f"| {interval(row, 'auc_up')} | {interval(row, 'auc_down')} |"
        )
    return "\n".join(lines) + "\n"


def build_differential_tables(
    metrics_paths: Sequence[Path],
    out_table: Path,
    out_comparisons: Path,
    out_markdown: Path,
    resamples: int,
    seed: int,
) -> pd.DataFrame:
    """Write ``differential.tsv``, its Markdown and ``differential_comparisons.tsv``; return
    the first."""
    table = differential_table(metrics_paths, resamples, seed)
    write_tsv(table, out_table, float_format="%.6g")
    write_tsv(
        comparison_table(metrics_paths, resamples, seed), out_comparisons, float_format="%.6g"
    )
    with atomic_path(out_markdown) as tmp:
        tmp.write_text(differential_markdown(table))
    return table
