"""AUC tables from metrics.json files, the published comparison, and the AUC figure."""

import json

import numpy as np
import pandas as pd
import pytest

from chromexpr.errors import InputFormatError
from chromexpr.plots.scores import plot_auc, plot_model_comparison
from chromexpr.tables import build_auc_tables, build_regression_tables

# (cell, model, test AUC); E900 is not in the published table, linear did not run on E004.
RUNS = [
    ("E003", "deepchrome", 0.80),
    ("E003", "linear", 0.70),
    ("E004", "deepchrome", 0.90),
    ("E900", "deepchrome", 0.60),
    ("E900", "linear", 0.50),
]


def write_metrics(directory, cell, model, test_auc, fold=0, seed=1):
    path = directory / cell / model / f"fold-{fold}" / f"seed-{seed}" / "metrics.json"
    path.parent.mkdir(parents=True)
    metrics = {
        "cell": cell,
        "model": model,
        "fold": fold,
        "seed": seed,
        "recipe": "fast",
        "train_auc": test_auc + 0.05,
        "valid_auc": test_auc + 0.01,
        "test_auc": test_auc,
        "best_epoch": 4,
        "epochs_run": 10,
        "converged": model != "linear",
        "wall_seconds": 12.5,
        "device": "cpu",
        "n_parameters": 644177 if model == "deepchrome" else 12,
        "seconds_per_epoch": 1.25 if model == "deepchrome" else 0.25,
    }
    path.write_text(json.dumps(metrics))
    write_predictions(path.parent / "predictions.tsv", test_auc)
    return path


def write_predictions(path, test_auc):
    """Ten negatives scored 0..9 and ten positives that each outrank 10 x ``test_auc`` of them:
    a test AUC of exactly ``test_auc`` (a multiple of 0.1)."""
    positive = round(10 * test_auc) - 0.5
    pd.DataFrame(
        {
            "gene_id": [f"G{index}" for index in range(20)],
            "label": [0] * 10 + [1] * 10,
            "probability": np.concatenate([np.arange(10.0), np.full(10, positive)]) / 10,
        }
    ).to_csv(path, sep="\t", index=False)


@pytest.fixture
def tables(tmp_path):
    """Builds the tables from RUNS; returns their directory."""
    paths = [write_metrics(tmp_path / "runs", *run) for run in RUNS]
    published = tmp_path / "published.tsv"
    published.write_text("cell\tauc\nE003\t0.77\nE004\t0.81\nE005\t0.80\n")
    build_auc_tables(paths, published, tmp_path / "tables")
    return tmp_path / "tables"


def read_tsv(path):
    return pd.read_csv(path, sep="\t", dtype={"cell": str})


def test_long_table_has_one_row_per_cell_and_model(tables):
    long = read_tsv(tables / "auc.tsv")
    assert list(zip(long["cell"], long["model"], long["test_auc"], strict=True)) == RUNS
    assert list(long.columns[:5]) == ["cell", "model", "fold", "seed", "test_auc"]
    assert {
        "valid_auc",
        "train_auc",
        "best_epoch",
        "epochs_run",
        "converged",
        "wall_seconds",
        "device",
        "n_parameters",
        "recipe",
    } <= set(long.columns)


def test_long_table_gives_each_test_auc_its_delong_interval(tables):
    long = read_tsv(tables / "auc.tsv")
    assert list(long.columns[4:8]) == [
        "test_auc",
        "test_auc_se",
        "test_auc_ci_low",
        "test_auc_ci_high",
    ]
    assert (long["test_auc_ci_low"] < long["test_auc"]).all()
    assert (long["test_auc"] < long["test_auc_ci_high"]).all()
    # E003 deepchrome (AUC 0.8): every positive outranks the same 8 negatives, so the positives'
    # components do not vary; the negatives' are 1 (8 of them) or 0 (2): variance 16/90.
    e003 = long.iloc[0]
    assert e003["test_auc_se"] == pytest.approx(np.sqrt(16 / 90 / 10))
    assert e003["test_auc_ci_low"] == pytest.approx(0.8 - 1.959964 * np.sqrt(16 / 900), abs=1e-5)
    # 0.8 + 0.26 is clipped to the AUC's range.
    assert e003["test_auc_ci_high"] == 1.0


