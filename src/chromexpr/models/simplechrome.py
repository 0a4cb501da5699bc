"""SimpleChrome: a latent code per gene from its histone matrix, classified with its neighbours' codes.

Cheng, Murtaza and Wang (2020), "SimpleChrome: encoding of combinatorial effects for predicting
gene expression", arXiv:2012.08671. A variational autoencoder (or a plain autoencoder) learns a
small latent code (size about 10) of each gene's histone matrix on the training genes; a small
classifier (MLP 256/128) then reads the gene's code concatenated with the codes of neighbouring
genes, to capture cross-gene effects.

Input: [batch, 1 + k, marks, bins]: the gene, then its k neighbours (the harness gathers them,
``chromexpr.neighbours``). Two registered names: ``simplechrome`` (k = 10 neighbours by default)
and ``simplechrome_self`` (no neighbour: the same model on the gene's own code), so that the
cross-gene claim is tested by comparing the two columns of the AUC table.

Deviations and choices where the paper leaves details open:

- Neighbours are by default the k genes with the nearest TSS on the same chromosome
  (``neighbour_order: position``); their code's +-10 genes in Ensembl-id order is
  ``neighbour_order: ensembl`` with ``neighbours: 20``.
- Encoder: log(1 + counts) flattened -> Linear(marks * bins, 128) -> ReLU -> mean and log-variance
  of the latent code; decoder: Linear(latent, 128) -> ReLU -> Linear(128, marks * bins), Gaussian
  reconstruction (mean squared error on log(1 + counts)) plus the KL term for the VAE. The log is
  part of the model, so the harness feeds raw counts as for every other model.
- The autoencoder is trained first, on the training split only (``pretrain_epochs``, Adam,
  ``pretrain_learning_rate``, ``pretrain_batch_size``; seeded by the harness), then frozen; the
  classifier reads the latent mean (no sampling), so a gene's code does not change between epochs.
- Classifier: Linear((1 + k) * latent, 256) -> ReLU -> Dropout -> Linear(256, 128) -> ReLU ->
  Dropout -> Linear(128, n_outputs), trained by the harness's recipe; published recipe Adam 1e-3,
  batch 64, 100 epochs, early stopping after 10 epochs without a better validation score.
"""

from __future__ import annotations

import logging
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from chromexpr.neighbours import NEIGHBOUR_ORDERS

logger = logging.getLogger(__name__)

AUTOENCODERS = ("vae", "ae")


