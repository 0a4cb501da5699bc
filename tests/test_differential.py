"""Differential expression between cell types: targets, pairs, intervals, baselines, bundles."""

import json
import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch

from chromexpr.claims import CLAIMS, PAIR_COLUMNS, claims_table
from chromexpr.claims.differences import pearson_differences
from chromexpr.cli import main
from chromexpr.dataset import CellDataset
from chromexpr.demo.switching import SwitchTruth
from chromexpr.differential.attention import attention_labels, pair_attention
from chromexpr.differential.bundle import is_differential_bundle, load_bundle
from chromexpr.differential.models import build_pair_model, pair_hyperparameters
from chromexpr.differential.pairs import PairDataset, change_classes, log2_fold_change
from chromexpr.differential.predict import predict_fold_changes
from chromexpr.differential.scores import bootstrap_correlations, change_aucs, paired_bootstrap
from chromexpr.differential.tables import build_differential_tables
from chromexpr.differential.train import DifferentialSettings, score_difference, train_pair
from chromexpr.differential.truth import bin_recovery, mark_recovery, truth_table
from chromexpr.errors import DatasetMismatchError
from chromexpr.evaluation import correlations
from chromexpr.models import build_model, count_parameters
from chromexpr.train import TrainingSettings, load_checkpoint, train_cell

MARKS = np.array(["active", "flank", "body", "polycomb", "silent"])
# How each mark's log-count follows a gene's activity.
MARK_SLOPES = np.array([1.0, 0.6, 0.4, -0.8, 0.0])
N_BINS = 10


def pair_cells(n_genes: int = 120, seed: int = 0) -> tuple[CellDataset, CellDataset]:
    """Two cell types of the same genes: activity shared (r = 0.5) and cell-specific; marks and
    expression follow it. Split 60 / 30 / 30 %."""
    rng = np.random.default_rng(seed)
    shared = rng.normal(size=n_genes)
    n_train, n_valid = int(0.6 * n_genes), int(0.3 * n_genes)
    split = np.array(
        ["train"] * n_train + ["valid"] * n_valid + ["test"] * (n_genes - n_train - n_valid)
    )

    def cell(name: str) -> CellDataset:
        activity = np.sqrt(0.5) * shared + np.sqrt(0.5) * rng.normal(size=n_genes)
        rates = np.exp(1.5 + MARK_SLOPES[None, :, None] * activity[:, None, None])
        expression = np.exp(1.5 * activity + rng.normal(0, 0.2, n_genes))
        return CellDataset(
            cell=name,
            gene_ids=np.array([f"ENSG{i:011d}" for i in range(n_genes)]),
            symbols=np.array([f"G{i}" for i in range(n_genes)]),
            chrom=np.full(n_genes, "chr1"),
            tss=np.arange(n_genes, dtype=np.int64) * 10_000 + 5_000,
            strand=np.full(n_genes, "+"),
            counts=rng.poisson(np.broadcast_to(rates, (n_genes, len(MARKS), N_BINS))).astype(
                np.int32
            ),
            labels=(expression >= np.median(expression)).astype(np.int8),
            expression=expression,
            expression_unit="tpm",
            split=split,
            marks=MARKS,
            bin_offsets=np.arange(N_BINS, dtype=np.int64) * 100 - 500,
        )

    return cell("A1"), cell("B1")


def quick(model: str, model_params=None, **overrides) -> DifferentialSettings:
    training = {"recipe": "fast", "epochs": 2, "batch_size": 16, "device": "cpu", **overrides}
    return DifferentialSettings.from_config(model, training, model_params, task="differential")


# --- targets and pairs ------------------------------------------------------------------------


def test_fold_change_is_b_over_a_in_log2_with_the_pseudocount():
    fold_change = log2_fold_change(np.array([1.0, 0.0, 7.0]), np.array([3.0, 0.0, 1.0]), 1.0)
    assert fold_change == pytest.approx([1.0, 0.0, -2.0])
    assert log2_fold_change(np.array([0.0]), np.array([0.5]), 0.5) == pytest.approx([1.0])


def test_a_change_reaches_the_threshold_on_either_side():
    classes = change_classes(np.array([-1.0, -0.99, 0.0, 0.99, 1.0, 3.0]), 1.0)
    assert classes.tolist() == [-1, 0, 0, 0, 1, 1]
    with pytest.raises(ValueError, match="positive"):
        change_classes(np.zeros(2), 0.0)


