"""The GAN's training loop: hinge loss for the discriminator, adversarial loss plus mean
matching for the generator, Adam with betas (0, 0.9) for both, and the generator's weights
averaged over the steps (see ``chromexpr.interpret.gan`` for the reasons)."""

from __future__ import annotations

import copy
import logging

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from chromexpr.errors import TrainingError
from chromexpr.interpret.gan.networks import N_CLASSES, Discriminator, Generator, poisson_counts
from chromexpr.interpret.gan.settings import GanSettings

logger = logging.getLogger(__name__)

ADAM_BETAS = (0.0, 0.9)
AVERAGE_DECAY = 0.995


def _mean_matching_loss(
    rates: torch.Tensor,
    classes: torch.Tensor,
    class_means: torch.Tensor,
    mark_means: torch.Tensor,
) -> torch.Tensor:
    """Squared difference of the batch's mean expected counts per class from the training
    genes' ``class_means`` [classes, marks, bins], relative to ``mark_means`` [marks, 1], summed
    over the classes in the batch and averaged over marks and bins."""
    loss = rates.new_zeros(())
    for target in classes.unique():
        batch_mean = rates[classes == target].mean(dim=0)
        loss = loss + (((batch_mean - class_means[target]) / mark_means) ** 2).mean()
    return loss


def train_gan(
    counts: np.ndarray,
    labels: np.ndarray,
    settings: GanSettings,
) -> tuple[Generator, pd.DataFrame]:
    """Train on counts [genes, marks, bins] (>= 0) with labels [genes] (0/1); the generator
    (its weights' moving average, in eval mode) and a history (epoch, discriminator hinge loss
    and generator adversarial loss). Deterministic for a seed on CPU."""
    if counts.min() < 0:
        raise TrainingError("GAN: counts must be non-negative")
    if set(np.unique(labels)) != {0, 1}:
        raise TrainingError("GAN: the training genes must hold both classes")
    torch.manual_seed(settings.seed)
    _, n_marks, n_bins = counts.shape
    real_counts = torch.as_tensor(counts.astype(np.float32))
    log_signal = torch.log1p(real_counts)
    centre = log_signal.mean(dim=(0, 2))[:, None]
    scale = log_signal.std(dim=(0, 2)).clamp(min=1e-3)[:, None]
    real = (log_signal - centre) / scale
    classes = torch.as_tensor(labels.astype(np.int64))
    # Mean counts per class [classes, marks, bins] relative to each mark's mean count.
    mark_means = real_counts.mean(dim=(0, 2)).clamp(min=1e-3)[:, None]
    class_means = torch.stack(
        [real_counts[classes == target].mean(dim=0) for target in range(N_CLASSES)]
    )

    generator = Generator(n_marks, n_bins, settings.latent_size, settings.channels)
    generator.log_offset.copy_(real_counts.mean(dim=(0, 2)).clamp(min=1e-3).log())
    generator.log_ceiling.copy_(real_counts.amax(dim=(0, 2)).clamp(min=1.0).log())
    average = copy.deepcopy(generator).requires_grad_(False)
    discriminator = Discriminator(n_marks, n_bins, settings.channels)
    generator_optimiser = torch.optim.Adam(
        generator.parameters(), settings.learning_rate, betas=ADAM_BETAS
    )
    discriminator_optimiser = torch.optim.Adam(
        discriminator.parameters(), settings.learning_rate, betas=ADAM_BETAS
    )
    shuffling = torch.Generator().manual_seed(settings.seed)
    history = []
    for epoch in range(1, settings.epochs + 1):
        order = torch.randperm(len(real), generator=shuffling)
        loss_sums = np.zeros(2)
        for start in range(0, len(real), settings.batch_size):
            batch = order[start : start + settings.batch_size]
            real_batch, class_batch = real[batch], classes[batch]
            fake_rates = generator(torch.randn(len(batch), settings.latent_size), class_batch)
            fake = (torch.log1p(poisson_counts(fake_rates)) - centre) / scale
            discriminator_loss = (
                F.relu(1 - discriminator(real_batch, class_batch)).mean()
                + F.relu(1 + discriminator(fake.detach(), class_batch)).mean()
            )
            discriminator_optimiser.zero_grad(set_to_none=True)
            discriminator_loss.backward()
            discriminator_optimiser.step()
            adversarial_loss = -discriminator(fake, class_batch).mean()
            generator_loss = adversarial_loss + _mean_matching_loss(
                fake_rates, class_batch, class_means, mark_means
            )
            generator_optimiser.zero_grad(set_to_none=True)
            generator_loss.backward()
            generator_optimiser.step()
            with torch.no_grad():
                for averaged, current in zip(
                    average.parameters(), generator.parameters(), strict=True
                ):
                    averaged.lerp_(current, 1 - AVERAGE_DECAY)
            loss_sums += [
                discriminator_loss.item() * len(batch),
                adversarial_loss.item() * len(batch),
            ]
        losses = loss_sums / len(real)
        if not np.all(np.isfinite(losses)):
            raise TrainingError(f"GAN: the loss became {losses} in epoch {epoch}")
        history.append((epoch, *losses))
        if epoch == 1 or epoch % 50 == 0 or epoch == settings.epochs:
            logger.info(
                f"GAN epoch {epoch}/{settings.epochs}: D loss {losses[0]:.3f}, G loss {losses[1]:.3f}"
            )
    average.eval()
    return average, pd.DataFrame(history, columns=["epoch", "discriminator_loss", "generator_loss"])
