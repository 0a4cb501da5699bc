"""The differential task on the demo with switching genes: scores and recovery of the truth.

Runs the workflow with ``config/config.yaml config/differential.yaml`` in a copy of the workflow
(``--workdir``, default a temporary folder), once per training seed (``--seeds``; the data stay
the same, each seed retrains the differential models), and prints per pair and model the test
Pearson r of the log2 fold change (mean and standard deviation over seeds, with the first
seed's 95% bootstrap interval), the same on the genes that switch state between the two cells
and on the others, and DeepDiff's recovery of the marks and bins the generator changes against
the same model untrained (``results/tables/differential_truth.tsv``; measures in
``chromexpr.differential.truth``).

    .venv/bin/python benchmarks/differential.py --seeds 1 2 3
    .venv/bin/python benchmarks/differential.py --workdir /tmp/dd --seeds 1 --cores 2
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
WORKFLOW_FILES = ["Snakefile", "workflow", "config", "resources", "profiles", "envs", "src"]
CONFIGS = ["config/config.yaml", "config/differential.yaml"]
TARGETS = ["results/tables/differential.tsv", "results/tables/differential_truth.tsv"]


def copy_workflow(workdir: Path) -> None:
    """The workflow's files in ``workdir`` (without downloaded or generated data)."""
    workdir.mkdir(parents=True, exist_ok=True)
    for name in WORKFLOW_FILES:
        source, target = REPO / name, workdir / name
        if source.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "remc", "demo-mirror")
            shutil.copytree(source, target, ignore=ignore, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target)


def run_seed(workdir: Path, seed: int, cores: int) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """The differential and truth tables of one training seed, and the run's seconds."""
    (workdir / "seed.yaml").write_text(f"differential: {{training: {{seed: {seed}}}}}\n")
    command = [sys.executable, "-m", "snakemake", *TARGETS, "--cores", str(cores)]
    command += ["--configfile", *CONFIGS, "seed.yaml"]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"seed {seed}: snakemake failed\n{result.stderr[-4000:]}")
    seconds = time.perf_counter() - started
    tables = [pd.read_csv(workdir / target, sep="\t") for target in TARGETS]
    for table in tables:
        table.insert(0, "seed", seed)
    return tables[0], tables[1], seconds


def spread(values: pd.Series) -> str:
    """mean +- standard deviation (just the value for one seed)."""
    if len(values) == 1:
        return f"{values.iloc[0]:.3f}"
    return f"{values.mean():.3f} +- {values.std():.3f}"


def report(scores: pd.DataFrame, truth: pd.DataFrame) -> None:
    seeds = sorted(scores["seed"].unique())
    print(f"\ntest Pearson r of the log2 fold change, B over A ({len(seeds)} seed(s): {seeds})")
    first = scores[scores["seed"] == seeds[0]].set_index(["cell_a", "cell_b", "model"])
    pearson = truth[truth["measure"].isin(["pearson_switching", "pearson_other"])]
    by_measure = pearson.pivot_table(
        index=["seed", "cell_a", "cell_b", "model"], columns="measure", values="trained"
    ).reset_index()
    merged = scores.merge(by_measure, on=["seed", "cell_a", "cell_b", "model"])
    print("pair       model        all genes [first seed's 95% CI]        switching       other")
    for (cell_a, cell_b, model), rows in merged.groupby(["cell_a", "cell_b", "model"], sort=False):
        ci = first.loc[(cell_a, cell_b, model)]
        print(
            f"{cell_b}/{cell_a}  {model:<12} {spread(rows['pearson']):<16} "
            f"[{ci['pearson_low']:.3f}, {ci['pearson_high']:.3f}]   "
            f"{spread(rows['pearson_switching']):<16}{spread(rows['pearson_other'])}"
        )
    best = merged.groupby("model")["pearson_switching"].mean().sort_values(ascending=False)
    print(
        f"\nbest on switching genes (mean over pairs and seeds): {best.index[0]} "
        f"{best.iloc[0]:.3f}; then "
        + ", ".join(f"{model} {value:.3f}" for model, value in best.iloc[1:].items())
    )
    recovery = truth[truth["measure"].str.contains("recovery|direction")]
    print("\nrecovery of the switching genes' marks and bins (trained | untrained control):")
    for (model, measure), rows in recovery.groupby(["model", "measure"], sort=True):
        control = rows["untrained"].dropna()
        control_text = spread(control) if len(control) else "n/a"
        print(f"  {model:<12} {measure:<28} {spread(rows['trained']):<16} | {control_text}")
    genes = truth[truth["measure"] == "pearson_switching"].drop_duplicates(["cell_a", "cell_b"])
    print(
        "switching test genes per pair: "
        + ", ".join(f"{row.cell_b}/{row.cell_a} {row.n_genes}" for row in genes.itertuples())
    )
    epochs = scores[scores["model"] == "deepdiff"]
    print(
        f"DeepDiff: {spread(epochs['seconds_per_epoch'])} s per epoch, best epoch "
        f"{', '.join(map(str, epochs['best_epoch']))} of {epochs['epochs_run'].max()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, help="run here (kept); default a temporary folder")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        workdir = args.workdir or Path(temporary)
        copy_workflow(workdir)
        runs = []
        for seed in args.seeds:
            scores, truth, seconds = run_seed(workdir, seed, args.cores)
            print(f"seed {seed}: {seconds:.0f} s", flush=True)
            runs.append((scores, truth))
        report(pd.concat([run[0] for run in runs]), pd.concat([run[1] for run in runs]))


if __name__ == "__main__":
    main()