def test_pair_targets_hold_the_fold_change_and_each_cells_log2_expression():
    a, b = pair_cells(20)
    targets = PairDataset(a, b, pseudocount=2.0).targets()
    assert targets[:, 0] == pytest.approx(
        np.log2((b.expression + 2) / (a.expression + 2)), rel=1e-5
    )
    assert targets[:, 1] == pytest.approx(np.log2(a.expression + 2), rel=1e-5)
    assert PairDataset(a, b).counts().shape == (20, 2, len(MARKS), N_BINS)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda b: replace(b, gene_ids=b.gene_ids[::-1]), "different genes"),
        (lambda b: replace(b, split=np.roll(b.split, 1)), "may not cross sides"),
        (lambda b: replace(b, marks=b.marks[::-1]), "have marks"),
    ],
)
def test_a_pair_refuses_datasets_that_do_not_line_up_naming_both_cells(change, message):
    a, b = pair_cells(20)
    with pytest.raises(DatasetMismatchError, match=f"cells A1 and B1.*{message}"):
        PairDataset(a, change(b))


# --- intervals --------------------------------------------------------------------------------


def test_bootstrap_interval_holds_the_point_estimates_and_narrows_with_more_genes():
    rng = np.random.default_rng(1)
    widths = []
    for n_genes in (50, 800):
        observed = rng.normal(size=n_genes)
        predicted = observed + rng.normal(size=n_genes)
        scores = bootstrap_correlations(observed, predicted, resamples=500, seed=1)
        assert scores["pearson"] == pytest.approx(correlations(observed, predicted)["pearson"])
        for name in ("pearson", "spearman"):
            assert scores[f"{name}_low"] < scores[name] < scores[f"{name}_high"]
        widths.append(scores["pearson_high"] - scores["pearson_low"])
    assert widths[1] < widths[0] / 2
    # The same seed, the same interval.
    again = bootstrap_correlations(observed, predicted, resamples=500, seed=1)
    assert again == scores


def test_bootstrap_covers_the_true_correlation_about_95_percent_of_the_time():
    rng = np.random.default_rng(2)
    true_r, covered = 0.6, 0
    for trial in range(60):
        observed = rng.normal(size=100)
        predicted = true_r * observed + np.sqrt(1 - true_r**2) * rng.normal(size=100)
        scores = bootstrap_correlations(observed, predicted, resamples=300, seed=trial)
        covered += scores["pearson_low"] <= true_r <= scores["pearson_high"]
    assert 51 <= covered <= 60


def test_up_and_down_aucs_rank_their_class_and_are_undefined_without_it():
    classes = np.array([-1, -1, 0, 0, 1, 1])
    scores = change_aucs(classes, np.array([-3.0, -2.0, 0.0, 0.1, 2.0, 3.0]))
    assert scores["auc_up"] == 1.0 and scores["auc_down"] == 1.0
    assert (scores["n_up"], scores["n_down"]) == (2, 2)
    assert scores["auc_up_low"] <= 1.0
    reversed_scores = change_aucs(classes, np.array([3.0, 2.0, 0.0, 0.1, -2.0, -3.0]))
    assert reversed_scores["auc_up"] == 0.0
    no_down = change_aucs(np.array([0, 0, 1, 1]), np.array([0.0, 1.0, 2.0, 3.0]))
    assert math.isnan(no_down["auc_down"]) and no_down["n_down"] == 0


def test_paired_bootstrap_finds_a_clearly_better_model_and_not_an_equal_one():
    rng = np.random.default_rng(3)
    observed = rng.normal(size=300)
    good = observed + 0.3 * rng.normal(size=300)
    poor = observed + 2.0 * rng.normal(size=300)
    better = paired_bootstrap(observed, good, poor, resamples=1000, seed=1)
    assert better["difference"] > 0 and better["low"] > 0 and better["p_value"] < 0.01
    same = paired_bootstrap(observed, good, good, resamples=1000, seed=1)
    assert same["difference"] == 0 and same["p_value"] == 1.0


# --- baselines --------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["mark_linear", "mark_gbdt"])
def test_mark_difference_baselines_learn_the_fold_change_and_fail_on_shuffled_targets(
    model, tmp_path
):
    a, b = pair_cells(400)
    metrics = train_pair(PairDataset(a, b), quick(model), tmp_path / "real")
    assert metrics["test_pearson"] > 0.8
    # Negative control: both cells' expression shuffled alike across genes, so the fold
    # changes keep their spread but no longer belong to the marks.
    order = np.random.default_rng(0).permutation(a.n_genes)
    a, b = (replace(cell, expression=cell.expression[order]) for cell in (a, b))
    control = train_pair(PairDataset(a, b), quick(model), tmp_path / "shuffled")
    assert abs(control["test_pearson"]) < 0.35


