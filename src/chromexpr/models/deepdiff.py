"""DeepDiff: differential expression between two cell types from their histone marks.

Sekhon, Singh and Qi (2018), "DeepDiff: DEEP-learning for predicting DIFFerential gene
expression from histone modifications", Bioinformatics 34(17):i891-i900,
doi:10.1093/bioinformatics/bty612. Follows the authors' PyTorch code (``models.py``,
``raw_aux_siamese``, and ``train.py`` in github.com/QData/DeepDiffChrome), the variant that has
every part the paper describes: attention LSTMs over the raw inputs, the auxiliary cell-type
expression tasks and the siamese (shared) encoders of the two cells.

The model reads cell A's and cell B's counts [batch, marks, bins] and predicts the log2 fold
change of B over A, ``log2((expression_B + 1) / (expression_A + 1))`` (the authors' ``getlabel``:
their ``cell_2`` over their ``cell_1``), and, as auxiliary tasks, ``log2(expression + 1)`` of each
cell. Its parts, each an AttentiveChrome encoder (a bidirectional LSTM pooled by attention):

- raw: one bin-level encoder (input 1, hidden 32 per direction, context 64) for each of the
  3 x marks inputs A's marks, B's marks and A's minus B's marks (the authors subtract B from A
  although the target is B over A; the sign is learned);
- siamese: one bin-level encoder per mark, shared by A and B;
- cell level: a mark-level encoder (input 64, hidden 16 per direction, context 32) over A's
  siamese embeddings, another over B's, each followed by ``Linear(32, 1)``: the auxiliary
  predictions of A and B;
- difference: a mark-level encoder over the 5 x marks embeddings in the authors' order (the
  raw inputs' 3 x marks, then A's and B's siamese marks), followed by ``Linear(32, 1)``.

Parameters at 5 marks: bin level 9,024 per encoder (AttentiveChrome's), times 20 = 180,480;
mark level 10,528 per encoder, times 3 = 31,584; three heads of 33 = 99; total 212,163, the
count of the authors' ``raw_aux_siamese`` built with their defaults (``bin_rnn_size`` 32, one
bidirectional layer). Every parameter starts uniform in +-0.1 (their ``train.py``).

Loss (``loss``): mean squared error of the difference, plus that of each auxiliary prediction
(weight 1 each), plus 4 times the contrastive loss (margin 2) between A's and B's siamese
embeddings (the marks' bin-level embeddings concatenated, 5 x 64 values): genes with
``|log2 fold change| >= 2`` count as different and are pushed at least the margin apart, the
others are pulled together.

Attention (``attention``): the difference encoder's, the attention that explains the predicted
change (the authors save this level too). It attends over 5 x marks inputs, each with its own
bin-level attention (``channel_attention``, in ``CHANNELS`` order). ``attention`` sums the
mark-level weights of a mark's five inputs, and weighs their bin-level weights by them: the
marginal over marks and bins of the hierarchy's attention over (input, bin). Both sum to 1.

Recipe (``PUBLISHED_RECIPE``): the README's training command and ``train.py``: Adam lr 1e-4,
batch 10, 120 epochs (``train.py``'s default is 90), gradient-norm clip 1, the training genes
shuffled every epoch, the epoch with the best validation Pearson r of the difference kept.
Window (``PUBLISHED_WINDOW``): 200 bins of 100 bp around the TSS: ``train.py``'s ``n_bins``
200 and the sample data's 200 lines per gene; the README's "+/- 20000 bp" is not what the data
hold (200 x 100 bp is +-10 kb). Split (``PUBLISHED_SPLIT``): the README's 10,000 training,
2,360 validation and 6,100 test genes.

Deviations from the published code:

- Their LSTMs are built with ``dropout=0.5``, which PyTorch applies only between stacked
  layers; with one layer it does nothing, so there is no dropout here either.
- Input [batch, marks, bins] (theirs [batch, bins, marks]); the same numbers reach each LSTM.
  A's and B's inputs pass the shared siamese encoders as one batch (the same arithmetic).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional

from chromexpr.models.attentivechrome import AttentionEncoder

# The difference encoder's inputs, in the authors' order (``channel_attention``'s rows).
CHANNELS = ("raw A", "raw B", "raw A - B", "siamese A", "siamese B")


class DeepDiff(nn.Module):
    """Inputs cell A's and cell B's counts [batch, marks, bins]; outputs the log2 fold change of
    B over A and each cell's log2 expression (``forward``)."""

    has_attention = True
    PUBLISHED_RECIPE = {
        "epochs": 120,
        "batch_size": 10,
        "optimizer": "adam",
        "learning_rate": 1e-4,
        "lr_decay": 0.0,
        "grad_clip": 1.0,
        "seed": 1,
    }
    PUBLISHED_WINDOW = {"bins": 200, "bin_size": 100}
    PUBLISHED_SPLIT = {"train": 10_000, "valid": 2_360, "test": 6_100}

    def __init__(
        self,
        n_marks: int = 5,
        n_bins: int = 200,
        bin_hidden_size: int = 32,
        contrastive_weight: float = 4.0,
        contrastive_margin: float = 2.0,
        different_fold_change: float = 2.0,
        init_range: float = 0.1,
    ) -> None:
        super().__init__()
        self.n_marks = n_marks
        self.contrastive_weight = contrastive_weight
        self.contrastive_margin = contrastive_margin
        self.different_fold_change = different_fold_change
        mark_hidden_size = bin_hidden_size // 2
        embedding_size = 2 * bin_hidden_size
        self.raw_encoders = nn.ModuleList(
            AttentionEncoder(1, bin_hidden_size) for _ in range(3 * n_marks)
        )
        self.siamese_encoders = nn.ModuleList(
            AttentionEncoder(1, bin_hidden_size) for _ in range(n_marks)
        )
        self.mark_encoder_a = AttentionEncoder(embedding_size, mark_hidden_size)
        self.mark_encoder_b = AttentionEncoder(embedding_size, mark_hidden_size)
        self.mark_encoder_difference = AttentionEncoder(embedding_size, mark_hidden_size)
        self.head_a = nn.Linear(2 * mark_hidden_size, 1)
        self.head_b = nn.Linear(2 * mark_hidden_size, 1)
        self.head_difference = nn.Linear(2 * mark_hidden_size, 1)
        for parameter in self.parameters():
            nn.init.uniform_(parameter, -init_range, init_range)

    def forward(self, counts_a: torch.Tensor, counts_b: torch.Tensor) -> dict[str, torch.Tensor]:
        """``difference``, ``a``, ``b`` [batch]; ``embedding_a``, ``embedding_b`` [batch, marks x
        64], the siamese embeddings the contrastive loss compares."""
        return self._encode(counts_a, counts_b)[0]

    def loss(
        self,
        outputs: dict[str, torch.Tensor],
        target_difference: torch.Tensor,
        target_a: torch.Tensor,
        target_b: torch.Tensor,
    ) -> torch.Tensor:
        """The authors' training loss of ``forward``'s outputs (targets [batch] each)."""
        different = (target_difference.abs() >= self.different_fold_change).float()
        distance = functional.pairwise_distance(outputs["embedding_a"], outputs["embedding_b"])
        contrastive = torch.mean(
            (1 - different) * distance**2
            + different * torch.clamp(self.contrastive_margin - distance, min=0.0) ** 2
        )
        return (
            functional.mse_loss(outputs["difference"], target_difference)
            + functional.mse_loss(outputs["a"], target_a)
            + functional.mse_loss(outputs["b"], target_b)
            + self.contrastive_weight * contrastive
        )

    def attention(self, counts_a: torch.Tensor, counts_b: torch.Tensor) -> dict[str, torch.Tensor]:
        """The difference encoder's weights per mark: ``bins`` [batch, marks, bins] (each mark's
        sum to 1) and ``marks`` [batch, marks] (sum to 1); see the module docstring."""
        weights = self.channel_attention(counts_a, counts_b)
        batch, _, n_bins = weights["bins"].shape
        marks = weights["marks"].view(batch, len(CHANNELS), self.n_marks)
        bins = weights["bins"].view(batch, len(CHANNELS), self.n_marks, n_bins)
        mark_weights = marks.sum(dim=1)
        bin_weights = torch.einsum("bcm,bcmn->bmn", marks, bins) / mark_weights[..., None]
        return {"bins": bin_weights, "marks": mark_weights}

    def channel_attention(
        self, counts_a: torch.Tensor, counts_b: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        """The difference encoder's weights over its 5 x marks inputs (``CHANNELS`` order, marks
        within each): ``bins`` [batch, 5 x marks, bins] and ``marks`` [batch, 5 x marks]."""
        return self._encode(counts_a, counts_b)[1]

    def _encode(
        self, counts_a: torch.Tensor, counts_b: torch.Tensor
    ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        self._check(counts_a, counts_b)
        raw = torch.cat([counts_a, counts_b, counts_a - counts_b], dim=1)
        raw_embeddings, raw_bin_weights = _encode_marks(self.raw_encoders, raw)
        siamese_embeddings, siamese_bin_weights = _encode_marks(
            self.siamese_encoders, torch.cat([counts_a, counts_b], dim=0)
        )
        embeddings_a, embeddings_b = siamese_embeddings.chunk(2, dim=0)
        gene_a, _ = self.mark_encoder_a(embeddings_a)
        gene_b, _ = self.mark_encoder_b(embeddings_b)
        gene, mark_weights = self.mark_encoder_difference(
            torch.cat([raw_embeddings, embeddings_a, embeddings_b], dim=1)
        )
        outputs = {
            "difference": self.head_difference(gene)[:, 0],
            "a": self.head_a(gene_a)[:, 0],
            "b": self.head_b(gene_b)[:, 0],
            "embedding_a": embeddings_a.flatten(1),
            "embedding_b": embeddings_b.flatten(1),
        }
        bin_weights = torch.cat([raw_bin_weights, *siamese_bin_weights.chunk(2, dim=0)], dim=1)
        return outputs, {"bins": bin_weights, "marks": mark_weights}

    def _check(self, counts_a: torch.Tensor, counts_b: torch.Tensor) -> None:
        if counts_a.shape != counts_b.shape:
            raise ValueError(
                f"DeepDiff needs both cells' counts in one shape, got {tuple(counts_a.shape)} "
                f"and {tuple(counts_b.shape)}"
            )
        if counts_a.dim() != 3 or counts_a.shape[1] != self.n_marks:
            raise ValueError(
                f"DeepDiff was built for counts [batch, {self.n_marks} marks, bins], "
                f"got {tuple(counts_a.shape)}"
            )


def _encode_marks(
    encoders: nn.ModuleList, counts: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """counts [batch, inputs, bins], one encoder per input -> (embeddings [batch, inputs,
    64], bin weights [batch, inputs, bins])."""
    embeddings, weights = zip(
        *(encoder(counts[:, index, :, None]) for index, encoder in enumerate(encoders)),
        strict=True,
    )
    return torch.stack(embeddings, dim=1), torch.stack(weights, dim=1)
