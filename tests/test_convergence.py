"""Every training run records whether it converged, and the claims table judges no comparison
with a run that did not (chromexpr.train.convergence, chromexpr.claims)."""

import json
import re
from dataclasses import replace

import numpy as np
import pytest
import torch

from chromexpr.claims import EQUIVALENCE, NOT_JUDGED, Claim, claims_table, read_runs
from chromexpr.dataset import CellDataset
from chromexpr.train import TrainingSettings, train_cell
from chromexpr.train.convergence import epochs_convergence

from .test_training import learnable_cell

CELLS = ("E003", "E004", "E005")
# DeepChrome 2.0's claim, asked of the linear model against a logistic regression on the same
# cells: the claims table's machinery with two cheap models.
LINEAR_EQUALS_LOGISTIC = Claim(
    "linear_equals_logistic", "linear = logistic", "this test", "linear", "logistic", EQUIVALENCE
)


def weak_cell(cell: str, seed: int) -> CellDataset:
    """200 genes (100 / 50 / 50) whose first mark is raised by 2 reads per bin at the TSS of high
    genes: the linear model needs tens of epochs to learn it."""
    dataset = learnable_cell(200, seed)
    rates = np.ones(dataset.counts.shape)
    rates[:, 0, 40:60] += 2 * dataset.labels[:, None]
    counts = np.random.default_rng(seed).poisson(rates).astype(np.int32)
    return replace(dataset, cell=cell, counts=counts)


def settings(model: str, **training) -> TrainingSettings:
    return TrainingSettings.from_config(model, {"recipe": "fast", "device": "cpu", **training})


# --- the rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("best_epoch", "epochs_run", "stopped_early", "converged"),
    [
        (27, 30, False, True),  # the last tenth of 30 epochs is 28-30
        (28, 30, False, False),
        (3, 3, False, False),  # at least the last epoch
        (1, 1, False, False),
        (129, 139, True, True),  # early stopping ended it: a plateau of `patience` epochs
    ],
)
def test_a_best_epoch_in_the_last_tenth_of_a_run_the_epoch_limit_ended_is_not_converged(
    best_epoch, epochs_run, stopped_early, converged
):
    assert epochs_convergence(best_epoch, epochs_run, stopped_early).converged is converged


def test_linear_takes_its_own_fast_values_and_a_config_override_wins():
    linear = settings("linear")
    assert (linear.learning_rate, linear.epochs, linear.patience) == (1e-2, 200, 10)
    assert settings("deepchrome").learning_rate == 3e-4
    assert settings("linear", epochs=3).epochs == 3
    published = TrainingSettings.from_config("linear", {"recipe": "published"})
    assert (published.optimizer, published.learning_rate, published.epochs) == ("sgd", 0.01, 100)


# --- what a run records -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def linear_runs(tmp_path_factory):
    """metrics.json of linear trained on three cells with a deliberately short recipe (3
    epochs) and with its own fast recipe, and of logistic regression, on the same genes."""
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("runs")
    paths = {"short": [], "full": []}
    for seed, cell in enumerate(CELLS):
        dataset = weak_cell(cell, seed)
        logistic = root / "logistic" / cell
        train_cell(dataset, settings("logistic"), logistic)
        for name, training in (("short", {"epochs": 3}), ("full", {})):
            folder = root / name / "linear" / cell
            train_cell(dataset, settings("linear", **training), folder)
            paths[name] += [folder / "metrics.json", logistic / "metrics.json"]
    return paths


def test_a_deliberately_short_recipe_is_recorded_as_not_converged(linear_runs):
    for path in linear_runs["short"][::2]:
        metrics = json.loads(path.read_text())
        assert (metrics["best_epoch"], metrics["epochs_run"], metrics["converged"]) == (3, 3, False)
        assert metrics["convergence"].startswith("best epoch 3 of 3 is among the last 1")
        bundle = torch.load(path.parent / "model.pt", weights_only=True)
        assert bundle["training"]["converged"] is False
    for path in linear_runs["full"][::2]:
        metrics = json.loads(path.read_text())
        assert metrics["converged"] and metrics["convergence"].startswith("early stopping")


def test_logistic_regression_records_lbfgs_verdict(linear_runs):
    metrics = json.loads(linear_runs["full"][1].read_text())
    assert metrics["converged"] and metrics["convergence"].startswith("lbfgs stopped after")


def test_claims_do_not_judge_a_model_trained_with_a_deliberately_short_recipe(linear_runs):
    short, _ = claims_table(
        read_runs(linear_runs["short"]), None, 0.01, 0.05, [LINEAR_EQUALS_LOGISTIC]
    )
    assert short.iloc[0]["verdict"] == f"{NOT_JUDGED}: linear did not converge"
    assert short.iloc[0]["note"] == f"did not converge: linear on {', '.join(CELLS)}"
    # The negative control: the same claim with linear trained to convergence is judged.
    full, _ = claims_table(
        read_runs(linear_runs["full"]), None, 0.01, 0.05, [LINEAR_EQUALS_LOGISTIC]
    )
    assert not full.iloc[0]["verdict"].startswith(NOT_JUDGED)
    assert full.iloc[0]["samples"] == 3


# scikit-learn warns of lbfgs stopped at its iteration limit; the run records it.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    ("model", "params", "converged", "reason"),
    [
        ("logistic", {"max_iter": 1}, False, r"lbfgs stopped after 1 of at most 1 iterations"),
        ("gbdt", {}, True, r"early stopping: best round \d+, no better"),
        ("gbdt", {"max_rounds": 5}, False, r"best round \d of at most 5 is among the last 50"),
    ],
)
def test_a_model_fitted_outside_the_loop_records_its_librarys_verdict(
    tmp_path, model, params, converged, reason
):
    training = TrainingSettings.from_config(model, {"recipe": "fast", "device": "cpu"}, params)
    metrics = train_cell(weak_cell("E003", 0), training, tmp_path)
    assert metrics["converged"] is converged
    assert re.match(reason, metrics["convergence"])
