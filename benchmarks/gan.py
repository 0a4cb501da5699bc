"""The conditional GAN on every demo cell over several seeds: the worst case over seeds of each
measure against its target, and CPU seconds per cell (training, sampling and measuring).

Reads a finished demo run's datasets and classifiers (``results/datasets/{cell}.npz``,
``results/models/{model}/{cell}/model.pt``; build them with `snakemake --cores 1
results/models/deepchrome/E003/model.pt ...`), the GAN settings of ``config/config.yaml`` with
the seed replaced. One torch thread, as the workflow's job.

    PYTHONPATH=src .venv/bin/python benchmarks/gan.py
    PYTHONPATH=src .venv/bin/python benchmarks/gan.py --cells E003 --seeds 1 2
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd
import torch
import yaml

from chromexpr.dataset import CellDataset
from chromexpr.interpret.gan.metrics import summarise_metrics
from chromexpr.interpret.gan.run import train_and_measure
from chromexpr.interpret.gan.settings import GanSettings
from chromexpr.train import load_checkpoint

TARGETS = (
    "targets: classifier agreement >= 0.9 per class; profile correlation >= 0.9 for every "
    "mark whose real profile is not flat; |total ratio - 1| <= 0.2; diversity ratio >= 0.5"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--config", type=Path, default=Path("config/config.yaml"))
    parser.add_argument("--cells", nargs="+", help="default: the config's cells")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = yaml.safe_load(args.config.read_text())
    gan = config["interpret"]["gan"]
    base = GanSettings.from_config(gan)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread, {base}")

    rows = []
    for cell in args.cells or config["cells"]:
        dataset = CellDataset.load(args.results / "datasets" / f"{cell}.npz")
        classifier = load_checkpoint(
            args.results / "models" / gan["classifier"] / cell / "model.pt"
        )
        for seed in args.seeds:
            started_cpu, started_wall = time.process_time(), time.perf_counter()
            run = train_and_measure(dataset, classifier, replace(base, seed=seed))
            seconds = time.process_time() - started_cpu
            wall = time.perf_counter() - started_wall
            rows.append(
                {"cell": cell, "seed": seed, **summarise_metrics(run.metrics)}
                | {"cpu_seconds": seconds, "wall_seconds": wall}
            )
            print(pd.DataFrame(rows[-1:]).to_string(index=False, float_format="%.3f"), flush=True)
    table = pd.DataFrame(rows)
    worst = table.groupby("cell").agg(
        classifier_agreement=("classifier_agreement", "min"),
        real_classifier_agreement=("real_classifier_agreement", "min"),
        profile_correlation=("profile_correlation", "min"),
        total_error=("total_error", "max"),
        diversity_ratio=("diversity_ratio", "min"),
        cpu_seconds=("cpu_seconds", "max"),
    )
    print(f"\nWorst over seeds {args.seeds} ({TARGETS}; cpu_seconds: the slowest seed):")
    print(worst.to_string(float_format="%.3f"))


if __name__ == "__main__":
    main()
