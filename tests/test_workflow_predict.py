"""The workflow's predictions: a demo cell predicted with its expression held back, and a target
sample that has reads only."""

import re
import shutil

import numpy as np
import pandas as pd
import pyBigWig
import pytest

from chromexpr.dataset import CellDataset

from .workflow_helpers import PREDICT_CONFIGS, copy_run, run_workflow

pytestmark = [pytest.mark.workflow]


@pytest.fixture(scope="module")
def workdir(predict_run):
    return predict_run


def test_held_back_cell_scores_equal_the_pairwise_transfer_aucs(workdir):
    scores = pd.read_csv(workdir / "results/predictions/deepchrome/E005-scores.tsv", sep="\t")
    scores = scores.set_index("predictor")
    pairwise = pd.read_csv(workdir / "results/crosscell/deepchrome/none/pairwise.tsv", sep="\t")
    transfer = pairwise[pairwise["test_cell"] == "E005"].set_index("train_set")["auc"]
    for cell in ("E003", "E004"):
        assert scores.loc[f"p_high_{cell}", "auc"] == pytest.approx(transfer[cell], abs=1e-12)
    assert list(scores.index) == ["p_high_E003", "p_high_E004", "p_high"]


def test_the_target_dataset_holds_no_expression_and_the_predictions_none_either(workdir):
    target = CellDataset.load(workdir / "results/predictions/datasets/E005.npz")
    assert (target.labels == -1).all() and np.isnan(target.expression).all()
    np.testing.assert_array_equal(
        target.counts, CellDataset.load(workdir / "results/datasets/E005.npz").counts
    )
    table = pd.read_csv(workdir / "results/predictions/deepchrome/E005.tsv", sep="\t")
    assert list(table.columns) == [
        "gene_id",
        "symbol",
        "chrom",
        "tss",
        "strand",
        "split",
        "p_high_E003",
        "p_high_E004",
        "p_high",
        "p_high_sd",
        "seen_in_training",
        "out_of_range_marks",
    ]
    assert len(table) == target.n_genes


def test_the_predictions_count_seen_genes_and_find_the_demo_cells_in_range(workdir):
    """Both bundles trained or validated on E005's training and validation genes (the run's
    shared split), on none of its test genes; E005's marks lie inside both bundles' training
    range (the demo's cells differ in depth by at most 1 / 0.6)."""
    table = pd.read_csv(workdir / "results/predictions/deepchrome/E005.tsv", sep="\t")
    expected = (table["split"] != "test").to_numpy() * 2
    np.testing.assert_array_equal(table["seen_in_training"], expected)
    assert (table["out_of_range_marks"] == "none").all()
    log = (workdir / "logs/predictions/deepchrome/E005.log").read_text()
    assert re.search(r"bundle E003 trained or validated on \d+ of the \d+ genes of E005", log)
    assert "training range" not in log


def test_the_tracks_carry_the_mean_probability_at_each_tss(workdir):
    table = pd.read_csv(workdir / "results/predictions/deepchrome/E005.tsv", sep="\t")
    bed = pd.read_csv(workdir / "results/predictions/deepchrome/E005.bed", sep="\t", header=None)
    assert len(bed) == len(table)
    first = table.iloc[0]
    with pyBigWig.open(str(workdir / "results/predictions/deepchrome/E005.bw")) as track:
        value = track.values(first["chrom"], int(first["tss"]), int(first["tss"]) + 1)[0]
    assert value == pytest.approx(first["p_high"])


def test_a_target_with_reads_only_is_counted_and_never_labelled(workdir):
    overlay = workdir / "reads-only.yaml"
    overlay.write_text("cells: [E003, E004]\npredict: {samples: [E006], source: ensemble}\n")
    result = run_workflow(workdir, "--dry-run", configs=[*PREDICT_CONFIGS, str(overlay)])
    planned = result.stdout
    assert "results/predictions/deepchrome/E006.tsv" in planned
    assert "results/counts/E006-H3K4me3.npy" in planned
    assert "results/labels/E006.tsv" not in planned
    assert "results/datasets/E006.npz" not in planned
    assert "E006-scores.tsv" not in planned


@pytest.fixture(scope="module")
def pretrained(workdir, tmp_path_factory):
    """The run's per-cell models exported, then a copy of the run that uses them as pretrained."""
    run_workflow(workdir, "results/exported/manifest.json", configs=PREDICT_CONFIGS)
    reused = copy_run(workdir, tmp_path_factory.mktemp("pretrained") / "run")
    (reused / "pretrained.yaml").write_text(
        f"pretrained: {workdir / 'results/exported'}\n"
        "crosscell: {experiments: [pairwise], normalisations: [none]}\n"
    )
    result = run_workflow(reused, configs=[*PREDICT_CONFIGS, "pretrained.yaml"])
    return reused, result.stdout + result.stderr


def test_pretrained_models_score_and_predict_as_the_run_that_trained_them(workdir, pretrained):
    reused, log = pretrained
    assert "rule train_model" not in log and "rule pretrained_bundle" in log
    for table in (
        "results/crosscell/deepchrome/none/pairwise.tsv",
        "results/predictions/deepchrome/E005.tsv",
    ):
        pd.testing.assert_frame_equal(
            pd.read_csv(reused / table, sep="\t"), pd.read_csv(workdir / table, sep="\t")
        )
    assert (reused / "resources/pretrained/deepchrome-E003.pt").read_bytes() == (
        workdir / "results/models/deepchrome/E003/model.pt"
    ).read_bytes()


def test_a_tampered_pretrained_bundle_stops_the_run_and_is_not_fetched(pretrained, tmp_path):
    reused, _ = pretrained
    exported = tmp_path / "exported"
    shutil.copytree(reused / "results/exported", exported)
    bundle = exported / "deepchrome-E004.pt"
    bundle.write_bytes(bundle.read_bytes()[:-10])
    (reused / "tampered.yaml").write_text(f"pretrained: {exported}\n")
    for fetched in (reused / "resources/pretrained").iterdir():
        fetched.unlink()
    target = "resources/pretrained/deepchrome-E004.pt"
    result = run_workflow(
        reused, target, configs=[*PREDICT_CONFIGS, "pretrained.yaml", "tampered.yaml"], check=False
    )
    assert result.returncode != 0
    log = (reused / "logs/pretrained/deepchrome-E004.log").read_text()
    assert re.search(r"deepchrome-E004.pt: sha256 \w+ differs from the manifest's", log)
    assert not (reused / target).exists()


def test_the_pooled_source_predicts_with_the_pooled_cross_cell_bundle(workdir):
    overlay = workdir / "pooled.yaml"
    overlay.write_text("crosscell: {experiments: [pairwise, pooled]}\npredict: {source: pooled}\n")
    result = run_workflow(
        workdir,
        "--dry-run",
        "--forcerun",
        "predict_sample",
        configs=[*PREDICT_CONFIGS, str(overlay)],
    )
    plan = result.stdout
    assert "rule crosscell_pooled" in plan and "rule predict_sample" in plan
    bundle = "results/crosscell/deepchrome/none/pooled/model.pt"
    predict_job = plan[plan.index("rule predict_sample") :]
    assert bundle in predict_job.split("output:")[0]
