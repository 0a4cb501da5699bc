"""Scoring a trained model: p(high expression) per gene and the AUC of those probabilities."""

from __future__ import annotations

import numpy as np
import torch
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


def predict_probabilities(
    model: nn.Module,
    features: np.ndarray | torch.Tensor,
    device: torch.device | str,
    batch_size: int = 1024,
) -> np.ndarray:
    """Softmax probability of class 1 ("high") [genes] for ``features`` [genes, marks, bins].

    Scores the probability, never a raw logit: ranking by one logit alone is not monotone in
    p(high). Runs in evaluation mode (no dropout) and leaves the model's mode as it was.
    """
    inputs = torch.as_tensor(features, dtype=torch.float32, device=device)
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            chunks = [
                torch.softmax(model(inputs[start : start + batch_size]), dim=1)[:, 1]
                for start in range(0, len(inputs), batch_size)
            ]
    finally:
        model.train(was_training)
    if not chunks:
        return np.empty(0, dtype=np.float64)
    return torch.cat(chunks).double().cpu().numpy()
