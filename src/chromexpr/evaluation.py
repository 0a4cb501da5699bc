"""Scoring a trained model: p(high expression) per gene and its AUC, or predicted log(expression + 1)
and its correlations."""

from __future__ import annotations

import numpy as np
import torch
from scipy import stats
from sklearn.metrics import roc_auc_score
from torch import nn


def auc(labels: np.ndarray, probabilities: np.ndarray) -> float:
    """Area under the ROC curve of ``probabilities`` [genes] against 0/1 ``labels`` [genes].

    Raises ValueError when the labels hold one class only (the AUC is undefined) or a
    probability is not finite.
    """
    labels = np.asarray(labels)
    probabilities = np.asarray(probabilities)
    classes = np.unique(labels)
    if len(classes) != 2:
        raise ValueError(f"AUC needs labels of both classes; got only {classes.tolist()}")
    if not np.all(np.isfinite(probabilities)):
        raise ValueError("AUC needs finite probabilities; got NaN or infinity")
    return float(roc_auc_score(labels, probabilities))


def correlations(targets: np.ndarray, predictions: np.ndarray) -> dict[str, float]:
    """Pearson and Spearman correlation of ``predictions`` [genes] with ``targets`` [genes].

    Raises ValueError when either is constant (the correlation is undefined) or not finite.
    """
    targets = np.asarray(targets, dtype=np.float64)
    predictions = np.asarray(predictions, dtype=np.float64)
    if not (np.all(np.isfinite(targets)) and np.all(np.isfinite(predictions))):
        raise ValueError("correlation needs finite values; got NaN or infinity")
    if np.ptp(targets) == 0 or np.ptp(predictions) == 0:
        raise ValueError("correlation is undefined for constant targets or predictions")
    return {
        "pearson": float(stats.pearsonr(targets, predictions).statistic),
        "spearman": float(stats.spearmanr(targets, predictions).statistic),
    }


def predict_outputs(
    model: nn.Module,
    features: np.ndarray | torch.Tensor,
    device: torch.device | str,
    batch_size: int = 1024,
) -> torch.Tensor:
    """The model's raw outputs [genes, n_outputs] (on the CPU) for ``features`` (one row per gene).

    Runs in evaluation mode (no dropout) and leaves the model's mode as it was.
    """
    inputs = torch.as_tensor(features, dtype=torch.float32, device=device)
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            chunks = [
                model(inputs[start : start + batch_size]).float().cpu()
                for start in range(0, len(inputs), batch_size)
            ]
    finally:
        model.train(was_training)
    if not chunks:
        return torch.empty(0, 1)
    return torch.cat(chunks)


def probabilities_from_outputs(outputs: torch.Tensor) -> np.ndarray:
    """p(high) per gene [genes] (float64): the softmax of two logits, or the sigmoid of one.

    Scores the probability, never a raw logit of a two-logit model: ranking by one logit alone is
    not monotone in p(high).
    """
    if outputs.shape[1] == 1:
        scores = torch.sigmoid(outputs[:, 0])
    else:
        scores = torch.softmax(outputs, dim=1)[:, 1]
    return scores.double().numpy()
