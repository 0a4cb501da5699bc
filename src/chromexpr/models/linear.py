"""DeepChrome 2.0's 12-parameter linear model: one summary number per mark, then a linear layer.

Kadavath, Paradis and Yeung (2022), "DeepChrome 2.0: Investigating and Improving Architectures,
Visualizations, & Experiments", arXiv:2209.11923.

Each mark's bins are reduced to one number (``reduction``: max, sum, mean, median or min; max is
their best), divided by a per-mark scale, and a ``Linear(n_marks, n_outputs)`` maps the five numbers
to two logits: 10 weights + 2 biases = 12 parameters at 5 marks.

The scale is the training split's largest reduced value of each mark, fixed once by
``fit_input_statistics`` (the harness calls it with the training genes as the model will see them,
after the input transform) and saved in the state_dict as the buffer ``scale``. Before it is fitted
the scale is 1 (no scaling); a mark whose reduced value is 0 for every training gene keeps scale 1.

Deviations from the published code:

- Their max and sum variants divide by the maximum of the current batch, so a gene's score depends
  on the genes batched with it; here the scale is a training-set statistic, so the same gene gets
  the same score alone or in any batch. The fixed scale is applied to every reduction (theirs only
  to max and sum); a linear layer can absorb a constant scale, so this changes the optimisation,
  not the functions the model can express.
- ``median`` is the interpolated median of the bins (``torch.quantile``), not the lower of the two
  middle values.
- Training (``PUBLISHED_RECIPE``): SGD lr 0.01, batch 32, at most 100 epochs, early stopping on
  validation AUC with patience 15, as theirs; their cosine annealing of the learning rate (per step,
  down to 1e-6) is not in the harness, so the learning rate stays 0.01. They train 5 seeds and keep
  the seed with the best validation AUC; the harness trains the configured seed. Under the
  shared ``fast`` recipe (``FAST_RECIPE``) it trains with Adam at 1e-2 for up to 200 epochs,
  patience 10: at the shared 3e-4 its 12 weights were still rising after 30 epochs (test AUC
  0.57-0.61 on the demo against 0.79-0.83 for the same function fitted to convergence).
- ``forward`` returns logits and the loss applies the softmax (their cross-entropy does the same).
"""

from __future__ import annotations

import torch
from torch import nn

REDUCTIONS = ("max", "sum", "mean", "median", "min")


class ReducedLinear(nn.Module):
    """Input [batch, marks, bins] of counts; output [batch, n_outputs] (2: logits low, high)."""

    fits_input_statistics = True
    PUBLISHED_RECIPE = {
        "batch_size": 32,
        "learning_rate": 0.01,
        "lr_decay": 0.0,
        "patience": 15,
    }
    FAST_RECIPE = {"learning_rate": 1e-2, "epochs": 200}

    def __init__(
        self,
        n_marks: int = 5,
        n_bins: int = 100,
        n_outputs: int = 2,
        reduction: str = "max",
    ) -> None:
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction {reduction!r} is not one of {REDUCTIONS}")
        self.reduction = reduction
        self.register_buffer("scale", torch.ones(n_marks))
        self.linear = nn.Linear(n_marks, n_outputs)

    def reduce(self, counts: torch.Tensor) -> torch.Tensor:
        """[..., marks, bins] -> [..., marks]: each mark's bins reduced to one number."""
        if self.reduction == "max":
            return counts.amax(dim=-1)
        if self.reduction == "min":
            return counts.amin(dim=-1)
        if self.reduction == "sum":
            return counts.sum(dim=-1)
        if self.reduction == "mean":
            return counts.mean(dim=-1)
        return counts.quantile(0.5, dim=-1)

    @torch.no_grad()
    def fit_input_statistics(self, counts: torch.Tensor) -> None:
        """Fix ``scale`` to the largest absolute reduced value of each mark over ``counts``.

        counts: [genes, marks, bins], the training split.
        """
        largest = self.reduce(counts.to(self.scale)).abs().amax(dim=0)
        self.scale.copy_(torch.where(largest > 0, largest, torch.ones_like(largest)))

    def forward(self, counts: torch.Tensor) -> torch.Tensor:
        return self.linear(self.reduce(counts) / self.scale)
