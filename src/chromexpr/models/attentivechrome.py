"""AttentiveChrome: LSTMs with attention over the bins of each mark, then over the marks.

Singh, Lanchantin, Sekhon and Qi (2017), "Attend and Predict: Understanding Gene Regulation by
Selective Attention on Chromatin", NeurIPS 30:6785-6795, arXiv:1708.00339. Follows the authors'
PyTorch code (``v2PyTorch/models.py``, ``att_chrome``, in github.com/QData/AttentiveChrome).

Per mark, a bidirectional LSTM (input 1, hidden 32 per direction) reads the bins; the bin-level
attention weighs its outputs by the softmax of their dot product with a learned context vector
(size 64) and sums them into one 64-d embedding of the mark. Each mark has its own LSTM and context
vector (the code's ``nn.ModuleList`` of one encoder per mark; nothing is shared). A bidirectional
LSTM (hidden 16 per direction) reads the marks' embeddings and the mark-level attention (context
32) pools them into the gene's 32-d embedding, mapped by ``Linear(32, n_outputs)`` to the logit.
``attention`` returns both levels' weights, the model's interpretation output.

Parameters at 5 marks, one output: per mark 2 x (4 x 32 x (1 + 32) + 2 x 4 x 32) = 8,960 LSTM +
64 context = 9,024, times 5 = 45,120; mark level 2 x (4 x 16 x (64 + 16) + 2 x 4 x 16) = 10,496
LSTM + 32 context = 10,528; classifier 33; total 55,681 (the published "about 55.7k"). Every
parameter starts uniform in +-0.1 (``init_range``), as the published training script
re-initialises them, drawn from torch's global generator (seeded by the harness).

``forward`` returns the logit, as the current upstream ``models.py`` does (its 2019 versions
returned ``sigmoid(logit)`` into ``binary_cross_entropy_with_logits``, a sigmoid applied twice;
fixed upstream in commit fca2617, 2020-09-22). Recipe (``PUBLISHED_RECIPE``): the upstream
``train.py`` defaults, Adam lr 2e-4, batch 16, 30 epochs, gradient-norm clip 1, with the best
validation AUC epoch kept.

Deviations from the published code:

- Their LSTMs are built with ``dropout=0.5``, which PyTorch applies only between stacked layers;
  with one layer it does nothing, so there is no dropout here either (and no PyTorch warning).
- Input [batch, marks, bins] (theirs [batch, bins, marks]); the same numbers reach each LSTM.
"""

from __future__ import annotations

import torch
from torch import nn


class AttentionEncoder(nn.Module):
    """A bidirectional LSTM over a sequence, pooled by attention with a learned context vector."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, batch_first=True, bidirectional=True)
        self.context = nn.Parameter(torch.empty(2 * hidden_size))

    def forward(self, sequence: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """[batch, steps, input_size] -> (embedding [batch, 2 hidden], weights [batch, steps])."""
        outputs, _ = self.lstm(sequence)
        weights = torch.softmax(outputs @ self.context, dim=1)
        return torch.einsum("bs,bsh->bh", weights, outputs), weights


class AttentiveChrome(nn.Module):
    """Input [batch, marks, bins] of counts; output [batch, n_outputs] (1: the logit of high)."""

    has_attention = True
    PUBLISHED_RECIPE = {
        "epochs": 30,
        "batch_size": 16,
        "optimizer": "adam",
        "learning_rate": 2e-4,
        "lr_decay": 0.0,
        "grad_clip": 1.0,
        "seed": 1,
    }

    def __init__(
        self,
        n_marks: int = 5,
        n_bins: int = 100,
        n_outputs: int = 1,
        bin_hidden_size: int = 32,
        init_range: float = 0.1,
    ) -> None:
        super().__init__()
        mark_hidden_size = bin_hidden_size // 2
        self.bin_encoders = nn.ModuleList(
            AttentionEncoder(1, bin_hidden_size) for _ in range(n_marks)
        )
        self.mark_encoder = AttentionEncoder(2 * bin_hidden_size, mark_hidden_size)
        self.classifier = nn.Linear(2 * mark_hidden_size, n_outputs)
        for parameter in self.parameters():
            nn.init.uniform_(parameter, -init_range, init_range)

    def _logits_and_attention(
        self, counts: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """counts [batch, marks, bins] -> (logits, bin weights [b, marks, bins], mark weights)."""
        if counts.shape[1] != len(self.bin_encoders):
            raise ValueError(
                f"AttentiveChrome was built for {len(self.bin_encoders)} marks, "
                f"got input with {counts.shape[1]}"
            )
        embeddings, bin_weights = zip(
            *(encoder(counts[:, mark, :, None]) for mark, encoder in enumerate(self.bin_encoders)),
            strict=True,
        )
        gene, mark_weights = self.mark_encoder(torch.stack(embeddings, dim=1))
        return self.classifier(gene), torch.stack(bin_weights, dim=1), mark_weights

    def forward(self, counts: torch.Tensor) -> torch.Tensor:
        return self._logits_and_attention(counts)[0]

    def attention(self, counts: torch.Tensor) -> dict[str, torch.Tensor]:
        """Softmax weights: ``bins`` [batch, marks, bins] and ``marks`` [batch, marks]."""
        _, bin_weights, mark_weights = self._logits_and_attention(counts)
        return {"bins": bin_weights, "marks": mark_weights}
