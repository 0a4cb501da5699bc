"""A shallow baseline: L2-penalised logistic regression on per-mark summaries of the bins.

ShallowChrome (Frasca et al. 2022, "Accurate and highly interpretable prediction of gene
expression from histone modifications", BMC Bioinformatics 23:151) shows that a logistic
regression on a handful of features per mark is competitive with DeepChrome.

Each mark's bins are summarised by their mean and their maximum (``summaries``), standardised
with the training split's mean and standard deviation (buffers ``centre`` and ``spread``), and a
``Linear(n_marks x summaries, 1)`` gives the logit of high expression (or, for regression, the
predicted log(expression + 1)); with ``n_outputs`` 2 it gives the logits (-z / 2, z / 2), whose
softmax is the same p(high). The weights come from scikit-learn, not from the gradient loop:
``LogisticRegression`` (L2, lbfgs, ``C = 1 / penalty``) for classification, ``Ridge`` (the same
L2 penalty) for regression, fitted on the training genes only; the validation genes are
not used (there is nothing to select).

Deviations from ShallowChrome: their features come from peak calls (peak presence, height and
position per mark in the window), which chromexpr's binned counts do not carry; here the
summaries are of the binned counts after the configured input transform.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression, Ridge
from torch import nn

SUMMARIES = ("mean", "max", "sum", "min")


class LogisticBaseline(nn.Module):
    """Input [batch, marks, bins]; output [batch, n_outputs]: the logit of high (or the
    regression), or with ``n_outputs`` 2 the logits (-z / 2, z / 2)."""

    fits_without_gradients = True

    def __init__(
        self,
        n_marks: int = 5,
        n_bins: int = 100,
        n_outputs: int = 1,
        summaries: tuple[str, ...] | list[str] = ("mean", "max"),
        penalty: float = 1.0,
        max_iter: int = 1000,
    ) -> None:
        super().__init__()
        if n_outputs not in (1, 2):
            raise ValueError(
                f"logistic gives one output (the logit) or two logits; got {n_outputs}"
            )
        unknown = sorted(set(summaries) - set(SUMMARIES))
        if unknown or not summaries:
            raise ValueError(f"summaries {list(summaries)} must be among {SUMMARIES}")
        if penalty <= 0:
            raise ValueError(f"penalty (the L2 strength) must be positive; got {penalty}")
        self.summaries = tuple(summaries)
        self.penalty = penalty
        self.max_iter = max_iter
        n_features = n_marks * len(self.summaries)
        self.register_buffer("centre", torch.zeros(n_features))
        self.register_buffer("spread", torch.ones(n_features))
        self.linear = nn.Linear(n_features, n_outputs)

    def features(self, counts: torch.Tensor) -> torch.Tensor:
        """[batch, marks, bins] -> [batch, marks x summaries]: each summary of every mark."""
        reduced = {
            "mean": lambda: counts.mean(dim=-1),
            "max": lambda: counts.amax(dim=-1),
            "sum": lambda: counts.sum(dim=-1),
            "min": lambda: counts.amin(dim=-1),
        }
        return torch.cat([reduced[name]() for name in self.summaries], dim=-1)

    @torch.no_grad()
    def fit_without_gradients(
        self,
        train_inputs: torch.Tensor,
        train_targets: np.ndarray,
        valid_inputs: torch.Tensor,
        valid_targets: np.ndarray,
        task_name: str,
        seed: int,
    ) -> tuple[bool, str]:
        """Fix the standardisation and the weights from the training genes [genes, marks,
        bins] and their targets [genes] (0/1 labels, or log(expression + 1) for regression).
        Returns whether the fit converged, and how: lbfgs within ``max_iter`` iterations (what
        scikit-learn's ConvergenceWarning checks); ridge has a closed-form solution."""
        features = self.features(train_inputs.to(self.centre)).double()
        centre = features.mean(dim=0)
        spread = features.std(dim=0)
        spread = torch.where(spread > 0, spread, torch.ones_like(spread))
        standardised = ((features - centre) / spread).cpu().numpy()
        if task_name == "classification":
            estimator = LogisticRegression(
                C=1 / self.penalty, max_iter=self.max_iter, random_state=seed
            )
        else:
            estimator = Ridge(alpha=self.penalty, random_state=seed)
        estimator.fit(standardised, train_targets)
        self.centre.copy_(centre)
        self.spread.copy_(spread)
        weight = torch.as_tensor(estimator.coef_).reshape(1, -1)
        bias = torch.as_tensor(estimator.intercept_).reshape(1)
        if len(self.linear.bias) == 2:
            # Logits (-z / 2, z / 2): their softmax is sigmoid(z), the fitted p(high).
            weight, bias = torch.cat([-weight / 2, weight / 2]), torch.cat([-bias / 2, bias / 2])
        self.linear.weight.copy_(weight)
        self.linear.bias.copy_(bias)
        if task_name != "classification":
            return True, "ridge regression: closed-form solution"
        iterations = int(np.max(estimator.n_iter_))
        return (
            iterations < self.max_iter,
            f"lbfgs stopped after {iterations} of at most {self.max_iter} iterations",
        )

    def forward(self, counts: torch.Tensor) -> torch.Tensor:
        return self.linear((self.features(counts) - self.centre) / self.spread)
