"""Run the workflow twice from scratch in two temporary folders and compare every result.

``make check-determinism`` runs the demo (``config/config.yaml``) twice on the CPU;
``--small`` runs a 300-gene, one-cell version (about a minute). Exit status 0 when every output
matches, 1 with the differing files listed otherwise.

What "the same" means, file by file (:func:`differences`): ``.npz`` and ``.npy`` arrays equal
element for element; ``model.pt`` bundles equal in every field and their weights tensor for
tensor; ``metrics.json`` equal
key except ``wall_seconds``; tables with a timing column (``history.tsv``: ``seconds``,
``auc.tsv``: ``wall_seconds``) equal except that column; any other file (BAMs and their
indexes included) equal byte for byte. PNG figures are left out (their bytes carry no result).
The workflow interruption tests (``tests/test_interruption.py``) use the same comparison.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from tests.workflow_helpers import run_workflow, workflow_copy

# keep_bams: the BAMs are compared too (byte for byte).
SMALL_DEMO = """
cells: [E003]
keep_bams: true
demo: {enabled: true, seed: 3, n_genes: 300}
crosscell: {enabled: false}
interpret: {enabled: false}
training: {recipe: fast, epochs: 8, seed: 1, device: cpu}
"""
CPU_ONLY = "training: {recipe: fast, seed: 1, device: cpu}\nkeep_bams: true\n"
# Timings, which no two runs share.
TIMING_KEYS = {"wall_seconds", "seconds_per_epoch"}
TIMING_COLUMNS = {
    "seconds",
    "wall_seconds",
    "seconds_per_epoch",
    "mean_seconds_per_epoch",
    "mean_seconds_per_cell",
}


def result_files(root: Path, folders: tuple[str, ...] = ("results", "resources")) -> list[str]:
    """Paths (relative to ``root``) of the files under ``folders``, skipping hidden and PNG files."""
    found = []
    for folder in folders:
        for path in sorted((root / folder).rglob("*")):
            relative = path.relative_to(root)
            hidden = any(part.startswith(".") for part in relative.parts)
            if path.is_file() and not hidden and path.suffix != ".png":
                found.append(str(relative))
    return found


def _same_arrays(first: Path, second: Path) -> bool:
    if first.suffix == ".npy":
        return np.array_equal(np.load(first), np.load(second))
    with np.load(first, allow_pickle=False) as a, np.load(second, allow_pickle=False) as b:
        return sorted(a.files) == sorted(b.files) and all(
            np.array_equal(a[name], b[name]) for name in a.files
        )


def _same_checkpoints(first: Path, second: Path) -> bool:
    a = torch.load(first, weights_only=True)
    b = torch.load(second, weights_only=True)
    weights_a, weights_b = a.pop("state_dict"), b.pop("state_dict")
    return (
        a == b
        and weights_a.keys() == weights_b.keys()
        and all(torch.equal(weights_a[key], weights_b[key]) for key in weights_a)
    )


def _same_metrics(first: Path, second: Path) -> bool:
    a, b = (json.loads(path.read_text()) for path in (first, second))
    return {k: v for k, v in a.items() if k not in TIMING_KEYS} == {
        k: v for k, v in b.items() if k not in TIMING_KEYS
    }


def _same_table(first: Path, second: Path) -> bool:
    a, b = (pd.read_csv(path, sep="\t") for path in (first, second))
    keep = [column for column in a.columns if column not in TIMING_COLUMNS]
    return list(a.columns) == list(b.columns) and a[keep].equals(b[keep])


def _has_timing_column(path: Path) -> bool:
    with open(path) as handle:
        return bool(TIMING_COLUMNS & set(handle.readline().rstrip("\n").split("\t")))


def same_file(first: Path, second: Path) -> bool:
    """Whether two outputs of the workflow hold the same result (timings aside)."""
    if first.suffix in (".npz", ".npy"):
        return _same_arrays(first, second)
    if first.name == "model.pt":
        return _same_checkpoints(first, second)
    if first.name == "metrics.json":
        return _same_metrics(first, second)
    if first.suffix == ".tsv" and _has_timing_column(first):
        return _same_table(first, second)
    return first.read_bytes() == second.read_bytes()


def differences(reference: Path, other: Path, files: list[str] | None = None) -> list[str]:
    """Files (relative paths) that differ between two workflow folders, or exist in one only.

    ``files``: compare only these (they must exist in both); default: every result file of both.
    """
    if files is None:
        in_reference, in_other = set(result_files(reference)), set(result_files(other))
        missing = sorted(in_reference ^ in_other)
        files = sorted(in_reference & in_other)
    else:
        missing = [name for name in files if not (reference / name).is_file()]
        files = [name for name in files if name not in missing]
    return missing + [name for name in files if not same_file(reference / name, other / name)]


def run_from_scratch(workdir: Path, override: str) -> float:
    """Copy the workflow into ``workdir`` and run it with ``override``; seconds taken."""
    workflow_copy(workdir, {"override.yaml": override})
    started = time.perf_counter()
    run_workflow(workdir, configs=["override.yaml"])
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a 300-gene, one-cell demo")
    parser.add_argument("--keep", action="store_true", help="keep the two run folders")
    args = parser.parse_args(argv)
    override = SMALL_DEMO if args.small else CPU_ONLY
    root = Path(tempfile.mkdtemp(prefix="chromexpr-determinism-"))
    for name in ("first", "second"):
        seconds = run_from_scratch(root / name, override)
        print(f"run {name}: {seconds:.0f} s in {root / name}", flush=True)
    compared = result_files(root / "first")
    differing = differences(root / "first", root / "second")
    print(f"compared {len(compared)} result files (datasets, counts, models, metrics, tables)")
    if not args.keep:
        shutil.rmtree(root)
    if differing:
        print("DIFFERENT:\n  " + "\n  ".join(differing))
        return 1
    print("identical: every dataset array, count matrix, checkpoint tensor and metric")
    return 0


if __name__ == "__main__":
    sys.exit(main())
