"""Run the shipped configurations into a folder, or compare two such folders file by file.

A refactoring must not change what the workflow computes. This runs, from the checkout it lives
in, the demo (``config/config.yaml``, every stage: counts, datasets, models, cross-cell,
interpretation, the GAN, report tables) and small versions of the zoo (every model, both tasks),
splits (``config/zoo.yaml``'s blocks split, three folds, two seeds), own-data
(``config/own-data.yaml`` on the own-data demo's sheet) and predict (``config/predict-demo.yaml``)
configurations::

    python -m tests.compare_runs run OUT [NAME ...]     # OUT/<name>/ for each configuration
    python -m tests.compare_runs diff BEFORE AFTER      # exit 1 when any result differs

``diff`` uses the determinism check's comparison (``tests/check_determinism.py``): arrays element
for element, bundles tensor for tensor, metrics and tables without their timings, other files byte
for byte. ``--renamed`` lists tables whose column names were deliberately changed: those are
compared by value, column by column in order, ignoring the header.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from tests.check_determinism import TIMING_COLUMNS, differences, result_files
from tests.workflow_helpers import copy_workflow, snakemake

SMALL_DEMO = "cells: [E003]\ndemo: {enabled: true, seed: 7, n_genes: 300}\n"
RUNS: dict[str, tuple[list[str], str]] = {
    # The default demo, on the CPU, BAMs kept so that they are compared too.
    "demo": ([], "training: {recipe: fast, seed: 1, device: cpu}\nkeep_bams: true\n"),
    "zoo": (
        [],
        SMALL_DEMO
        + "models: [attentivechrome, cnn, crnn, deepchrome, gbdt, linear, logistic, mlp, rnn,"
        " simplechrome, simplechrome_self, transformer]\n"
        "model_params: {simplechrome: {pretrain_epochs: 2}, simplechrome_self: {pretrain_epochs: 2}}\n"
        "task: both\ntraining: {recipe: fast, epochs: 1, seed: 1, device: cpu}\n"
        "crosscell: {enabled: false}\n"
        "interpret: {enabled: true, methods: [attention], models: [attentivechrome]}\n"
        "export_processed: false\n",
    ),
    "splits": (
        ["config/zoo.yaml"],
        SMALL_DEMO + "models: [deepchrome, linear]\ntask: classification\n"
        "training: {epochs: 1, device: cpu}\ncrosscell: {enabled: false}\n"
        "interpret: {enabled: false}\nexport_processed: false\n",
    ),
    "own-data": (
        ["config/own-data.yaml"],
        "export_processed: false\ntraining: {recipe: fast, epochs: 2, seed: 1, device: cpu}\n",
    ),
    "predict": (
        ["config/predict-demo.yaml"],
        "demo: {enabled: true, seed: 3, n_genes: 300}\nexport_processed: false\n"
        "training: {recipe: fast, epochs: 3, seed: 1, device: cpu}\n"
        "crosscell: {enabled: true, normalisations: [none], experiments: [pairwise]}\n"
        "interpret: {enabled: false}\n",
    ),
}


def run(name: str, workdir: Path) -> float:
    """Copy this checkout's workflow into ``workdir`` and run configuration ``name``."""
    configs, overlay = RUNS[name]
    copy_workflow(workdir)
    (workdir / "overlay.yaml").write_text(overlay)
    if name == "own-data":
        subprocess.run(
            [sys.executable, "-m", "chromexpr.demo", "--style", "own-data", "--out", "data"]
            + ["--cells", "K562", "GM12878_rep1", "HepG2", "--n-genes", "200"],
            cwd=workdir,
            check=True,
            capture_output=True,
        )
    started = time.perf_counter()
    snakemake(workdir, "--configfile", "config/config.yaml", *configs, "overlay.yaml")
    return time.perf_counter() - started


def same_values(first: Path, second: Path) -> bool:
    """Two tables holding the same values column by column, whatever their headers."""
    a, b = (pd.read_csv(path, sep="\t") for path in (first, second))
    keep_a = [index for index, column in enumerate(a.columns) if column not in TIMING_COLUMNS]
    keep_b = [index for index, column in enumerate(b.columns) if column not in TIMING_COLUMNS]
    return a.iloc[:, keep_a].to_numpy().tolist() == b.iloc[:, keep_b].to_numpy().tolist()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run")
    run_parser.add_argument("out", type=Path)
    run_parser.add_argument("names", nargs="*", default=list(RUNS), help=", ".join(RUNS))
    diff_parser = commands.add_parser("diff")
    diff_parser.add_argument("before", type=Path)
    diff_parser.add_argument("after", type=Path)
    diff_parser.add_argument("--renamed", nargs="*", default=[], help="tables, by file name")
    args = parser.parse_args(argv)
    if args.command == "run":
        unknown = sorted(set(args.names) - set(RUNS))
        if unknown:
            parser.error(f"unknown configurations {unknown}; choose from {list(RUNS)}")
        for name in args.names:
            seconds = run(name, args.out / name)
            print(f"{name}: {seconds:.0f} s in {args.out / name}", flush=True)
        return 0
    failed = False
    for name in sorted(path.name for path in args.before.iterdir() if path.is_dir()):
        before, after = args.before / name, args.after / name
        differing = differences(before, after)
        renamed = [
            path
            for path in differing
            if Path(path).name in args.renamed
            and (before / path).is_file()
            and (after / path).is_file()
            and same_values(before / path, after / path)
        ]
        differing = [path for path in differing if path not in renamed]
        print(f"{name}: {len(result_files(before))} result files compared", end="")
        print(f", {len(renamed)} equal in value under renamed columns" if renamed else "")
        for path in differing:
            print(f"  DIFFERENT: {path}")
        failed = failed or bool(differing)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
