"""A small Chromoformer-style transformer over the bins around the TSS (one resolution).

Lee, Shin, Kim and Kim (2022), "Chromoformer: a transformer-based model for predicting gene
expression from histone modifications", Nature Communications 13:6678,
doi:10.1038/s41467-022-34152-5. Follows the embedding transformer of the authors' code
(``chromoformer/net.py``, ``EmbeddingTransformer``, and ``configs/default.yaml`` in
github.com/dohlee/chromoformer) and its classification head.

Each bin's vector of marks is projected (no bias) to ``d_model`` = 128, a sinusoidal position
encoding is added, one post-norm transformer layer (2 heads, feed-forward 128, ReLU, no dropout)
mixes the bins, and the representation of the centre bin (``n_bins // 2``, the TSS) goes through
the head Linear(128, 128), ReLU, Linear(128, n_outputs). 116,994 parameters at 5 marks and 2
outputs (Chromoformer's own layer has no query/key/value biases: 116,610).

Deviations from the published model:

- One resolution (the dataset's bins) instead of three (2000, 500 and 100 bp), and no
  pairwise-interaction or regulation transformers: those need Hi-C-linked cis-regulatory regions,
  which the REMC datasets do not have. So the head reads one 128-d embedding, not three.
- Input: the project's 5 marks x n_bins read counts around the TSS (Chromoformer: 7 marks, 40 kb
  windows, minus-strand windows flipped); ``PUBLISHED_RECIPE`` asks for the same log(x + 1)
  transform.
- ``nn.TransformerEncoderLayer`` gives the query, key and value projections biases (384 parameters
  a layer) that Chromoformer's attention does not have; otherwise the layer computes the same
  function (scaled dot-product attention, residual + LayerNorm after attention and after the
  feed-forward).
- Recipe: AdamW (weight decay 0.01) with the learning rate multiplied by 0.87 every epoch in the
  published code; the harness has Adam without decay, so ``PUBLISHED_RECIPE`` keeps lr 3e-5,
  batch 64 and 10 epochs, and drops the weight decay and the schedule. The published script keeps
  the last epoch; the harness the epoch with the best validation AUC.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def sinusoidal_positions(n_positions: int, d_model: int) -> torch.Tensor:
    """[n_positions, d_model]: sin on even, cos on odd features (Vaswani et al.)."""
    positions = torch.arange(n_positions, dtype=torch.float32)[:, None]
    frequencies = torch.exp(-math.log(10000.0) * torch.arange(0, d_model, 2) / d_model)
    encoding = torch.zeros(n_positions, d_model)
    encoding[:, 0::2] = torch.sin(positions * frequencies)
    encoding[:, 1::2] = torch.cos(positions * frequencies[: d_model // 2])
    return encoding


class BinTransformer(nn.Module):
    """Input [batch, marks, bins] of counts; output [batch, n_outputs] (2: logits low, high)."""

    PUBLISHED_RECIPE = {
        "epochs": 10,
        "batch_size": 64,
        "optimizer": "adam",
        "learning_rate": 3e-5,
        "lr_decay": 0.0,
        "input_transform": "log1p",
    }

    def __init__(
        self,
        n_marks: int = 5,
        n_bins: int = 100,
        n_outputs: int = 2,
        d_model: int = 128,
        n_heads: int = 2,
        d_feedforward: int = 128,
        n_layers: int = 1,
        d_head: int = 128,
    ) -> None:
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model {d_model} is not divisible by n_heads {n_heads}")
        self.embedding = nn.Linear(n_marks, d_model, bias=False)
        # Not saved: fixed by n_bins and d_model, recomputed when the model is built.
        self.register_buffer("positions", sinusoidal_positions(n_bins, d_model), persistent=False)
        layer = nn.TransformerEncoderLayer(
            d_model, n_heads, d_feedforward, dropout=0.0, batch_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.classifier = nn.Sequential(
            nn.Linear(d_model, d_head), nn.ReLU(), nn.Linear(d_head, n_outputs)
        )

    def forward(self, counts: torch.Tensor) -> torch.Tensor:
        bins = counts.shape[-1]
        if bins != self.positions.shape[0]:
            raise ValueError(
                f"BinTransformer was built for {self.positions.shape[0]} bins, got {bins}"
            )
        embedded = self.embedding(counts.transpose(1, 2)) + self.positions
        return self.classifier(self.encoder(embedded)[:, bins // 2])
