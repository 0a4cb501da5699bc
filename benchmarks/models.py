"""Seconds per epoch of every model of the zoo on a 6601-gene cell, CPU, under both recipes.

For each model and recipe, times up to ``--steps`` optimiser steps of the harness's own
``train_epoch`` (after a few warm-up steps), extrapolates to a full epoch of ``--genes`` training
genes, adds the time to score as many validation genes, and projects the recipe's epochs per cell
and for 56 cells (an upper bound where early stopping ends a run sooner). SimpleChrome's
autoencoder stage is timed separately (its ``pretrain_epochs`` over the training genes).

    .venv/bin/python benchmarks/models.py --threads 2
    .venv/bin/python benchmarks/models.py --models deepchrome attentivechrome --recipes fast
"""

from __future__ import annotations

import argparse
import math
import os
import time

import torch
from training import N_CELLS, _duration, synthetic_cell, training_run

from chromexpr.evaluation import predict_outputs
from chromexpr.models import MODELS, capabilities, count_parameters
from chromexpr.train import RECIPES, TrainingSettings
from chromexpr.train.fit import EVALUATION_BATCH_SIZE
from chromexpr.train.single import train_epoch

WARM_UP_STEPS = 3


def time_model(name: str, recipe: str, n_genes: int, max_steps: int) -> dict[str, float]:
    """Seconds per training epoch (extrapolated), validation seconds, pretraining seconds."""
    settings = TrainingSettings.from_config(name, {"recipe": recipe, "device": "cpu"})
    started = time.perf_counter()
    run, optimizer, scheduler, features = training_run(settings, synthetic_cell(n_genes, 0, 0))
    # Building is instant beside an autoencoder's pretraining, which this times.
    pretrain_seconds = time.perf_counter() - started if capabilities(name).pretrains else 0.0
    steps_per_epoch = math.ceil(n_genes / settings.batch_size)
    steps = min(steps_per_epoch, max_steps)
    order = torch.randperm(n_genes)
    warm_up = order[: WARM_UP_STEPS * settings.batch_size]
    train_epoch(run, optimizer, scheduler, features, warm_up)
    timed = order[: steps * settings.batch_size]
    started = time.perf_counter()
    train_epoch(run, optimizer, scheduler, features, timed)
    train_seconds = (time.perf_counter() - started) * steps_per_epoch / steps
    started = time.perf_counter()
    predict_outputs(run.model, features, "cpu", EVALUATION_BATCH_SIZE)
    valid_seconds = time.perf_counter() - started
    return {
        "parameters": count_parameters(run.model),
        "batch": settings.batch_size,
        "epochs": settings.epochs,
        "train": train_seconds,
        "valid": valid_seconds,
        "pretrain": pretrain_seconds,
        "timed_steps": steps,
        "steps_per_epoch": steps_per_epoch,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genes", type=int, default=6601, help="training genes (default 6601)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    parser.add_argument(
        "--steps", type=int, default=60, help="most steps timed per model and recipe (default 60)"
    )
    parser.add_argument("--models", nargs="+", default=sorted(MODELS), choices=sorted(MODELS))
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=list(RECIPES))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU; "
        f"{args.genes} training + {args.genes} validation genes; "
        f"load average before: {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'model':<18} {'recipe':<9} {'params':>9} {'batch':>5} {'train s/ep':>10} "
        f"{'valid s':>7} {'pretrain':>8} {'epochs':>6} {'per cell':>9} {f'{N_CELLS} cells':>9}  timed"
    )
    for name in args.models:
        for recipe in args.recipes:
            t = time_model(name, recipe, args.genes, args.steps)
            per_cell = t["pretrain"] + t["epochs"] * (t["train"] + t["valid"])
            print(
                f"{name:<18} {recipe:<9} {t['parameters']:>9,} {t['batch']:>5} "
                f"{t['train']:>10.2f} {t['valid']:>7.2f} {t['pretrain']:>8.1f} {t['epochs']:>6} "
                f"{_duration(per_cell):>9} {_duration(N_CELLS * per_cell):>9}  "
                f"{t['timed_steps']}/{t['steps_per_epoch']} steps",
                flush=True,
            )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
