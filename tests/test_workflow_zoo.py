"""Every model of the zoo, both tasks, one epoch each, through the workflow on a small demo."""

import numpy as np
import pandas as pd
import pytest

from chromexpr.claims import CLAIMS
from chromexpr.models import MODELS

from .workflow_helpers import copy_run, run_workflow, workflow_copy

pytestmark = [pytest.mark.workflow, pytest.mark.bedtools]

ZOO = sorted(MODELS)
SMALL_ZOO = f"""
cells: [E003]
demo: {{enabled: true, seed: 7, n_genes: 300}}
models: [{", ".join(ZOO)}]
model_params: {{simplechrome: {{pretrain_epochs: 2}}, simplechrome_self: {{pretrain_epochs: 2}}}}
task: both
training: {{recipe: fast, epochs: 1, seed: 1}}
crosscell: {{enabled: false}}
interpret: {{enabled: true, methods: [attention], models: [attentivechrome]}}
export_processed: false
"""


@pytest.fixture(scope="module")
def zoo(one_cell_dataset, tmp_path_factory):
    workdir = copy_run(one_cell_dataset, tmp_path_factory.mktemp("zoo") / "run")
    (workdir / "zoo.yaml").write_text(SMALL_ZOO)
    run_workflow(workdir, configs=["zoo.yaml"])
    return workdir


def test_auc_table_has_one_column_per_model(zoo):
    wide = pd.read_csv(zoo / "results/tables/auc_wide.tsv", sep="\t").set_index("cell")
    assert list(wide.columns) == ZOO
    assert wide.loc["E003"].between(0, 1).all()


def test_models_table_lists_each_models_parameters_and_seconds(zoo):
    models = pd.read_csv(zoo / "results/tables/models.tsv", sep="\t").set_index("model")
    assert list(models.index) == ZOO
    assert models.loc["linear", "n_parameters"] == 12
    assert models.loc["deepchrome", "n_parameters"] == 644_177
    assert (models["mean_seconds_per_epoch"] > 0).all()
    assert (models["mean_epochs_run"] == 1).all()


def test_claims_table_tests_every_pair_of_zoo_models_on_its_one_cell(zoo):
    claims = pd.read_csv(zoo / "results/tables/claims.tsv", sep="\t").set_index("key")
    transfer = claims.loc["code_independent_of_cell_type"]
    assert (transfer["verdict"], transfer["note"]) == ("not run", "cross-cell transfer not run")
    deepdiff = claims.loc["deepdiff_over_difference"]
    assert (deepdiff["verdict"], deepdiff["note"]) == ("not run", "differential not run")
    compared = claims.drop(index=["code_independent_of_cell_type", "deepdiff_over_difference"])
    assert (compared["samples"] == 1).all()
    # One cell: no spread to estimate and nothing a test across cells can show.
    assert compared["ci_low"].isna().all()
    # One epoch each: a gradient-trained model's best epoch is its last, so it did not converge
    # and a claim comparing it is not judged; between converged models, one cell decides nothing.
    runs = pd.read_csv(zoo / "results/tables/auc.tsv", sep="\t").set_index("model")
    for claim in CLAIMS:
        if claim.key not in compared.index:
            continue
        failing = [
            name for name in sorted({claim.better, claim.other}) if not runs.loc[name, "converged"]
        ]
        expected = (
            f"not judged: {', '.join(failing)} did not converge"
            if failing
            else "inconclusive at this run's size"
        )
        assert compared.loc[claim.key, "verdict"] == expected
    auc = runs["test_auc"]
    gbdt = claims.loc["gbdt_over_deepchrome", "mean_difference"]
    assert gbdt == pytest.approx(auc["gbdt"] - auc["deepchrome"], abs=1e-4)


def test_regression_table_scores_every_model_by_correlation(zoo):
    table = pd.read_csv(zoo / "results/tables/regression.tsv", sep="\t")
    assert sorted(table["model"]) == ZOO
    assert table[["test_pearson", "test_spearman"]].abs().le(1).all().all()


def test_model_comparison_figures_exist_for_both_tasks(zoo):
    for task in ("classification", "regression"):
        assert (zoo / f"results/figures/models-{task}.png").stat().st_size > 0


def test_attention_weights_of_every_test_gene_come_from_the_trained_model(zoo):
    predictions = pd.read_csv(zoo / "results/models/attentivechrome/E003/predictions.tsv", sep="\t")
    # Training writes no attention; the interpretation rule computes it from model.pt.
    assert not (zoo / "results/models/attentivechrome/E003/attention.npz").exists()
    archive = zoo / "results/interpret/attention/attentivechrome/E003/attention.npz"
    with np.load(archive) as attention:
        assert list(attention["gene_ids"]) == list(predictions["gene_id"])
        np.testing.assert_allclose(attention["probability"], predictions["probability"], rtol=1e-6)
        np.testing.assert_allclose(attention["bins"].sum(axis=2), 1, rtol=1e-5)
        np.testing.assert_allclose(attention["marks"].sum(axis=1), 1, rtol=1e-5)


def test_attention_summary_is_drawn_from_the_real_attention_weights(zoo):
    marks = pd.read_csv(
        zoo / "results/interpret/attention/attentivechrome/E003/marks.tsv", sep="\t"
    )
    assert len(marks) > 0
    assert (zoo / "results/figures/interpret/attention/attentivechrome-E003.png").stat().st_size > 0


def test_regression_alone_trains_no_classifier(tmp_path):
    overlay = "task: regression\ncrosscell: {enabled: false}\ninterpret: {enabled: false}\n"
    workdir = workflow_copy(tmp_path / "regression", {"regression.yaml": overlay})
    result = run_workflow(workdir, "--dry-run", configs=["regression.yaml"])
    assert "results/regression/deepchrome/E003/metrics.json" in result.stdout
    assert "results/models/" not in result.stdout
    assert "training_curves" not in result.stdout and "auc_tables" not in result.stdout
