"""A strong shallow baseline: gradient-boosted decision trees over the marks x bins (LightGBM).

PatternChrome (Paul, Wolber et al., Bioinformatics 2025) reports a mean test AUC of 0.903 over
the 56 REMC cell types with gradient-boosted trees. Its code (github.com/Prgrmmrjns/PatternChrome,
PatternChrome.R, read 2026-11-30) has no fixed recipe to copy: per cell type it extracts
histone-mark pattern features by particle swarm optimisation on 50 bp bins, then tunes XGBoost's
hyperparameters by the same optimiser on a validation half (rounds 300-700, learning rate
0.005-0.2, depth 1-5, early stopping after 10 rounds), over a random (not positional) gene split
re-drawn 10 times. chromexpr's baseline keeps what transfers to a fixed, leak-free comparison:
trees on the binned marks, early-stopped on the validation split, with these stated values:

- input: every mark's every bin as one feature (5 x 100 = 500), after the configured input
  transform (trees are invariant to a monotone transform of each feature, so raw and log1p give
  the same trees up to ties);
- ``num_leaves`` 31, ``learning_rate`` 0.05, ``min_child_samples`` 20, ``feature_fraction`` 0.8,
  no bagging, L2 on the leaf values 1.0;
- up to ``max_rounds`` 1000 boosting rounds, early-stopped when the validation split's AUC
  (classification) or squared error (regression) has not improved for ``early_stopping_rounds``
  50 rounds; the best round is kept;
- one thread (``threads``), ``deterministic`` and row-wise histograms, seeded from the training
  seed: the same config gives the same trees.

The trees are fitted by LightGBM, not by the gradient loop (``fits_without_gradients``). They are
saved in the checkpoint as the buffer ``trees``: LightGBM's text model as bytes (uint8), so the
bundle stays a plain dict that loads with ``weights_only=True`` through the one loader.
``forward`` runs on the CPU and returns the raw score (the logit of high for classification), or
with ``n_outputs`` 2 the logits (-score / 2, score / 2), whose softmax is the same p(high);
it has no gradient with respect to the input (``lacks_input_gradients``), so gradient-based
interpretation refuses it. Its parameter count is the number of fitted values: one per leaf and
one threshold per split.
"""

from __future__ import annotations

from typing import Any

import lightgbm
import numpy as np
import torch
from torch import nn


class GradientBoostedTrees(nn.Module):
    """Input [batch, marks, bins]; output [batch, n_outputs]: the raw score (logit of high)."""

    fits_without_gradients = True
    lacks_input_gradients = True

    def __init__(
        self,
        n_marks: int = 5,
        n_bins: int = 100,
        n_outputs: int = 1,
        num_leaves: int = 31,
        learning_rate: float = 0.05,
        min_child_samples: int = 20,
        feature_fraction: float = 0.8,
        lambda_l2: float = 1.0,
        max_rounds: int = 1000,
        early_stopping_rounds: int = 50,
        threads: int = 1,
    ) -> None:
        super().__init__()
        if n_outputs not in (1, 2):
            raise ValueError(
                f"gbdt gives one output (the raw score) or two logits; got {n_outputs}"
            )
        self.n_outputs = n_outputs
        self.n_features = n_marks * n_bins
        self.settings: dict[str, Any] = {
            "num_leaves": num_leaves,
            "learning_rate": learning_rate,
            "min_child_samples": min_child_samples,
            "feature_fraction": feature_fraction,
            "lambda_l2": lambda_l2,
            "num_threads": threads,
        }
        self.max_rounds = max_rounds
        self.early_stopping_rounds = early_stopping_rounds
        # LightGBM's text model as bytes; empty until fitted.
        self.register_buffer("trees", torch.zeros(0, dtype=torch.uint8))
        self._booster: lightgbm.Booster | None = None

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        # The saved model's size is its own: take the buffer's shape from the state dict.
        key = prefix + "trees"
        if key in state_dict:
            self.trees = torch.empty_like(state_dict[key], device=self.trees.device)
            self._booster = None
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def booster(self) -> lightgbm.Booster:
        """The fitted LightGBM booster (rebuilt from ``trees`` once)."""
        if not len(self.trees):
            raise RuntimeError("gbdt is not fitted: no trees")
        if self._booster is None:
            text = bytes(self.trees.cpu().numpy()).decode()
            self._booster = lightgbm.Booster(model_str=text)
        return self._booster

    def _table(self, counts: torch.Tensor) -> np.ndarray:
        return counts.detach().reshape(len(counts), -1).cpu().numpy().astype(np.float64)

    def fit_without_gradients(
        self,
        train_inputs: torch.Tensor,
        train_targets: np.ndarray,
        valid_inputs: torch.Tensor,
        valid_targets: np.ndarray,
        task_name: str,
        seed: int,
    ) -> tuple[bool, str]:
        """Boost on the training genes [genes, marks, bins], early-stopped on the validation
        genes; keep the best round's trees. Returns whether the boosting converged, and how:
        its best round precedes the last ``early_stopping_rounds`` of ``max_rounds`` (the early
        stopping ended it, or would have at the last round)."""
        classification = task_name == "classification"
        parameters = {
            **self.settings,
            "objective": "binary" if classification else "regression",
            "metric": "auc" if classification else "l2",
            "seed": seed,
            "deterministic": True,
            "force_row_wise": True,
            "verbosity": -1,
        }
        train = lightgbm.Dataset(self._table(train_inputs), label=train_targets)
        valid = lightgbm.Dataset(self._table(valid_inputs), label=valid_targets, reference=train)
        booster = lightgbm.train(
            parameters,
            train,
            num_boost_round=self.max_rounds,
            valid_sets=[valid],
            callbacks=[lightgbm.early_stopping(self.early_stopping_rounds, verbose=False)],
        )
        text = booster.model_to_string(num_iteration=booster.best_iteration)
        self.trees = torch.frombuffer(bytearray(text.encode()), dtype=torch.uint8).clone()
        self._booster = None
        best = booster.best_iteration
        if best <= self.max_rounds - self.early_stopping_rounds:
            return True, (
                f"early stopping: best round {best}, no better validation figure in the "
                f"{self.early_stopping_rounds} rounds after it (at most {self.max_rounds})"
            )
        return (
            False,
            f"best round {best} of at most {self.max_rounds} is among the last "
            f"{self.early_stopping_rounds}: the validation figure was still improving",
        )

    def n_fitted_values(self) -> int:
        """Leaf values and split thresholds of every tree (0 before fitting)."""
        if not len(self.trees):
            return 0
        leaves = [tree["num_leaves"] for tree in self.booster().dump_model()["tree_info"]]
        return sum(2 * count - 1 for count in leaves)

    def forward(self, counts: torch.Tensor) -> torch.Tensor:
        raw = self.booster().predict(self._table(counts), raw_score=True)
        score = torch.as_tensor(raw, dtype=torch.float32, device=counts.device).reshape(-1, 1)
        return score if self.n_outputs == 1 else torch.cat([-score / 2, score / 2], dim=1)
