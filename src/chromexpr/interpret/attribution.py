"""Attributions of a trained classifier: integrated gradients per test gene, and mark knockouts.

- Integrated gradients (Sundararajan et al. 2017, computed by Captum's ``IntegratedGradients``)
  of each test gene's log-odds of "high" (logit of high minus logit of low; the logit for
  one-output models), from a baseline input: the training genes' mean input (a gene with nothing
  special) or zeros. Each gene's attributions [marks, bins] add up to its log-odds minus the
  baseline's; they are averaged over the test genes of each class into [classes, marks, bins].
- Knockouts: for the test genes of each class, one mark at a time set to zero, or to the other
  class's mean input (training genes); the table gives the mean change in p(high).

Both work in the model's input space (the checkpoint's normalisation and input transform), and
both score against the demo's truth (``chromexpr.interpret.truth``): the class-mean attribution
maps like any profile; a knockout by the sign of its change, which the truth predicts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from captum.attr import IntegratedGradients

from chromexpr.atomic import atomic_path, write_tsv
from chromexpr.dataset import CellDataset
from chromexpr.errors import ConfigError
from chromexpr.interpret.outputs import FLOAT_FORMAT, bin_axis_kb
from chromexpr.interpret.truth import dataset_truth, pearson, score_against_truth
from chromexpr.plots.figure import new_figure, save_png, set_suptitle

CLASS_NAMES = ("low", "high")
BASELINES = ("zero", "mean")
KNOCKOUTS = ("zero", "other_class_mean")


@dataclass(frozen=True)
class AttributionSettings:
    """The ``interpret.attributions`` config mapping."""

    steps: int = 16
    baseline: str = "zero"

    def __post_init__(self) -> None:
        if self.steps < 2:
            raise ConfigError("interpret.attributions.steps", "must be >= 2")
        if self.baseline not in BASELINES:
            raise ConfigError("interpret.attributions.baseline", f"must be one of {BASELINES}")

    @classmethod
    def from_config(cls, values: Mapping[str, Any]) -> AttributionSettings:
        return cls(
            steps=values.get("steps", cls.steps), baseline=values.get("baseline", cls.baseline)
        )


def log_odds_of_high(model: torch.nn.Module):
    """A function of inputs [genes, marks, bins] giving the model's log-odds of high [genes]."""

    def forward(inputs: torch.Tensor) -> torch.Tensor:
        outputs = model(inputs)
        return outputs[:, 1] - outputs[:, 0] if outputs.shape[1] == 2 else outputs[:, 0]

    return forward


def integrated_gradients(
    model: torch.nn.Module, inputs: np.ndarray, baseline: np.ndarray, steps: int
) -> np.ndarray:
    """Captum's integrated gradients of the log-odds of high: [genes, marks, bins].

    ``inputs`` [genes, marks, bins] and ``baseline`` [marks, bins] are model inputs.
    """
    model.eval()
    method = IntegratedGradients(log_odds_of_high(model))
    values = torch.as_tensor(inputs, dtype=torch.float32)
    reference = torch.as_tensor(baseline, dtype=torch.float32)[None].expand_as(values)
    attributions = method.attribute(values, baselines=reference, n_steps=steps)
    return attributions.detach().numpy()


