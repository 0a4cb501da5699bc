"""What a trained run leaves behind: its scores on every split and the files of its folder.

``model.pt`` (the checkpoint bundle), ``history.tsv`` (one row per epoch), ``predictions.tsv``
(the score of every test gene, in dataset order: p(high) or the predicted log(expression + 1)) and
``metrics.json``, each written atomically and ``metrics.json`` last, so a ``metrics.json`` on disk
means the run's files are complete.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from chromexpr.atomic import atomic_path, write_tsv
from chromexpr.dataset import SPLITS, CellDataset
from chromexpr.evaluation import predict_outputs
from chromexpr.models import count_parameters
from chromexpr.train.checkpoint import save_checkpoint
from chromexpr.train.convergence import run_convergence
from chromexpr.train.fit import EVALUATION_BATCH_SIZE, Run

logger = logging.getLogger(__name__)


def run_metrics(
    run: Run,
    dataset: CellDataset,
    device: torch.device,
    started: float,
    extra_metrics: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(metrics.json content, test scores [test genes]) of ``run``'s model as it now is (the
    kept epoch's weights), with whether the run converged (``converged``, ``convergence``: the
    rule's reason, ``chromexpr.train.convergence``). ``started`` is the ``time.perf_counter()``
    of the run's start."""
    task, settings, history = run.task, run.settings, run.history
    scores = {
        split: task.scores(
            predict_outputs(run.model, run.data.features[split], device, EVALUATION_BATCH_SIZE)
        )
        for split in SPLITS
    }
    metrics: dict[str, Any] = {
        "cell": dataset.cell,
        "model": settings.model,
        "recipe": settings.recipe,
        "task": task.name,
        "seed": settings.seed,
    }
    for split in SPLITS:
        metrics.update(task.metrics(run.data.targets[split], scores[split], split))
    convergence = run_convergence(run)
    metrics.update(
        {
            "best_epoch": run.best.epoch,
            "epochs_run": len(history),
            "converged": convergence.converged,
            "convergence": convergence.reason,
            "wall_seconds": round(time.perf_counter() - started, 3),
            "seconds_per_epoch": round(sum(row.seconds for row in history) / len(history), 4),
            "device": device.type,
            "n_parameters": count_parameters(run.model),
            "config_hash": settings.config_hash(),
            "n_train": len(run.data.targets["train"]),
            "n_valid": len(run.data.targets["valid"]),
            "n_test": len(run.data.targets["test"]),
            "settings": asdict(settings),
            **(extra_metrics or {}),
        }
    )
    return metrics, scores["test"]


def write_run_outputs(
    run: Run,
    dataset: CellDataset,
    device: torch.device,
    out_dir: Path,
    started: float,
    extra_metrics: Mapping[str, Any] | None = None,
    provenance: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Score ``run``'s model on every split, write its folder's files; return its metrics, which
    name the run's fold (``provenance["fold"]``, 0 by default) and seed."""
    fold = int((provenance or {}).get("fold", 0))
    metrics, test_scores = run_metrics(
        run, dataset, device, started, {"fold": fold, **(extra_metrics or {})}
    )
    logger.info(
        "%s: best epoch %d; %s",
        run.name,
        run.best.epoch,
        ", ".join(f"{key} {value:.4f}" for key, value in metrics.items() if key.startswith(SPLITS)),
    )
    if not metrics["converged"]:
        logger.warning(
            "%s did not converge (%s): the claims table judges no comparison with it",
            run.name,
            metrics["convergence"],
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    save_checkpoint(out_dir / "model.pt", run, dataset, metrics, provenance)
    write_tsv(
        pd.DataFrame(
            [
                (row.epoch, f"{row.loss:.6g}", f"{row.valid_score:.6f}", f"{row.seconds:.3f}")
                for row in run.history
            ],
            columns=["epoch", "loss", run.task.selection_column, "seconds"],
        ),
        out_dir / "history.tsv",
    )
    target_column, score_column = run.task.prediction_columns
    test_mask = dataset.mask("test")
    write_tsv(
        pd.DataFrame(
            {
                "gene_id": dataset.gene_ids[test_mask],
                target_column: [
                    run.task.format_target(value) for value in run.data.targets["test"]
                ],
                score_column: [f"{score:.9g}" for score in test_scores],
            }
        ),
        out_dir / "predictions.tsv",
    )
    with atomic_path(out_dir / "metrics.json") as tmp:
        tmp.write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics
