"""The files a config asks for: what ``rule all`` builds, stage by stage, in the workflow's order.

Each list is a function of the config and the sample table (the cells, the prediction targets);
paths are relative to the working directory. The per-run file lists the rules read are in
:mod:`chromexpr.config.runs`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chromexpr.config.derived import (
    SPLIT_NAMES,
    count_source_kind,
    differential_pairs,
    tasks,
)
from chromexpr.config.sample_table import SampleTable
from chromexpr.differential.registry import has_attention
from chromexpr.models import models_with


def all_targets(config: Mapping[str, Any], samples: SampleTable) -> list[str]:
    """Everything the config asks for. With pretrained classifiers nothing is trained: the
    datasets, cross-cell transfer and predictions only."""
    datasets = [f"results/datasets/{cell}.npz" for cell in samples.cells]
    if config["pretrained"]:
        return datasets + crosscell_targets(config) + predict_targets(config, samples)
    return (
        datasets
        + processed_exports(config, samples.cells)
        + task_targets(config)
        + crosscell_targets(config)
        + report_targets(config)
        + interpret_targets(config, samples.cells)
        + predict_targets(config, samples)
        + differential_targets(config, samples.cells)
    )


def processed_exports(config: Mapping[str, Any], cells: list[str]) -> list[str]:
    """The published processed layout of each cell (export_processed)."""
    if not config["export_processed"]:
        return []
    return [
        f"results/processed/{cell}/classification/{split}.csv"
        for cell in cells
        for split in SPLIT_NAMES
    ]


def task_targets(config: Mapping[str, Any]) -> list[str]:
    """Each task's figure and table; the claims table where classifiers are trained."""
    trained = tasks(config)
    targets = [f"results/figures/models-{task}.png" for task in trained]
    if "classification" in trained:
        targets += [
            "results/tables/auc.tsv",
            "results/figures/auc.png",
            "results/tables/claims.tsv",
        ]
    if "regression" in trained:
        targets += ["results/tables/regression.tsv"]
    return targets


def crosscell_targets(config: Mapping[str, Any]) -> list[str]:
    """The cross-cell table, and a figure per (model, normalisation) of pairwise transfer."""
    crosscell = config["crosscell"]
    if not crosscell["enabled"]:
        return []
    targets = ["results/tables/crosscell.tsv"]
    if "pairwise" in crosscell["experiments"]:
        targets += [
            f"results/figures/crosscell/{model}-{normalisation}.png"
            for model in crosscell["models"]
            for normalisation in crosscell["normalisations"]
        ]
    return targets


def report_targets(config: Mapping[str, Any]) -> list[str]:
    """Data QC, training curves and HTML tables: cheap, always built for the report. The
    curves and the AUC page read the classifiers, so only where that task runs."""
    targets = [
        "results/tables/qc_reads.tsv",
        "results/tables/qc_labels.tsv",
        "results/tables/qc_expression.tsv",
        "results/figures/qc.png",
        "results/report/qc_reads.html",
        "results/report/qc_labels.html",
    ]
    if "classification" in tasks(config):
        targets += [
            "results/figures/training_curves.png",
            "results/report/auc_wide.html",
            "results/report/auc_pooled.html",
            "results/report/claims.html",
        ]
    return targets


def interpret_cells(config: Mapping[str, Any], cells: list[str]) -> list[str]:
    """The cells interpreted: interpret.cells, else every cell."""
    return config["interpret"]["cells"] or cells


# The maps whose controls the controls job draws, per method (patterns of {model} and {cell}).
CONTROLLED_MAPS = {
    "optimisation": "results/interpret/optimisation/{model}/{cell}.npz",
    "attributions": "results/interpret/attributions/{model}/{cell}/integrated_gradients.npz",
}


def control_inputs(config: Mapping[str, Any]) -> dict[str, str]:
    """The controls job's real maps, named by method: those of the configured methods that
    have controls (optimisation, attributions)."""
    methods = config["interpret"]["methods"]
    return {method: path for method, path in CONTROLLED_MAPS.items() if method in methods}


def control_tables(config: Mapping[str, Any], cells: list[str]) -> list[str]:
    """The controls table of every interpreted model and cell, where a method has controls."""
    interpret = config["interpret"]
    if not interpret["enabled"] or not control_inputs(config):
        return []
    return [
        f"results/interpret/controls/{model}/{cell}.tsv"
        for model in interpret["models"]
        for cell in interpret_cells(config, cells)
    ]


def interpret_targets(config: Mapping[str, Any], cells: list[str]) -> list[str]:
    """The figures (and, on the demo's generated data, the comparisons with the truth) of each
    interpretation method, per model and interpreted cell."""
    interpret = config["interpret"]
    if not interpret["enabled"]:
        return []
    cells = interpret_cells(config, cells)
    models, methods = interpret["models"], interpret["methods"]
    # Only the demo knows the truth.
    simulated = config["demo"]["enabled"]
    targets = []
    if "optimisation" in methods:
        targets += [
            f"results/figures/interpret/optimisation/{model}-{cell}.png"
            for model in models
            for cell in cells
        ]
        if simulated:
            targets += [
                f"results/interpret/optimisation/{model}/{cell}-truth.tsv"
                for model in models
                for cell in cells
            ]
    if "attributions" in methods:
        targets += [
            f"results/figures/interpret/attributions/{model}-{cell}.png"
            for model in models
            for cell in cells
        ]
        if simulated:
            targets += [
                f"results/interpret/attributions/{model}/{cell}/truth.tsv"
                for model in models
                for cell in cells
            ]
    if control_tables(config, cells):
        targets.append("results/report/interpretation_controls.html")
    if "gan" in methods:
        targets += [
            f"results/figures/interpret/gan/{cell}-{figure}.png"
            for cell in cells
            for figure in ("profiles", "samples")
        ]
    if "attention" in methods:
        targets += [
            f"results/figures/interpret/attention/{model}-{cell}.png"
            for model in models_with("has_attention", config["models"])
            for cell in cells
        ]
    if "profiles" in methods:
        targets += [f"results/figures/interpret/profiles/{cell}.png" for cell in cells]
    # The processed layout has no gene positions to draw tracks at.
    if "tracks" in methods and config["source"] == "raw":
        targets += [
            f"results/tracks/{cell}/{mark}.bw" for cell in cells for mark in config["marks"]
        ]
    return targets


def predict_targets(config: Mapping[str, Any], samples: SampleTable) -> list[str]:
    """Each target's predictions and tracks; for a target that is also a cell, the scores of
    the predictions against its real labels."""
    models = config["predict"]["models"]
    targets = [
        f"results/predictions/{model}/{sample}.{kind}"
        for model in models
        for sample in samples.targets
        for kind in ("tsv", "bed", "bw")
    ]
    return targets + [
        f"results/predictions/{model}/{sample}-scores.tsv"
        for model in models
        for sample in samples.targets
        if sample in samples.cells
    ]


def differential_targets(config: Mapping[str, Any], cells: list[str]) -> list[str]:
    """The differential tables, a scatter figure per pair, each model's tracks, attention
    summaries of the models with attention and, on the demo with switching genes, each model's
    scores against the truth."""
    differential = config["differential"]
    if not differential["enabled"]:
        return []
    pairs, models = differential_pairs(config, cells), differential["models"]
    targets = [
        "results/tables/differential.tsv",
        "results/tables/differential_comparisons.tsv",
    ]
    targets += [f"results/figures/differential/{a}-{b}.png" for a, b in pairs]
    for a, b in pairs:
        folder = f"results/differential/{a}/{b}"
        targets += [
            f"{folder}/{model}/predictions.{kind}" for model in models for kind in ("bed", "bw")
        ]
        targets += [
            f"results/figures/differential/attention/{a}-{b}-{model}.png"
            for model in models
            if has_attention(model)
        ]
    if config["demo"]["enabled"] and config["demo"]["switching"] > 0:
        targets.append("results/tables/differential_truth.tsv")
    return targets


def read_filter_reports(config: Mapping[str, Any], cells: list[str]) -> list[str]:
    """Contig filter reports exist only where BAMs are built from downloaded reads."""
    if config["source"] != "raw" or config["samples"] or count_source_kind(config) != "bam":
        return []
    return [f"results/qc/reads/{cell}-{mark}.json" for cell in cells for mark in config["marks"]]


def exported_names(config: Mapping[str, Any], cells: list[str]) -> list[str]:
    """Names of the exported per-cell classifiers, {model}-{cell}, as pretrained expects them."""
    return [f"{model}-{cell}" for model in config["models"] for cell in cells]


def exported_bundles(config: Mapping[str, Any], cells: list[str]) -> list[str]:
    """The per-cell classifiers exported, in the order of :func:`exported_names`."""
    return [
        f"results/models/{model}/{cell}/model.pt" for model in config["models"] for cell in cells
    ]


def demo_mirror_files(config: Mapping[str, Any], samples: SampleTable) -> list[str]:
    """The files of the demo's offline mirror: every sample's reads, the expression matrix and
    the gene annotation."""
    return [
        f"resources/demo-mirror/{sample}-{mark}.tagAlign.gz"
        for sample in samples.samples
        for mark in config["marks"]
    ] + [
        "resources/demo-mirror/57epigenomes.RPKM.pc.gz",
        "resources/demo-mirror/Ensembl_v65.Gencode_v10.ENSG.gene_info",
    ]
