"""A class-conditional GAN of histone-signal matrices (after DeepChrome 2.0, Kang et al. 2020).

The generator maps a latent vector and the expression class (0 low, 1 high) to a matrix
[marks, bins]; the discriminator judges (matrix, class) pairs, the class entering both as a
learned embedding (concatenated to the latent vector; an extra input channel of the
discriminator). Both are trained with
the non-saturating GAN loss and Adam (lr 2e-4, betas 0.5, 0.999), on one cell type's training
genes only.

Scale: the GAN models log1p(counts). Raw counts of a few strongly marked genes are 10-100 times
the typical bin, which a small generator fits poorly; log1p compresses that tail and keeps every
value non-negative. The generator ends in a sigmoid scaled per mark to the largest log1p value of
the training genes, so samples lie in the data's range: >= 0 in log1p space, expm1(sample) >= 0
counts, and no sample can run past the largest real value (an unbounded output let a few
exploding samples dominate the mean profiles). One-sided label smoothing (real = 0.9) steadies
the discriminator. Samples are returned as counts (expm1), the space every measure
below is computed in:

- per class and mark, the Pearson correlation of the generated and real mean profiles over bins;
- the fraction of generated samples of each class that a trained classifier (the cell's
  DeepChrome model) assigns to that class (p >= 0.5);
- per class and mark, the 1-D Wasserstein distance between the generated and real distributions
  of total signal (counts summed over the bins), next to the real mean total for scale.

Both networks are small 1-D convolutional networks along the bins, as in DeepChrome 2.0; they
train on CPU in about a minute per demo cell (667 training genes, 100 epochs).

Measured on demo cell E003 (100 epochs, seed 1, against 346 low and 320 high test genes): the
classifier puts 100% of low and 92% of high samples in their class; generated mean totals per mark
are 0.44-0.84 times the real ones (too little signal); mean-profile correlation is 0.63 for H3K4me3
and 0.45 for H3K4me1 of high genes (marks with a shape around the TSS) and near 0 for the flat
marks, whose real mean profile is flat plus noise. Generated mean profiles are spiky: part of the
samples put high values in the same few bins (partial mode collapse). Tried and not kept:
multilayer perceptrons (comparable numbers, less stable from 100 to 200 epochs) and a minibatch
standard deviation channel in the discriminator (the high class collapsed).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from scipy.stats import wasserstein_distance
from torch import nn

from chromexpr.atomic import atomic_path, write_tsv
from chromexpr.errors import ConfigError, TrainingError
from chromexpr.interpret.outputs import FLOAT_FORMAT, bin_axis_kb, profile_panels
from chromexpr.plots import new_figure, save_png

logger = logging.getLogger(__name__)

CLASS_NAMES = ("low", "high")
N_CLASSES = 2


@dataclass(frozen=True)
class GanSettings:
    """The ``interpret.gan`` config mapping."""

    epochs: int = 100
    latent_size: int = 32
    batch_size: int = 64
    learning_rate: float = 2e-4
    channels: int = 64
    seed: int = 1
    samples_per_class: int = 500

    def __post_init__(self) -> None:
        for name in ("epochs", "latent_size", "batch_size", "channels", "samples_per_class"):
            if getattr(self, name) < 1:
                raise ConfigError(f"interpret.gan.{name}", "must be >= 1")
        if self.learning_rate <= 0:
            raise ConfigError("interpret.gan.learning_rate", "must be > 0")

    @classmethod
    def from_config(cls, values: Mapping[str, Any]) -> GanSettings:
        """Settings from ``interpret.gan`` (its ``classifier`` key names a model, not a setting)."""
        values = {key: value for key, value in values.items() if key != "classifier"}
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"interpret.gan.{sorted(unknown)[0]}", "unknown key")
        return cls(**values)


class Generator(nn.Module):
    """(latent [batch, latent], class [batch]) -> log1p signal [batch, marks, bins] in
    [0, ceiling] per mark, where ``ceiling`` [marks] is the training data's largest log1p value.

    A linear layer lays the latent vector and class embedding out over a quarter of the bins;
    two upsampling + convolution stages bring it to full resolution, so neighbouring bins share
    weights (histone signal is smooth along the window).
    """

    def __init__(self, n_marks: int, n_bins: int, latent_size: int, channels: int) -> None:
        super().__init__()
        self.shape = (n_marks, n_bins)
        self.register_buffer("ceiling", torch.ones(n_marks))
        self.class_embedding = nn.Embedding(N_CLASSES, latent_size)
        self.channels, self.coarse_bins = channels, max((n_bins + 3) // 4, 1)
        self.project = nn.Sequential(
            nn.Linear(2 * latent_size, channels * self.coarse_bins), nn.LeakyReLU(0.2)
        )
        self.network = nn.Sequential(
            nn.Upsample(size=max((n_bins + 1) // 2, 1)),
            nn.Conv1d(channels, channels, 5, padding=2),
            nn.LeakyReLU(0.2),
            nn.Upsample(size=n_bins),
            nn.Conv1d(channels, channels, 5, padding=2),
            nn.LeakyReLU(0.2),
            nn.Conv1d(channels, n_marks, 3, padding=1),
            nn.Sigmoid(),
        )

    def forward(self, latent: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
        joined = torch.cat([latent, self.class_embedding(classes)], dim=1)
        coarse = self.project(joined).view(-1, self.channels, self.coarse_bins)
        return self.network(coarse) * self.ceiling[:, None]


class Discriminator(nn.Module):
    """(log1p signal [batch, marks, bins], class [batch]) -> real/fake logit [batch].

    The class enters as an extra input channel (its embedding value repeated along the bins).
    """

    def __init__(self, n_marks: int, n_bins: int, channels: int) -> None:
        super().__init__()
        self.class_embedding = nn.Embedding(N_CLASSES, 1)
        self.features = nn.Sequential(
            nn.Conv1d(n_marks + 1, channels, 5, padding=2),
            nn.LeakyReLU(0.2),
            nn.Conv1d(channels, channels, 5, stride=2, padding=2),
            nn.LeakyReLU(0.2),
            nn.Conv1d(channels, channels, 5, stride=2, padding=2),
            nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Dropout(0.3),
        )
        with torch.no_grad():
            width = self.features(torch.zeros(1, n_marks + 1, n_bins)).shape[1]
        self.classifier = nn.Linear(width, 1)

    def forward(self, signal: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
        label_channel = self.class_embedding(classes)[:, :, None].expand(-1, 1, signal.shape[2])
        joined = torch.cat([signal, label_channel], dim=1)
        return self.classifier(self.features(joined))[:, 0]


def train_gan(
    counts: np.ndarray,
    labels: np.ndarray,
    settings: GanSettings,
) -> tuple[Generator, pd.DataFrame]:
    """Train on counts [genes, marks, bins] (>= 0) with labels [genes] (0/1); the generator
    and a history (epoch, discriminator and generator loss). Deterministic for a seed on CPU."""
    if counts.min() < 0:
        raise TrainingError("GAN: counts must be non-negative")
    if set(np.unique(labels)) != {0, 1}:
        raise TrainingError("GAN: the training genes must hold both classes")
    torch.manual_seed(settings.seed)
    _, n_marks, n_bins = counts.shape
    real = torch.as_tensor(np.log1p(counts.astype(np.float32)))
    classes = torch.as_tensor(labels.astype(np.int64))
    generator = Generator(n_marks, n_bins, settings.latent_size, settings.channels)
    generator.ceiling.copy_(real.amax(dim=(0, 2)).clamp(min=1e-3))
    discriminator = Discriminator(n_marks, n_bins, settings.channels)
    betas = (0.5, 0.999)
    generator_optimiser = torch.optim.Adam(
        generator.parameters(), settings.learning_rate, betas=betas
    )
    discriminator_optimiser = torch.optim.Adam(
        discriminator.parameters(), settings.learning_rate, betas=betas
    )
    shuffling = torch.Generator().manual_seed(settings.seed)
    history = []
    for epoch in range(1, settings.epochs + 1):
        order = torch.randperm(len(real), generator=shuffling)
        loss_sums = np.zeros(2)
        for start in range(0, len(real), settings.batch_size):
            batch = order[start : start + settings.batch_size]
            real_batch, class_batch = real[batch], classes[batch]
            latent = torch.randn(len(batch), settings.latent_size)
            fake = generator(latent, class_batch)
            # One-sided label smoothing (real = 0.9) keeps the discriminator from overconfidence.
            ones, zeros = torch.full((len(batch),), 0.9), torch.zeros(len(batch))
            discriminator_loss = F.binary_cross_entropy_with_logits(
                discriminator(real_batch, class_batch), ones
            ) + F.binary_cross_entropy_with_logits(discriminator(fake.detach(), class_batch), zeros)
            discriminator_optimiser.zero_grad(set_to_none=True)
            discriminator_loss.backward()
            discriminator_optimiser.step()
            generator_loss = F.binary_cross_entropy_with_logits(
                discriminator(fake, class_batch), torch.ones(len(batch))
            )
            generator_optimiser.zero_grad(set_to_none=True)
            generator_loss.backward()
            generator_optimiser.step()
            loss_sums += [
                discriminator_loss.item() * len(batch),
                generator_loss.item() * len(batch),
            ]
        losses = loss_sums / len(real)
        if not np.all(np.isfinite(losses)):
            raise TrainingError(f"GAN: the loss became {losses} in epoch {epoch}")
        history.append((epoch, *losses))
        if epoch == 1 or epoch % 25 == 0 or epoch == settings.epochs:
            logger.info(
                f"GAN epoch {epoch}/{settings.epochs}: D loss {losses[0]:.3f}, G loss {losses[1]:.3f}"
            )
    generator.eval()
    return generator, pd.DataFrame(
        history, columns=["epoch", "discriminator_loss", "generator_loss"]
    )


def generate_counts(
    generator: Generator, target_class: int, n_samples: int, seed: int
) -> np.ndarray:
    """Generated counts [samples, marks, bins] (>= 0) of one class."""
    noise = torch.Generator().manual_seed(seed + target_class)
    latent_size = generator.class_embedding.embedding_dim
    latent = torch.randn(n_samples, latent_size, generator=noise)
    classes = torch.full((n_samples,), target_class, dtype=torch.int64)
    with torch.no_grad():
        log_signal = generator(latent, classes)
    return torch.expm1(log_signal).clamp_(min=0).numpy()


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    if a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def gan_metrics(
    real: Mapping[int, np.ndarray],
    generated: Mapping[int, np.ndarray],
    assigned_fraction: Mapping[int, float],
    marks: Sequence[str],
) -> pd.DataFrame:
    """One row per class and mark: ``class, mark, profile_correlation, classifier_agreement,
    wasserstein_total, real_mean_total, generated_mean_total, n_real, n_generated``.

    ``real`` and ``generated`` map a class to counts [genes or samples, marks, bins];
    ``assigned_fraction`` maps it to the share of its samples the classifier puts in that class.
    """
    rows = []
    for target_class, name in enumerate(CLASS_NAMES):
        real_counts, fake_counts = real[target_class], generated[target_class]
        for index, mark in enumerate(marks):
            real_totals = real_counts[:, index].sum(axis=1)
            fake_totals = fake_counts[:, index].sum(axis=1)
            rows.append(
                {
                    "class": name,
                    "mark": mark,
                    "profile_correlation": _correlation(
                        real_counts[:, index].mean(axis=0), fake_counts[:, index].mean(axis=0)
                    ),
                    "classifier_agreement": assigned_fraction[target_class],
                    "wasserstein_total": float(wasserstein_distance(real_totals, fake_totals)),
                    "real_mean_total": float(real_totals.mean()),
                    "generated_mean_total": float(fake_totals.mean()),
                    "n_real": len(real_counts),
                    "n_generated": len(fake_counts),
                }
            )
    return pd.DataFrame(rows)


def plot_mean_profiles(
    path: str | os.PathLike[str],
    real: Mapping[int, np.ndarray],
    generated: Mapping[int, np.ndarray],
    marks: Sequence[str],
    bin_offsets: np.ndarray,
    title: str,
) -> None:
    """Real (solid) and generated (dashed) mean counts per bin: one panel per mark, one colour per class."""
    bin_size = int(bin_offsets[1] - bin_offsets[0]) if len(bin_offsets) > 1 else 1
    positions = bin_axis_kb(bin_offsets, bin_size)
    colours = ("tab:blue", "tab:red")
    with profile_panels(marks, title, path) as axes:
        for index, axis in enumerate(axes):
            for target_class, name in enumerate(CLASS_NAMES):
                colour = colours[target_class]
                axis.plot(
                    positions,
                    real[target_class][:, index].mean(axis=0),
                    color=colour,
                    label=f"{name}, real",
                )
                axis.plot(
                    positions,
                    generated[target_class][:, index].mean(axis=0),
                    color=colour,
                    linestyle="--",
                    label=f"{name}, generated",
                )


def plot_sample_grid(
    path: str | os.PathLike[str],
    real: Mapping[int, np.ndarray],
    generated: Mapping[int, np.ndarray],
    marks: Sequence[str],
    title: str,
    per_row: int = 4,
) -> None:
    """Heatmaps (marks x bins, log1p colour scale) of the first ``per_row`` real and generated
    matrices of each class: rows real low, generated low, real high, generated high."""
    rows = [
        (f"{name}, {kind}", source[target_class][:per_row])
        for target_class, name in enumerate(CLASS_NAMES)
        for kind, source in (("real", real), ("generated", generated))
    ]
    top = max(float(np.log1p(samples).max()) for _, samples in rows) or 1.0
    figure = new_figure(2.4 * per_row, 1.3 * len(rows) + 0.6)
    axes = figure.subplots(len(rows), per_row, squeeze=False)
    for row, (label, samples) in enumerate(rows):
        for column in range(per_row):
            axis = axes[row, column]
            axis.set_xticks([])
            axis.set_yticks([])
            if column < len(samples):
                axis.imshow(
                    np.log1p(samples[column]),
                    aspect="auto",
                    cmap="magma",
                    vmin=0,
                    vmax=top,
                    interpolation="nearest",
                )
            if column == 0:
                axis.set_ylabel(label, fontsize="small")
                axis.set_yticks(np.arange(len(marks)), marks, fontsize="xx-small")
    figure.suptitle(f"{title} (colour: log1p count, bins left to right)")
    save_png(figure, path)


def run_gan(
    dataset,
    classifier,
    settings: GanSettings,
    outputs: Mapping[str, str | os.PathLike[str]],
) -> pd.DataFrame:
    """Train on ``dataset``'s (a CellDataset) training genes, measure against its test genes
    and ``classifier`` (a ``chromexpr.train.Checkpoint``); write ``outputs``: ``metrics`` and ``history``
    (TSV), ``samples`` (npz: ``low``, ``high`` [samples, marks, bins] counts, ``marks``),
    ``profiles`` and ``grid`` (PNG). Returns the metrics table."""
    train = dataset.mask("train")
    generator, history = train_gan(dataset.counts[train], dataset.labels[train], settings)
    test = dataset.mask("test")
    marks = [str(mark) for mark in dataset.marks]
    real, generated, assigned = {}, {}, {}
    for target_class, name in enumerate(CLASS_NAMES):
        real[target_class] = dataset.counts[test & (dataset.labels == target_class)].astype(
            np.float32
        )
        generated[target_class] = generate_counts(
            generator, target_class, settings.samples_per_class, settings.seed
        )
        probabilities = classifier.class_probabilities(
            classifier.transform_counts(generated[target_class])
        )
        assigned[target_class] = float((probabilities.argmax(dim=1) == target_class).float().mean())
        logger.info(
            f"class {name}: classifier assigns {assigned[target_class]:.1%} of samples to it"
        )
    metrics = gan_metrics(real, generated, assigned, marks)
    write_tsv(metrics, outputs["metrics"], float_format=FLOAT_FORMAT)
    write_tsv(history, outputs["history"], float_format=FLOAT_FORMAT)
    with atomic_path(outputs["samples"], suffix=".npz") as tmp:
        np.savez_compressed(tmp, low=generated[0], high=generated[1], marks=np.asarray(marks))
    title = f"cell {dataset.cell}: conditional GAN vs test genes"
    plot_mean_profiles(outputs["profiles"], real, generated, marks, dataset.bin_offsets, title)
    plot_sample_grid(outputs["grid"], real, generated, marks, f"cell {dataset.cell}")
    return metrics
