"""Expression predicted for samples without RNA-seq, and exported model folders."""

import hashlib
import json
import logging
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyBigWig
import pytest

from chromexpr.cli import main
from chromexpr.crosscell import pairwise_transfer
from chromexpr.errors import DatasetMismatchError, InputFormatError, LeakageError
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
from chromexpr.train.input_statistics import out_of_range

from .test_crosscell import quick_settings, synthetic_cell, synthetic_cells

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
    scores = score_predictions(table, datasets["E003"], checkpoints).set_index("predictor")["auc"]
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


def bigwig_mark(dataset, mark_index):
    """``dataset`` with one mark as a bigWig's mean signal: float counts, that mark ``signal``."""
    kinds = dataset.mark_kinds.copy()
    kinds[mark_index] = "signal"
    return replace(dataset, counts=dataset.counts.astype(np.float32), mark_kinds=kinds)


def test_a_signal_mark_is_refused_naming_it_unless_allowed_then_scored_with_one_warning(
    models, checkpoints, caplog
):
    _, datasets, _ = models
    reads = unlabelled(datasets["E003"])
    signal = bigwig_mark(reads, 3)
    with pytest.raises(
        DatasetMismatchError, match=r"E001/model.pt .*E003: mark3 \(reads in training, signal in"
    ):
        predict_expression(checkpoints, signal)
    with caplog.at_level(logging.WARNING, logger="chromexpr"):
        table = predict_expression(checkpoints, signal, allow_other_input_kind=True)
    warnings = [line for line in caplog.messages if "scored all the same" in line]
    assert len(warnings) == 2  # once per bundle, not again when its inputs are built
    assert "mark3 (reads in training, signal in E003)" in warnings[0]
    np.testing.assert_allclose(table["p_high"], predict_expression(checkpoints, reads)["p_high"])


def test_the_table_counts_the_bundles_that_trained_or_validated_on_each_gene(
    models, checkpoints, caplog
):
    _, datasets, _ = models
    with caplog.at_level(logging.INFO, logger="chromexpr"):
        table = predict_expression(checkpoints, unlabelled(datasets["E003"]))
    expected = np.where(datasets["E003"].split == "test", 0, 2)
    np.testing.assert_array_equal(table["seen_in_training"], expected)
    assert "bundle E001 trained or validated on 60 of the 90 genes of E003" in caplog.text


def test_a_sample_on_another_scale_is_flagged_and_one_on_the_training_scale_is_not(models, caplog):
    """A fourfold-scaled sample lies outside the training range of E001's bundle; the same
    sample unscaled (another draw at E001's depth) is the negative control."""
    _, _, paths = models
    bundle = [load_checkpoint(paths["E001"])]
    sample = unlabelled(synthetic_cell("E004", seed=7, depth=1.0))
    with caplog.at_level(logging.WARNING, logger="chromexpr"):
        in_range = predict_expression(bundle, sample)
    assert (in_range["out_of_range_marks"] == "none").all()
    assert "training range" not in caplog.text
    scaled = replace(sample, counts=sample.counts * 4)
    with caplog.at_level(logging.WARNING, logger="chromexpr"):
        flagged = predict_expression(bundle, scaled)
    marks = ",".join(sample.marks)
    assert (flagged["out_of_range_marks"] == marks).all()
    assert re.search(
        r"E004's mark0 lies outside the training range of bundle E001: mean per bin 4\.\d+ is "
        r"3\.\d+x the training's 1\.\d+; median per-gene total 40\d is outside the training's "
        r"1st-99th percentiles",
        caplog.text,
    )


def test_the_range_rule_bounds_the_mean_by_a_factor_2_and_the_median_by_the_percentiles():
    training = {
        "a": {"bin_mean": 1.0, "gene_total_percentiles": [10.0, 100.0, 300.0]},
        "zero": {"bin_mean": 0.0, "gene_total_percentiles": [0.0, 0.0, 0.0]},
    }

    def sample(mean, median, zero_mean=0.0):
        return {
            "a": {"bin_mean": mean, "gene_total_percentiles": [0.0, median, 0.0]},
            "zero": {"bin_mean": zero_mean, "gene_total_percentiles": [0.0, 0.0, 0.0]},
        }

    assert out_of_range(training, sample(2.0, 10.0)) == {}  # both bounds are inside
    assert out_of_range(training, sample(0.5, 300.0)) == {}
    assert list(out_of_range(training, sample(2.01, 100.0))) == ["a"]
    assert list(out_of_range(training, sample(0.49, 100.0))) == ["a"]
    assert "median per-gene total 301" in out_of_range(training, sample(1.0, 301.0))["a"]
    assert out_of_range(training, sample(1.0, 100.0, zero_mean=0.1)) == {
        "zero": "mean per bin 0.1, where the training's was 0"
    }


@pytest.fixture(scope="module")
def other_split_bundle(models, tmp_path_factory):
    """E001's DeepChrome trained on another split of the same genes: the split rolled by 10
    genes, so 10 of the 30 test genes of the shared split are among its validation genes."""
    _, datasets, _ = models
    rolled = replace(datasets["E001"], split=np.roll(datasets["E001"].split, 10))
    folder = tmp_path_factory.mktemp("other-split") / "E001"
    train_cell(rolled, quick_settings(), folder)
    return folder / "model.pt"


def test_scoring_a_bundle_on_test_genes_it_trained_on_is_refused_naming_it_and_the_count(
    models, checkpoints, other_split_bundle
):
    _, datasets, _ = models
    other = load_checkpoint(other_split_bundle)
    table = predict_expression([other], unlabelled(datasets["E003"]))
    assert (table["seen_in_training"] == 1).sum() == 60
    message = (
        rf"{re.escape(str(other_split_bundle))} \(deepchrome trained on E001\) was trained or "
        r"validated on 10 of the 30 genes it would score as held out"
    )
    with pytest.raises(LeakageError, match=message):
        score_predictions(table, datasets["E003"], [other])
    # on the training genes the figures are in-sample by nature: scored, not refused
    assert len(score_predictions(table, datasets["E003"], [other], "train")) == 2
    with pytest.raises(LeakageError, match=message):
        pairwise_transfer("deepchrome", {"E001": other_split_bundle}, datasets, "none", "cpu")


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


def test_predict_command_refuses_a_signal_mark_unless_allowed(tmp_path, models, capsys):
    _, datasets, paths = models
    bigwig_mark(datasets["E003"], 0).save(tmp_path / "E003.npz")
    args = ["predict", str(paths["E001"]), "--dataset", str(tmp_path / "E003.npz")]
    assert main([*args, "--out", str(tmp_path / "E003.tsv")]) == 1
    assert "mark0 (reads in training, signal in E003)" in capsys.readouterr().err
    assert not (tmp_path / "E003.tsv").exists()
    code = main([*args, "--out", str(tmp_path / "E003.tsv"), "--allow-other-input-kind"])
    assert code == 0
    assert "60 of them seen in training by a bundle" in capsys.readouterr().out
    assert (tmp_path / "E003.tsv").exists()


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
