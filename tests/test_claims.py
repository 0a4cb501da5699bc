"""The claims table: per-sample DeLong, Wilcoxon or TOST across samples, Holm, verdicts."""

import json

import numpy as np
import pandas as pd
import pytest

from chromexpr.claims import (
    CLAIMS,
    CONTRADICTED,
    INCONCLUSIVE,
    NOT_RUN,
    SUPPORTED,
    ClaimsOutputs,
    build_claims,
    claims_table,
    crosscell_differences,
    read_runs,
)
from chromexpr.errors import InputFormatError

CELLS = ["E003", "E004", "E005", "E006", "E007", "E008"]
CLAIMS_BY_KEY = {claim.key: claim for claim in CLAIMS}


def write_run(root, model, cell, scores, labels, genes=None):
    folder = root / model / cell
    folder.mkdir(parents=True)
    genes = genes if genes is not None else [f"G{index}" for index in range(len(labels))]
    pd.DataFrame({"gene_id": genes, "label": labels, "probability": scores}).to_csv(
        folder / "predictions.tsv", sep="\t", index=False
    )
    # read_runs keeps test_auc for the record; the claims recompute AUCs from the predictions.
    metrics = {"cell": cell, "model": model, "test_auc": 0.5, "settings": {"seed": 1}}
    (folder / "metrics.json").write_text(json.dumps(metrics))
    return folder / "metrics.json"


def write_zoo(root, noise):
    """Per cell, every model in ``noise`` scores 300 genes as label + normal(0, its noise):
    less noise, higher AUC. The same labels and genes for every model of a cell."""
    paths = []
    for index, cell in enumerate(CELLS):
        rng = np.random.default_rng(index)
        labels = rng.integers(0, 2, 300)
        for model, sigma in noise.items():
            model_rng = np.random.default_rng([index, len(model)])
            scores = labels + model_rng.normal(0, sigma, 300)
            paths.append(write_run(root, model, cell, scores, labels))
    return paths


def table_of(root, noise, keys, crosscell=None):
    runs = read_runs(write_zoo(root, noise))
    return claims_table(runs, crosscell, 0.01, 0.05, [CLAIMS_BY_KEY[key] for key in keys])


def test_a_clearly_better_model_on_six_cells_supports_the_claim(tmp_path):
    table, pairs = table_of(tmp_path, {"crnn": 0.4, "deepchrome": 1.5}, ["crnn_over_deepchrome"])
    row = table.iloc[0]
    assert row["samples"] == 6 and row["mean_difference"] > 0.05
    # Six positive differences: the exact two-sided Wilcoxon p is 2 / 2^6.
    assert row["p_value"] == pytest.approx(2 / 64)
    assert row["verdict"] == SUPPORTED
    assert row["delong_per_sample"] == "6 for, 0 against, of 6"
    assert list(pairs["cell"]) == CELLS and (pairs["delong_p"] < 0.05).all()
    assert row["ci_low"] < row["mean_difference"] < row["ci_high"]


def test_a_worse_model_contradicts_the_claim(tmp_path):
    table, _ = table_of(tmp_path, {"crnn": 1.5, "deepchrome": 0.4}, ["crnn_over_deepchrome"])
    assert table.iloc[0]["verdict"] == CONTRADICTED


def test_holm_over_two_claims_can_leave_both_inconclusive(tmp_path):
    # Each claim alone has p = 2/64 = 0.031; Holm multiplies the smaller by two.
    table, _ = table_of(
        tmp_path,
        {"crnn": 0.4, "deepchrome": 1.5, "mlp": 3.0},
        ["crnn_over_deepchrome", "deepchrome_over_mlp"],
    )
    assert table["p_holm"].tolist() == pytest.approx([4 / 64, 4 / 64])
    assert (table["verdict"] == INCONCLUSIVE).all()


