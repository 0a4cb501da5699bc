"""Controls of the maps and attributions: the models they are drawn from, the rules, and the
single-mark control that the previous optimisation penalty passed (issue #24)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from chromexpr.errors import ConfigError
from chromexpr.interpret.attribution import AttributionSettings
from chromexpr.interpret.controls.checks import (
    ControlSettings,
    MapMethod,
    attribution_method,
    optimisation_method,
    rank_correlations,
    run_controls,
)
from chromexpr.interpret.controls.models import (
    MarksHidden,
    control_models,
    parameter_layers,
    randomised_cascade,
    train_control,
    training_settings,
    with_permuted_labels,
    without_marks,
)
from chromexpr.interpret.controls.outputs import write_controls
from chromexpr.interpret.optimisation import (
    OptimisationSettings,
    class_optimisation_maps,
    write_maps,
)
from chromexpr.interpret.truth import score_against_truth
from chromexpr.models import build_model
from chromexpr.plots.maps import control_title, plot_maps_with_controls
from chromexpr.train import TrainingSettings
from chromexpr.train.checkpoint import Checkpoint

from .test_interpret import MARKS, truth_dataset

LOGISTIC = TrainingSettings.from_config("logistic", {"recipe": "fast", "device": "cpu"})
FEW_STEPS = OptimisationSettings(steps=20, restarts=32)


def bayes_classifier(truth, marks_seen=MARKS):
    """The log-likelihood ratio of Poisson counts around the truth's class profiles: the model
    that holds exactly what the data say, on ``marks_seen`` (the others' weights zero)."""
    weights = np.log(truth[1] / truth[0])
    weights[[mark not in marks_seen for mark in MARKS]] = 0.0
    model = nn.Sequential(nn.Flatten(), nn.Linear(weights.size, 1))
    with torch.no_grad():
        model[1].weight.copy_(torch.as_tensor(weights.reshape(1, -1), dtype=torch.float32))
        model[1].bias.fill_(-float(np.sum(truth[1] - truth[0])))
    return model.eval()


def maps_of(model, dataset, settings=FEW_STEPS):
    train = dataset.mask("train")
    inputs = dataset.counts[train].astype(np.float32)
    return class_optimisation_maps(model, inputs, dataset.labels[train], settings)["maps"]


@pytest.fixture(scope="module")
def truth_cell():
    return truth_dataset(n_genes=300)


def test_a_model_that_reads_only_h3k4me3_fails_h3k4me1_where_one_that_reads_all_marks_passes(
    truth_cell,
):
    """The issue's H3K4me3-only control: a logistic regression on the H3K4me3 bins alone. High
    genes carry more of both marks, and a penalty with the training genes' covariance across
    marks drew H3K4me1's flanks into its map (r 0.93-0.97 on the demo); the map must show only
    what the model reads. The classifier that reads every mark as the data say draws all of
    them."""
    dataset, truth = truth_cell
    alone = train_control(without_marks(dataset, [m for m in MARKS if m != "H3K4me3"]), LOGISTIC)
    only_h3k4me3 = score_against_truth(maps_of(alone.model, dataset), truth, MARKS)
    every_mark = score_against_truth(maps_of(bayes_classifier(truth), dataset), truth, MARKS)
    only, every = only_h3k4me3.set_index("mark"), every_mark.set_index("mark")
    assert only.loc["H3K4me3", "correlation"] >= 0.8 and only.loc["H3K4me3", "sign_agrees"]
    # H3K4me1 criterion: r >= 0.8 with the right sign. Its map does not move at all.
    assert not only.loc["H3K4me1", "correlation"] >= 0.8
    assert not only.loc["H3K4me1", "sign_agrees"]
    assert (every.loc[["H3K4me3", "H3K4me1"], "correlation"] >= 0.95).all(), every
    assert every["sign_agrees"].all(), every[["sign", "truth_sign"]]


def test_a_hidden_mark_never_moves_in_the_map(truth_cell):
    dataset, truth = truth_cell
    hidden = MarksHidden(bayes_classifier(truth), [MARKS.index("H3K4me1")])
    maps = maps_of(hidden, dataset)
    assert np.all(maps[1, MARKS.index("H3K4me1")] == maps[0, MARKS.index("H3K4me1")])
    assert np.abs(maps[1] - maps[0]).max() > 0


@pytest.mark.parametrize("name", ["deepchrome", "attentivechrome"])
def test_the_cascade_reinitialises_layers_from_the_top_and_keeps_the_rest(name):
    """Each level draws one more layer afresh from the top, with the model class's own
    initialisation (AttentiveChrome's context vectors included), the same for the same seed."""
    torch.manual_seed(0)
    model = build_model(name, len(MARKS), 100, n_outputs=2)
    offsets = list(range(-5000, 5000, 100))
    trained = Checkpoint(
        Path(f"{name}.pt"),
        model,
        {
            "model": name,
            "marks": MARKS,
            "bin_offsets": offsets,
            "hyperparameters": {"n_outputs": 2},
        },
    )
    layers = parameter_layers(model)
    cascade = randomised_cascade(trained, seed=3)
    assert [count for count, _ in cascade] == list(range(1, len(layers) + 1))
    for count, randomised in cascade:
        changed = [
            not all(
                torch.equal(before, after)
                for before, after in zip(
                    old.parameters(recurse=False), new.parameters(recurse=False), strict=True
                )
            )
            for old, new in zip(layers, parameter_layers(randomised), strict=True)
        ]
        assert changed == [False] * (len(layers) - count) + [True] * count
    again = randomised_cascade(trained, seed=3)[-1][1]
    assert all(
        torch.equal(first, second)
        for first, second in zip(
            cascade[-1][1].state_dict().values(), again.state_dict().values(), strict=True
        )
    )


def test_permuted_labels_stay_within_the_training_and_the_validation_genes(truth_cell):
    dataset, _ = truth_cell
    permuted = with_permuted_labels(dataset, seed=1)
    for split in ("train", "valid"):
        chosen = dataset.mask(split)
        assert sorted(permuted.labels[chosen]) == sorted(dataset.labels[chosen])
        assert not np.array_equal(permuted.labels[chosen], dataset.labels[chosen])
    assert np.array_equal(
        permuted.labels[dataset.mask("test")], dataset.labels[dataset.mask("test")]
    )
    assert np.array_equal(permuted.counts, dataset.counts)


def test_rank_correlation_of_a_flat_map_is_zero_not_undefined():
    profile = np.arange(10.0)[None]
    assert rank_correlations(profile, np.zeros((1, 10))).tolist() == [0.0]
    assert rank_correlations(profile, -profile).tolist() == pytest.approx([-1.0])


@pytest.fixture(scope="module")
def logistic_controls(truth_cell):
    """A logistic regression trained on the truth cell, its control models (all marks ablated,
    the whole cascade) and both methods' real maps."""
    dataset, truth = truth_cell
    trained = train_control(dataset, LOGISTIC)
    methods = [
        optimisation_method(trained, dataset, FEW_STEPS),
        attribution_method(trained, dataset, AttributionSettings(steps=4)),
    ]
    real = {method.name: method.draw(trained.model) for method in methods}
    models = control_models(trained, dataset, MARKS, seed=1)
    return dataset, truth, methods, real, models


def test_controls_judge_every_method_and_control_with_a_verdict_row_each(logistic_controls):
    dataset, truth, methods, real, models = logistic_controls
    table, profiles = run_controls(methods, real, models, truth, "demo truth", MARKS)
    verdicts = table[table["mark"] == "all"].set_index(["method", "control"])
    assert len(verdicts) == 2 * 4
    for method in ("optimisation", "integrated_gradients"):
        ablation = table[(table["method"] == method) & (table["control"] == "mark_ablation")]
        # A model that never sees a mark gives it nothing in either method: ratio 0.
        assert set(ablation.loc[ablation["mark"] != "all", "mark"]) == set(MARKS)
        assert (ablation.loc[ablation["mark"] != "all", "value"] == 0).all()
        assert verdicts.loc[(method, "mark_ablation"), "passes"]
        single = table[(table["method"] == method) & (table["control"] == "single_mark")]
        assert single["control_model"].iloc[0] == "logistic regression on H3K4me3 alone"
        assert verdicts.loc[(method, "single_mark"), "passes"]
        assert f"{method}/real model" in profiles
    cascade = table[table["control"] == "model_randomisation"]
    # A logistic regression has one layer: the cascade is the fully randomised model, judged.
    assert set(cascade["control_model"]) == {"top 1 of 1 layers re-initialised", "all"}
    assert cascade["passes"].notna().all()


def test_a_map_that_ignores_the_model_fails_the_controls(logistic_controls):
    """The controls' own negative control: a method that draws the training genes' class
    difference whatever the model (what a penalty with the data's covariance tends to) fails
    randomisation, ablation and the single-mark control."""
    dataset, truth, _, real, models = logistic_controls
    train = dataset.mask("train")
    counts, labels = dataset.counts[train].astype(float), dataset.labels[train]
    echo = np.stack([counts[labels == 0].mean(axis=0), counts[labels == 1].mean(axis=0)])
    method = MapMethod("optimisation", lambda model: echo, score_against_truth)
    table, _ = run_controls([method], {"optimisation": echo}, models, truth, "truth", MARKS)
    verdicts = table[table["mark"] == "all"].set_index("control")["passes"]
    assert not verdicts[["model_randomisation", "mark_ablation", "single_mark"]].any(), verdicts


def test_controls_ablate_only_configured_marks():
    assert ControlSettings.from_config({}).marks_to_ablate(MARKS) == MARKS
    chosen = ControlSettings.from_config({"ablate": ["H3K4me3"], "cascade": False})
    assert chosen.marks_to_ablate(MARKS) == ["H3K4me3"] and not chosen.cascade
    with pytest.raises(ConfigError, match="interpret.controls.ablate"):
        ControlSettings.from_config({"ablate": ["H3K79me2"]}).marks_to_ablate(MARKS)


def test_control_models_are_trained_with_the_real_model_recipe(truth_cell):
    dataset, _ = truth_cell
    trained = train_control(dataset, LOGISTIC)
    assert isinstance(trained, Checkpoint)
    settings = training_settings(trained, model="deepchrome")
    assert settings.model == "deepchrome" and settings.recipe == "fast"
    assert settings.device == "cpu" and settings.seed == LOGISTIC.seed


def test_the_maps_figure_shows_each_judged_control_with_its_verdict(logistic_controls, tmp_path):
    dataset, truth, methods, real, models = logistic_controls
    table, profiles = run_controls(methods[:1], real, models, truth, "demo truth", MARKS)
    table.insert(0, "cell", dataset.cell)
    table.insert(0, "model", "logistic")
    write_controls(tmp_path / "controls.tsv", tmp_path / "controls.npz", table, profiles, dataset)
    write_maps(
        tmp_path / "maps.npz", {"maps": real["optimisation"]}, MARKS, dataset.bin_offsets, "raw"
    )
    plot_maps_with_controls(
        tmp_path / "maps.png",
        tmp_path / "maps.npz",
        tmp_path / "controls.npz",
        tmp_path / "controls.tsv",
        "logistic, cell E003: class optimisation maps",
    )
    assert (tmp_path / "maps.png").stat().st_size > 0
    failing = pd.DataFrame({"statistic": ["score_ratio"], "value": [0.4], "passes": [False]})
    assert control_title("trained without H3K4me3", failing) == (
        "trained without H3K4me3\nscore ratio 0.40: FAILS"
    )
