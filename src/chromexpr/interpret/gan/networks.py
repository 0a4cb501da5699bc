"""The GAN's two networks, and the Poisson draw of counts from the generator's rates."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

# The expression classes, by label (0 low, 1 high).
CLASS_NAMES = ("low", "high")
N_CLASSES = len(CLASS_NAMES)


class Generator(nn.Module):
    """(latent [batch, latent], class [batch]) -> expected counts [batch, marks, bins] (> 0).

    ``log_offset`` and ``log_ceiling`` [marks] are the training genes' log mean count and log
    largest count per mark: the network's output is a log rate relative to the mark's mean, so
    it starts near the data's scale, and no rate exceeds the largest real count.
    """

    def __init__(self, n_marks: int, n_bins: int, latent_size: int, channels: int) -> None:
        super().__init__()
        self.register_buffer("log_offset", torch.zeros(n_marks))
        self.register_buffer("log_ceiling", torch.ones(n_marks))
        self.class_embedding = nn.Embedding(N_CLASSES, latent_size)
        self.channels, self.coarse_bins = channels, max((n_bins + 3) // 4, 1)
        self.project = nn.Linear(2 * latent_size, channels * self.coarse_bins)
        self.network = nn.Sequential(
            nn.LeakyReLU(0.2),
            nn.Upsample(size=max((n_bins + 1) // 2, 1), mode="linear"),
            nn.Conv1d(channels, channels, 5, padding=2),
            nn.LeakyReLU(0.2),
            nn.Upsample(size=n_bins, mode="linear"),
            nn.Conv1d(channels, channels, 5, padding=2),
            nn.LeakyReLU(0.2),
            nn.Conv1d(channels, n_marks, 3, padding=1),
        )

    def rates(self, latent: torch.Tensor, class_vectors: torch.Tensor) -> torch.Tensor:
        """Expected counts for latent vectors and class embedding vectors [batch, latent] (an
        interpolation between the two classes' embeddings included)."""
        joined = torch.cat([latent, class_vectors], dim=1)
        coarse = self.project(joined).view(-1, self.channels, self.coarse_bins)
        log_rate = self.network(coarse) + self.log_offset[:, None]
        return torch.exp(torch.minimum(log_rate, self.log_ceiling[:, None]))

    def forward(self, latent: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
        return self.rates(latent, self.class_embedding(classes))


class Discriminator(nn.Module):
    """(standardised log1p counts [batch, marks, bins], class [batch]) -> score [batch].

    A projection discriminator: features h of the signal (convolutions along the bins, and each
    mark's mean), score = w.h + embedding(class).h; every layer spectrally normalised.
    """

    def __init__(self, n_marks: int, n_bins: int, channels: int, features: int = 64) -> None:
        super().__init__()
        self.features = nn.Sequential(
            spectral_norm(nn.Conv1d(n_marks, channels, 5, padding=2)),
            nn.LeakyReLU(0.2),
            spectral_norm(nn.Conv1d(channels, channels, 4, stride=2, padding=1)),
            nn.LeakyReLU(0.2),
            spectral_norm(nn.Conv1d(channels, channels, 4, stride=2, padding=1)),
            nn.LeakyReLU(0.2),
            nn.Flatten(),
        )
        with torch.no_grad():
            width = self.features(torch.zeros(1, n_marks, n_bins)).shape[1]
        self.combine = nn.Sequential(
            spectral_norm(nn.Linear(width + n_marks, features)), nn.LeakyReLU(0.2)
        )
        self.score = spectral_norm(nn.Linear(features, 1))
        self.class_embedding = spectral_norm(nn.Embedding(N_CLASSES, features))

    def forward(self, signal: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
        # Each mark's mean over the bins beside the convolutional features: a sparse mark's
        # small level differences are easy to miss bin by bin.
        features = self.combine(torch.cat([self.features(signal), signal.mean(dim=2)], dim=1))
        return self.score(features)[:, 0] + (self.class_embedding(classes) * features).sum(dim=1)


def poisson_counts(rates: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Poisson draws of ``rates`` whose gradient passes straight through to the rates."""
    draws = torch.poisson(rates.detach(), generator=generator)
    return rates + (draws - rates.detach())
