"""The demo end to end, from raw files to AUC tables: the shared demo run (conftest.py)."""

import json

import pandas as pd
import pytest
import torch

from chromexpr.claims import CLAIMS, INCONCLUSIVE
from chromexpr.dataset import CellDataset
from chromexpr.models import build_model

from .workflow_helpers import DEMO_CONFIGS, copy_run, run_workflow

pytestmark = [pytest.mark.workflow, pytest.mark.bedtools]

CELLS = ("E003", "E004")
# The demo's models (config/config.yaml), alphabetical.
DEMO_MODELS = ("deepchrome", "gbdt", "linear", "logistic", "mlp")
# About 200 test genes per cell (DEMO_OVERLAY): 0.70 leaves room for a small test set and a
# short training while staying far from chance (0.5).
AUC_FLOOR = 0.70


@pytest.fixture(scope="module")
def trained(demo_run):
    return demo_run


def test_auc_table_has_a_row_per_cell_and_model_well_above_chance(trained):
    table = pd.read_csv(trained / "results/tables/auc.tsv", sep="\t")
    assert sorted(zip(table["model"], table["cell"], strict=True)) == [
        (model, cell) for model in DEMO_MODELS for cell in CELLS
    ]
    assert (table["test_auc"] > AUC_FLOOR).all(), table
    deepchrome = table[table["model"] == "deepchrome"]
    assert (deepchrome["n_parameters"] == 644_177).all()
    assert table["converged"].dtype == bool


def test_wide_table_markdown_and_published_comparison_are_written(trained):
    markdown = (trained / "results/tables/auc_wide.md").read_text()
    assert "| E003 |" in markdown and "| mean |" in markdown
    comparison = pd.read_csv(trained / "results/tables/published_comparison.tsv", sep="\t")
    published = comparison.groupby("cell")["published_auc"].unique()
    assert list(published["E003"]) == [0.77]  # one published AUC per cell, beside every model
    assert (trained / "results/figures/auc.png").stat().st_size > 0
    assert (trained / "results/figures/auc.svg").stat().st_size > 0


def test_per_cell_outputs_reload_and_reproduce_the_predictions(trained):
    folder = trained / "results/models/deepchrome/E003"
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["device"] == "cpu" and 1 <= metrics["best_epoch"] <= metrics["epochs_run"]
    model = build_model("deepchrome", 5, 100)
    model.load_state_dict(torch.load(folder / "model.pt", weights_only=True)["state_dict"])
    model.eval()
    dataset = CellDataset.load(trained / "results/datasets/E003.npz")
    with torch.no_grad():
        logits = model(torch.as_tensor(dataset.features("test"), dtype=torch.float32))
    probabilities = torch.softmax(logits, dim=1)[:, 1].numpy()
    predictions = pd.read_csv(folder / "predictions.tsv", sep="\t")
    assert predictions["gene_id"].tolist() == dataset.gene_ids[dataset.mask("test")].tolist()
    assert abs(predictions["probability"].to_numpy() - probabilities).max() < 1e-5
    history = pd.read_csv(folder / "history.tsv", sep="\t")
    assert len(history) == metrics["epochs_run"]


def test_rerunning_one_cell_retrains_only_that_cell(trained, tmp_path):
    target = "results/models/deepchrome/E003/metrics.json"
    rerun = copy_run(trained, tmp_path / "rerun")
    before = json.loads((rerun / target).read_text())
    other = (rerun / "results/models/deepchrome/E004/metrics.json").stat().st_mtime_ns
    result = run_workflow(rerun, target, "--force", configs=DEMO_CONFIGS)
    output = result.stdout + result.stderr
    assert "train_model" in output and "results/models/deepchrome/E004" not in output
    after = json.loads((rerun / target).read_text())
    assert after["test_auc"] == before["test_auc"]  # same seed, same device: same numbers
    assert (rerun / "results/models/deepchrome/E004/metrics.json").stat().st_mtime_ns == other