def test_mark_linear_is_a_ridge_on_each_marks_mean_log_difference():
    model = build_pair_model(
        "mark_linear", len(MARKS), N_BINS, **pair_hyperparameters("mark_linear", {}, "raw")
    )
    assert model.model.summaries == ("mean",)
    assert model.n_fitted_values() == len(MARKS) + 1


def test_stacked_zoo_model_reads_both_cells_marks_as_twice_the_marks():
    model = build_pair_model("stacked_mlp", len(MARKS), N_BINS, input_transform="raw")
    pairs = torch.rand(3, 2, len(MARKS), N_BINS)
    stacked = build_model("mlp", 2 * len(MARKS), N_BINS, n_outputs=1)
    assert count_parameters(model.model) == count_parameters(stacked)
    assert model(pairs).shape == (3, 1)
    # A's marks first, then B's: swapping the cells changes the input the zoo model sees.
    assert torch.equal(model.inputs(pairs)[:, len(MARKS) :], pairs[:, 1])


def test_difference_baseline_is_the_single_cell_predictions_difference_in_log2(tmp_path):
    a, b = pair_cells(120)
    for cell in (a, b):
        settings = TrainingSettings.from_config("logistic", {"recipe": "fast"}, task="regression")
        train_cell(cell, settings, tmp_path / cell.cell)
    checkpoint_a, checkpoint_b = (
        load_checkpoint(tmp_path / name / "model.pt") for name in ("A1", "B1")
    )
    metrics = score_difference(
        PairDataset(a, b), checkpoint_a, checkpoint_b, tmp_path / "difference"
    )
    predictions = pd.read_csv(tmp_path / "difference/predictions.tsv", sep="\t")
    expected = (
        checkpoint_b.scores(checkpoint_b.inputs(b)) - checkpoint_a.scores(checkpoint_a.inputs(a))
    ) / math.log(2)
    assert predictions["predicted_log2_fold_change"].to_numpy() == pytest.approx(expected, abs=1e-5)
    assert metrics["epochs_run"] == 0 and metrics["test_pearson"] > 0.5
    # The bundle holds both members and predicts the same again.
    bundle = load_bundle(tmp_path / "difference/model.pt")
    assert [bundle.bundle["hyperparameters"]["members"][side]["cell"] for side in "ab"] == [
        "A1",
        "B1",
    ]


def test_difference_baseline_refuses_classifiers(tmp_path):
    a, b = pair_cells(60)
    train_cell(a, TrainingSettings.from_config("logistic", {"recipe": "fast"}), tmp_path / "a")
    classifier = load_checkpoint(tmp_path / "a/model.pt")
    with pytest.raises(DatasetMismatchError, match="use a regression bundle"):
        score_difference(PairDataset(a, b), classifier, classifier, tmp_path / "d")


# --- DeepDiff, bundles, prediction ------------------------------------------------------------


@pytest.fixture(scope="module")
def deepdiff_run(tmp_path_factory):
    """DeepDiff trained two epochs on a small pair."""
    folder = tmp_path_factory.mktemp("deepdiff")
    a, b = pair_cells(60)
    a.save(folder / "A1.npz")
    b.save(folder / "B1.npz")
    settings = quick("deepdiff", model_params={"bin_hidden_size": 8})
    metrics = train_pair(PairDataset(a, b), settings, folder / "deepdiff")
    return folder, metrics


def test_deepdiff_trains_with_its_recipe_and_writes_a_self_describing_bundle(deepdiff_run):
    folder, metrics = deepdiff_run
    assert metrics["epochs_run"] == 2 and metrics["task"] == "differential"
    assert (metrics["cell_a"], metrics["cell_b"]) == ("A1", "B1")
    written = json.loads((folder / "deepdiff/metrics.json").read_text())
    assert written["test_pearson"] == metrics["test_pearson"]
    assert is_differential_bundle(folder / "deepdiff/model.pt")
    bundle = load_bundle(folder / "deepdiff/model.pt")
    assert bundle.cells == ["A1", "B1"] and bundle.has_attention
    assert bundle.bundle["hyperparameters"] == {"bin_hidden_size": 8, "input_transform": "raw"}
    published = DifferentialSettings.from_config(
        "deepdiff", {"recipe": "published"}, task="differential"
    )
    assert (published.learning_rate, published.batch_size, published.epochs) == (1e-4, 10, 120)


