"""What a differential model leaves in its folder, ``results/differential/{A}/{B}/{model}/``.

``model.pt`` (the differential bundle, ``chromexpr.differential.bundle``), ``history.tsv`` (one
row per epoch; the header alone for a model not trained on the pair), ``predictions.tsv`` and
``metrics.json``, each written atomically and ``metrics.json`` last, so a ``metrics.json`` on
disk means the folder is complete.

``predictions.tsv``, one row per gene of the pair in dataset order (every split: the tables
read the ``test`` rows, the tracks all):

==============================  =================================================================
column                          meaning
==============================  =================================================================
``gene_id``                     Ensembl gene id; ``symbol``, ``chrom``, ``tss``, ``strand``
``split``                       train, valid or test
``log2_fold_change``            observed log2 fold change of B over A (pseudocount as configured)
``change``                      observed class: down, unchanged or up (the threshold)
``predicted_log2_fold_change``  the model's
``predicted_change``            the class of the prediction, by the same threshold
==============================  =================================================================
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from chromexpr.atomic import atomic_path, write_tsv
from chromexpr.dataset import SPLITS
from chromexpr.differential.bundle import save_bundle
from chromexpr.differential.models import PairModel
from chromexpr.differential.pairs import CLASS_OF, PairDataset, change_classes
from chromexpr.evaluation import correlations, predict_outputs
from chromexpr.train.fit import EVALUATION_BATCH_SIZE, EpochRecord

logger = logging.getLogger(__name__)

PREDICTION_COLUMN = "predicted_log2_fold_change"


@dataclass
class PairRun:
    """A differential model as trained (or assembled) for a pair: name, the keywords it was
    built with, the model (the kept epoch's weights), its history and kept epoch."""

    name: str
    hyperparameters: dict[str, Any]
    model: PairModel
    history: Sequence[EpochRecord] = field(default_factory=list)
    best_epoch: int = 0


def predicted_fold_changes(
    model: PairModel, counts: np.ndarray | torch.Tensor, device: torch.device | str = "cpu"
) -> np.ndarray:
    """The predicted log2 fold change [genes] float64 of pair counts [genes, 2, marks, bins]."""
    return predict_outputs(model, counts, device, EVALUATION_BATCH_SIZE)[:, 0].double().numpy()


def predictions_table(pair: PairDataset, predicted: np.ndarray) -> pd.DataFrame:
    """``predictions.tsv`` (module docstring) of ``predicted`` [genes]; the observed columns
    are NaN / empty where the pair has no expression (a prediction of samples without it)."""
    observed = pair.fold_change()
    known = np.isfinite(observed)
    classes = change_classes(np.where(known, observed, 0.0), pair.threshold)
    return pd.DataFrame(
        {
            "gene_id": pair.a.gene_ids,
            "symbol": pair.a.symbols,
            "chrom": pair.a.chrom,
            "tss": pair.a.tss,
            "strand": pair.a.strand,
            "split": pair.split,
            "log2_fold_change": observed,
            "change": np.where(known, [CLASS_OF[int(value)] for value in classes], ""),
            PREDICTION_COLUMN: predicted,
            "predicted_change": [
                CLASS_OF[int(value)] for value in change_classes(predicted, pair.threshold)
            ],
        }
    )


def write_pair_outputs(
    run: PairRun,
    pair: PairDataset,
    device: torch.device,
    out_dir: Path,
    started: float,
    extra: Mapping[str, Any] | None = None,
    provenance: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Score ``run``'s model on every split of ``pair``; write the folder's files (module
    docstring) and return the metrics. ``started``: ``time.perf_counter()`` of the job's start."""
    predicted = predicted_fold_changes(run.model, pair.counts(), device)
    observed = pair.fold_change()
    metrics: dict[str, Any] = {
        "cell_a": pair.a.cell,
        "cell_b": pair.b.cell,
        "model": run.name,
        "task": "differential",
        "pseudocount": pair.pseudocount,
        "threshold": pair.threshold,
    }
    for split in SPLITS:
        mask = pair.mask(split)
        for key, value in correlations(observed[mask], predicted[mask]).items():
            metrics[f"{split}_{key}"] = value
    history = list(run.history)
    metrics.update(
        {
            "best_epoch": run.best_epoch,
            "epochs_run": len(history),
            "wall_seconds": round(time.perf_counter() - started, 3),
            "seconds_per_epoch": (
                round(sum(row.seconds for row in history) / len(history), 4) if history else 0.0
            ),
            "device": torch.device(device).type,
            "n_parameters": run.model.n_fitted_values(),
            "fold": int((provenance or {}).get("fold", 0)),
            **{f"n_{split}": int(pair.mask(split).sum()) for split in SPLITS},
            **(extra or {}),
        }
    )
    logger.info(
        "%s on pair %s: %s",
        run.name,
        pair.name,
        ", ".join(f"{key} {metrics[key]:.4f}" for key in metrics if key.startswith(SPLITS)),
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    save_bundle(out_dir / "model.pt", run, pair, metrics, provenance)
    write_tsv(
        pd.DataFrame(
            [
                (row.epoch, f"{row.loss:.6g}", f"{row.valid_score:.6f}", f"{row.seconds:.3f}")
                for row in history
            ],
            columns=["epoch", "loss", "valid_pearson", "seconds"],
        ),
        out_dir / "history.tsv",
    )
    write_tsv(predictions_table(pair, predicted), out_dir / "predictions.tsv", float_format="%.9g")
    with atomic_path(out_dir / "metrics.json") as tmp:
        tmp.write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics
