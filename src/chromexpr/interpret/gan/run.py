"""A GAN run of one cell type: train on its training genes, measure against its test genes and
classifier, and write the tables, samples and figures."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chromexpr.atomic import atomic_path, write_tsv
from chromexpr.dataset import CellDataset
from chromexpr.interpret.gan.metrics import gan_metrics
from chromexpr.interpret.gan.networks import CLASS_NAMES, Generator
from chromexpr.interpret.gan.sampling import generate_counts, interpolated_profiles
from chromexpr.interpret.gan.settings import GanSettings
from chromexpr.interpret.gan.training import train_gan
from chromexpr.interpret.outputs import FLOAT_FORMAT
from chromexpr.plots.gan import plot_profiles, plot_sample_grid
from chromexpr.train.checkpoint import Checkpoint

logger = logging.getLogger(__name__)


@dataclass
class GanRun:
    """A trained generator, its history, and the real test genes, generated samples (counts
    per class) and measures (a ``gan_metrics`` table) it was judged by."""

    generator: Generator
    history: pd.DataFrame
    real: dict[int, np.ndarray]
    generated: dict[int, np.ndarray]
    metrics: pd.DataFrame


def train_and_measure(
    dataset: CellDataset, classifier: Checkpoint, settings: GanSettings
) -> GanRun:
    """Train on ``dataset``'s training genes; measure against its test genes and
    ``classifier``, a classifier that may score ``dataset`` (``Checkpoint.check_compatible``)."""
    classifier.check_compatible(dataset, task="classification")
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
    dataset: CellDataset,
    classifier: Checkpoint,
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
