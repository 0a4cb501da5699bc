"""A class-conditional GAN of histone-signal matrices (after DeepChrome 2.0, Kang et al. 2020).

The generator maps a latent vector and the expression class (0 low, 1 high) to a matrix of read
counts [marks, bins]; the discriminator judges (matrix, class) pairs. Trained on one cell type's
training genes only, and measured against its test genes. Deviations from DeepChrome 2.0, each
for stability (its plain GAN collapsed on the demo: spiky mean profiles, classifier agreement
from 0% to 99% depending on the CPU that ran it):

- Count model. The generator draws a smooth expected count (rate) per mark and bin: a linear
  layer lays the latent vector and class embedding out over a quarter of the bins, two linear
  upsampling + convolution stages bring it to full resolution, and ``exp`` (offset by each mark's
  mean log count, capped at its largest training count) makes it a rate. A sample is a Poisson
  draw from that rate, as reads are; the gradient passes through the draw to the rate (straight
  through: ``d draw / d rate = 1``, exact for the mean). The generator learns the gene-to-gene
  variation only; the read noise comes from the Poisson model, so samples are integer counts as
  diverse as real genes', and the discriminator cannot tell them apart by their discreteness.
- The discriminator sees log1p counts standardised per mark (mean and sd of the training genes),
  and each mark's mean of them beside its convolutional features. It is a projection
  discriminator (Miyato & Koyama 2018: the class embedding's inner product with
  the features), every layer spectrally normalised, trained with the hinge loss.
- Mean matching (a form of feature matching, Salimans et al. 2016): the generator's loss adds
  the squared difference between the batch's mean expected counts per class and the training
  genes' class means, relative to each mark's mean count. In log space the discriminator is
  nearly blind to a sparse mark's background level and to a peak's height, which decide the mean
  totals; without this term those drifted by up to 2.7 times from run to run.
- Adam with betas (0, 0.9) for both networks (as SN-GAN) and an exponential moving average of the
  generator's weights (decay 0.995 per step), which is what samples: the average of the last few
  hundred steps instead of wherever the adversarial game stood at the last one.

Measures (``gan_metrics``), per class against the real test genes of that class: Pearson
correlation of mean count profiles per mark (meaningful only for marks whose real profile is not
flat, see ``flat_profile``), the ratio of generated to real mean total counts per mark, the share
of generated samples that the cell's classifier assigns to the class (next to the share of real
test genes it assigns), and the mean pairwise Euclidean distance between samples in log1p space,
generated over real (mode collapse shows as a small ratio).
"""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from matplotlib import colormaps
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from chromexpr.atomic import atomic_path, write_tsv
from chromexpr.errors import ConfigError, TrainingError
from chromexpr.interpret.outputs import FLOAT_FORMAT, bin_axis_kb
from chromexpr.plots import new_figure, save_png, set_suptitle

logger = logging.getLogger(__name__)

CLASS_NAMES = ("low", "high")
N_CLASSES = 2
ADAM_BETAS = (0.0, 0.9)
AVERAGE_DECAY = 0.995
# A mark's real mean profile is flat when its variance over bins is at most this many times the
# variance its sampling noise alone gives (see flat_profile).
FLAT_NOISE_FACTOR = 2.0
INTERPOLATION_STEPS = 5


@dataclass(frozen=True)
class GanSettings:
    """The ``interpret.gan`` config mapping."""

    epochs: int = 200
    latent_size: int = 32
    batch_size: int = 64
    learning_rate: float = 2e-4
    channels: int = 16
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


def flat_profile(counts: np.ndarray) -> bool:
    """Whether the mean profile of counts [genes, bins] is flat: its variance over bins is at
    most ``FLAT_NOISE_FACTOR`` times the mean squared standard error of its bins (for a profile
    that is flat plus sampling noise the ratio is about 1)."""
    profile = counts.mean(axis=0)
    squared_errors = counts.var(axis=0, ddof=1) / len(counts)
    return bool(profile.var() <= FLAT_NOISE_FACTOR * squared_errors.mean())


