"""Cross-cell experiments: leakage guard, normalisation, pairwise, leave-one-out, pooled, files."""

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from chromexpr.crosscell import (
    LeakageError,
    check_no_test_leakage,
    cluster_order,
    leave_one_out,
    pairwise_transfer,
    plot_transfer_heatmap,
    pool_datasets,
    pooled,
    read_transfer_results,
    summarise_transfer,
    train_normalised_cell,
    transfer_matrix,
    write_transfer_table,
)
from chromexpr.crosscell.transfer_tests import read_transfer_tests
from chromexpr.dataset import CellDataset
from chromexpr.errors import ConfigError, DatasetMismatchError, InputFormatError
from chromexpr.normalisation import normalise
from chromexpr.train import TrainingSettings, load_checkpoint, train_cell

N_MARKS, N_BINS = 5, 100
N_TRAIN, N_VALID, N_TEST = 40, 20, 30
CELLS = ("E001", "E002", "E003")


def synthetic_cell(cell: str, seed: int, depth: float = 1.0) -> CellDataset:
    """90 genes (40 train / 20 valid / 30 test, both classes in each); Poisson counts whose first
    mark is slightly raised at the TSS of high genes (AUCs well below 1), scaled by ``depth``."""
    rng = np.random.default_rng(seed)
    n_genes = N_TRAIN + N_VALID + N_TEST
    split = np.array(["train"] * N_TRAIN + ["valid"] * N_VALID + ["test"] * N_TEST)
    labels = np.concatenate(
        [rng.permutation(np.tile([0, 1], size // 2)) for size in (N_TRAIN, N_VALID, N_TEST)]
    ).astype(np.int8)
    rates = np.ones((n_genes, N_MARKS, N_BINS))
    rates[:, 0, 45:55] += 0.5 * labels[:, None]
    return CellDataset(
        cell=cell,
        gene_ids=np.array([f"ENSG{i:011d}" for i in range(n_genes)]),
        symbols=np.array([f"G{i}" for i in range(n_genes)]),
        chrom=np.full(n_genes, "chr1"),
        tss=np.arange(n_genes, dtype=np.int64) * 10_000,
        strand=np.full(n_genes, "+"),
        counts=rng.poisson(rates * depth).astype(np.int32),
        labels=labels,
        expression=labels + rng.random(n_genes),
        expression_unit="rpkm",
        split=split,
        marks=np.array([f"mark{i}" for i in range(N_MARKS)]),
        bin_offsets=np.arange(N_BINS, dtype=np.int64) * 100 - 5000,
    )


def synthetic_cells() -> dict[str, CellDataset]:
    return {
        cell: synthetic_cell(cell, seed, depth)
        for seed, (cell, depth) in enumerate(zip(CELLS, (1.0, 2.0, 0.5), strict=True))
    }


def quick_settings(**overrides) -> TrainingSettings:
    training = {"recipe": "fast", "epochs": 2, "batch_size": 16, "device": "cpu", **overrides}
    return TrainingSettings.from_config("deepchrome", training)


@pytest.fixture(scope="module")
def per_cell_models(tmp_path_factory):
    """(datasets, checkpoints, metrics) of DeepChrome trained on each synthetic cell, raw counts."""
    root = tmp_path_factory.mktemp("models")
    datasets = synthetic_cells()
    metrics = {
        cell: train_cell(dataset, quick_settings(), root / cell)
        for cell, dataset in datasets.items()
    }
    checkpoints = {cell: root / cell / "model.pt" for cell in datasets}
    return datasets, checkpoints, metrics


@pytest.fixture(scope="module")
def pairwise_long(per_cell_models):
    datasets, checkpoints, _ = per_cell_models
    return pairwise_transfer("deepchrome", checkpoints, datasets, "none", "cpu")


# --- leakage and layout -----------------------------------------------------------------------


def test_shared_split_passes_the_leakage_check():
    datasets = synthetic_cells()
    check_no_test_leakage(list(datasets.values()), datasets["E002"])


def test_a_test_gene_of_one_cell_in_anothers_training_split_is_leakage():
    datasets = synthetic_cells()
    first_test_gene = np.flatnonzero(datasets["E002"].mask("test"))[0]
    split = datasets["E001"].split.copy()
    split[first_test_gene] = "train"
    leaking = replace(datasets["E001"], split=split)
    with pytest.raises(LeakageError, match=r"E002.*E001.*ENSG00000000060"):
        check_no_test_leakage([leaking], datasets["E002"])


def test_pairwise_transfer_refuses_leaking_datasets_before_scoring(per_cell_models):
    datasets, checkpoints, _ = per_cell_models
    split = datasets["E001"].split.copy()
    split[-1] = "valid"  # a test gene of every other cell, used to select E001's epoch
    leaking = {**datasets, "E001": replace(datasets["E001"], split=split)}
    with pytest.raises(LeakageError, match="E001"):
        pairwise_transfer("deepchrome", checkpoints, leaking, "none", "cpu")


def test_datasets_with_a_different_gene_order_are_a_mismatch_naming_the_row():
    datasets = synthetic_cells()
    gene_ids = datasets["E001"].gene_ids.copy()
    gene_ids[[0, 1]] = gene_ids[[1, 0]]
    reordered = replace(datasets["E001"], gene_ids=gene_ids)
    with pytest.raises(DatasetMismatchError, match="E001 and E002.*row 0"):
        check_no_test_leakage([reordered], datasets["E002"])


def test_datasets_with_a_different_mark_order_are_a_mismatch():
    datasets = synthetic_cells()
    reordered = replace(datasets["E001"], marks=datasets["E001"].marks[::-1].copy())
    with pytest.raises(DatasetMismatchError, match="marks"):
        check_no_test_leakage([reordered], datasets["E002"])


# --- normalisation ----------------------------------------------------------------------------


def test_cpm_makes_every_mark_of_a_cell_sum_to_a_million():
    dataset = synthetic_cell("E001", seed=0, depth=3.0)
    normalised = normalise(dataset, "cpm")
    assert normalised.counts.dtype == np.float32
    np.testing.assert_allclose(normalised.counts.sum(axis=(0, 2), dtype=np.float64), 1e6, rtol=1e-5)
    assert np.array_equal(normalised.labels, dataset.labels)


def test_cpm_removes_a_difference_in_read_depth():
    shallow = synthetic_cell("E001", seed=0)
    deep = replace(shallow, counts=shallow.counts * 4)
    np.testing.assert_allclose(
        normalise(deep, "cpm").counts, normalise(shallow, "cpm").counts, rtol=1e-6
    )


def test_quantile_values_lie_in_0_1_and_keep_the_order_within_a_mark():
    dataset = synthetic_cell("E001", seed=0)
    quantiles = normalise(dataset, "quantile").counts
    assert quantiles.dtype == np.float32
    assert quantiles.min() >= 0 and quantiles.max() <= 1
    for mark in range(N_MARKS):
        raw = dataset.counts[:, mark, :].ravel()
        mapped = quantiles[:, mark, :].ravel()[np.argsort(raw, kind="stable")]
        assert np.all(np.diff(mapped) >= 0)


def test_quantile_function_is_learned_from_training_genes_only():
    dataset = synthetic_cell("E001", seed=0)
    counts = dataset.counts.copy()
    counts[dataset.mask("test")] *= 10
    counts[dataset.mask("valid")] += 7
    changed = normalise(replace(dataset, counts=counts), "quantile").counts
    original = normalise(dataset, "quantile").counts
    train = dataset.mask("train")
    np.testing.assert_array_equal(changed[train], original[train])


def test_quantile_with_a_reference_maps_through_the_references_training_genes():
    dataset = synthetic_cell("E001", seed=0)
    reference = replace(dataset, cell="E002", counts=np.zeros_like(dataset.counts))
    # Every reference training value is 0, which every count is >= : all map to 1.
    assert np.all(normalise(dataset, "quantile", reference=reference).counts == 1)


def test_unknown_normalisation_is_a_config_error():
    with pytest.raises(ConfigError, match="quantile"):
        normalise(synthetic_cell("E001", seed=0), "tpm")


# --- pairwise ---------------------------------------------------------------------------------


def test_pairwise_matrix_is_train_cells_by_test_cells(pairwise_long):
    matrix = transfer_matrix(pairwise_long, "deepchrome", "none")
    assert matrix.shape == (3, 3)
    assert list(matrix.index) == list(CELLS) and list(matrix.columns) == list(CELLS)
    assert set(pairwise_long["n_test"]) == {N_TEST}
    assert set(pairwise_long["experiment"]) == {"pairwise"}


def test_pairwise_diagonal_is_each_models_per_cell_test_auc(per_cell_models, pairwise_long):
    _, _, metrics = per_cell_models
    matrix = transfer_matrix(pairwise_long, "deepchrome", "none")
    for cell in CELLS:
        assert matrix.loc[cell, cell] == metrics[cell]["test_auc"]


def test_pairwise_with_quantile_scores_models_trained_on_quantiles(tmp_path):
    datasets = synthetic_cells()
    settings = quick_settings(epochs=1)
    metrics = {
        cell: train_normalised_cell(dataset, settings, "quantile", tmp_path / cell)
        for cell, dataset in datasets.items()
    }
    assert json.loads((tmp_path / "E001" / "metrics.json").read_text())["normalisation"] == (
        "quantile"
    )
    checkpoints = {cell: tmp_path / cell / "model.pt" for cell in datasets}
    # The bundle records the kind of the counts it was given, not of their quantiles.
    assert load_checkpoint(checkpoints["E001"]).input_kind == "reads"
    long = pairwise_transfer("deepchrome", checkpoints, datasets, "quantile", "cpu")
    matrix = transfer_matrix(long, "deepchrome", "quantile")
    for cell in CELLS:
        assert matrix.loc[cell, cell] == metrics[cell]["test_auc"]


def test_pairwise_refuses_models_trained_on_another_normalisation(per_cell_models):
    datasets, checkpoints, _ = per_cell_models
    with pytest.raises(
        DatasetMismatchError,
        match="E001/model.pt was trained on counts normalised by none, not cpm",
    ):
        pairwise_transfer("deepchrome", checkpoints, datasets, "cpm", "cpu")


def test_pairwise_refuses_models_of_different_input_transforms(per_cell_models, tmp_path):
    datasets, checkpoints, _ = per_cell_models
    train_cell(datasets["E002"], quick_settings(epochs=1, input_transform="log1p"), tmp_path)
    mixed = {**checkpoints, "E002": tmp_path / "model.pt"}
    with pytest.raises(
        DatasetMismatchError, match="model.pt reads input transform log1p, not raw: .*different"
    ):
        pairwise_transfer("deepchrome", mixed, datasets, "none", "cpu")


def test_pairwise_refuses_models_trained_on_another_split(tmp_path):
    datasets = synthetic_cells()
    recorded = {"train": 2, "valid": 1, "test": 1}
    for cell in ("E001", "E002"):
        train_cell(
            datasets[cell],
            quick_settings(epochs=1),
            tmp_path / cell,
            provenance={"split": recorded},
        )
    checkpoints = {cell: tmp_path / cell / "model.pt" for cell in ("E001", "E002")}
    pairwise_transfer("deepchrome", checkpoints, datasets, "none", "cpu", split=recorded)
    with pytest.raises(DatasetMismatchError, match="E001/model.pt was trained on genes split by"):
        pairwise_transfer(
            "deepchrome", checkpoints, datasets, "none", "cpu", split={**recorded, "train": 1}
        )


# --- pooling, leave-one-out, pooled -----------------------------------------------------------


def test_pool_datasets_repeats_gene_ids_per_cell_and_keeps_each_genes_split():
    datasets = synthetic_cells()
    pool = pool_datasets([datasets["E001"], datasets["E002"]], "two")
    assert pool.cell == "two" and pool.n_genes == 2 * datasets["E001"].n_genes
    assert list(pool.gene_ids) == 2 * list(datasets["E001"].gene_ids)
    assert list(pool.split) == 2 * list(datasets["E001"].split)
    np.testing.assert_array_equal(pool.counts[90:], datasets["E002"].counts)
    assert pool.expression_unit == "rpkm"


def test_leave_one_out_trains_without_the_held_out_cell_and_writes_transfer_json(tmp_path):
    datasets = synthetic_cells()
    transfer = leave_one_out("deepchrome", datasets, "E002", quick_settings(), "cpm", tmp_path)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert (metrics["n_train"], metrics["n_valid"]) == (2 * N_TRAIN, 2 * N_VALID)
    assert (metrics["cell"], metrics["normalisation"]) == ("all-but-E002", "cpm")
    assert json.loads((tmp_path / "transfer.json").read_text()) == transfer
    assert transfer["training_cells"] == ["E001", "E003"]
    assert (transfer["test_cell"], transfer["n_test"]) == ("E002", N_TEST)
    assert 0 <= transfer["auc"] <= 1
    for name in ("model.pt", "history.tsv", "predictions.tsv"):
        assert (tmp_path / name).exists()


def test_pooled_trains_on_every_cell_and_returns_one_row_per_cell(tmp_path):
    datasets = synthetic_cells()
    table = pooled("deepchrome", datasets, quick_settings(), "none", tmp_path)
    assert list(table["test_cell"]) == list(CELLS)
    assert set(table["train_set"]) == {"all"} and set(table["experiment"]) == {"pooled"}
    assert json.loads((tmp_path / "metrics.json").read_text())["n_train"] == 3 * N_TRAIN
    written = pd.read_csv(tmp_path / "transfer.tsv", sep="\t")
    np.testing.assert_allclose(written["auc"], table["auc"])


# --- tables and heatmap -----------------------------------------------------------------------


def crafted_long() -> pd.DataFrame:
    aucs = {("A", "A"): 0.9, ("A", "B"): 0.7, ("B", "A"): 0.6, ("B", "B"): 0.8}
    rows = [
        ("pairwise", train, test, "deepchrome", "none", value, 10)
        for (train, test), value in aucs.items()
    ]
    rows += [
        ("leave_one_out", "all-but-A", "A", "deepchrome", "none", 0.75, 10),
        ("leave_one_out", "all-but-B", "B", "deepchrome", "none", 0.85, 10),
        ("pooled", "all", "A", "deepchrome", "none", 0.88, 10),
        ("pooled", "all", "B", "deepchrome", "none", 0.82, 10),
    ]
    columns = ["experiment", "train_set", "test_cell", "model", "normalisation", "auc", "n_test"]
    table = pd.DataFrame(rows, columns=columns)
    # A made-up interval of +- 0.05 around each AUC.
    table.insert(6, "auc_ci_low", table["auc"] - 0.05)
    table.insert(7, "auc_ci_high", table["auc"] + 0.05)
    table["converged"] = True
    return table


def test_summary_compares_transfer_and_leave_one_out_with_within_cell_auc():
    summary = summarise_transfer(crafted_long()).set_index("cell")
    assert summary.loc["A", "within_cell_auc"] == pytest.approx(0.9)
    assert summary.loc["A", "transfer_auc_as_test"] == pytest.approx(0.6)
    assert summary.loc["A", "transfer_auc_as_train"] == pytest.approx(0.7)
    assert summary.loc["A", "leave_one_out_minus_within"] == pytest.approx(-0.15)
    assert summary.loc["B", "pooled_auc"] == pytest.approx(0.82)
    assert summary.loc["mean", "within_cell_auc"] == pytest.approx(0.85)
    assert summary.loc["mean", "transfer_auc_as_test"] == pytest.approx(0.65)


def test_summary_gives_each_cells_interval_and_the_t_interval_of_the_mean():
    summary = summarise_transfer(crafted_long()).set_index("cell")
    assert summary.loc["A", ["within_cell_ci_low", "within_cell_ci_high"]].tolist() == (
        pytest.approx([0.85, 0.95])
    )
    assert summary.loc["B", "pooled_ci_high"] == pytest.approx(0.87)
    # Two cells, leave-one-out AUCs 0.75 and 0.85: mean 0.8, t(1) interval 0.8 +- 12.706 * 0.05.
    low, high = summary.loc["mean", ["leave_one_out_ci_low", "leave_one_out_ci_high"]]
    assert (low, high) == pytest.approx((0.8 - 12.7062 * 0.05, 0.8 + 12.7062 * 0.05), abs=1e-4)


def test_every_transfer_row_carries_the_delong_interval_of_its_auc(pairwise_long):
    assert (pairwise_long["auc_ci_low"] <= pairwise_long["auc"]).all()
    assert (pairwise_long["auc"] <= pairwise_long["auc_ci_high"]).all()
    assert (pairwise_long["auc_ci_high"] - pairwise_long["auc_ci_low"] > 0).all()


def test_every_transfer_row_says_whether_its_model_converged(pairwise_long, per_cell_models):
    _, _, metrics = per_cell_models
    recorded = pairwise_long.groupby("train_set")["converged"].unique()
    assert {cell: list(values) for cell, values in recorded.items()} == {
        cell: [run["converged"]] for cell, run in metrics.items()
    }


def test_pairwise_transfer_tests_the_mean_transfer_against_the_own_model_per_cell(
    per_cell_models, tmp_path
):
    datasets, checkpoints, metrics = per_cell_models
    long = pairwise_transfer(
        "deepchrome", checkpoints, datasets, "none", "cpu", tests_path=tmp_path / "tests.tsv"
    )
    tests = read_transfer_tests([tmp_path / "tests.tsv"]).set_index("test_cell")
    assert list(tests.index) == list(CELLS)
    for cell in CELLS:
        onto = long[long["test_cell"] == cell].set_index("train_set")["auc"]
        transfer = onto.drop(cell).mean()
        assert tests.loc[cell, "own_auc"] == pytest.approx(onto[cell])
        assert tests.loc[cell, "difference"] == pytest.approx(transfer - onto[cell])
        assert tests.loc[cell, "transferred_from"] == ",".join(c for c in CELLS if c != cell)
        assert 0 < tests.loc[cell, "p_value"] <= 1 and tests.loc[cell, "se"] > 0
    every_model_converged = all(run["converged"] for run in metrics.values())
    assert (tests["converged"] == every_model_converged).all()


def test_read_transfer_results_combines_tables_and_json_rows_and_rejects_repeats(tmp_path):
    long = crafted_long()
    write_transfer_table(long[long["experiment"] != "leave_one_out"], tmp_path / "t.tsv")
    for _, row in long[long["experiment"] == "leave_one_out"].iterrows():
        record = {**row.to_dict(), "n_test": int(row["n_test"])}
        (tmp_path / f"{row['test_cell']}.json").write_text(json.dumps(record))
    paths = [tmp_path / "t.tsv", tmp_path / "A.json", tmp_path / "B.json"]
    combined = read_transfer_results(paths)
    assert len(combined) == len(long)
    with pytest.raises(InputFormatError, match="also in"):
        read_transfer_results([*paths, tmp_path / "A.json"])


def test_cluster_order_puts_cells_that_transfer_well_together():
    cells = ["A", "B", "C", "D"]
    # A and C transfer well to each other, as do B and D; across the groups they do not.
    values = np.array(
        [
            [0.90, 0.55, 0.85, 0.50],
            [0.55, 0.90, 0.52, 0.86],
            [0.84, 0.50, 0.90, 0.55],
            [0.51, 0.87, 0.55, 0.90],
        ]
    )
    order = cluster_order(pd.DataFrame(values, index=cells, columns=cells))
    # Each pair sits side by side (a dendrogram's leaf order is fixed only up to its flips).
    assert sorted(order) == cells
    assert {frozenset(order[:2]), frozenset(order[2:])} == {frozenset("AC"), frozenset("BD")}
    assert cluster_order(pd.DataFrame(values, index=cells, columns=cells)) == order


def test_heatmap_files_are_written_byte_identical_across_calls(pairwise_long, tmp_path):
    matrix = transfer_matrix(pairwise_long, "deepchrome", "none")
    outputs = []
    for run in ("a", "b"):
        png, svg = tmp_path / f"{run}.png", tmp_path / f"{run}.svg"
        plot_transfer_heatmap(matrix, png, svg, "DeepChrome, raw counts")
        outputs.append((png.read_bytes(), svg.read_bytes()))
    assert outputs[0][0].startswith(b"\x89PNG") and outputs[0][1].lstrip().startswith(b"<?xml")
    assert outputs[0] == outputs[1]


# --- models that read neighbouring genes ------------------------------------------------------


def simplechrome_settings() -> TrainingSettings:
    training = {"recipe": "fast", "epochs": 1, "batch_size": 16, "device": "cpu"}
    return TrainingSettings.from_config(
        "simplechrome", training, {"neighbours": 2, "pretrain_epochs": 1}
    )


def test_pairwise_transfer_gathers_neighbours_like_training(tmp_path):
    datasets = synthetic_cells()
    settings = simplechrome_settings()
    metrics = {cell: train_cell(datasets[cell], settings, tmp_path / cell) for cell in CELLS}
    checkpoints = {cell: tmp_path / cell / "model.pt" for cell in CELLS}
    long = pairwise_transfer("simplechrome", checkpoints, datasets, "none", "cpu")
    matrix = transfer_matrix(long, "simplechrome", "none")
    for cell in CELLS:
        assert matrix.loc[cell, cell] == metrics[cell]["test_auc"]


def test_pooling_refuses_models_that_read_neighbouring_genes(tmp_path):
    with pytest.raises(ValueError, match="neighbouring genes"):
        pooled("simplechrome", synthetic_cells(), simplechrome_settings(), "none", tmp_path)
