"""``chromexpr``: the package's command line, for work outside Snakemake.

``chromexpr demo --out DIR --cells E003 E004``  writes a demo REMC mirror;
``chromexpr train DATASET --out DIR``           trains one model on one dataset, progress on the terminal;
``chromexpr predict BUNDLE... --dataset NPZ --out TSV``  predicts expression of a sample from its counts;
``chromexpr predict DIFFERENTIAL_BUNDLE --dataset A.npz B.npz --out TSV``  predicts the log2 fold
                                                 change of B over A from both samples' counts;
``chromexpr export-models NAME=BUNDLE... --out DIR``     writes bundles and a checksummed manifest.
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
        f"(best epoch {metrics['best_epoch']}; "
        f"{'converged' if metrics['converged'] else 'did not converge'}: "
        f"{metrics['convergence']}); outputs in {args.out}"
    )


def _predict_differential(args: argparse.Namespace) -> None:
    from chromexpr.dataset import CellDataset
    from chromexpr.differential.bundle import load_bundle
    from chromexpr.differential.predict import predict_fold_changes, score_fold_changes
    from chromexpr.io.chrom_sizes import read_chrom_sizes
    from chromexpr.logs import step_log

    if len(args.bundles) != 1 or args.exported is not None or len(args.dataset) != 2:
        raise ChromexprError(
            "predict: a differential bundle predicts alone, from two datasets: "
            "chromexpr predict BUNDLE --dataset A.npz B.npz --out TSV"
        )
    with step_log(None):
        bundle = load_bundle(args.bundles[0])
        dataset_a, dataset_b = (CellDataset.load(path) for path in args.dataset)
        table = predict_fold_changes(
            bundle,
            dataset_a,
            dataset_b,
            args.out,
            bed=args.bed,
            bigwig=args.bigwig,
            chrom_sizes=read_chrom_sizes(args.chrom_sizes) if args.chrom_sizes else None,
        )
    print(
        f"{len(table)} genes: log2 fold change of {dataset_b.cell} over {dataset_a.cell} "
        f"predicted by {bundle.name} (trained on {' and '.join(bundle.cells)}): {args.out}"
    )
    if args.score:
        # The datasets' real expression, read only now: the predictions above never saw it.
        scores = score_fold_changes(table, args.score)
        print(scores.to_string(index=False, float_format=lambda value: f"{value:.6f}"))


def _predict(args: argparse.Namespace) -> None:
    from chromexpr.differential.bundle import is_differential_bundle

    if any(is_differential_bundle(path) for path in args.bundles):
        _predict_differential(args)
        return
    if len(args.dataset) != 1:
        raise ChromexprError(
            f"predict: one --dataset for per-cell bundles (two only with a differential "
            f"bundle); got {len(args.dataset)}"
        )
    args.dataset = args.dataset[0]
    _predict_cells(args)


def _predict_cells(args: argparse.Namespace) -> None:
    from chromexpr.dataset import CellDataset
    from chromexpr.io.chrom_sizes import read_chrom_sizes
    from chromexpr.logs import step_log
    from chromexpr.predict import predict_sample, score_predictions, unlabelled
    from chromexpr.train import load_checkpoint
    from chromexpr.train.export import exported_checkpoint, read_manifest

    with step_log(None):
        checkpoints = [load_checkpoint(path) for path in args.bundles]
        if args.exported is not None:
            names = args.names or sorted(read_manifest(args.exported))
            checkpoints += [exported_checkpoint(args.exported, name) for name in names]
        dataset = CellDataset.load(args.dataset)
        table = predict_sample(
            checkpoints,
            unlabelled(dataset),
            args.out,
            args.task,
            bed=args.bed,
            bigwig=args.bigwig,
            chrom_sizes=read_chrom_sizes(args.chrom_sizes) if args.chrom_sizes else None,
            allow_other_input_kind=args.allow_other_input_kind,
        )
    print(
        f"{len(table)} genes of {dataset.cell} predicted by {len(checkpoints)} bundle(s): "
        f"{args.out}; {int((table['seen_in_training'] > 0).sum())} of them seen in training "
        f"by a bundle; marks outside the training range: {table['out_of_range_marks'].iloc[0]}"
    )
    if args.score:
        # The dataset's real expression, read only now: the predictions above never saw it.
        scores = score_predictions(table, dataset, checkpoints, args.score)
        print(scores.to_string(index=False, float_format=lambda value: f"{value:.6f}"))


def _export(args: argparse.Namespace) -> None:
    from chromexpr.train.export import export_models

    bundles = {}
    for item in args.bundles:
        name, separator, path = item.partition("=")
        if not separator or not name or not path:
            raise ChromexprError(f"export-models: {item!r} is not NAME=PATH/TO/model.pt")
        if name in bundles:
            raise ChromexprError(f"export-models: name {name!r} given twice")
        bundles[name] = Path(path)
    manifest = export_models(bundles, args.out)
    print(f"{len(manifest['models'])} bundle(s) and manifest.json in {args.out}")


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
    predict = commands.add_parser(
        "predict", help="predict expression of a sample (counts, no RNA-seq) with model bundles"
    )
    predict.add_argument("bundles", type=Path, nargs="*", help="model.pt files")
    predict.add_argument("--exported", type=Path, help="a folder chromexpr export-models wrote")
    predict.add_argument("--names", nargs="+", help="bundles of --exported (default: all)")
    predict.add_argument(
        "--dataset",
        type=Path,
        nargs="+",
        required=True,
        help="the sample's dataset (.npz); with a differential bundle, two: A's then B's",
    )
    predict.add_argument("--out", type=Path, required=True, help="predictions table (.tsv)")
    predict.add_argument("--task", default="classification", choices=sorted(TASKS))
    predict.add_argument("--bed", type=Path, help="also a BED of the predictions at each TSS")
    predict.add_argument("--bigwig", type=Path, help="also a bigWig (needs --chrom-sizes)")
    predict.add_argument("--chrom-sizes", dest="chrom_sizes", type=Path)
    predict.add_argument(
        "--allow-other-input-kind",
        dest="allow_other_input_kind",
        action="store_true",
        help="predict a sample whose marks are of another input kind (reads or bigWig signal) "
        "than the bundles were trained on, with a warning, instead of refusing it",
    )
    predict.add_argument(
        "--score",
        choices=["train", "valid", "test"],
        help="then score the predictions against the dataset's (datasets') own expression on "
        "this split",
    )
    export = commands.add_parser(
        "export-models", help="copy model bundles into a folder with a checksummed manifest"
    )
    export.add_argument("bundles", nargs="+", help="NAME=results/models/{model}/{cell}/model.pt")
    export.add_argument("--out", type=Path, required=True, help="the folder to write")
    args, rest = parser.parse_known_args(argv)
    if args.command == "predict":
        if not args.bundles and args.exported is None:
            parser.error("predict: name model.pt files or --exported FOLDER")
        if args.bigwig is not None and args.chrom_sizes is None:
            parser.error("predict: --bigwig needs --chrom-sizes")
    try:
        if args.command == "demo":
            from chromexpr.demo.__main__ import main as demo_main

            demo_main(rest)
        else:
            if rest:
                parser.error(f"unrecognised arguments: {' '.join(rest)}")
            {"train": _train, "predict": _predict, "export-models": _export}[args.command](args)
    except ChromexprError as error:
        print(f"chromexpr: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
