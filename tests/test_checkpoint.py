"""The model bundle: everything needed to rebuild and apply a model, loaded one way."""

from dataclasses import replace

import numpy as np
import pytest
import torch

import chromexpr
from chromexpr.errors import DatasetMismatchError, InputFormatError, LeakageError
from chromexpr.models import build_model
from chromexpr.train import load_checkpoint, train_cell
from chromexpr.train.checkpoint import FORMAT_VERSION
from chromexpr.train.inputs import transform_inputs

from .test_training import learnable_cell, quick_settings


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bundle")
    dataset = learnable_cell()
    settings = replace(
        quick_settings(epochs=2, input_transform="log1p"), model_params={"dropout": 0.2}
    )
    metrics = train_cell(
        dataset,
        settings,
        folder,
        provenance={
            "split": {"train": 2, "valid": 1, "test": 1},
            "reverse_minus_strand": True,
            "window_convention": "mirrored",
        },
    )
    return folder / "model.pt", dataset, metrics


def test_bundle_describes_the_model_its_inputs_and_its_training(trained):
    path, dataset, metrics = trained
    bundle = torch.load(path, weights_only=True)
    assert (bundle["format"], bundle["format_version"]) == ("chromexpr-model", 3)
    assert bundle["model"] == "deepchrome" and bundle["hyperparameters"] == {"dropout": 0.2}
    assert (bundle["task"], bundle["n_outputs"]) == ("classification", 2)
    assert bundle["expression_unit"] == dataset.expression_unit == "tpm"
    assert bundle["marks"] == dataset.marks.tolist()
    assert bundle["bin_offsets"] == dataset.bin_offsets.tolist() and bundle["bin_size"] == 100
    assert bundle["reverse_minus_strand"] is True and bundle["window_convention"] == "mirrored"
    statistics = bundle["input"].pop("statistics")
    assert bundle["input"] == {
        "transform": "log1p",
        "normalisation": "none",
        "kind": "reads",
        "mark_kinds": ["reads"] * 5,
    }
    train = dataset.features("train")
    assert list(statistics) == dataset.marks.tolist()
    assert statistics["mark0"]["bin_mean"] == pytest.approx(train[:, 0].mean())
    totals = train[:, 0].sum(axis=1)
    assert statistics["mark0"]["gene_total_percentiles"] == pytest.approx(
        np.percentile(totals, [1, 50, 99]).tolist()
    )
    training = bundle["training"]
    assert training.pop("genes") == {
        split: sorted(dataset.gene_ids[dataset.mask(split)]) for split in ("train", "valid")
    }
    assert training["samples"] == ["E999"] and training["split"] == {
        "train": 2,
        "valid": 1,
        "test": 1,
    }
    assert (training["selection_metric"], training["best_epoch"]) == (
        "valid_auc",
        metrics["best_epoch"],
    )
    assert training["settings"] == metrics["settings"]
    assert bundle["metrics"] == {
        key: metrics[key] for key in ("train_auc", "valid_auc", "test_auc")
    }
    assert bundle["versions"] == {"chromexpr": chromexpr.__version__, "torch": torch.__version__}


def test_loaded_bundle_reproduces_the_written_predictions_without_the_config(trained):
    path, dataset, _ = trained
    checkpoint = load_checkpoint(path)
    assert not checkpoint.model.training
    written = np.loadtxt(path.parent / "predictions.tsv", skiprows=1, usecols=2)
    np.testing.assert_allclose(
        checkpoint.scores(checkpoint.inputs(dataset, "test")), written, rtol=1e-6
    )
    # The same as rebuilding by hand from the bundle's description.
    model = build_model("deepchrome", 5, 100, dropout=0.2).eval()
    model.load_state_dict(torch.load(path, weights_only=True)["state_dict"])
    counts = transform_inputs(dataset.features("test")[:3], "log1p")
    expected = torch.softmax(model(torch.as_tensor(counts)), dim=1)
    torch.testing.assert_close(checkpoint.class_probabilities(torch.as_tensor(counts)), expected)


def test_a_bare_state_dict_is_refused_with_how_to_retrain(tmp_path):
    torch.save(build_model("deepchrome", 5, 100).state_dict(), tmp_path / "model.pt")
    with pytest.raises(InputFormatError, match=r"model.pt: a bare state dict.*Retrain"):
        load_checkpoint(tmp_path / "model.pt")


def test_a_file_that_is_no_checkpoint_names_the_file(tmp_path):
    (tmp_path / "model.pt").write_text("not a checkpoint")
    with pytest.raises(InputFormatError, match="model.pt: cannot read model checkpoint"):
        load_checkpoint(tmp_path / "model.pt")