def test_a_bundle_predicts_what_its_training_wrote(deepdiff_run, tmp_path):
    folder, _ = deepdiff_run
    bundle = load_bundle(folder / "deepdiff/model.pt")
    table = predict_fold_changes(
        bundle,
        CellDataset.load(folder / "A1.npz"),
        CellDataset.load(folder / "B1.npz"),
        tmp_path / "out.tsv",
        bed=tmp_path / "out.bed",
    )
    trained = pd.read_csv(folder / "deepdiff/predictions.tsv", sep="\t")
    assert table["predicted_log2_fold_change"].to_numpy() == pytest.approx(
        trained["predicted_log2_fold_change"].to_numpy(), abs=1e-6
    )
    bed = pd.read_csv(tmp_path / "out.bed", sep="\t", header=None)
    assert len(bed) == len(table) and bed[6].to_numpy() == pytest.approx(
        table.sort_values("tss")["predicted_log2_fold_change"].to_numpy(), abs=1e-5
    )


def test_predict_command_takes_a_differential_bundle_and_two_datasets(
    deepdiff_run, tmp_path, capsys
):
    folder, _ = deepdiff_run
    arguments = ["predict", str(folder / "deepdiff/model.pt"), "--dataset"]
    datasets = [str(folder / "A1.npz"), str(folder / "B1.npz")]
    code = main([*arguments, *datasets, "--out", str(tmp_path / "fc.tsv"), "--score", "test"])
    assert code == 0
    printed = capsys.readouterr().out
    assert (
        "log2 fold change of B1 over A1 predicted by deepdiff" in printed and "pearson" in printed
    )
    assert main([*arguments, datasets[0], "--out", str(tmp_path / "x.tsv")]) == 1
    assert "two datasets" in capsys.readouterr().err


def test_a_bundle_refuses_datasets_of_other_bins(deepdiff_run, tmp_path):
    folder, _ = deepdiff_run
    a, b = (CellDataset.load(folder / f"{name}.npz") for name in ("A1", "B1"))
    wider = [
        replace(d, counts=np.tile(d.counts, 2), bin_offsets=np.arange(2 * N_BINS) * 100 - 1000)
        for d in (a, b)
    ]
    with pytest.raises(DatasetMismatchError, match="count the samples with the bundle's window"):
        load_bundle(folder / "deepdiff/model.pt").pair(*wider)


def test_tables_score_each_run_and_compare_deepdiff_with_each_baseline(deepdiff_run, tmp_path):
    folder, _ = deepdiff_run
    a, b = (CellDataset.load(folder / f"{name}.npz") for name in ("A1", "B1"))
    train_pair(PairDataset(a, b), quick("mark_linear"), folder / "mark_linear")
    paths = [folder / model / "metrics.json" for model in ("deepdiff", "mark_linear")]
    table = build_differential_tables(
        paths, tmp_path / "d.tsv", tmp_path / "c.tsv", tmp_path / "d.md", resamples=200, seed=1
    )
    assert table["model"].tolist() == ["deepdiff", "mark_linear"]
    assert (table["pearson_low"] <= table["pearson"]).all() and (table["n_test"] == 6).all()
    comparisons = pd.read_csv(tmp_path / "c.tsv", sep="\t")
    assert comparisons[["model", "baseline"]].values.tolist() == [["deepdiff", "mark_linear"]]
    assert comparisons["difference"].iloc[0] == pytest.approx(
        table["pearson"].iloc[0] - table["pearson"].iloc[1], abs=1e-5
    )
    assert "| B1 / A1 | deepdiff | 6 |" in (tmp_path / "d.md").read_text()


# --- the claims row ---------------------------------------------------------------------------


def differential_scores(differences: dict[str, float]) -> pd.DataFrame:
    rows = []
    for pair, difference in differences.items():
        cell_a, cell_b = pair.split("-")
        rows += [
            {"cell_a": cell_a, "cell_b": cell_b, "model": "deepdiff", "pearson": 0.5 + difference},
            {"cell_a": cell_a, "cell_b": cell_b, "model": "difference", "pearson": 0.5},
        ]
    return pd.DataFrame(rows)


CLAIM = next(claim for claim in CLAIMS if claim.key == "deepdiff_over_difference")
NO_RUNS = pd.DataFrame(columns=["cell", "model", "fold", "seed", "test_auc", "predictions"])