def mean_pairwise_distance(counts: np.ndarray) -> float:
    """Mean Euclidean distance between the log1p count matrices [samples, marks, bins] of
    every pair of samples."""
    flat = torch.as_tensor(np.log1p(counts.reshape(len(counts), -1)), dtype=torch.float64)
    return float(torch.pdist(flat).mean())


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    if a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def gan_metrics(
    real: Mapping[int, np.ndarray],
    generated: Mapping[int, np.ndarray],
    generated_agreement: Mapping[int, float],
    real_agreement: Mapping[int, float],
    marks: Sequence[str],
) -> pd.DataFrame:
    """One row per class and mark: ``class, mark, real_flat, profile_correlation,
    real_mean_total, generated_mean_total, total_ratio, classifier_agreement,
    real_classifier_agreement, diversity_ratio, n_real, n_generated``.

    ``real`` and ``generated`` map a class to counts [genes or samples, marks, bins]; the
    agreements map it to the share of its generated samples, or real genes, that the classifier
    puts in that class. ``diversity_ratio`` (per class) is the mean pairwise distance of
    generated samples over that of real genes.
    """
    rows = []
    for target_class, name in enumerate(CLASS_NAMES):
        real_counts, fake_counts = real[target_class], generated[target_class]
        diversity = mean_pairwise_distance(fake_counts) / mean_pairwise_distance(real_counts)
        for index, mark in enumerate(marks):
            real_total = float(real_counts[:, index].sum(axis=1).mean())
            fake_total = float(fake_counts[:, index].sum(axis=1).mean())
            rows.append(
                {
                    "class": name,
                    "mark": mark,
                    "real_flat": flat_profile(real_counts[:, index]),
                    "profile_correlation": _correlation(
                        real_counts[:, index].mean(axis=0), fake_counts[:, index].mean(axis=0)
                    ),
                    "real_mean_total": real_total,
                    "generated_mean_total": fake_total,
                    "total_ratio": fake_total / real_total if real_total > 0 else float("nan"),
                    "classifier_agreement": generated_agreement[target_class],
                    "real_classifier_agreement": real_agreement[target_class],
                    "diversity_ratio": diversity,
                    "n_real": len(real_counts),
                    "n_generated": len(fake_counts),
                }
            )
    return pd.DataFrame(rows)


def summarise_metrics(metrics: pd.DataFrame) -> dict[str, float]:
    """The worst case over classes and marks of each measure of a ``gan_metrics`` table: lowest
    classifier agreement (generated and real), lowest profile correlation of the marks whose
    real profile is not flat, largest |total ratio - 1|, lowest diversity ratio."""
    shaped = metrics[~metrics["real_flat"].astype(bool)]
    return {
        "classifier_agreement": float(metrics["classifier_agreement"].min()),
        "real_classifier_agreement": float(metrics["real_classifier_agreement"].min()),
        "profile_correlation": float(shaped["profile_correlation"].min())
        if len(shaped)
        else float("nan"),
        "total_error": float((metrics["total_ratio"] - 1).abs().max()),
        "diversity_ratio": float(metrics["diversity_ratio"].min()),
    }


def plot_profiles(
    path: str | os.PathLike[str],
    real: Mapping[int, np.ndarray],
    generated: Mapping[int, np.ndarray],
    interpolation: tuple[np.ndarray, np.ndarray],
    marks: Sequence[str],
    bin_offsets: np.ndarray,
    title: str,
    simulated: bool = False,
) -> None:
    """Two rows of one panel per mark, mean count per bin against kb from the TSS. Top: real
    test genes (solid) and generated samples (dashed) per class. Bottom: the generator's mean
    expected counts along the interpolation from the low to the high class embedding."""
    bin_size = int(bin_offsets[1] - bin_offsets[0]) if len(bin_offsets) > 1 else 1
    positions = bin_axis_kb(bin_offsets, bin_size)
    colours = ("tab:blue", "tab:red")
    profiles, steps = interpolation
    shades = colormaps["coolwarm"](steps)
    figure = new_figure(2.9 * len(marks), 5.8)
    axes = figure.subplots(2, len(marks), squeeze=False, sharex=True)
    for index, mark in enumerate(marks):
        top, bottom = axes[0, index], axes[1, index]
        top.set_title(mark, fontsize="medium")
        for target_class, name in enumerate(CLASS_NAMES):
            colour = colours[target_class]
            top.plot(positions, real[target_class][:, index].mean(axis=0), color=colour)
            top.plot(
                positions,
                generated[target_class][:, index].mean(axis=0),
                color=colour,
                linestyle="--",
                label=f"{name}: real (solid), generated (dashed)",
            )
        for step, shade in zip(range(len(steps)), shades, strict=True):
            bottom.plot(positions, profiles[step, index], color=shade, label=f"{steps[step]:.2g}")
        bottom.set_xlabel("kb from TSS")
    axes[0, 0].set_ylabel("mean count per bin")
    axes[1, 0].set_ylabel("generated mean count\n(class interpolated)")
    axes[0, -1].legend(fontsize="xx-small")
    axes[1, -1].legend(title="low 0 to high 1", fontsize="xx-small", title_fontsize="xx-small")
    set_suptitle(figure, title)
    save_png(figure, path, simulated)


