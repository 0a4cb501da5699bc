import json

import numpy as np

from chromexpr.cli import main
from chromexpr.dataset import CellDataset


def small_dataset(path):
    rng = np.random.default_rng(0)
    n = 60
    labels = np.tile([0, 1], n // 2).astype(np.int8)
    counts = rng.poisson(2, size=(n, 5, 100)).astype(np.int32)
    counts[:, 3, 45:55] += 8 * labels[:, None]
    CellDataset(
        cell="E003",
        gene_ids=np.array([f"ENSG{i:011d}" for i in range(n)]),
        symbols=np.full(n, "x"),
        chrom=np.full(n, "chr1"),
        tss=np.arange(n, dtype=np.int64) * 20_000,
        strand=np.full(n, "+"),
        counts=counts,
        labels=labels,
        rpkm=labels.astype(float),
        split=np.repeat(["train", "valid", "test"], n // 3),
        marks=np.array(["H3K27me3", "H3K36me3", "H3K4me1", "H3K4me3", "H3K9me3"]),
        bin_offsets=np.arange(-5000, 5000, 100),
    ).save(path)


def test_train_command_writes_metrics_and_prints_the_test_auc(tmp_path, capsys):
    small_dataset(tmp_path / "E003.npz")
    code = main(
        ["train", str(tmp_path / "E003.npz"), "--out", str(tmp_path / "m"), "--epochs", "2"]
    )
    assert code == 0
    metrics = json.loads((tmp_path / "m" / "metrics.json").read_text())
    assert metrics["epochs_run"] == 2 and metrics["recipe"] == "fast"
    assert "test AUC" in capsys.readouterr().out


def test_unknown_model_is_a_clear_error_not_a_traceback(tmp_path, capsys):
    small_dataset(tmp_path / "E003.npz")
    code = main(
        ["train", str(tmp_path / "E003.npz"), "--out", str(tmp_path / "m"), "--model", "nope"]
    )
    assert code == 1
    assert "unknown model 'nope'" in capsys.readouterr().err


def test_demo_command_writes_a_mirror(tmp_path):
    code = main(["demo", "--out", str(tmp_path), "--cells", "E003", "--n-genes", "20"])
    assert code == 0
    assert (tmp_path / "E003-H3K4me3.tagAlign.gz").exists()
