import json

from chromexpr.cli import main

from .test_training import learnable_cell


def small_dataset(path):
    learnable_cell().save(path)


def test_train_command_writes_metrics_and_prints_the_test_auc(tmp_path, capsys):
    small_dataset(tmp_path / "E003.npz")
    code = main(
        ["train", str(tmp_path / "E003.npz"), "--out", str(tmp_path / "m"), "--epochs", "2"]
    )
    assert code == 0
    metrics = json.loads((tmp_path / "m" / "metrics.json").read_text())
    assert metrics["epochs_run"] == 2 and metrics["recipe"] == "fast"
    printed = capsys.readouterr().out
    assert "test AUC" in printed and metrics["convergence"] in printed


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


def test_predict_with_a_missing_bundle_prints_one_error_line_and_no_traceback(tmp_path, capsys):
    small_dataset(tmp_path / "E003.npz")
    missing = tmp_path / "nope.pt"
    code = main(
        ["predict", str(missing), "--dataset", str(tmp_path / "E003.npz"), "--out", "x.tsv"]
    )
    assert code == 1
    error = capsys.readouterr().err
    assert "Traceback" not in error
    assert error.strip().splitlines() == [
        f"chromexpr: error: {missing}: cannot read model checkpoint: [Errno 2] No such file or "
        f"directory: '{missing}'"
    ]
