"""DeepChrome: a convolutional network over the histone-mark bins around a gene's TSS.

Singh, Lanchantin, Robins and Qi (2016), "DeepChrome: deep-learning for predicting gene expression
from histone modifications", Bioinformatics 32(17):i639-i648, doi:10.1093/bioinformatics/btw427.

Faithful to the published Lua Torch code: 5 marks x 100 bins of raw counts, one temporal
convolution (50 filters, width 10), ReLU, max-pooling (width 5), dropout 0.5, then a 625-125-2
perceptron; 644,177 parameters (126 fewer with ``n_outputs=1``: one logit, or a regression
output). The default initialisation of PyTorch's ``Conv1d`` and ``Linear`` draws from the same
uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) as Torch7's.

Deviations, none of which changes the function the network computes:

- ``forward`` returns logits; the published ``LogSoftMax`` + ``ClassNLLCriterion`` is applied by
  the loss (``cross_entropy`` is exactly that pair).
- Torch7 flattens the pooled [positions, filters] map position-major, PyTorch [filters, positions]
  filter-major: a fixed permutation of the first linear layer's inputs, so Lua checkpoints need
  their weights permuted before they load here.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class DeepChromeCNN(nn.Module):
    """Input [batch, marks, bins] of counts; output [batch, n_outputs] (2: logits low, high)."""

    def __init__(
        self,
        n_marks: int = 5,
        n_bins: int = 100,
        n_outputs: int = 2,
        n_filters: int = 50,
        kernel_size: int = 10,
        pool_size: int = 5,
        hidden_sizes: Sequence[int] = (625, 125),
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        positions = (n_bins - kernel_size + 1) // pool_size
        if positions < 1:
            raise ValueError(
                f"{n_bins} bins leave no position after a width-{kernel_size} convolution "
                f"and width-{pool_size} pooling"
            )
        self.features = nn.Sequential(
            nn.Conv1d(n_marks, n_filters, kernel_size),
            nn.ReLU(),
            nn.MaxPool1d(pool_size),
        )
        layers: list[nn.Module] = [nn.Flatten(), nn.Dropout(dropout)]
        width = n_filters * positions
        for hidden in hidden_sizes:
            layers += [nn.Linear(width, hidden), nn.ReLU()]
            width = hidden
        layers.append(nn.Linear(width, n_outputs))
        self.classifier = nn.Sequential(*layers)

    def forward(self, counts: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(counts))