def test_crosscell_matrix_diagonal_is_the_per_cell_test_auc(trained):
    matrix = pd.read_csv(
        trained / "results/crosscell/deepchrome/none/matrix.tsv", sep="\t", index_col=0
    )
    assert matrix.shape == (2, 2)
    for cell in CELLS:
        metrics = json.loads(
            (trained / f"results/models/deepchrome/{cell}/metrics.json").read_text()
        )
        assert matrix.loc[cell, cell] == pytest.approx(metrics["test_auc"])
    assert (trained / "results/figures/crosscell/deepchrome-cpm.png").stat().st_size > 0


def test_crosscell_long_table_has_every_experiment_and_normalisation(trained):
    long = pd.read_csv(trained / "results/tables/crosscell.tsv", sep="\t")
    assert set(long["experiment"]) == {"pairwise", "leave_one_out", "pooled"}
    assert set(long["normalisation"]) == {"none", "cpm"}
    leave_one_out = long[long["experiment"] == "leave_one_out"]
    assert sorted(leave_one_out["test_cell"]) == sorted(CELLS * 2)
    assert (long["auc"] > 0.5).all()
    summary = pd.read_csv(trained / "results/tables/crosscell_summary.tsv", sep="\t")
    assert "transfer_auc_as_test" in summary.columns


def test_claims_table_tests_transfer_and_names_the_models_not_run(trained):
    claims = pd.read_csv(trained / "results/tables/claims.tsv", sep="\t").set_index("key")
    crosscell = pd.read_csv(trained / "results/tables/crosscell.tsv", sep="\t")
    pairwise = crosscell[
        (crosscell["experiment"] == "pairwise") & (crosscell["normalisation"] == "none")
    ]
    own = pairwise[pairwise["train_set"] == pairwise["test_cell"]]["auc"].mean()
    transferred = pairwise[pairwise["train_set"] != pairwise["test_cell"]]["auc"].mean()
    transfer = claims.loc["code_independent_of_cell_type"]
    assert transfer["samples"] == 2
    assert transfer["mean_difference"] == pytest.approx(transferred - own)
    # Two cells: the smallest one-sided Wilcoxon p is 1/4, so equivalence cannot be shown.
    assert transfer["p_value"] >= 0.25 and transfer["verdict"] != "supported"
    # The transfer claim's per-cell DeLong tests, from the kept per-cell models.
    assert transfer["delong_per_sample"].endswith("of 2")
    tested = {"linear_equals_cnn", "gbdt_over_deepchrome", "deepchrome_over_mlp"}
    assert (claims.loc[sorted(tested), "samples"] == 2).all()
    others = claims.drop(index=[*tested, "code_independent_of_cell_type"])
    assert (others["verdict"] == "not run").all()
    assert claims.loc["crnn_over_deepchrome", "note"] == "crnn not run"
    assert (trained / "results/figures/claims.png").stat().st_size > 0
    assert "Published claims" in (trained / "results/report/claims.html").read_text()


def test_the_demo_claims_table_has_no_verdict_from_a_model_that_did_not_converge(trained):
    claims = pd.read_csv(trained / "results/tables/claims.tsv", sep="\t", keep_default_na=False)
    runs = pd.read_csv(trained / "results/tables/auc.tsv", sep="\t")
    unconverged = set(runs.loc[~runs["converged"], "model"])
    for claim in CLAIMS:
        row = claims.set_index("key").loc[claim.key]
        if row["samples"] == 0:
            continue
        # The transfer claim compares the per-cell models of its one model.
        failing = sorted({claim.better, claim.other} & unconverged)
        if failing:
            assert row["verdict"] == f"not judged: {', '.join(failing)} did not converge", row
        else:
            assert row["verdict"] in ("supported", "contradicted", INCONCLUSIVE), row


def test_auc_table_gives_each_test_auc_its_interval(trained):
    table = pd.read_csv(trained / "results/tables/auc.tsv", sep="\t")
    assert (table["test_auc_ci_low"] < table["test_auc"]).all()
    assert (table["test_auc"] < table["test_auc_ci_high"]).all()
    # About 200 test genes: a DeLong standard error of a few hundredths.
    assert table["test_auc_se"].between(0.01, 0.05).all()
