"""Samples of a trained generator: counts of one class, and mean rates along the line from the
low to the high class embedding."""

from __future__ import annotations

import numpy as np
import torch

from chromexpr.interpret.gan.networks import Generator

INTERPOLATION_STEPS = 5


def _latent(generator: Generator, n_samples: int, seed: int) -> torch.Tensor:
    noise = torch.Generator().manual_seed(seed)
    return torch.randn(n_samples, generator.class_embedding.embedding_dim, generator=noise)


def generate_counts(
    generator: Generator, target_class: int, n_samples: int, seed: int
) -> np.ndarray:
    """Generated read counts [samples, marks, bins] (integers >= 0, as float32) of one class."""
    latent = _latent(generator, n_samples, seed + target_class)
    classes = torch.full((n_samples,), target_class, dtype=torch.int64)
    with torch.no_grad():
        rates = generator(latent, classes)
    return torch.poisson(rates, generator=torch.Generator().manual_seed(seed)).numpy()


def interpolated_profiles(
    generator: Generator, n_samples: int, seed: int, steps: int = INTERPOLATION_STEPS
) -> tuple[np.ndarray, np.ndarray]:
    """Mean expected counts [steps, marks, bins] along the line from the low to the high class
    embedding, the latent vectors held fixed, and the positions on it [steps] (0 low, 1 high)."""
    latent = _latent(generator, n_samples, seed)
    low, high = generator.class_embedding.weight
    positions = np.linspace(0.0, 1.0, steps)
    profiles = []
    with torch.no_grad():
        for position in positions:
            vector = torch.lerp(low, high, float(position)).expand(n_samples, -1)
            profiles.append(generator.rates(latent, vector).mean(dim=0).numpy())
    return np.stack(profiles), positions
