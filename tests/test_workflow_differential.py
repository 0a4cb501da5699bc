"""The differential task through the workflow: two pairs of the demo's cells, DeepDiff and the
baselines, to the tables, figures, tracks, attention and the claims row.

It runs on a copy of the shared prediction run (three cells, 300 genes, BAMs kept), adding the
differential overlay: only the differential rules, DeepDiff's window (counted again from the
kept BAMs), the per-cell regression models of the difference baseline and the claims table run.
DeepDiff is cut to a small hidden size and two epochs; its published size is checked by the
model's own tests."""

import math
import os

import numpy as np
import pandas as pd
import pyBigWig
import pytest

from chromexpr.claims.differences import run_converged
from chromexpr.cli import main
from chromexpr.dataset import CellDataset

from .workflow_helpers import PREDICT_CONFIGS, copy_run, run_workflow

pytestmark = [pytest.mark.workflow, pytest.mark.bedtools]

PAIRS = [("E003", "E004"), ("E003", "E005")]
MODELS = ["deepdiff", "difference", "mark_gbdt", "mark_linear"]
OVERLAY = """
differential:
  enabled: true
  pairs: [[E003, E004], [E003, E005]]
  models: [deepdiff, difference, mark_gbdt, mark_linear]
  training: {epochs: 2}
  model_params: {deepdiff: {bin_hidden_size: 8}}
  bootstrap: {resamples: 500}
"""


@pytest.fixture(scope="module")
def differential(predict_run, tmp_path_factory):
    workdir = copy_run(predict_run, tmp_path_factory.mktemp("differential") / "run")
    (workdir / "differential.yaml").write_text(OVERLAY)
    run_workflow(workdir, configs=[*PREDICT_CONFIGS, "differential.yaml"])
    return workdir


def test_every_pair_and_model_is_scored_with_intervals(differential):
    table = pd.read_csv(differential / "results/tables/differential.tsv", sep="\t")
    assert list(zip(table["cell_a"], table["cell_b"], table["model"], strict=True)) == [
        (a, b, model) for a, b in PAIRS for model in MODELS
    ]
    for name in ("pearson", "spearman", "auc_up", "auc_down"):
        assert (table[f"{name}_low"] <= table[name]).all() and (
            table[name] <= table[f"{name}_high"]
        ).all()
    assert (table["n_test"] == table["n_test"].iloc[0]).all() and table["n_test"].iloc[0] > 50
    deepdiff = table[table["model"] == "deepdiff"]
    assert (deepdiff["epochs_run"] == 2).all()
    comparisons = pd.read_csv(
        differential / "results/tables/differential_comparisons.tsv", sep="\t"
    )
    assert len(comparisons) == len(PAIRS) * (len(MODELS) - 1)
    assert set(comparisons["model"]) == {"deepdiff"}


def test_figures_show_each_pair_and_deepdiffs_attention(differential):
    for a, b in PAIRS:
        assert (differential / f"results/figures/differential/{a}-{b}.png").stat().st_size > 0
        figure = differential / f"results/figures/differential/attention/{a}-{b}-deepdiff.png"
        assert figure.stat().st_size > 0
        marks = pd.read_csv(
            differential / f"results/differential/{a}/{b}/deepdiff/attention_marks.tsv", sep="\t"
        )
        # Mark attention sums to 1 over the marks in every predicted class.
        sums = marks.groupby("predicted_change")["attention"].sum()
        assert sums.to_numpy() == pytest.approx(1.0, abs=1e-5)


def test_deepdiffs_window_is_counted_from_the_same_reads(differential):
    own = CellDataset.load(differential / "results/differential/window/datasets/E003.npz")
    task = CellDataset.load(differential / "results/datasets/E003.npz")
    assert own.counts.shape[2] == 200 and task.counts.shape[2] == 100
    assert list(own.gene_ids) == list(task.gene_ids) and list(own.split) == list(task.split)
    # The per-cell window's bins are the middle of DeepDiff's, counted alike.
    np.testing.assert_array_equal(own.counts[:, :, 50:150], task.counts)


def test_the_difference_baseline_is_the_regression_models_difference(differential):
    pair = pd.read_csv(
        differential / "results/differential/E003/E004/difference/predictions.tsv", sep="\t"
    ).set_index("gene_id")
    regression = {
        cell: pd.read_csv(
            differential / f"results/regression/deepchrome/{cell}/predictions.tsv", sep="\t"
        ).set_index("gene_id")["prediction"]
        for cell in ("E003", "E004")
    }
    expected = (regression["E004"] - regression["E003"]) / math.log(2)
    predicted = pair.loc[expected.index, "predicted_log2_fold_change"]
    assert predicted.to_numpy() == pytest.approx(expected.to_numpy(), abs=1e-5)


def test_the_track_holds_the_predicted_fold_change_at_each_tss(differential):
    folder = differential / "results/differential/E003/E005/mark_linear"
    table = pd.read_csv(folder / "predictions.tsv", sep="\t")
    gene = table.iloc[0]
    with pyBigWig.open(str(folder / "predictions.bw")) as track:
        value = track.values(gene["chrom"], int(gene["tss"]), int(gene["tss"]) + 1)[0]
    assert value == pytest.approx(gene["predicted_log2_fold_change"], abs=1e-5)
    assert len(pd.read_csv(folder / "predictions.bed", sep="\t", header=None)) == len(table)


def test_the_claims_row_tests_deepdiff_against_the_difference_on_both_pairs(differential):
    claims = pd.read_csv(differential / "results/tables/claims.tsv", sep="\t").set_index("key")
    row = claims.loc["deepdiff_over_difference"]
    table = pd.read_csv(differential / "results/tables/differential.tsv", sep="\t")
    pearson = table.set_index(["cell_b", "model"])["pearson"]
    expected = np.mean([pearson[(b, "deepdiff")] - pearson[(b, "difference")] for _, b in PAIRS])
    assert row["samples"] == 2 and row["mean_difference"] == pytest.approx(expected, abs=1e-5)
    # A DeepDiff or difference run whose best epoch lies in its last tenth did not converge: no
    # verdict; else two pairs, where no Wilcoxon test can reach significance.
    runs = table.set_index(["cell_b", "model"])
    failing = sorted(
        {
            model
            for _, b in PAIRS
            for model in ("deepdiff", "difference")
            if not run_converged(runs.loc[(b, model)])
        }
    )
    if failing:
        assert row["verdict"] == f"not judged: {', '.join(failing)} did not converge"
    else:
        assert row["verdict"] == "inconclusive at this run's size"


def test_predict_command_applies_the_deepdiff_bundle_to_two_samples(differential, capsys):
    previous = os.getcwd()
    os.chdir(differential)
    try:
        code = main(
            [
                "predict",
                "results/differential/E003/E004/deepdiff/model.pt",
                "--dataset",
                "results/differential/window/datasets/E003.npz",
                "results/differential/window/datasets/E004.npz",
                "--out",
                "E004-over-E003.tsv",
                "--score",
                "test",
            ]
        )
    finally:
        os.chdir(previous)
    assert code == 0 and "pearson" in capsys.readouterr().out
    predicted = pd.read_csv(differential / "E004-over-E003.tsv", sep="\t")
    trained = pd.read_csv(
        differential / "results/differential/E003/E004/deepdiff/predictions.tsv", sep="\t"
    )
    assert predicted["predicted_log2_fold_change"].to_numpy() == pytest.approx(
        trained["predicted_log2_fold_change"].to_numpy(), abs=1e-5
    )