def plot_sample_grid(
    path: str | os.PathLike[str],
    real: Mapping[int, np.ndarray],
    generated: Mapping[int, np.ndarray],
    marks: Sequence[str],
    title: str,
    per_row: int = 4,
    simulated: bool = False,
) -> None:
    """Heatmaps (marks x bins, log1p colour scale) of the first ``per_row`` real and generated
    matrices of each class: rows real low, generated low, real high, generated high."""
    rows = [
        (f"{name}, {kind}", source[target_class][:per_row])
        for target_class, name in enumerate(CLASS_NAMES)
        for kind, source in (("real", real), ("generated", generated))
    ]
    top = max(float(np.log1p(samples).max()) for _, samples in rows) or 1.0
    figure = new_figure(2.4 * per_row, 1.3 * len(rows) + 0.8)
    axes = figure.subplots(len(rows), per_row, squeeze=False)
    for row, (label, samples) in enumerate(rows):
        for column in range(per_row):
            axis = axes[row, column]
            axis.set_xticks([])
            axis.set_yticks([])
            if column < len(samples):
                image = axis.imshow(
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
    figure.colorbar(image, ax=axes, label="log1p count", shrink=0.6)
    set_suptitle(figure, f"{title}: marks x bins, TSS window left to right")
    save_png(figure, path, simulated)


@dataclass
class GanRun:
    """A trained generator, its history, and the real test genes, generated samples (counts
    per class) and measures (a ``gan_metrics`` table) it was judged by."""

    generator: Generator
    history: pd.DataFrame
    real: dict[int, np.ndarray]
    generated: dict[int, np.ndarray]
    metrics: pd.DataFrame


def train_and_measure(dataset, classifier, settings: GanSettings) -> GanRun:
    """Train on ``dataset``'s (a CellDataset) training genes; measure against its test genes
    and ``classifier`` (a ``chromexpr.train.Checkpoint``)."""
    train = dataset.mask("train")
    generator, history = train_gan(dataset.counts[train], dataset.labels[train], settings)
    test = dataset.mask("test")
    real, generated, generated_agreement, real_agreement = {}, {}, {}, {}

    def agreement(counts: np.ndarray, target_class: int) -> float:
        probabilities = classifier.class_probabilities(classifier.transform_counts(counts))
        return float((probabilities.argmax(dim=1) == target_class).float().mean())

    for target_class, name in enumerate(CLASS_NAMES):
        real[target_class] = dataset.counts[test & (dataset.labels == target_class)].astype(
            np.float32
        )
        generated[target_class] = generate_counts(
            generator, target_class, settings.samples_per_class, settings.seed
        )
        generated_agreement[target_class] = agreement(generated[target_class], target_class)
        real_agreement[target_class] = agreement(real[target_class], target_class)
        logger.info(
            f"class {name}: classifier assigns {generated_agreement[target_class]:.1%} of "
            f"generated samples and {real_agreement[target_class]:.1%} of real test genes to it"
        )
    marks = [str(mark) for mark in dataset.marks]
    metrics = gan_metrics(real, generated, generated_agreement, real_agreement, marks)
    return GanRun(generator, history, real, generated, metrics)


def run_gan(
    dataset,
    classifier,
    settings: GanSettings,
    outputs: Mapping[str, str | os.PathLike[str]],
    simulated: bool = False,
) -> pd.DataFrame:
    """``train_and_measure``, then write ``outputs``: ``metrics`` and ``history`` (TSV),
    ``samples`` (npz: ``low``, ``high`` [samples, marks, bins] counts, ``marks``), ``profiles``
    and ``grid`` (PNG; noted as simulated demo data when ``simulated``). Returns the
    metrics table."""
    run = train_and_measure(dataset, classifier, settings)
    marks = [str(mark) for mark in dataset.marks]
    write_tsv(run.metrics, outputs["metrics"], float_format=FLOAT_FORMAT)
    write_tsv(run.history, outputs["history"], float_format=FLOAT_FORMAT)
    with atomic_path(outputs["samples"], suffix=".npz") as tmp:
        np.savez_compressed(
            tmp, low=run.generated[0], high=run.generated[1], marks=np.asarray(marks)
        )
    interpolation = interpolated_profiles(run.generator, settings.samples_per_class, settings.seed)
    plot_profiles(
        outputs["profiles"],
        run.real,
        run.generated,
        interpolation,
        marks,
        dataset.bin_offsets,
        f"Cell {dataset.cell}: conditional GAN vs real test genes",
        simulated,
    )
    plot_sample_grid(
        outputs["grid"],
        run.real,
        run.generated,
        marks,
        f"Cell {dataset.cell}: real and GAN-generated genes",
        simulated=simulated,
    )
    return run.metrics