def test_predictions_that_disagree_with_the_metrics_are_an_error_naming_the_file(tmp_path):
    path = write_metrics(tmp_path / "runs", "E003", "deepchrome", 0.8)
    write_predictions(path.parent / "predictions.tsv", 0.6)
    published = tmp_path / "published.tsv"
    published.write_text("cell\tauc\nE003\t0.77\n")
    with pytest.raises(InputFormatError, match="predictions.tsv.*0.6000"):
        build_auc_tables([path], published, tmp_path / "tables")


def test_wide_table_has_cells_by_models_then_summary_rows(tables):
    wide = read_tsv(tables / "auc_wide.tsv").set_index("cell")
    assert list(wide.columns) == ["deepchrome", "linear"]
    assert list(wide.index) == ["E003", "E004", "E900", "mean", "median", "min", "max"]
    assert pd.isna(wide.loc["E004", "linear"])
    assert wide.loc["mean", "deepchrome"] == pytest.approx((0.8 + 0.9 + 0.6) / 3)
    assert wide.loc["median", "deepchrome"] == pytest.approx(0.8)
    assert wide.loc["mean", "linear"] == pytest.approx(0.6)
    assert (wide.loc["min", "linear"], wide.loc["max", "linear"]) == (0.5, 0.7)


def test_markdown_table_shows_three_decimals(tables):
    lines = (tables / "auc_wide.md").read_text().splitlines()
    assert lines[0] == "| cell | deepchrome | linear |"
    assert lines[1] == "|:--|--:|--:|"
    assert lines[3].startswith("| E004 | 0.900 [0.7") and lines[3].endswith("] |  |")
    assert lines[5] == "| mean | 0.767 | 0.600 |"


def test_comparison_pairs_our_test_auc_with_the_published_one(tables):
    comparison = read_tsv(tables / "published_comparison.tsv")
    e003 = comparison[(comparison["cell"] == "E003") & (comparison["model"] == "deepchrome")]
    assert e003["published_auc"].item() == 0.77
    assert e003["difference"].item() == pytest.approx(0.03)
    assert e003["published_in_interval"].item()


def test_comparison_keeps_a_cell_missing_from_the_published_table_with_an_empty_value(tables):
    comparison = read_tsv(tables / "published_comparison.tsv")
    assert len(comparison) == len(RUNS)
    e900 = comparison[comparison["cell"] == "E900"]
    assert len(e900) == 2
    assert e900["published_auc"].isna().all() and e900["difference"].isna().all()
    assert "E005" not in set(comparison["cell"])


def test_the_same_cell_and_model_twice_is_an_input_format_error(tmp_path):
    paths = [
        write_metrics(tmp_path / "a", "E003", "deepchrome", 0.8),
        write_metrics(tmp_path / "b", "E003", "deepchrome", 0.7),
    ]
    published = tmp_path / "published.tsv"
    published.write_text("cell\tauc\nE003\t0.77\n")
    with pytest.raises(InputFormatError, match="E003"):
        build_auc_tables(paths, published, tmp_path / "tables")


def test_metrics_without_a_test_auc_is_an_input_format_error_naming_the_file(tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps({"cell": "E003", "model": "deepchrome"}))
    published = tmp_path / "published.tsv"
    published.write_text("cell\tauc\n")
    with pytest.raises(InputFormatError, match="metrics.json.*test_auc"):
        build_auc_tables([path], published, tmp_path / "tables")


def test_plot_writes_non_empty_png_and_identical_svg_on_every_run(tables, tmp_path):
    published = tmp_path / "published.tsv"
    for run in ("a", "b"):
        plot_auc(tables / "auc.tsv", published, tmp_path / f"{run}.png", tmp_path / f"{run}.svg")
    assert (tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "a.svg").stat().st_size > 0
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


