"""Exported models: a folder of model bundles and a manifest that names and checksums them.

``chromexpr export-models`` writes, into one folder:

- ``{name}.pt``: each bundle, byte for byte as training wrote it;
- ``manifest.json``: ``{"format": "chromexpr-models", "format_version": 1, "models": [...]}``,
  one entry per bundle: ``name``, ``file``, ``model`` (registry name), ``task``, ``samples``
  (the cells it was trained on), ``normalisation``, ``metrics`` (its train / valid / test
  figures) and ``sha256`` of the file.

``pretrained:`` in the workflow's config points at such a folder (a path, or its URL); the
workflow fetches the manifest and the bundles it needs (``fetch_exported_bundle``, per-cell
models named ``{model}-{cell}``, as the workflow's ``export_models`` rule names them) and scores
and predicts with them instead of training. Every bundle is loaded through
``exported_checkpoint`` or ``fetch_exported_bundle``, which check the sha256 before reading it.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from chromexpr.atomic import atomic_path
from chromexpr.download import download, folder_url
from chromexpr.errors import DatasetMismatchError, InputFormatError
from chromexpr.train.checkpoint import Checkpoint, file_sha256, load_checkpoint

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "chromexpr-models"
MANIFEST_VERSION = 1


def export_models(bundles: Mapping[str, str | os.PathLike[str]], out_dir: Path) -> dict[str, Any]:
    """Copy each bundle (name -> model.pt) to ``out_dir/{name}.pt`` and write the manifest.

    Every bundle is loaded first (a bare state dict or a damaged file stops the export before
    anything is written); the manifest is written last, so a folder with a manifest is complete.
    Returns the manifest.
    """
    if not bundles:
        raise ValueError("export_models needs at least one bundle")
    for name in bundles:
        if not name or "/" in name or name.startswith("."):
            raise ValueError(f"bundle name {name!r} cannot be a file name")
    checkpoints = {name: load_checkpoint(path) for name, path in bundles.items()}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = []
    for name, checkpoint in checkpoints.items():
        target = out_dir / f"{name}.pt"
        with atomic_path(target, suffix=".pt") as tmp:
            shutil.copyfile(checkpoint.path, tmp)
        entries.append(_entry(name, target.name, checkpoint, file_sha256(target)))
    manifest = {"format": MANIFEST_FORMAT, "format_version": MANIFEST_VERSION, "models": entries}
    with atomic_path(out_dir / MANIFEST) as tmp:
        tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _entry(name: str, file: str, checkpoint: Checkpoint, sha256: str) -> dict[str, Any]:
    bundle = checkpoint.bundle
    return {
        "name": name,
        "file": file,
        "model": checkpoint.name,
        "task": checkpoint.task.name,
        "samples": list(bundle["training"]["samples"]),
        "normalisation": checkpoint.normalisation,
        "metrics": dict(bundle["metrics"]),
        "sha256": sha256,
    }


def read_manifest(folder: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """The manifest's entries by name; InputFormatError naming the manifest when it is not one."""
    path = Path(folder) / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise InputFormatError(path, f"cannot read the models' manifest: {error}") from error
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise InputFormatError(path, f"not a chromexpr models manifest (format {MANIFEST_FORMAT})")
    if manifest.get("format_version", 0) > MANIFEST_VERSION:
        raise InputFormatError(path, "manifest format is newer than this chromexpr's; update it")
    entries = {}
    for number, entry in enumerate(manifest.get("models", []), start=1):
        missing = {"name", "file", "sha256"} - set(entry)
        if missing:
            raise InputFormatError(path, f"model entry {number} lacks {sorted(missing)}")
        entries[entry["name"]] = entry
    return entries


def exported_checkpoint(
    folder: str | os.PathLike[str], name: str, device: torch.device | str = "cpu"
) -> Checkpoint:
    """The bundle ``name`` of an exported folder, its sha256 checked against the manifest."""
    entries = read_manifest(folder)
    if name not in entries:
        raise InputFormatError(
            Path(folder) / MANIFEST, f"no model named {name!r}; it lists {sorted(entries)}"
        )
    entry = entries[name]
    return load_checkpoint(Path(folder) / entry["file"], device, sha256=entry["sha256"])


def fetch_exported_bundle(
    source: str,
    manifest_path: str | os.PathLike[str],
    name: str,
    out_path: str | os.PathLike[str],
    model: str,
    sample: str,
    task: str = "classification",
) -> Checkpoint:
    """Fetch bundle ``name`` of the exported folder ``source`` (path or URL) whose manifest was
    fetched to ``manifest_path``, to ``out_path``: only once its sha256 matches the manifest and
    it holds ``model``'s ``task`` model of ``sample`` alone. Nothing is left at ``out_path``
    otherwise. Returns the loaded bundle."""
    entries = read_manifest(Path(manifest_path).parent)
    if name not in entries:
        raise InputFormatError(
            manifest_path, f"no model named {name!r}; it lists {sorted(entries)}"
        )
    entry = entries[name]
    url = folder_url(source, entry["file"])
    with atomic_path(out_path, suffix=".pt") as tmp:
        download(url, tmp, expect_gzip=False)
        try:
            checkpoint = load_checkpoint(tmp, sha256=entry["sha256"])
        except InputFormatError as error:
            # Named by where it came from, not by the temporary file it was fetched to.
            raise InputFormatError(url, str(error).removeprefix(f"{error.path}: ")) from error
        found = (checkpoint.name, checkpoint.task.name, checkpoint.bundle["training"]["samples"])
        if found != (model, task, [sample]):
            raise DatasetMismatchError(
                f"{url} holds a {found[1]} {found[0]} trained on {found[2]}, not the {task} "
                f"{model} of {sample} that its name {name!r} promises"
            )
    return replace(checkpoint, path=Path(out_path))
