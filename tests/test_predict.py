"""Expression predicted for samples without RNA-seq, and exported model folders."""

import hashlib
import json
import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyBigWig
import pytest

from chromexpr.cli import main
from chromexpr.crosscell import pairwise_transfer
from chromexpr.errors import DatasetMismatchError, InputFormatError
from chromexpr.predict import (
    predict_expression,
    predict_sample,
    score_predictions,
    unlabelled,
)
from chromexpr.train import load_checkpoint, train_cell
from chromexpr.train.export import (
    export_models,
    exported_checkpoint,
    fetch_exported_bundle,
    read_manifest,
)

from .test_crosscell import quick_settings, synthetic_cells

CHROM_SIZES = {"chr1": 2_000_000, "chr2": 1_000_000}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Datasets of three cells and the DeepChrome bundles of the first two."""
    root = tmp_path_factory.mktemp("predict")
    datasets = synthetic_cells()
    for cell in ("E001", "E002"):
        train_cell(datasets[cell], quick_settings(), root / cell)
    return root, datasets, {cell: root / cell / "model.pt" for cell in ("E001", "E002")}


@pytest.fixture(scope="module")
def checkpoints(models):
    _, _, paths = models
    return [load_checkpoint(path) for path in paths.values()]


def test_held_back_sample_scores_like_pairwise_transfer_of_the_same_models(models, checkpoints):
    _, datasets, paths = models
    table = predict_expression(checkpoints, unlabelled(datasets["E003"]))
    scores = score_predictions(table, datasets["E003"]).set_index("predictor")["auc"]
    pairwise = pairwise_transfer("deepchrome", paths, datasets, "none", "cpu")
    transfer = pairwise[pairwise["test_cell"] == "E003"].set_index("train_set")["auc"]
    for cell in ("E001", "E002"):
        assert scores[f"p_high_{cell}"] == pytest.approx(transfer[cell], abs=1e-12)
    # The ensemble's AUC is of the mean probability, not the mean of the AUCs.
    mean = table[["p_high_E001", "p_high_E002"]].mean(axis=1)
    np.testing.assert_allclose(table["p_high"], mean)
    np.testing.assert_allclose(
        table["p_high_sd"], table[["p_high_E001", "p_high_E002"]].std(axis=1, ddof=0)
    )
    assert 0.5 < scores["p_high"] <= 1


def test_predictions_are_the_same_with_or_without_the_samples_expression(models, checkpoints):
    _, datasets, _ = models
    held_back = predict_expression(checkpoints, unlabelled(datasets["E003"]))
    labelled = predict_expression(checkpoints, datasets["E003"])
    pd.testing.assert_frame_equal(held_back, labelled)
    assert list(held_back.columns[:6]) == ["gene_id", "symbol", "chrom", "tss", "strand", "split"]


def test_a_regression_bundle_where_classification_is_asked_is_an_error(tmp_path, models):
    _, datasets, _ = models
    train_cell(datasets["E001"], replace(quick_settings(epochs=1), task="regression"), tmp_path)
    regression = load_checkpoint(tmp_path / "model.pt")
    with pytest.raises(DatasetMismatchError, match=r"model.pt is a regression model.*classif"):
        predict_expression([regression], datasets["E003"], "classification")
    table = predict_expression([regression], datasets["E003"], "regression")
    assert {"log_expression", "log_expression_sd", "log_expression_E001"} <= set(table.columns)


def test_a_sample_of_another_marks_order_or_bin_size_is_an_error_naming_both(models, checkpoints):
    _, datasets, _ = models
    sample = datasets["E003"]
    reordered = replace(sample, marks=sample.marks[::-1], counts=sample.counts[:, ::-1])
    with pytest.raises(DatasetMismatchError, match=r"E001/model.pt was trained on marks.*E003"):
        predict_expression(checkpoints, reordered)
    coarser = replace(
        sample,
        counts=sample.counts[:, :, ::2] + sample.counts[:, :, 1::2],
        bin_offsets=sample.bin_offsets[::2],
    )
    with pytest.raises(DatasetMismatchError, match=r"bin_offsets \[-5000, -4900.*\[-5000, -4800"):
        predict_expression(checkpoints, coarser)


def test_a_sample_of_the_other_input_kind_is_refused_unless_allowed_then_scored_with_a_warning(
    models, checkpoints, caplog
):
    _, datasets, _ = models
    reads = unlabelled(datasets["E003"])
    signal = replace(reads, counts=reads.counts.astype(np.float32))  # a bigWig-like sample
    with pytest.raises(DatasetMismatchError, match=r"trained on input kind reads.*E003 has signal"):
        predict_expression(checkpoints, signal)
    with caplog.at_level(logging.WARNING, logger="chromexpr"):
        table = predict_expression(checkpoints, signal, allow_other_input_kind=True)
    assert "E003 has signal (counts float32): scored all the same" in caplog.text
    np.testing.assert_allclose(table["p_high"], predict_expression(checkpoints, reads)["p_high"])


def test_a_bundle_of_the_other_bin_orientation_is_an_error(models, checkpoints):
    _, datasets, _ = models
    oriented = replace(
        checkpoints[0], bundle={**checkpoints[0].bundle, "reverse_minus_strand": True}
    )
    with pytest.raises(DatasetMismatchError, match="reverse_minus_strand True.*False"):
        predict_expression([oriented], datasets["E003"], reverse_minus_strand=False)


def test_nan_counts_are_an_error_naming_gene_and_mark_and_write_nothing(
    tmp_path, models, checkpoints
):
    _, datasets, _ = models
    counts = datasets["E003"].counts.astype(np.float32)
    counts[5, 2, 10] = np.nan
    broken = replace(datasets["E003"], counts=counts)
    with pytest.raises(
        InputFormatError, match=r"cell E003: 1 counts are NaN.*ENSG00000000005, mark mark2"
    ):
        predict_sample(checkpoints, broken, tmp_path / "E003.tsv", bed=tmp_path / "E003.bed")
    assert list(tmp_path.iterdir()) == []


def test_tracks_put_the_mean_prediction_at_each_tss(tmp_path, models, checkpoints):
    _, datasets, _ = models
    sample = datasets["E003"]
    table = predict_sample(
        checkpoints,
        sample,
        tmp_path / "E003.tsv",
        bed=tmp_path / "E003.bed",
        bigwig=tmp_path / "E003.bw",
        chrom_sizes=CHROM_SIZES,
    )
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "E003.tsv", sep="\t"), table)
    bed = pd.read_csv(tmp_path / "E003.bed", sep="\t", header=None)
    assert bed.iloc[0, :4].tolist() == ["chr1", 0, 1, sample.gene_ids[0]]
    assert bed[4].min() == 0 and bed[4].max() == 1000
    np.testing.assert_allclose(bed[6], table["p_high"], rtol=1e-5)
    with pyBigWig.open(str(tmp_path / "E003.bw")) as track:
        for row in (0, 17, len(table) - 1):
            tss = int(table["tss"][row])
            assert track.values("chr1", tss, tss + 1)[0] == pytest.approx(table["p_high"][row])
            assert np.isnan(track.values("chr1", tss + 1, tss + 2)[0])


def test_a_chromosome_missing_from_the_chrom_sizes_writes_nothing(tmp_path, models, checkpoints):
    _, datasets, _ = models
    with pytest.raises(InputFormatError, match=r"E003.bw: chromosomes \['chr1'\] are not"):
        predict_sample(
            checkpoints,
            datasets["E003"],
            tmp_path / "E003.tsv",
            bigwig=tmp_path / "E003.bw",
            chrom_sizes={"chr2": 1000},
        )
    assert list(tmp_path.iterdir()) == []


# --- exported folders -------------------------------------------------------------------------


@pytest.fixture
def exported(tmp_path, models):
    _, _, paths = models
    folder = tmp_path / "exported"
    export_models({f"deepchrome-{cell}": path for cell, path in paths.items()}, folder)
    return folder


def test_manifest_names_each_bundle_its_sample_metrics_and_sha256(exported, models):
    _, _, paths = models
    entries = read_manifest(exported)
    assert sorted(entries) == ["deepchrome-E001", "deepchrome-E002"]
    entry = entries["deepchrome-E001"]
    assert entry["file"] == "deepchrome-E001.pt" and entry["samples"] == ["E001"]
    assert (entry["model"], entry["task"], entry["normalisation"]) == (
        "deepchrome",
        "classification",
        "none",
    )
    metrics = json.loads((paths["E001"].parent / "metrics.json").read_text())
    assert entry["metrics"]["test_auc"] == metrics["test_auc"]
    data = (exported / "deepchrome-E001.pt").read_bytes()
    assert data == paths["E001"].read_bytes()
    assert entry["sha256"] == hashlib.sha256(data).hexdigest()


def test_a_tampered_exported_bundle_fails_its_sha256(exported):
    path = exported / "deepchrome-E001.pt"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(InputFormatError, match=r"deepchrome-E001.pt: sha256 \w+ differs"):
        exported_checkpoint(exported, "deepchrome-E001")
    exported_checkpoint(exported, "deepchrome-E002")


def test_a_truncated_bundle_is_refused_with_or_without_its_manifest(exported):
    path = exported / "deepchrome-E001.pt"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(InputFormatError, match="sha256"):
        exported_checkpoint(exported, "deepchrome-E001")
    with pytest.raises(InputFormatError, match="deepchrome-E001.pt: cannot read model checkpoint"):
        load_checkpoint(path)


def test_export_refuses_a_file_that_is_no_bundle_and_writes_nothing(tmp_path):
    (tmp_path / "model.pt").write_text("not a zip")
    with pytest.raises(InputFormatError, match="model.pt: cannot read model checkpoint"):
        export_models({"broken": tmp_path / "model.pt"}, tmp_path / "out")
    assert not (tmp_path / "out").exists()


# --- the command line -------------------------------------------------------------------------


def test_predict_command_reads_an_exported_folder_and_scores_against_held_back_labels(
    tmp_path, exported, models, capsys
):
    _, datasets, _ = models
    datasets["E003"].save(tmp_path / "E003.npz")
    code = main(
        [
            "predict",
            "--exported",
            str(exported),
            "--dataset",
            str(tmp_path / "E003.npz"),
            "--out",
            str(tmp_path / "E003.tsv"),
            "--bed",
            str(tmp_path / "E003.bed"),
            "--score",
            "test",
        ]
    )
    assert code == 0
    output = capsys.readouterr().out
    assert "90 genes of E003 predicted by 2 bundle(s)" in output
    assert "p_high_E001" in output and "p_high_E002" in output
    assert (tmp_path / "E003.bed").exists()


def test_predict_command_with_a_tampered_bundle_fails_cleanly_and_writes_nothing(
    tmp_path, exported, models, capsys
):
    _, datasets, _ = models
    datasets["E003"].save(tmp_path / "E003.npz")
    (exported / "deepchrome-E002.pt").write_bytes(b"PK\x03\x04 truncated")
    args = ["predict", "--exported", str(exported), "--dataset", str(tmp_path / "E003.npz")]
    code = main([*args, "--out", str(tmp_path / "E003.tsv")])
    assert code == 1
    assert "deepchrome-E002.pt: sha256" in capsys.readouterr().err
    assert not (tmp_path / "E003.tsv").exists()


def test_export_command_writes_the_manifest(tmp_path, models, capsys):
    _, _, paths = models
    code = main(["export-models", f"a={paths['E001']}", "--out", str(tmp_path / "out")])
    assert code == 0
    assert list(read_manifest(tmp_path / "out")) == ["a"]
    assert main(["export-models", "no-equals-sign", "--out", str(tmp_path / "x")]) == 1
    assert "NAME=PATH" in capsys.readouterr().err


def test_fetching_an_exported_bundle_checks_its_name_against_what_it_holds(exported, tmp_path):
    manifest = exported / "manifest.json"
    checkpoint = fetch_exported_bundle(
        str(exported), manifest, "deepchrome-E001", tmp_path / "a.pt", "deepchrome", "E001"
    )
    assert checkpoint.path == tmp_path / "a.pt" and (tmp_path / "a.pt").exists()
    with pytest.raises(
        DatasetMismatchError, match=r"holds a classification deepchrome trained on \['E002'\]"
    ):
        fetch_exported_bundle(
            str(exported), manifest, "deepchrome-E002", tmp_path / "b.pt", "deepchrome", "E001"
        )
    assert not (tmp_path / "b.pt").exists()


def test_every_consumer_of_a_trained_model_loads_it_through_the_one_loader():
    repo = Path(__file__).resolve().parents[1]
    sources = [*repo.glob("src/**/*.py"), *repo.glob("workflow/**/*.py")]
    loading = sorted(
        str(path.relative_to(repo)) for path in sources if "torch.load(" in path.read_text()
    )
    # resume.py reads last.pt, an unfinished job's state, never a trained model.
    assert loading == ["src/chromexpr/train/checkpoint.py", "src/chromexpr/train/resume.py"]


def test_predict_command_needs_bundles_and_chrom_sizes_for_a_bigwig(tmp_path, capsys):
    for args in ([], ["model.pt", "--bigwig", "x.bw"]):
        with pytest.raises(SystemExit):
            main(["predict", *args, "--dataset", "x.npz", "--out", str(tmp_path / "x.tsv")])
    assert "--bigwig needs --chrom-sizes" in capsys.readouterr().err


def test_a_tampered_bundle_is_not_fetched_and_the_error_names_its_url(exported, tmp_path):
    bundle = exported / "deepchrome-E001.pt"
    bundle.write_bytes(bundle.read_bytes()[:-1])
    with pytest.raises(InputFormatError, match=r"^file:.*/deepchrome-E001.pt: sha256 \w+ differs"):
        fetch_exported_bundle(
            str(exported),
            exported / "manifest.json",
            "deepchrome-E001",
            tmp_path / "a.pt",
            "deepchrome",
            "E001",
        )
    assert [path.name for path in tmp_path.iterdir()] == ["exported"]
