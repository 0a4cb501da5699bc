"""Print the demo figures the README quotes, from a finished demo run's own files.

Run the demo first (``make demo``, or ``snakemake --cores 2`` with the default config), then:

    .venv/bin/python benchmarks/demo_numbers.py            # in the folder the demo ran in
    .venv/bin/python benchmarks/demo_numbers.py --workdir /path/to/run

Prints, in the README's layout: the per-cell AUC table (``results/tables/auc_wide.md``), the
runs that did not converge (``results/tables/auc.tsv``), the published AUCs of the same cells
(``results/tables/published_comparison.tsv``), the cross-cell summary (means over the cells,
``results/tables/crosscell_summary.tsv``), the claims table (``results/tables/claims.md``) and how
long the run took (from the first job's log file to the last one written, under ``logs/``).
Nothing is computed that the workflow did not write; a missing table is reported as missing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

CROSSCELL_COLUMNS = {
    "within_cell_auc": "within cell",
    "transfer_auc_as_test": "transferred (other cells' models)",
    "leave_one_out_auc": "leave one cell out",
    "pooled_auc": "pooled",
}


def auc_table(workdir: Path) -> str:
    return (workdir / "results/tables/auc_wide.md").read_text().strip()


def convergence(workdir: Path) -> str:
    """The runs that did not converge, or that every run did."""
    table = pd.read_csv(workdir / "results/tables/auc.tsv", sep="\t", dtype={"cell": str})
    failing = table[~table["converged"].astype(bool)]
    if not len(failing):
        return f"all {len(table)} runs converged"
    return "did not converge: " + ", ".join(
        f"{row.model} on {row.cell} (fold {row.fold}, seed {row.seed})"
        for row in failing.itertuples(index=False)
    )


def claims_table(workdir: Path) -> str:
    return (workdir / "results/tables/claims.md").read_text().strip()


def published_aucs(workdir: Path) -> str:
    table = pd.read_csv(workdir / "results/tables/published_comparison.tsv", sep="\t")
    columns = [column for column in table.columns if "published" in column]
    rows = table.drop_duplicates("cell").set_index("cell")[columns[0]]
    return ", ".join(f"{cell} {auc:.2f}" for cell, auc in rows.items())


def crosscell_table(workdir: Path, model: str) -> str:
    summary = pd.read_csv(workdir / "results/tables/crosscell_summary.tsv", sep="\t")
    means = summary[(summary["cell"] == "mean") & (summary["model"] == model)]
    means = means.sort_values("normalisation", key=lambda names: names != "none", kind="stable")
    header = "| normalisation | " + " | ".join(CROSSCELL_COLUMNS.values()) + " |"
    lines = [header, "|---|" + "--:|" * len(CROSSCELL_COLUMNS)]
    for _, row in means.iterrows():
        values = " | ".join(f"{row[column]:.3f}" for column in CROSSCELL_COLUMNS)
        lines.append(f"| {row['normalisation']} | {values} |")
    return "\n".join(lines)


def run_minutes(workdir: Path) -> float:
    """Minutes from the first job log's creation to the last log written (file times)."""
    logs = [path.stat() for path in (workdir / "logs").rglob("*.log")]
    first = min(min(stat.st_ctime, stat.st_mtime) for stat in logs)
    return (max(stat.st_mtime for stat in logs) - first) / 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path.cwd(), help="the demo run's folder")
    parser.add_argument("--model", default="deepchrome", help="model of the cross-cell table")
    args = parser.parse_args()
    sections = [
        ("Per-cell test AUC (results/tables/auc_wide.md)", lambda: auc_table(args.workdir)),
        ("Convergence (results/tables/auc.tsv)", lambda: convergence(args.workdir)),
        ("DeepChrome's published AUC of these cells", lambda: published_aucs(args.workdir)),
        (
            f"Cross-cell, {args.model}, mean over the cells (results/tables/crosscell_summary.tsv)",
            lambda: crosscell_table(args.workdir, args.model),
        ),
        ("Published claims (results/tables/claims.md)", lambda: claims_table(args.workdir)),
        ("Run time (logs/)", lambda: f"{run_minutes(args.workdir):.1f} min"),
    ]
    for title, make in sections:
        print(f"## {title}")
        try:
            print(make())
        except (FileNotFoundError, ValueError) as error:
            print(f"missing: {error}")
        print()


if __name__ == "__main__":
    main()
