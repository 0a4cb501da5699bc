"""The zoo overlay's blocks split and two seeds, through the workflow on a small demo."""

import json

import numpy as np
import pandas as pd
import pytest

from chromexpr.splits import read_split_table

from .workflow_helpers import copy_run, run_workflow

pytestmark = [pytest.mark.workflow, pytest.mark.bedtools]

MODELS = ["deepchrome", "linear"]
FOLDS = [0, 1, 2]
SEEDS = [1, 2]
WINDOW = 5000
# Over config/config.yaml and config/zoo.yaml (which sets the blocks split and seeds [1, 2]):
# one cell, few genes, two models, one epoch.
SMALL = """
cells: [E003]
demo: {enabled: true, seed: 7, n_genes: 300}
models: [deepchrome, linear]
task: classification
training: {epochs: 1}
crosscell: {enabled: false}
interpret: {enabled: false}
export_processed: false
"""


@pytest.fixture(scope="module")
def repeated(one_cell_dataset, tmp_path_factory):
    workdir = copy_run(one_cell_dataset, tmp_path_factory.mktemp("splits") / "run")
    (workdir / "splits.yaml").write_text(SMALL)
    run_workflow(workdir, configs=["config/zoo.yaml", "splits.yaml"])
    return workdir


def run_folder(workdir, model, fold, seed):
    folder = workdir / "results/models" / model / "E003"
    return folder if (fold, seed) == (0, SEEDS[0]) else folder / f"fold-{fold}" / f"seed-{seed}"


def fold_table(workdir, fold):
    name = "split.tsv" if fold == 0 else f"fold-{fold}.tsv"
    return read_split_table(workdir / "results/splits" / name)


def test_every_model_fold_and_seed_is_one_row_of_the_long_table(repeated):
    long = pd.read_csv(repeated / "results/tables/auc.tsv", sep="\t")
    runs = list(zip(long["model"], long["fold"], long["seed"], strict=True))
    assert runs == [(m, f, s) for m in MODELS for f in FOLDS for s in SEEDS]


def test_each_run_folder_records_its_fold_and_seed(repeated):
    for model in MODELS:
        for fold in FOLDS:
            for seed in SEEDS:
                metrics = json.loads(
                    (run_folder(repeated, model, fold, seed) / "metrics.json").read_text()
                )
                assert (metrics["fold"], metrics["seed"]) == (fold, seed)


def test_each_fold_tests_on_its_own_split_tables_genes_and_every_gene_once(repeated):
    tested = []
    for fold in FOLDS:
        split = fold_table(repeated, fold)
        predictions = pd.read_csv(
            run_folder(repeated, "deepchrome", fold, 2) / "predictions.tsv", sep="\t"
        )
        assert (
            predictions["gene_id"].tolist() == split["gene_id"][split["split"] == "test"].tolist()
        )
        tested += predictions["gene_id"].tolist()
    genes = pd.read_csv(repeated / "results/genes/genes.tsv", sep="\t")
    assert sorted(tested) == sorted(genes["gene_id"])


def test_no_test_gene_window_overlaps_a_training_gene_window(repeated):
    genes = pd.read_csv(repeated / "results/genes/genes.tsv", sep="\t")
    for fold in FOLDS:
        part = fold_table(repeated, fold)["split"].to_numpy()
        for chrom in genes["chrom"].unique():
            on_chrom = genes["chrom"].to_numpy() == chrom
            test = genes["tss"].to_numpy()[on_chrom & (part == "test")]
            train = genes["tss"].to_numpy()[on_chrom & (part == "train")]
            if len(test) and len(train):
                assert np.abs(test[:, None] - train[None, :]).min() >= 2 * WINDOW


def test_a_second_seed_gives_another_model(repeated):
    first, second = (
        pd.read_csv(run_folder(repeated, "deepchrome", 1, seed) / "predictions.tsv", sep="\t")
        for seed in SEEDS
    )
    assert not np.allclose(first["probability"], second["probability"])


def test_pooled_table_spreads_over_three_folds_and_two_seeds(repeated):
    pooled = pd.read_csv(repeated / "results/tables/auc_pooled.tsv", sep="\t").set_index("model")
    assert pooled.loc[MODELS, ["folds", "seeds", "runs"]].to_numpy().tolist() == [[3, 2, 6]] * 2
    assert (pooled["sd_test_auc"] > 0).all()
    folds = pd.read_csv(repeated / "results/tables/auc_folds.tsv", sep="\t")
    assert len(folds) == len(MODELS) * len(FOLDS) and (folds["seeds"] == 2).all()