def test_plot_accepts_the_long_table_as_a_data_frame(tables, tmp_path):
    long = read_tsv(tables / "auc.tsv")
    plot_auc(long, tmp_path / "published.tsv", tmp_path / "auc.png", tmp_path / "auc.svg")
    assert (tmp_path / "auc.png").stat().st_size > 0


def test_models_table_has_each_models_size_cost_and_mean_auc(tables):
    models = read_tsv(tables / "models.tsv").set_index("model")
    assert list(models.index) == ["deepchrome", "linear"]
    assert models.loc["linear", "n_parameters"] == 12
    assert models.loc["deepchrome", "cells"] == 3
    assert models.loc["deepchrome", "mean_test_auc"] == pytest.approx(0.767, abs=1e-3)
    assert models.loc["linear", "median_test_auc"] == pytest.approx(0.6)
    # t interval of the mean of 0.7 and 0.5: 0.6 +- 12.7062 x 0.1.
    assert models.loc["linear", "mean_test_auc_ci_low"] == pytest.approx(0.6 - 1.270620, abs=1e-5)
    assert models.loc["deepchrome", "mean_seconds_per_epoch"] == 1.25
    assert models.loc["linear", "mean_seconds_per_cell"] == 12.5


def test_long_table_and_models_table_say_which_runs_converged(tables):
    long = read_tsv(tables / "auc.tsv")
    assert dict(zip(long["model"], long["converged"], strict=False)) == {
        "deepchrome": True,
        "linear": False,
    }
    models = read_tsv(tables / "models.tsv").set_index("model")
    assert (models.loc["deepchrome", "converged_runs"], models.loc["linear", "converged_runs"]) == (
        3,
        0,
    )