def test_identical_predictions_support_an_equivalence_claim(tmp_path):
    runs = read_runs(write_zoo(tmp_path, {"linear": 1.0}))
    twins = runs.assign(model="deepchrome")
    table, _ = claims_table(
        pd.concat([runs, twins]), None, 0.01, 0.05, [CLAIMS_BY_KEY["linear_equals_cnn"]]
    )
    row = table.iloc[0]
    assert row["mean_difference"] == 0 and row["p_value"] == pytest.approx(1 / 64)
    assert row["verdict"] == SUPPORTED


def test_an_equivalence_claim_is_contradicted_when_the_interval_leaves_the_margin(tmp_path):
    table, _ = table_of(tmp_path, {"linear": 0.4, "deepchrome": 1.5}, ["linear_equals_cnn"])
    assert table.iloc[0]["ci_low"] > 0.01
    assert table.iloc[0]["verdict"] == CONTRADICTED


def test_claims_whose_models_did_not_run_say_so(tmp_path):
    table, _ = table_of(
        tmp_path,
        {"deepchrome": 1.0},
        ["gbdt_over_deepchrome", "code_independent_of_cell_type"],
    )
    assert table["verdict"].tolist() == [NOT_RUN, NOT_RUN]
    assert table["note"].tolist() == ["gbdt not run", "cross-cell transfer not run"]
    assert table["p_holm"].isna().all()


def test_models_scored_on_different_genes_are_an_error_naming_the_file(tmp_path):
    labels = np.array([0, 1, 0, 1])
    paths = [
        write_run(tmp_path, "crnn", "E003", np.arange(4.0), labels),
        write_run(tmp_path, "deepchrome", "E003", np.arange(4.0), labels, ["A", "B", "C", "D"]),
    ]
    with pytest.raises(InputFormatError, match="deepchrome/E003/predictions.tsv"):
        claims_table(read_runs(paths), None, 0.01, 0.05, [CLAIMS_BY_KEY["crnn_over_deepchrome"]])


def test_crosscell_difference_is_mean_transfer_minus_own_cell():
    rows = [
        ("pairwise", train, test, "deepchrome", "none", auc, 100)
        for train, test, auc in [
            ("E003", "E003", 0.80),
            ("E004", "E003", 0.70),
            ("E005", "E003", 0.74),
            ("E004", "E004", 0.90),
        ]
    ]
    rows.append(("pairwise", "E004", "E003", "deepchrome", "cpm", 0.10, 100))
    table = pd.DataFrame(
        rows,
        columns=["experiment", "train_set", "test_cell", "model", "normalisation", "auc", "n_test"],
    )
    pairs = crosscell_differences(table, CLAIMS_BY_KEY["code_independent_of_cell_type"])
    # E004 has no transfer onto it, so only E003 is a sample.
    assert pairs["cell"].tolist() == ["E003"]
    assert pairs["difference"].iloc[0] == pytest.approx(0.72 - 0.80)


def test_build_claims_writes_both_tables_and_the_forest_plot(tmp_path):
    paths = write_zoo(tmp_path / "runs", {"attentivechrome": 0.9, "deepchrome": 1.0, "mlp": 1.2})
    names = ("c.tsv", "c.md", "p.tsv", "c.png", "c.svg")
    outputs = ClaimsOutputs(*(tmp_path / name for name in names))
    claims = build_claims(paths, None, 0.01, 0.05, outputs, simulated=True)
    written = pd.read_csv(outputs.claims, sep="\t")
    assert written["key"].tolist() == [claim.key for claim in CLAIMS] == claims["key"].tolist()
    assert (written["samples"] > 0).sum() == 2
    pairs = pd.read_csv(outputs.pairs, sep="\t")
    assert sorted(set(pairs["claim"])) == ["attentivechrome_over_deepchrome", "deepchrome_over_mlp"]
    markdown = outputs.markdown.read_text().splitlines()
    assert len(markdown) == 2 + len(CLAIMS)
    assert "| gbdt > deepchrome | 0 |" in markdown[6] and "not run: gbdt not run" in markdown[6]
    assert outputs.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
