"""The side-by-side switch: one job trains both cells; its per-cell files match one-cell runs."""

import json

import pandas as pd
import pytest
import torch

from chromexpr.dataset import CellDataset
from chromexpr.train import TrainingSettings, train_cell

from .workflow_helpers import PREDICT_CONFIGS, copy_run, run_workflow

pytestmark = [pytest.mark.workflow, pytest.mark.bedtools]

CELLS = ("E003", "E004")
# Dropout 0: side by side, the dropout masks differ from a one-model run's (chromexpr.batched).
TRAINING = {"recipe": "published", "epochs": 2, "seed": 3, "device": "cpu"}
# Over a copy of the shared prediction run, whose datasets it reuses: one side-by-side group of
# E003 and E004 (E005 stays a prediction target, so the demo's files are the same).
SIDE_BY_SIDE = f"""
cells: [E003, E004]
training: {json.dumps({**TRAINING, "side_by_side": True})}
model_params: {{deepchrome: {{dropout: 0.0}}}}
"""
FILES = ("model.pt", "metrics.json", "history.tsv", "predictions.tsv")


def test_side_by_side_job_writes_the_per_cell_outputs_of_one_cell_runs(predict_run, tmp_path):
    workdir = copy_run(predict_run, tmp_path / "workflow")
    (workdir / "side-by-side.yaml").write_text(SIDE_BY_SIDE)
    targets = [f"results/models/deepchrome/{cell}/metrics.json" for cell in CELLS]
    result = run_workflow(workdir, *targets, configs=[*PREDICT_CONFIGS, "side-by-side.yaml"])
    output = result.stdout + result.stderr
    assert "train_side_by_side" in output and "train_model" not in output

    settings = TrainingSettings.from_config("deepchrome", TRAINING, {"dropout": 0.0})
    for cell in CELLS:
        side = workdir / "results/models/deepchrome" / cell
        assert all((side / name).stat().st_size > 0 for name in FILES)
        single = tmp_path / "single" / cell
        dataset = CellDataset.load(workdir / f"results/datasets/{cell}.npz")
        expected = train_cell(dataset, settings, single)
        metrics = json.loads((side / "metrics.json").read_text())
        assert metrics["side_by_side"] == len(CELLS)
        assert metrics["config_hash"] == expected["config_hash"]
        for key in ("train_auc", "valid_auc", "test_auc"):
            assert metrics[key] == pytest.approx(expected[key], abs=1e-4)
        assert metrics["best_epoch"] == expected["best_epoch"]
        state = torch.load(side / "model.pt", weights_only=True)["state_dict"]
        for key, value in torch.load(single / "model.pt", weights_only=True)["state_dict"].items():
            torch.testing.assert_close(state[key], value, rtol=1e-4, atol=1e-5)
        predictions = pd.read_csv(side / "predictions.tsv", sep="\t")
        pd.testing.assert_frame_equal(
            predictions, pd.read_csv(single / "predictions.tsv", sep="\t"), atol=1e-5
        )
