"""The files a config asks for and the settings derived from it (chromexpr.config.targets,
.runs, .derived), without Snakemake."""

import pytest

from chromexpr.config import derived, runs, targets

from .config_helpers import configured, samples_of

CELLS = ["E003", "E004", "E005"]


def test_the_demo_asks_for_datasets_exports_tables_reports_interpretation_in_that_order():
    config = configured()
    wanted = targets.all_targets(config, samples_of(config))
    assert wanted[:3] == [f"results/datasets/{cell}.npz" for cell in CELLS]
    assert wanted[3:6] == [
        f"results/processed/E003/classification/{split}.csv" for split in ("train", "valid", "test")
    ]
    assert "results/tables/claims.tsv" in wanted and "results/tables/regression.tsv" not in wanted
    assert "results/interpret/optimisation/deepchrome/E003-truth.tsv" in wanted
    assert len(wanted) == len(set(wanted))


def test_pretrained_classifiers_ask_for_datasets_transfer_and_predictions_only():
    config = configured(
        "pretrained: exported\ninterpret: {enabled: false}\n"
        "crosscell: {experiments: [pairwise], normalisations: [none]}"
    )
    assert targets.all_targets(config, samples_of(config)) == [
        *(f"results/datasets/{cell}.npz" for cell in CELLS),
        "results/tables/crosscell.tsv",
        "results/figures/crosscell/deepchrome-none.png",
    ]
    assert runs.crosscell_bundles(config, CELLS, "deepchrome", "none")[0] == (
        "resources/pretrained/deepchrome-E003.pt"
    )


def test_both_tasks_ask_for_both_tables_and_figures():
    assert targets.task_targets(configured("task: both")) == [
        "results/figures/models-classification.png",
        "results/figures/models-regression.png",
        "results/tables/auc.tsv",
        "results/figures/auc.png",
        "results/tables/claims.tsv",
        "results/tables/regression.tsv",
    ]


def test_regression_alone_has_no_classifier_reports():
    assert "results/report/claims.html" not in targets.report_targets(
        configured("task: regression")
    )


def test_interpretation_draws_truth_only_on_the_demo_and_tracks_only_from_raw_data():
    config = configured("interpret: {cells: [E004], methods: [optimisation, tracks]}")
    assert targets.interpret_targets(config, CELLS) == [
        "results/figures/interpret/optimisation/deepchrome-E004.png",
        "results/interpret/optimisation/deepchrome/E004-truth.tsv",
        "results/report/interpretation_controls.html",
        *(f"results/tracks/E004/{mark}.bw" for mark in config["marks"]),
    ]
    without_demo = configured(
        "demo: {enabled: false}\ninterpret: {cells: [E004], methods: [optimisation]}"
    )
    assert targets.interpret_targets(without_demo, CELLS) == [
        "results/figures/interpret/optimisation/deepchrome-E004.png",
        "results/report/interpretation_controls.html",
    ]


def test_controls_run_with_the_maps_and_attributions_they_control():
    both = configured("interpret: {cells: [E004]}")
    assert targets.control_inputs(both) == {
        "optimisation": "results/interpret/optimisation/{model}/{cell}.npz",
        "attributions": "results/interpret/attributions/{model}/{cell}/integrated_gradients.npz",
    }
    assert targets.control_tables(both, CELLS) == ["results/interpret/controls/deepchrome/E004.tsv"]
    neither = configured("interpret: {methods: [gan, profiles]}")
    assert targets.control_inputs(neither) == {} and targets.control_tables(neither, CELLS) == []


def test_attention_maps_are_drawn_for_the_models_with_attention():
    config = configured(
        "models: [deepchrome, attentivechrome]\ninterpret: {cells: [E003], methods: [attention]}"
    )
    assert targets.interpret_targets(config, CELLS) == [
        "results/figures/interpret/attention/attentivechrome-E003.png"
    ]


def test_a_target_that_is_a_cell_is_scored_against_its_labels():
    config = configured(
        "predict: {enabled: true, samples: [E005, E006], models: [deepchrome], source: [E003]}"
    )
    wanted = targets.predict_targets(config, samples_of(config))
    assert wanted[:3] == [
        f"results/predictions/deepchrome/E005.{kind}" for kind in ("tsv", "bed", "bw")
    ]
    assert wanted[-1] == "results/predictions/deepchrome/E005-scores.tsv"
    assert len(wanted) == 7


@pytest.mark.parametrize(
    ("overlay", "bundles"),
    [
        ("source: [E003]", ["results/models/deepchrome/E003/model.pt"]),
        (
            "source: ensemble",
            ["results/models/deepchrome/E003/model.pt", "results/models/deepchrome/E004/model.pt"],
        ),
        ("source: pooled", ["results/crosscell/deepchrome/none/pooled/model.pt"]),
        (
            "source: [E003], normalisation: cpm",
            ["results/crosscell/models/cpm/deepchrome/E003/model.pt"],
        ),
        ("source: [E003], task: regression", ["results/regression/deepchrome/E003/model.pt"]),
    ],
)
def test_the_prediction_source_decides_the_bundles(overlay, bundles):
    config = configured(f"predict: {{enabled: true, samples: [E005], {overlay}}}")
    assert runs.prediction_bundles(config, CELLS, "deepchrome", "E005") == bundles


def test_extra_folds_and_seeds_have_their_own_runs_after_the_primary_ones():
    config = configured(
        "models: [deepchrome]\nsplit: {method: blocks, folds: 3}\ntraining: {seeds: [1, 2]}"
    )
    assert derived.extra_runs(config) == [(0, 2), (1, 1), (1, 2), (2, 1), (2, 2)]
    metrics = runs.run_metrics(config, ["E003"], "classification")
    assert metrics[0] == "results/models/deepchrome/E003/metrics.json"
    assert metrics[1] == "results/models/deepchrome/E003/fold-0/seed-2/metrics.json"
    assert runs.split_tables(config) == [
        "results/splits/split.tsv",
        "results/splits/fold-1.tsv",
        "results/splits/fold-2.tsv",
    ]


@pytest.mark.parametrize(
    ("training", "together", "gpus"),
    [
        ("{recipe: published, device: auto}", False, 1),
        ("{recipe: published, device: cuda}", True, 1),
        ("{recipe: published, device: cpu}", False, 0),
        ("{recipe: fast, device: cuda, side_by_side: true}", True, 1),
    ],
)
def test_side_by_side_and_gpu_requests_follow_the_config_not_the_machine(training, together, gpus):
    config = configured(f"training: {training}")
    assert derived.side_by_side(config) == together
    assert derived.training_gpus(config) == gpus


def test_gpus_per_training_job_overrides_the_device_default():
    config = configured("resources: {gpus_per_training_job: 2}\ntraining: {device: cpu}")
    assert derived.training_gpus(config) == 2


def test_models_that_read_neighbours_or_fit_without_gradients_never_train_side_by_side():
    config = configured(
        "models: [deepchrome, simplechrome, gbdt]\ntraining: {recipe: published, device: cuda}"
    )
    assert derived.side_by_side_models(config) == ["deepchrome"]
    assert derived.side_by_side_groups(
        configured("training: {side_by_side_group_size: 2}"), CELLS
    ) == [["E003", "E004"], ["E005"]]


def test_contig_filter_reports_exist_only_for_bams_built_from_downloaded_reads():
    assert targets.read_filter_reports(configured("bam: true"), ["E003"])[0] == (
        "results/qc/reads/E003-H3K27me3.json"
    )
    assert (
        targets.read_filter_reports(configured("bam: false\ncounting: {engine: fast}"), ["E003"])
        == []
    )