def test_deepdiff_claim_compares_pearson_r_per_pair():
    scores = differential_scores({"E1-E2": 0.1, "E1-E3": -0.05})
    pairs = pearson_differences(scores, CLAIM.key, CLAIM.better, CLAIM.other)
    assert list(pairs.columns) == list(PAIR_COLUMNS)
    assert pairs["cell"].tolist() == ["E1-E2", "E1-E3"]
    assert pairs["difference"].to_numpy() == pytest.approx([0.1, -0.05])


def test_deepdiff_claim_is_supported_by_six_better_pairs_and_not_run_without_the_task():
    scores = differential_scores({f"E1-E{index}": 0.05 + 0.01 * index for index in range(2, 8)})
    table, _ = claims_table(NO_RUNS, None, 0.01, 0.05, [CLAIM], differential=scores)
    row = table.iloc[0]
    assert (row["samples"], row["verdict"]) == (6, "supported")
    assert "Pearson r" in row["compared"]
    worse = differential_scores({f"E1-E{index}": -0.05 - 0.01 * index for index in range(2, 8)})
    table, _ = claims_table(NO_RUNS, None, 0.01, 0.05, [CLAIM], differential=worse)
    assert table.iloc[0]["verdict"] == "contradicted"
    table, _ = claims_table(NO_RUNS, None, 0.01, 0.05, [CLAIM])
    assert (table.iloc[0]["verdict"], table.iloc[0]["note"]) == (
        "not run",
        "differential not run",
    )


# --- attention and the truth ------------------------------------------------------------------


def test_a_stacked_attention_model_attends_over_both_cells_marks(tmp_path):
    a, b = pair_cells(60)
    train_pair(PairDataset(a, b), quick("stacked_attentivechrome"), tmp_path / "stacked")
    bundle = load_bundle(tmp_path / "stacked/model.pt")
    labels = attention_labels(bundle)
    assert labels[0] == "A1 active" and labels[-1] == "B1 silent" and len(labels) == 2 * len(MARKS)
    weights = pair_attention(bundle, PairDataset(a, b).counts()[:4])
    assert weights["marks"].shape == (4, 2 * len(MARKS))
    assert weights["marks"].sum(axis=1) == pytest.approx(1.0, abs=1e-5)


def pair_truth_of(pair: PairDataset, genes: np.ndarray) -> SwitchTruth:
    """A truth whose switching genes are ``genes`` (rows of the pair), their expected counts the
    counts themselves."""
    fold_change = pair.fold_change()[genes]
    return SwitchTruth(
        pair.a.gene_ids[genes],
        np.sign(fold_change).astype(int),
        tuple(MARKS),
        pair.a.counts[genes].astype(float),
        pair.b.counts[genes].astype(float),
    )


def test_truth_table_scores_the_switching_genes_against_the_untrained_model(deepdiff_run):
    folder, _ = deepdiff_run
    bundle = load_bundle(folder / "deepdiff/model.pt")
    pair = bundle.pair(*(CellDataset.load(folder / f"{name}.npz") for name in ("A1", "B1")))
    test = np.flatnonzero(pair.mask("test"))
    table = truth_table(bundle, pair, pair_truth_of(pair, test[:4]), steps=4).set_index("measure")
    assert list(table.index) == [
        "pearson_switching",
        "pearson_other",
        "direction_switching",
        "mark_recovery_attention",
        "bin_recovery_attention",
        "mark_recovery_attribution",
        "bin_recovery_attribution",
    ]
    predictions = pd.read_csv(folder / "deepdiff/predictions.tsv", sep="\t").iloc[test[:4]]
    expected = np.corrcoef(
        predictions["log2_fold_change"], predictions["predicted_log2_fold_change"]
    )
    assert table.loc["pearson_switching", "trained"] == pytest.approx(expected[0, 1], abs=1e-5)
    assert table.loc["pearson_switching", "n_genes"] == 4
    assert table["untrained"].notna().all() and table["trained"].between(-1, 1).all()


def test_recovery_is_one_for_the_truths_own_ranking_and_minus_one_reversed():
    change = np.array([[1.0, 2.0, 3.0], [3.0, 1.0, 2.0]])
    assert mark_recovery(change, change) == pytest.approx(1.0)
    assert mark_recovery(-change, change) == pytest.approx(-1.0)
    bins = np.random.default_rng(0).random((5, 2, 8))
    assert bin_recovery(bins, bins) == pytest.approx(1.0)