def test_a_dataset_with_other_marks_or_bins_is_an_error_naming_both(trained):
    path, dataset, _ = trained
    checkpoint = load_checkpoint(path)
    renamed = replace(dataset, marks=np.array(["a", "b", "c", "d", "e"]))
    with pytest.raises(
        DatasetMismatchError, match=r"model.pt was trained on marks.*E999 has \['a'"
    ):
        checkpoint.inputs(renamed)
    fewer_bins = replace(
        dataset, counts=dataset.counts[:, :, :50], bin_offsets=dataset.bin_offsets[:50]
    )
    with pytest.raises(DatasetMismatchError, match="bin_offsets"):
        checkpoint.inputs(fewer_bins)


def test_regression_bundles_rebuild_their_single_output(tmp_path):
    settings = replace(quick_settings(epochs=1), task="regression")
    train_cell(learnable_cell(), settings, tmp_path)
    checkpoint = load_checkpoint(tmp_path / "model.pt")
    assert checkpoint.bundle["hyperparameters"] == {"n_outputs": 1}
    assert checkpoint.bundle["training"]["selection_metric"] == "valid_pearson"
    scores = checkpoint.scores(checkpoint.inputs(learnable_cell(), "test"))
    written = np.loadtxt(tmp_path / "predictions.tsv", skiprows=1, usecols=2)
    np.testing.assert_allclose(scores, written, rtol=1e-6)


def format_1_bundle(path, folder):
    """The bundle of ``path`` as chromexpr wrote it before format 2: no expression unit, no input
    kind."""
    bundle = torch.load(format_2_bundle(path, folder), weights_only=True)
    del bundle["expression_unit"], bundle["input"]["kind"]
    bundle["format_version"] = 1
    torch.save(bundle, folder / "model.pt")
    return folder / "model.pt"


def test_a_format_1_bundle_is_read_its_unit_unknown_and_its_input_kind_unchecked(trained, tmp_path):
    path, dataset, _ = trained
    old = load_checkpoint(format_1_bundle(path, tmp_path))
    assert (old.expression_unit, old.input_kind) == ("unknown", None)
    signal = replace(dataset, counts=dataset.counts.astype(np.float32), mark_kinds=None)
    assert signal.input_kind == "signal"
    old.check_compatible(signal)
    np.testing.assert_array_equal(
        old.scores(old.inputs(dataset, "test")),
        load_checkpoint(path).scores(load_checkpoint(path).inputs(dataset, "test")),
    )


def format_2_bundle(path, folder):
    """The bundle of ``path`` as chromexpr wrote it before format 3: no mark kinds, input
    statistics or training genes."""
    bundle = torch.load(path, weights_only=True)
    del bundle["input"]["mark_kinds"], bundle["input"]["statistics"], bundle["training"]["genes"]
    bundle["format_version"] = 2
    torch.save(bundle, folder / "model.pt")
    return folder / "model.pt"


def test_a_format_2_bundle_is_read_its_genes_and_range_unchecked(trained, tmp_path, caplog):
    path, dataset, _ = trained
    old = load_checkpoint(format_2_bundle(path, tmp_path))
    assert old.mark_kinds == ["reads"] * 5  # a bundle of reads read every mark as reads
    assert old.seen_in_training(dataset.gene_ids) is None and old.out_of_range({}) is None
    old.check_compatible(dataset, held_out=dataset.gene_ids)
    assert "does not record the genes it was trained on (a bundle of format 2)" in caplog.text
    np.testing.assert_array_equal(
        old.scores(old.inputs(dataset, "test")),
        load_checkpoint(path).scores(load_checkpoint(path).inputs(dataset, "test")),
    )


def test_a_bundle_of_a_newer_format_asks_to_update_chromexpr(trained, tmp_path):
    path, _, _ = trained
    bundle = torch.load(path, weights_only=True)
    newer = FORMAT_VERSION + 1
    torch.save({**bundle, "format_version": newer}, tmp_path / "model.pt")
    with pytest.raises(InputFormatError, match=f"format {newer} is newer.*update chromexpr"):
        load_checkpoint(tmp_path / "model.pt")


# --- Checkpoint.check_compatible: one test per rule ------------------------------------------


def test_compatible_bundle_and_dataset_pass_every_rule(trained):
    path, dataset, _ = trained
    load_checkpoint(path).check_compatible(
        dataset,
        task="classification",
        reverse_minus_strand=True,
        normalisation="none",
        input_transform="log1p",
        split={"train": 2, "valid": 1, "test": 1},
    )


