"""DeepChrome's multilayer-perceptron baseline: the flattened marks x bins through one tanh layer.

Singh, Lanchantin, Robins and Qi (2016), "DeepChrome: deep-learning for predicting gene expression
from histone modifications", Bioinformatics 32(17):i639-i648, doi:10.1093/bioinformatics/btw427.

The published Lua Torch code (``-model mlp``) flattens the 5 x 100 input and applies
``Linear(500, 250)``, ``Tanh``, ``Linear(250, 2)``: 125,250 + 502 = 125,752 parameters. Its hidden
width is half the input size, which is the default here for any number of marks and bins. It trains
with DeepChrome's recipe (the harness's ``published`` recipe), so it has no ``PUBLISHED_RECIPE``.

Deviations, none of which changes the function the network computes:

- ``forward`` returns logits; the published ``LogSoftMax`` + ``ClassNLLCriterion`` is applied by
  the loss (``cross_entropy`` is exactly that pair).
- Torch7 flattens each gene's [bins, marks] matrix, PyTorch our [marks, bins]: a fixed permutation
  of the first layer's inputs, so Lua checkpoints need their weights permuted before they load here.
"""

from __future__ import annotations

import torch
from torch import nn


class DeepChromeMLP(nn.Module):
    """Input [batch, marks, bins] of counts; output [batch, n_outputs] (2: logits low, high)."""

    def __init__(
        self,
        n_marks: int = 5,
        n_bins: int = 100,
        n_outputs: int = 2,
        hidden_size: int | None = None,
    ) -> None:
        super().__init__()
        inputs = n_marks * n_bins
        hidden = inputs // 2 if hidden_size is None else hidden_size
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(inputs, hidden),
            nn.Tanh(),
            nn.Linear(hidden, n_outputs),
        )

    def forward(self, counts: torch.Tensor) -> torch.Tensor:
        return self.classifier(counts)
