"""``chromexpr``: the package's command line, for work outside Snakemake.

``chromexpr demo --out DIR --cells E003 E004``  writes a demo REMC mirror;
``chromexpr train DATASET --out DIR``           trains one model on one dataset, progress on the terminal.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from chromexpr.errors import ChromexprError
from chromexpr.train.settings import DEFAULT_RECIPE, RECIPES
from chromexpr.train.tasks import TASKS

TEST_SCORES = {
    "test_auc": "test AUC",
    "test_pearson": "test Pearson r",
    "test_spearman": "test Spearman rho",
}


def _train(args: argparse.Namespace) -> None:
    from chromexpr.dataset import CellDataset
    from chromexpr.logs import step_log
    from chromexpr.train import OVERRIDABLE, TrainingSettings, train_cell

    overrides = {key: getattr(args, key) for key in OVERRIDABLE if getattr(args, key) is not None}
    settings = TrainingSettings.from_config(
        args.model, {"recipe": args.recipe, **overrides}, task=args.task
    )
    with step_log(None):
        metrics = train_cell(CellDataset.load(args.dataset), settings, args.out)
    scores = ", ".join(
        f"{label} {metrics[key]:.4f}" for key, label in TEST_SCORES.items() if key in metrics
    )
    print(
        f"{metrics['model']} on {metrics['cell']}: {scores} "
        f"(best epoch {metrics['best_epoch']}); outputs in {args.out}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="chromexpr", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "demo", help="write a demo REMC mirror (see chromexpr demo --help)", add_help=False
    )
    train = commands.add_parser("train", help="train one model on one dataset (.npz)")
    train.add_argument("dataset", type=Path, help="results/datasets/{cell}.npz")
    train.add_argument(
        "--out", type=Path, required=True, help="folder for model.pt, metrics.json, ..."
    )
    train.add_argument("--model", default="deepchrome")
    train.add_argument("--recipe", default=DEFAULT_RECIPE, choices=sorted(RECIPES))
    train.add_argument("--task", default="classification", choices=sorted(TASKS))
    train.add_argument("--epochs", type=int)
    train.add_argument("--batch-size", dest="batch_size", type=int)
    train.add_argument("--learning-rate", dest="learning_rate", type=float)
    train.add_argument("--patience", type=int)
    train.add_argument("--input-transform", dest="input_transform", choices=["raw", "log1p"])
    train.add_argument("--seed", type=int)
    train.add_argument("--device", choices=["auto", "cpu", "cuda"])
    train.add_argument("--grad-clip", dest="grad_clip", type=float)
    args, rest = parser.parse_known_args(argv)
    try:
        if args.command == "demo":
            from chromexpr.demo import main as demo_main

            demo_main(rest)
        else:
            if rest:
                parser.error(f"unrecognised arguments: {' '.join(rest)}")
            _train(args)
    except ChromexprError as error:
        print(f"chromexpr: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