def class_means(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Means of ``values`` [genes, ...] over the genes of each class: [classes, ...]."""
    return np.stack([values[labels == target].mean(axis=0) for target in range(len(CLASS_NAMES))])


def knockout_table(
    trained, test_inputs: np.ndarray, test_labels: np.ndarray, class_inputs: np.ndarray, marks
) -> pd.DataFrame:
    """Mean change in p(high) of the test genes of each class when one mark is knocked out.

    ``class_inputs`` [classes, marks, bins]: the training genes' mean input per class (the
    replacement of ``other_class_mean``). Columns ``knockout, class, mark, change_p_high,
    n_genes``.
    """
    inputs = torch.as_tensor(test_inputs, dtype=torch.float32)
    before = trained.class_probabilities(inputs)[:, 1].numpy()
    rows = []
    for knockout in KNOCKOUTS:
        for target, name in enumerate(CLASS_NAMES):
            chosen = test_labels == target
            for index, mark in enumerate(marks):
                changed = inputs[chosen].clone()
                changed[:, index] = (
                    0.0
                    if knockout == "zero"
                    else torch.as_tensor(class_inputs[1 - target, index], dtype=torch.float32)
                )
                after = trained.class_probabilities(changed)[:, 1].numpy()
                rows.append(
                    {
                        "knockout": knockout,
                        "class": name,
                        "mark": str(mark),
                        "change_p_high": float(np.mean(after - before[chosen])),
                        "n_genes": int(chosen.sum()),
                    }
                )
    return pd.DataFrame(rows)


def knockout_truth(
    knockouts: pd.DataFrame, truth: np.ndarray, marks: Sequence[str]
) -> pd.DataFrame:
    """The knockout table with the sign the truth predicts for each change and whether it agrees.

    Setting a mark to zero lowers p(high) in either class where high genes carry more of it
    (truth high-minus-low total > 0), and raises it where they carry less. Giving genes the
    other class's mean of a mark moves them towards the other class: p(high) rises for low genes
    and falls for high genes, whichever way the mark goes. ``truth`` [classes, marks, bins].
    """
    truth_sign = dict(zip(marks, np.sign((truth[1] - truth[0]).sum(axis=1)), strict=True))
    table = knockouts.copy()
    towards_other = np.where(table["class"] == "low", 1, -1)
    table["expected_sign"] = np.where(
        table["knockout"] == "zero",
        -table["mark"].map(truth_sign).astype(int),
        towards_other,
    )
    table["sign_agrees"] = np.sign(table["change_p_high"]).astype(int) == table["expected_sign"]
    return table


def score_attributions(maps: np.ndarray, truth: np.ndarray, marks: Sequence[str]) -> pd.DataFrame:
    """Class-mean attribution maps [classes, marks, bins] (zero baseline) against the truth.

    An attribution is signed by the mark's effect: where high genes carry more of a mark, it
    counts for high in high genes and, less so, in low genes; where they carry less, against.
    So the mark's total attribution has the truth's sign, and the high-minus-low difference of
    the attributions is positive where the classes differ: ``correlation`` compares it with the
    size of the truth's difference, ``|truth high - truth low|``, bin by bin.
    """
    table = score_against_truth(maps, truth, marks)
    magnitude = np.abs(truth[1] - truth[0])
    table["correlation"] = [
        pearson(maps[1, index] - maps[0, index], magnitude[index]) for index in range(len(marks))
    ]
    table["sign"] = np.sign(maps.sum(axis=(0, 2))).astype(int)
    table["sign_agrees"] = table["sign"] == table["truth_sign"]
    return table.drop(columns=["correlation_low", "correlation_high"])


def attribution_truth(
    maps: np.ndarray, knockouts: pd.DataFrame, truth: np.ndarray, marks: Sequence[str]
) -> pd.DataFrame:
    """Both attributions against the truth: one row per method and mark (``score_attributions``
    for ``integrated_gradients``; for ``knockout_*``, whether both classes' changes had the sign
    ``knockout_truth`` predicts)."""
    rows = [score_attributions(maps, truth, marks).assign(method="integrated_gradients")]
    checked = knockout_truth(knockouts, truth, marks)
    for knockout, part in checked.groupby("knockout", sort=False):
        agrees = part.groupby("mark", sort=False)["sign_agrees"].all()
        rows.append(
            pd.DataFrame(
                {
                    "method": f"knockout_{knockout}",
                    "mark": agrees.index,
                    "sign_agrees": agrees.to_numpy(),
                }
            )
        )
    table = pd.concat(rows, ignore_index=True)
    return table[["method", *[column for column in table.columns if column != "method"]]]


def plot_attributions(
    path: str | os.PathLike[str],
    maps: np.ndarray,
    marks: Sequence[str],
    bin_offsets,
    title: str,
    simulated: bool = False,
) -> None:
    """Heatmaps (marks x bins) of the mean attribution of low and high test genes, on one
    diverging scale centred on 0; ``maps`` [classes, marks, bins]."""
    bin_size = int(bin_offsets[1] - bin_offsets[0]) if len(bin_offsets) > 1 else 1
    positions = bin_axis_kb(bin_offsets, bin_size)
    figure = new_figure(9, 1.6 + 1.4 * len(CLASS_NAMES))
    axes = figure.subplots(len(CLASS_NAMES), 1, sharex=True, squeeze=False)[:, 0]
    extent = (positions[0] - bin_size / 2000, positions[-1] + bin_size / 2000, len(marks), 0)
    largest = float(np.abs(maps).max()) or 1.0
    for axis, name, values in zip(axes, CLASS_NAMES, maps, strict=True):
        image = axis.imshow(
            values,
            aspect="auto",
            cmap="RdBu_r",
            vmin=-largest,
            vmax=largest,
            extent=extent,
            interpolation="nearest",
        )
        axis.set_yticks(np.arange(len(marks)) + 0.5, marks)
        axis.set_title(f"{name} test genes", fontsize="medium")
    axes[-1].set_xlabel("position relative to the TSS (kb)")
    figure.colorbar(image, ax=list(axes), label="mean attribution (log-odds of high)")
    set_suptitle(figure, title)
    save_png(figure, path, simulated)


def run_attributions(
    dataset: CellDataset,
    trained,
    settings: AttributionSettings,
    out_npz: str | os.PathLike[str],
    out_knockouts: str | os.PathLike[str],
    out_png: str | os.PathLike[str],
    simulated: bool = False,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Integrated gradients and knockouts of ``trained`` on the test genes of ``dataset``.

    Writes ``out_npz`` (``maps`` [classes, marks, bins], ``attributions`` [test genes, marks,
    bins], ``gene_ids``, ``labels``, ``classes``, ``marks``, ``bin_offsets``, ``baseline``), the
    knockout table and the heatmaps (``simulated``: the figure says the data are the demo's);
    returns the maps and the table. DatasetMismatchError unless ``trained`` is a classifier that
    may score ``dataset`` (``Checkpoint.check_compatible``).
    """
    trained.check_compatible(dataset, task="classification")
    marks = [str(mark) for mark in dataset.marks]
    training_inputs = trained.inputs(dataset, "train")
    training_labels = dataset.labels[dataset.mask("train")]
    test_inputs = trained.inputs(dataset, "test")
    test_labels = dataset.labels[dataset.mask("test")]
    baseline = (
        training_inputs.mean(axis=0)
        if settings.baseline == "mean"
        else np.zeros(training_inputs.shape[1:], dtype=np.float32)
    )
    attributions = integrated_gradients(trained.model, test_inputs, baseline, settings.steps)
    maps = class_means(attributions, test_labels)
    knockouts = knockout_table(
        trained, test_inputs, test_labels, class_means(training_inputs, training_labels), marks
    )
    with atomic_path(out_npz, suffix=".npz") as tmp:
        np.savez_compressed(
            tmp,
            maps=maps,
            attributions=attributions,
            gene_ids=dataset.gene_ids[dataset.mask("test")],
            labels=test_labels,
            classes=np.asarray(CLASS_NAMES),
            marks=np.asarray(marks),
            bin_offsets=np.asarray(dataset.bin_offsets),
            baseline=np.asarray(settings.baseline),
        )
    write_tsv(knockouts, out_knockouts, float_format=FLOAT_FORMAT)
    plot_attributions(
        out_png,
        maps,
        marks,
        dataset.bin_offsets,
        f"{trained.name}, cell {dataset.cell}: integrated gradients, mean per class",
        simulated,
    )
    return maps, knockouts


def write_attribution_truth(
    path: str | os.PathLike[str],
    maps_npz: str | os.PathLike[str],
    knockouts_tsv: str | os.PathLike[str],
    dataset: CellDataset,
    reverse_minus_strand: bool,
    seed: int,
    n_genes: int | None,
) -> pd.DataFrame:
    """``attribution_truth`` of the files ``run_attributions`` wrote for a demo dataset; TSV."""
    with np.load(maps_npz) as archive:
        maps = archive["maps"]
    knockouts = pd.read_csv(knockouts_tsv, sep="\t")
    truth = dataset_truth(dataset, reverse_minus_strand, seed, n_genes)
    table = attribution_truth(maps, knockouts, truth, [str(mark) for mark in dataset.marks])
    table.insert(0, "cell", dataset.cell)
    write_tsv(table, path, float_format=FLOAT_FORMAT)
    return table
