"""The claims table: per-sample DeLong, Wilcoxon or TOST across samples, Holm, verdicts."""

import json

import numpy as np
import pandas as pd
import pytest

from chromexpr.claims import (
    CLAIMS,
    CONTRADICTED,
    INCONCLUSIVE,
    NOT_JUDGED,
    NOT_RUN,
    SUPPORTED,
    ClaimsOutputs,
    build_claims,
    claims_table,
    crosscell_differences,
    read_runs,
)
from chromexpr.crosscell.transfer_tests import TRANSFER_TEST_COLUMNS
from chromexpr.errors import InputFormatError

CELLS = ["E003", "E004", "E005", "E006", "E007", "E008"]
CLAIMS_BY_KEY = {claim.key: claim for claim in CLAIMS}


def write_run(root, model, cell, scores, labels, genes=None, converged=True):
    folder = root / model / cell
    folder.mkdir(parents=True)
    genes = genes if genes is not None else [f"G{index}" for index in range(len(labels))]
    pd.DataFrame({"gene_id": genes, "label": labels, "probability": scores}).to_csv(
        folder / "predictions.tsv", sep="\t", index=False
    )
    # read_runs keeps test_auc for the record; the claims recompute AUCs from the predictions.
    metrics = {
        "cell": cell,
        "model": model,
        "test_auc": 0.5,
        "converged": converged,
        "settings": {"seed": 1},
    }
    (folder / "metrics.json").write_text(json.dumps(metrics))
    return folder / "metrics.json"


def write_zoo(root, noise, unconverged=()):
    """Per cell, every model in ``noise`` scores 300 genes as label + normal(0, its noise):
    less noise, higher AUC. The same labels and genes for every model of a cell. The runs of
    ``unconverged`` (model, cell) pairs record that they did not converge."""
    paths = []
    for index, cell in enumerate(CELLS):
        rng = np.random.default_rng(index)
        labels = rng.integers(0, 2, 300)
        for model, sigma in noise.items():
            model_rng = np.random.default_rng([index, len(model)])
            scores = labels + model_rng.normal(0, sigma, 300)
            converged = (model, cell) not in unconverged
            paths.append(write_run(root, model, cell, scores, labels, converged=converged))
    return paths


def table_of(root, noise, keys, crosscell=None, unconverged=()):
    runs = read_runs(write_zoo(root, noise, unconverged))
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


def test_a_claim_with_a_run_that_did_not_converge_is_not_judged_and_leaves_holms_family(
    tmp_path,
):
    noise = {"crnn": 0.4, "deepchrome": 1.5, "mlp": 2.0}
    keys = ["crnn_over_deepchrome", "deepchrome_over_mlp"]
    table, pairs = table_of(tmp_path, noise, keys, unconverged={("crnn", "E004"), ("crnn", "E006")})
    not_judged, judged = table.iloc[0], table.iloc[1]
    # The figures stay; the verdict does not: crnn would be supported (see the test above).
    assert not_judged["samples"] == 6 and not_judged["mean_difference"] > 0.05
    assert not_judged["verdict"] == f"{NOT_JUDGED}: crnn did not converge"
    assert not_judged["note"] == "did not converge: crnn on E004, E006"
    assert pd.isna(not_judged["p_holm"])
    # Holm's family is the one claim judged: its p is not multiplied.
    assert judged["p_holm"] == judged["p_value"] and judged["not_converged"] == ""
    assert pairs.loc[pairs["claim"] == keys[0], "not_converged"].tolist() == [
        "",
        "crnn",
        "",
        "crnn",
        "",
        "",
    ]


def test_a_run_that_does_not_record_convergence_is_not_judged(tmp_path):
    labels = np.tile([0, 1], 10)
    paths = [
        write_run(tmp_path, "crnn", "E003", labels + 0.1, labels),
        write_run(tmp_path, "deepchrome", "E003", np.arange(20.0), labels, converged=None),
    ]
    table, _ = claims_table(
        read_runs(paths), None, 0.01, 0.05, [CLAIMS_BY_KEY["crnn_over_deepchrome"]]
    )
    assert table.iloc[0]["verdict"] == f"{NOT_JUDGED}: deepchrome did not converge"
    assert table.iloc[0]["note"] == "did not converge: deepchrome (not recorded) on E003"


def transfer_tests(**overrides):
    rows = [
        ("deepchrome", "none", "E003", "E004,E005", 0.80, 0.72, -0.08, 0.02, 0.001, 100, True, ""),
        ("deepchrome", "none", "E004", "E003,E005", 0.90, 0.89, -0.01, 0.02, 0.6, 100, True, ""),
        ("deepchrome", "cpm", "E003", "E004,E005", 0.80, 0.10, -0.70, 0.02, 0.0, 100, True, ""),
    ]
    table = pd.DataFrame(rows, columns=list(TRANSFER_TEST_COLUMNS))
    for column, values in overrides.items():
        table[column] = values
    return table


def test_crosscell_differences_are_the_per_cell_transfer_tests_without_normalisation():
    pairs = crosscell_differences(transfer_tests(), CLAIMS_BY_KEY["code_independent_of_cell_type"])
    assert pairs["cell"].tolist() == ["E003", "E004"]
    assert pairs["difference"].tolist() == [-0.08, -0.01]
    assert (pairs["auc_a"] - pairs["auc_b"]).tolist() == pytest.approx([-0.08, -0.01])
    assert pairs["delong_p"].tolist() == [0.001, 0.6]


def test_the_transfer_claim_counts_its_per_cell_delong_tests(tmp_path):
    runs = read_runs(write_zoo(tmp_path, {"deepchrome": 1.0}))
    claim = CLAIMS_BY_KEY["code_independent_of_cell_type"]
    table, _ = claims_table(runs, transfer_tests(), 0.01, 0.05, [claim])
    assert table.iloc[0]["delong_per_sample"] == "0 for, 1 against, of 2"
    assert table.iloc[0]["note"] == "mean transfer AUC from the other cells; DeLong per test cell"


def test_the_transfer_claim_is_not_judged_when_a_per_cell_model_did_not_converge(tmp_path):
    runs = read_runs(write_zoo(tmp_path, {"deepchrome": 1.0}))
    tests = transfer_tests(converged=[True, False, True], not_converged=["", "E005", ""])
    claim = CLAIMS_BY_KEY["code_independent_of_cell_type"]
    table, _ = claims_table(runs, tests, 0.01, 0.05, [claim])
    assert table.iloc[0]["verdict"] == f"{NOT_JUDGED}: deepchrome did not converge"
    assert table.iloc[0]["note"] == "did not converge: deepchrome of E005 on E004"


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
