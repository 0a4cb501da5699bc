"""The differential task's config: its pairs, models and window, checked before anything runs."""

import pytest

from chromexpr.config import check_config, derived, targets
from chromexpr.config.runs import claims_differential, differential_dataset
from chromexpr.errors import ConfigError

from .config_helpers import DEMO_CHROM_SIZES, REPO, configured, overlay_sources, samples_of

DIFFERENTIAL_DEMO = (REPO / "config/differential.yaml").read_text()


def checked(overlay: str) -> dict:
    config = configured(overlay)
    check_config(config, samples_of(config), overlay_sources(overlay), DEMO_CHROM_SIZES)
    return config


def test_the_differential_demo_passes_and_asks_for_the_truth():
    config = configured(DIFFERENTIAL_DEMO)
    check_config(config, samples_of(config), {}, DEMO_CHROM_SIZES)
    wanted = targets.all_targets(config, samples_of(config))
    assert "results/tables/differential_truth.tsv" in wanted
    assert "results/figures/differential/E003-E005.png" in wanted
    assert "results/differential/E003/E004/deepdiff/predictions.bw" in wanted
    assert "results/figures/differential/attention/E003-E004-deepdiff.png" in wanted
    assert "results/figures/differential/attention/E003-E004-mark_gbdt.png" not in wanted
    assert claims_differential(config) == ["results/tables/differential.tsv"]


def test_all_pairs_are_every_two_cells_in_config_order():
    config = checked("differential: {enabled: true, models: [deepdiff]}")
    pairs = derived.differential_pairs(config, ["E003", "E004", "E005"])
    assert pairs == [("E003", "E004"), ("E003", "E005"), ("E004", "E005")]


def test_deepdiffs_window_is_counted_apart_and_the_task_window_is_not():
    config = checked("differential: {enabled: true, models: [deepdiff]}")
    bins = derived.differential_bin_settings(config)
    assert (bins["window"], bins["bin_size"]) == (10_000, 100)
    assert derived.differential_window_differs(config)
    assert differential_dataset(config, "E003") == "results/differential/window/datasets/E003.npz"
    config = checked("differential: {enabled: true, models: [deepdiff], window: task}")
    assert differential_dataset(config, "E003") == "results/datasets/E003.npz"


def test_differential_training_layers_its_overrides_over_training_with_the_primary_seed():
    config = checked(
        "training: {seeds: [4, 5], seed: 4, epochs: 7}\n"
        "differential: {enabled: true, models: [deepdiff], training: {epochs: 2}}"
    )
    training = derived.differential_training(config)
    assert (training["seed"], training["epochs"], training["recipe"]) == (4, 2, "fast")
    assert "seeds" not in training


@pytest.mark.parametrize(
    ("overlay", "key", "message"),
    [
        ("pairs: [[E003, E009]]", "differential.pairs", r"pair 1 .*\['E009'\] not among the cells"),
        ("pairs: [[E003, E003]]", "differential.pairs", "with itself"),
        ("pairs: [[E003, E004], [E004, E003]]", "differential.pairs", "pair 2 .* listed twice"),
        ("models: [deepdiff, stacked_simplechrome]", "differential.models", "unknown"),
        ("single_cell_model: cnn", "differential.single_cell_model", "not among the trained"),
        ("model_params: {stacked_cnn: {dropout: 0.1}}", "differential.model_params", "stacked_cnn"),
    ],
)
def test_a_bad_differential_config_names_its_key_and_file(overlay, key, message):
    with pytest.raises(ConfigError, match=rf"'{key}': .*{message}.*bad.yaml"):
        checked(f"differential: {{enabled: true, {overlay}}}")


def test_a_typo_in_differential_training_is_refused_by_the_schema():
    with pytest.raises(Exception, match="epoch"):
        configured("differential: {enabled: true, training: {epoch: 3}}")


def test_the_processed_layout_has_no_reads_for_deepdiffs_window():
    overlay = (
        "source: processed\nprocessed_dir: data\ndifferential: {enabled: true, models: [deepdiff]}"
    )
    config = configured(overlay)
    with pytest.raises(ConfigError, match="differential.window.*set differential.window to task"):
        check_config(config, samples_of(config), overlay_sources(overlay), DEMO_CHROM_SIZES)