class SimpleChrome(nn.Module):
    """Input [batch, 1 + neighbours, marks, bins] of counts; output [batch, n_outputs]."""

    PUBLISHED_RECIPE: ClassVar[dict] = {
        "epochs": 100,
        "batch_size": 64,
        "optimizer": "adam",
        "learning_rate": 1e-3,
        "lr_decay": 0.0,
        "patience": 10,
    }
    reads_neighbours = True
    pretrains = True

    def __init__(
        self,
        n_marks: int = 5,
        n_bins: int = 100,
        n_outputs: int = 2,
        neighbours: int = 10,
        neighbour_order: str = "position",
        autoencoder: str = "vae",
        latent_size: int = 10,
        encoder_hidden: int = 128,
        hidden_sizes: tuple[int, ...] = (256, 128),
        dropout: float = 0.5,
        kl_weight: float = 1.0,
        pretrain_epochs: int = 30,
        pretrain_batch_size: int = 128,
        pretrain_learning_rate: float = 1e-3,
    ) -> None:
        super().__init__()
        if autoencoder not in AUTOENCODERS:
            raise ValueError(f"autoencoder must be one of {AUTOENCODERS}, not {autoencoder!r}")
        if neighbour_order not in NEIGHBOUR_ORDERS:
            raise ValueError(
                f"neighbour_order must be one of {NEIGHBOUR_ORDERS}, not {neighbour_order!r}"
            )
        if neighbours < 0:
            raise ValueError(f"neighbours must be >= 0, not {neighbours}")
        self.neighbours = neighbours
        self.neighbour_order = neighbour_order
        self.autoencoder = autoencoder
        self.kl_weight = kl_weight
        self.pretrain_epochs = pretrain_epochs
        self.pretrain_batch_size = pretrain_batch_size
        self.pretrain_learning_rate = pretrain_learning_rate
        width = n_marks * n_bins
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(width, encoder_hidden), nn.ReLU())
        self.latent_mean = nn.Linear(encoder_hidden, latent_size)
        self.latent_log_variance = nn.Linear(encoder_hidden, latent_size)
        self.decoder = nn.Sequential(
            nn.Linear(latent_size, encoder_hidden), nn.ReLU(), nn.Linear(encoder_hidden, width)
        )
        layers: list[nn.Module] = []
        width = (1 + neighbours) * latent_size
        for hidden in hidden_sizes:
            layers += [nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(dropout)]
            width = hidden
        layers.append(nn.Linear(width, n_outputs))
        self.classifier = nn.Sequential(*layers)

    def encode(self, counts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean, log-variance) [genes, latent] of the codes of counts [genes, marks, bins]."""
        hidden = self.encoder(torch.log1p(counts))
        return self.latent_mean(hidden), self.latent_log_variance(hidden)

    def forward(self, counts: torch.Tensor) -> torch.Tensor:
        batch, genes = counts.shape[:2]
        codes, _ = self.encode(counts.reshape(batch * genes, *counts.shape[2:]))
        return self.classifier(codes.reshape(batch, -1))

    def autoencoder_loss(self, counts: torch.Tensor) -> torch.Tensor:
        """Reconstruction (plus KL for the VAE) of counts [genes, marks, bins], mean per gene."""
        mean, log_variance = self.encode(counts)
        if self.autoencoder == "vae":
            code = mean + torch.randn_like(mean) * torch.exp(0.5 * log_variance)
        else:
            code = mean
        target = torch.log1p(counts).flatten(1)
        loss = F.mse_loss(self.decoder(code), target, reduction="none").sum(1)
        if self.autoencoder == "vae":
            kl = -0.5 * (1 + log_variance - mean.square() - log_variance.exp()).sum(1)
            loss = loss + self.kl_weight * kl
        return loss.mean()

    def pretrain(self, train_inputs: torch.Tensor) -> None:
        """Train the autoencoder on the training genes' own matrices, then freeze it.

        ``train_inputs`` [genes, 1 + k, marks, bins]; only the genes themselves (index 0) are
        used, so each training gene is seen once per epoch. Draws from torch's global generator,
        which the harness has seeded.
        """
        genes = train_inputs[:, 0]
        autoencoder = [self.encoder, self.latent_mean, self.latent_log_variance, self.decoder]
        parameters = [p for module in autoencoder for p in module.parameters()]
        optimizer = torch.optim.Adam(parameters, lr=self.pretrain_learning_rate)
        self.train()
        for epoch in range(1, self.pretrain_epochs + 1):
            order = torch.randperm(len(genes)).to(genes.device)
            total = 0.0
            for start in range(0, len(genes), self.pretrain_batch_size):
                batch = genes[order[start : start + self.pretrain_batch_size]]
                loss = self.autoencoder_loss(batch)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                total += loss.item() * len(batch)
            if epoch == 1 or epoch % 10 == 0 or epoch == self.pretrain_epochs:
                logger.info(
                    "%s pretraining epoch %d/%d loss %.4f",
                    self.autoencoder,
                    epoch,
                    self.pretrain_epochs,
                    total / len(genes),
                )
        for parameter in parameters:
            parameter.requires_grad_(False)


class SimpleChromeSelf(SimpleChrome):
    """SimpleChrome without neighbours: the classifier reads the gene's own code only."""

    def __init__(self, n_marks: int = 5, n_bins: int = 100, **hyperparameters) -> None:
        if hyperparameters.get("neighbours", 0) != 0:
            raise ValueError("simplechrome_self reads no neighbours; use simplechrome for k > 0")
        super().__init__(n_marks, n_bins, **{**hyperparameters, "neighbours": 0})
