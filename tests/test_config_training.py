"""The config rules of models, splits and seeds, cross-cell experiments and interpretation
(chromexpr.config.rules), without Snakemake."""

import pytest

from chromexpr.config.rules.crosscell import check_crosscell
from chromexpr.config.rules.interpret import check_interpret
from chromexpr.config.rules.models import check_model_names
from chromexpr.config.rules.split import check_seeds, check_split
from chromexpr.errors import ConfigError

from .config_helpers import configured, samples_of


@pytest.mark.parametrize(
    ("overlay", "key"),
    [
        ("models: [deepchrom]", "models"),
        ("model_params: {deepchrom: {}}", "model_params"),
        ("crosscell: {models: [deepchrom]}", "crosscell.models"),
        ("interpret: {models: [deepchrom]}", "interpret.models"),
        ("interpret: {gan: {classifier: deepchrom}}", "interpret.gan.classifier"),
        ("predict: {models: [deepchrom]}", "predict.models"),
    ],
)
def test_an_unknown_model_is_named_with_its_key_and_the_known_models(overlay, key):
    with pytest.raises(
        ConfigError, match=rf"'{key}': unknown model 'deepchrom'; known: \[.*'deepchrome'"
    ):
        check_model_names(configured(overlay))


@pytest.mark.parametrize(
    ("overlay", "named"),
    [
        (
            "split: {method: blocks, folds: 2}",
            r"'split.folds': the blocks split needs at least 3 folds",
        ),
        (
            "split: {method: published, folds: 3}",
            r"'split.folds': the published split has one fold, got 3",
        ),
        (
            "split: {method: chromosomes, valid_chromosomes: [chr21]}",
            r"'split.test_chromosomes': the chromosomes split needs at least one",
        ),
        (
            "split: {method: chromosomes, test_chromosomes: [chr1]}",
            r"'split.valid_chromosomes': the chromosomes split needs at least one",
        ),
        (
            "split: {method: chromosomes, folds: 2, test_chromosomes: [chr1], valid_chromosomes: [chr21]}",
            r"'split.folds': the chromosomes split has one fold, got 2",
        ),
        (
            "source: processed\nprocessed_dir: p\n"
            "split: {method: chromosomes, test_chromosomes: [chr1], valid_chromosomes: [chr21]}",
            r"'split.method': chromosomes needs gene positions, which source processed does not give",
        ),
    ],
)
def test_the_split_method_decides_folds_chromosomes_and_source(overlay, named):
    with pytest.raises(ConfigError, match=named):
        check_split(configured(overlay))


def test_five_blocks_folds_are_a_valid_split():
    check_split(configured("split: {method: blocks, folds: 5}"))


def test_a_seed_outside_the_seeds_is_refused():
    with pytest.raises(
        ConfigError, match=r"'training.seed': 1 is not among training.seeds \[2, 3\]"
    ):
        check_seeds(configured("training: {seeds: [2, 3]}"))


def test_several_folds_need_a_seed():
    config = configured("split: {method: blocks, folds: 3}", unset=("training.seed",))
    with pytest.raises(
        ConfigError, match=r"'training.seed': with more than one fold, set training.seed"
    ):
        check_seeds(config)
    check_seeds(configured("split: {method: blocks, folds: 3}"))


@pytest.mark.parametrize(
    ("overlay", "named"),
    [
        ("task: regression", r"'crosscell.enabled': cross-cell experiments transfer classifiers"),
        (
            "models: [deepchrome, simplechrome]\ncrosscell: {enabled: true, models: [simplechrome]}",
            r"'crosscell.models': \['simplechrome'\] read neighbouring genes, .* \(not \['leave_one_out', 'pooled'\]\)",
        ),
        (
            "models: [deepchrome]\ncrosscell: {enabled: true, models: [linear]}",
            r"'crosscell.models': \['linear'\] not among the trained models \['deepchrome'\]",
        ),
    ],
)
def test_crosscell_transfers_trained_classifiers_of_one_gene(overlay, named):
    with pytest.raises(ConfigError, match=named):
        check_crosscell(configured(overlay))


def test_models_that_read_neighbours_may_transfer_pairwise():
    check_crosscell(
        configured(
            "models: [deepchrome, simplechrome]\n"
            "crosscell: {enabled: true, models: [simplechrome], experiments: [pairwise]}"
        )
    )


def test_a_disabled_crosscell_is_not_checked():
    check_crosscell(configured("task: regression\ncrosscell: {enabled: false}"))


@pytest.mark.parametrize(
    ("overlay", "named"),
    [
        (
            "models: [deepchrome]\ninterpret: {models: [linear]}",
            r"'interpret.models': \['linear'\] not among \['deepchrome'\]",
        ),
        (
            "interpret: {cells: [E009]}",
            r"'interpret.cells': \['E009'\] not among \['E003', 'E004', 'E005'\]",
        ),
        (
            "interpret: {controls: {ablate: [H3K4me3, H3K79me2]}}",
            r"'interpret.controls.ablate': \['H3K79me2'\] not among \['H3K27me3'",
        ),
        (
            "models: [deepchrome, simplechrome]\ninterpret: {enabled: true, models: [simplechrome]}",
            r"'interpret.models': \['simplechrome'\] read neighbouring genes",
        ),
        (
            "models: [deepchrome, gbdt]\ninterpret: {enabled: true, models: [gbdt]}",
            r"'interpret.models': \['gbdt'\] have no gradient",
        ),
        (
            "models: [deepchrome, simplechrome]\ninterpret: {methods: [gan], gan: {classifier: simplechrome}}",
            r"'interpret.gan.classifier': simplechrome must be one of the models",
        ),
        (
            "models: [deepchrome]\ninterpret: {methods: [gan], gan: {classifier: linear}}",
            r"'interpret.gan.classifier': linear must be one of the models \['deepchrome'\]",
        ),
    ],
)
def test_interpretation_names_trained_models_of_one_gene_and_configured_cells(overlay, named):
    config = configured(overlay)
    with pytest.raises(ConfigError, match=named):
        check_interpret(config, samples_of(config))


def test_trees_may_be_interpreted_by_attributions():
    config = configured(
        "models: [deepchrome, gbdt]\ninterpret: {models: [gbdt], methods: [attributions]}"
    )
    check_interpret(config, samples_of(config))


def test_a_disabled_interpretation_is_not_checked():
    config = configured("interpret: {enabled: false, models: [cnn]}")
    check_interpret(config, samples_of(config))