def test_compatibility_other_marks_are_a_mismatch(trained):
    path, dataset, _ = trained
    renamed = replace(dataset, marks=np.array(["a", "b", "c", "d", "e"]))
    with pytest.raises(DatasetMismatchError, match=r"trained on marks.*E999 has \['a'"):
        load_checkpoint(path).check_compatible(renamed)


def test_compatibility_other_bins_are_a_mismatch(trained):
    path, dataset, _ = trained
    fewer_bins = replace(
        dataset, counts=dataset.counts[:, :, :50], bin_offsets=dataset.bin_offsets[:50]
    )
    with pytest.raises(DatasetMismatchError, match="trained on bin_offsets"):
        load_checkpoint(path).check_compatible(fewer_bins)


def test_compatibility_a_signal_mark_for_a_bundle_trained_on_reads_is_a_mismatch_naming_it(
    trained,
):
    path, dataset, _ = trained
    kinds = np.array(["reads", "reads", "signal", "reads", "reads"])
    signal = replace(dataset, counts=dataset.counts.astype(np.float32), mark_kinds=kinds)
    with pytest.raises(
        DatasetMismatchError,
        match=r"model.pt was trained on inputs of another kind than dataset of cell E999: "
        r"mark2 \(reads in training, signal in E999\); train on inputs of the kind",
    ):
        load_checkpoint(path).check_compatible(signal)


def test_compatibility_genes_it_trained_or_validated_on_scored_as_held_out_are_leakage(trained):
    path, dataset, _ = trained
    checkpoint = load_checkpoint(path)
    checkpoint.check_compatible(held_out=dataset.gene_ids[dataset.mask("test")])
    scored = dataset.gene_ids[dataset.split != "train"]  # 15 validation and 15 test genes
    with pytest.raises(
        LeakageError,
        match=r"model.pt \(deepchrome trained on E999\) was trained or validated on 15 of the "
        r"30 genes it would score as held out \(first: ENSG00000000030\)",
    ):
        checkpoint.check_compatible(held_out=scored)


def test_compatibility_another_task_is_a_mismatch_naming_the_score(trained):
    path, _, _ = trained
    with pytest.raises(
        DatasetMismatchError,
        match=r"model.pt is a classification model, but regression was asked for "
        r"\(log_expression\); use a regression bundle",
    ):
        load_checkpoint(path).check_compatible(task="regression")


def test_compatibility_the_other_bin_orientation_is_a_mismatch(trained):
    path, _, _ = trained
    with pytest.raises(DatasetMismatchError, match="reverse_minus_strand True.*False"):
        load_checkpoint(path).check_compatible(reverse_minus_strand=False)


def test_compatibility_an_unrecorded_orientation_is_taken_at_its_word(trained):
    path, _, _ = trained
    checkpoint = load_checkpoint(path)
    unrecorded = replace(checkpoint, bundle={**checkpoint.bundle, "reverse_minus_strand": None})
    unrecorded.check_compatible(reverse_minus_strand=False)


def test_compatibility_another_split_is_a_mismatch(trained):
    path, _, _ = trained
    checkpoint = load_checkpoint(path)
    checkpoint.check_compatible(split={"train": 2, "valid": 1, "test": 1})
    with pytest.raises(
        DatasetMismatchError,
        match=r"model.pt was trained on genes split by \{'train': 2, .*test genes may be genes",
    ):
        checkpoint.check_compatible(split={"train": 1, "valid": 1, "test": 1})


def test_compatibility_an_unrecorded_split_is_unchecked(trained):
    path, _, _ = trained
    checkpoint = load_checkpoint(path)
    training = {**checkpoint.bundle["training"], "split": None}
    unrecorded = replace(checkpoint, bundle={**checkpoint.bundle, "training": training})
    unrecorded.check_compatible(split={"train": 1, "valid": 1, "test": 1})


def test_compatibility_another_normalisation_is_a_mismatch(trained):
    path, _, _ = trained
    with pytest.raises(
        DatasetMismatchError, match="model.pt was trained on counts normalised by none, not cpm"
    ):
        load_checkpoint(path).check_compatible(normalisation="cpm")


def test_compatibility_another_input_transform_is_a_mismatch(trained):
    path, _, _ = trained
    with pytest.raises(
        DatasetMismatchError,
        match="model.pt reads input transform log1p, not raw: .*read different input transforms",
    ):
        load_checkpoint(path).check_compatible(input_transform="raw")
