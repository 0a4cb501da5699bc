"""The config rules of prediction and of pretrained classifiers (chromexpr.config.rules.predict),
without Snakemake."""

import pytest

from chromexpr.config.rules.predict import check_predict, check_pretrained, unused_pretrained
from chromexpr.errors import ConfigError

from .config_helpers import configured, samples_of

PREDICT = "predict: {enabled: true, samples: [E005], models: [deepchrome], source: [E003, E004]}\n"


def predict_config(overlay: str = "") -> dict:
    """The demo predicting E005 (config/predict-demo.yaml), with ``overlay`` on top."""
    return configured(PREDICT, overlay)


@pytest.mark.parametrize(
    ("overlay", "named"),
    [
        (
            "predict: {source: [E009]}",
            r"'predict.source': \['E009'\] not among \['E003', 'E004', 'E005'\]",
        ),
        (
            "predict: {source: pooled}\ncrosscell: {experiments: [pairwise]}",
            r"'predict.source': the cross-cell bundles .*pooled in crosscell.experiments",
        ),
        (
            "predict: {task: regression}",
            r"'predict.task': regression models are not trained \(task: classification\)",
        ),
        (
            "predict: {models: [cnn]}",
            r"'predict.models': \['cnn'\] not among \['deepchrome', 'linear'",
        ),
        ("predict: {samples: []}", r"'predict.samples': name at least one target sample"),
    ],
)
def test_prediction_names_trained_models_and_configured_cells(overlay, named):
    config = predict_config(overlay)
    with pytest.raises(ConfigError, match=named):
        check_predict(config, samples_of(config))


def test_the_ensemble_of_a_lone_cell_leaves_no_model():
    config = configured(
        "cells: [E003]\ncrosscell: {enabled: false}\n"
        "predict: {enabled: true, samples: [E003], source: ensemble}"
    )
    with pytest.raises(
        ConfigError, match=r"'predict.source': the ensemble for \['E003'\] leaves out"
    ):
        check_predict(config, samples_of(config))


def test_normalised_bundles_need_every_crosscell_setting_they_come_from():
    config = predict_config(
        "crosscell: {enabled: false, normalisations: [none]}\n"
        "task: both\npredict: {normalisation: cpm, task: regression}"
    )
    expected = (
        "'predict.normalisation': the cross-cell bundles it names need crosscell.enabled: true; "
        "cpm in crosscell.normalisations; predict.task: classification"
    )
    with pytest.raises(ConfigError, match=expected):
        check_predict(config, samples_of(config))


def test_pooled_bundles_of_the_demo_are_a_valid_source():
    config = predict_config("predict: {source: pooled}\ncrosscell: {experiments: [pooled]}")
    check_predict(config, samples_of(config))


def test_the_demo_prediction_is_valid():
    config = predict_config()
    check_predict(config, samples_of(config))


def test_pretrained_classifiers_replace_training_so_only_what_they_serve_may_run():
    config = configured("pretrained: exported\ntask: both", PREDICT, "predict: {source: pooled}")
    expected = (
        "'pretrained': the exported per-cell classifiers replace training, so the config needs "
        "task: classification; crosscell experiments [pairwise] and normalisations [none]; "
        "interpret.enabled: false; predict.source of cells or ensemble, predict.normalisation none"
    )
    with pytest.raises(ConfigError, match=expected.replace("[", r"\[").replace("]", r"\]")):
        check_pretrained(config)


def test_pretrained_classifiers_serve_pairwise_transfer_and_predictions():
    check_pretrained(
        configured(
            "pretrained: exported\ninterpret: {enabled: false}\n"
            "crosscell: {experiments: [pairwise], normalisations: [none]}",
            PREDICT,
        )
    )


@pytest.mark.parametrize(
    ("overlay", "warned"),
    [
        ("pretrained: exported\ncrosscell: {enabled: false}", True),
        ("pretrained: exported\ncrosscell: {enabled: true}", False),
        ("pretrained: exported\ncrosscell: {enabled: false}\n" + PREDICT, False),
        ("crosscell: {enabled: false}", False),
    ],
)
def test_pretrained_set_while_nothing_uses_it_gives_a_warning(overlay, warned):
    notes = unused_pretrained(configured("interpret: {enabled: false}", overlay))
    assert bool(notes) == warned
    if warned:
        assert notes[0].startswith("config key 'pretrained' (exported) is set, but neither")