def test_model_comparison_plot_is_identical_on_every_run(tables, tmp_path):
    for run in ("a", "b"):
        plot_model_comparison(tables / "auc.tsv", tmp_path / f"{run}.png", tmp_path / f"{run}.svg")
    assert (tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()


def write_regression_metrics(directory, cell, model, pearson, fold=0, seed=1):
    path = directory / cell / model / f"fold-{fold}" / f"seed-{seed}" / "metrics.json"
    path.parent.mkdir(parents=True)
    metrics = {
        "cell": cell,
        "model": model,
        "fold": fold,
        "seed": seed,
        "recipe": "fast",
        "task": "regression",
        "train_pearson": pearson + 0.1,
        "train_spearman": pearson + 0.1,
        "valid_pearson": pearson + 0.01,
        "valid_spearman": pearson,
        "test_pearson": pearson,
        "test_spearman": pearson - 0.02,
        "best_epoch": 2,
        "epochs_run": 3,
        "converged": True,
        "wall_seconds": 4.0,
        "device": "cpu",
        "n_parameters": 12,
    }
    path.write_text(json.dumps(metrics))
    return path


def test_regression_tables_hold_correlations_per_cell_and_model(tmp_path):
    paths = [
        write_regression_metrics(tmp_path / "runs", "E003", "linear", 0.6),
        write_regression_metrics(tmp_path / "runs", "E004", "linear", 0.7),
    ]
    build_regression_tables(paths, tmp_path / "tables")
    long = read_tsv(tmp_path / "tables" / "regression.tsv")
    assert list(long.columns[2:6]) == ["fold", "seed", "test_pearson", "test_spearman"]
    assert long["test_spearman"].tolist() == pytest.approx([0.58, 0.68])
    wide = read_tsv(tmp_path / "tables" / "regression_wide.tsv").set_index("cell")
    assert wide.loc["mean", "linear"] == pytest.approx(0.65)
    assert (tmp_path / "tables" / "regression_wide.md").read_text().startswith("| cell | linear |")


def test_classification_metrics_in_a_regression_table_are_an_error_naming_the_file(tmp_path):
    path = write_metrics(tmp_path / "runs", "E003", "deepchrome", 0.8)
    with pytest.raises(InputFormatError, match="test_pearson"):
        build_regression_tables([path], tmp_path / "tables")


REPEATS = [  # (fold, seed, test AUC) of deepchrome on E003
    (0, 1, 0.8),
    (0, 2, 0.9),
    (1, 1, 0.6),
    (1, 2, 0.7),
]


@pytest.fixture
def repeated(tmp_path):
    """Tables of two folds x two seeds of one (cell, model); returns their directory."""
    paths = [
        write_metrics(tmp_path / "runs", "E003", "deepchrome", auc, fold, seed)
        for fold, seed, auc in REPEATS
    ]
    published = tmp_path / "published.tsv"
    published.write_text("cell\tauc\nE003\t0.77\n")
    build_auc_tables(paths, published, tmp_path / "tables")
    return tmp_path / "tables"


def test_long_table_has_one_row_per_fold_and_seed(repeated):
    long = read_tsv(repeated / "auc.tsv")
    assert list(zip(long["fold"], long["seed"], long["test_auc"], strict=True)) == REPEATS


def test_fold_table_gives_mean_and_sd_over_seeds(repeated):
    folds = read_tsv(repeated / "auc_folds.tsv")
    assert folds["seeds"].tolist() == [2, 2]
    assert folds["mean_test_auc"].tolist() == pytest.approx([0.85, 0.65])
    assert folds["sd_test_auc"].tolist() == pytest.approx([0.1 / 2**0.5] * 2)


def test_pooled_table_gives_mean_and_sd_over_folds_and_seeds(repeated):
    (row,) = read_tsv(repeated / "auc_pooled.tsv").to_dict("records")
    assert (row["folds"], row["seeds"], row["runs"]) == (2, 2, 4)
    assert row["mean_test_auc"] == pytest.approx(0.75)
    assert row["sd_test_auc"] == pytest.approx(pd.Series([0.8, 0.9, 0.6, 0.7]).std())
    assert row["sd_over_folds_test_auc"] == pytest.approx(pd.Series([0.85, 0.65]).std())
    assert row["mean_sd_over_seeds_test_auc"] == pytest.approx(0.1 / 2**0.5)


def test_wide_table_and_comparison_give_the_mean_over_runs(repeated):
    wide = read_tsv(repeated / "auc_wide.tsv").set_index("cell")
    assert wide.loc["E003", "deepchrome"] == pytest.approx(0.75)
    (row,) = read_tsv(repeated / "published_comparison.tsv").to_dict("records")
    assert row["difference"] == pytest.approx(0.75 - 0.77)
    # Several runs: the interval is the t interval of their mean, not one run's DeLong interval.
    half_width = 3.182446 * pd.Series([0.8, 0.9, 0.6, 0.7]).std() / 2
    assert row["test_auc_ci_high"] - row["test_auc"] == pytest.approx(half_width, abs=1e-5)
    assert row["runs"] == 4


def test_one_run_has_an_empty_standard_deviation(tables):
    pooled = read_tsv(tables / "auc_pooled.tsv")
    assert pooled["sd_test_auc"].isna().all()
    assert (pooled["runs"] == 1).all()


def test_the_same_fold_and_seed_twice_is_an_input_format_error_naming_both(tmp_path):
    paths = [
        write_metrics(tmp_path / "a", "E003", "deepchrome", 0.8, fold=1, seed=2),
        write_metrics(tmp_path / "b", "E003", "deepchrome", 0.7, fold=1, seed=2),
    ]
    published = tmp_path / "published.tsv"
    published.write_text("cell\tauc\nE003\t0.77\n")
    with pytest.raises(InputFormatError, match="fold 1, seed 2 also in"):
        build_auc_tables(paths, published, tmp_path / "tables")


def test_plot_draws_the_mean_of_repeated_runs(repeated, tmp_path):
    plot_auc(
        repeated / "auc.tsv",
        repeated.parent / "published.tsv",
        tmp_path / "a.png",
        tmp_path / "a.svg",
    )
    assert (tmp_path / "a.png").stat().st_size > 0
