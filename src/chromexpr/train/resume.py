"""``last.pt``: the state of an unfinished training job, from which a rerun resumes.

Every ``training.checkpoint_every`` epochs (``chromexpr.train.settings.checkpoint_every``) a job
writes ``last.pt`` into its output folder (a side-by-side group into its first model's folder):
each model's weights, the engine's optimiser, learning-rate schedule and gene-order generators,
the epoch, each model's callback states and history, and the random states of Python, numpy and
torch (CPU and CUDA). A job started again finds it, checks that it was written for the same
settings and data (each model's ``config_hash`` and a digest of its inputs and targets), and
continues after its epoch: the final model, metrics and history (timings aside) are those of an
uninterrupted job on the same device. A ``last.pt`` of other settings or data, or one that cannot
be read, is ignored and replaced. The job removes it once its outputs are written; it is never
one of the workflow's outputs.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from chromexpr.atomic import atomic_path
from chromexpr.train.fit import Engine, EpochRecord, Run
from chromexpr.train.inputs import SplitData

logger = logging.getLogger(__name__)

LAST_CHECKPOINT = "last.pt"
FORMAT = "chromexpr-last"
FORMAT_VERSION = 1


class LastCheckpoint:
    """``last.pt`` at ``path`` for the job training ``runs`` with ``engine``."""

    def __init__(self, path: Path, engine: Engine, runs: Sequence[Run]) -> None:
        self.path = path
        self.engine = engine
        self.runs = runs
        self.fingerprint = [run_fingerprint(run) for run in runs]

    def save(self, epoch: int) -> None:
        """Write the job's state after ``epoch``, atomically."""
        state = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "fingerprint": self.fingerprint,
            "epoch": epoch,
            "engine": self.engine.state_dict(),
            "runs": [
                {
                    "model": run.model.state_dict(),
                    "callbacks": [callback.state_dict() for callback in run.callbacks],
                    "history": [
                        [row.epoch, row.loss, row.valid_score, row.seconds] for row in run.history
                    ],
                }
                for run in self.runs
            ],
            "random": random_states(),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(self.path) as tmp:
            torch.save(state, tmp)
        logger.info("%s: saved the state after epoch %d", self.path, epoch)

    def restore(self) -> int:
        """The first epoch to train: 1 without a usable ``last.pt``, else the one after its epoch,
        with the engine, models, callbacks, histories and random states as they were then."""
        if not self.path.exists():
            return 1
        try:
            state = torch.load(self.path, map_location="cpu", weights_only=True)
        except (OSError, RuntimeError, EOFError, ValueError, pickle.UnpicklingError) as error:
            logger.warning("%s: cannot be read (%s); training from the start", self.path, error)
            return 1
        if not self._fits(state):
            logger.warning(
                "%s: written for other settings or data; training from the start", self.path
            )
            return 1
        self.engine.load_state_dict(state["engine"])
        for run, saved in zip(self.runs, state["runs"], strict=True):
            run.model.load_state_dict(saved["model"])
            for callback, callback_state in zip(run.callbacks, saved["callbacks"], strict=True):
                callback.load_state_dict(callback_state)
            run.history = [
                EpochRecord(int(epoch), loss, score, seconds)
                for epoch, loss, score, seconds in saved["history"]
            ]
        set_random_states(state["random"])
        logger.info("%s: resuming after epoch %d", self.path, state["epoch"])
        return int(state["epoch"]) + 1

    def remove(self) -> None:
        """Delete ``last.pt``: the job is complete."""
        self.path.unlink(missing_ok=True)

    def _fits(self, state: Any) -> bool:
        return (
            isinstance(state, dict)
            and state.get("format") == FORMAT
            and state.get("format_version") == FORMAT_VERSION
            and state.get("fingerprint") == self.fingerprint
            and all(
                len(saved["callbacks"]) == len(run.callbacks)
                for run, saved in zip(self.runs, state["runs"], strict=True)
            )
        )


def run_fingerprint(run: Run) -> str:
    """``config_hash`` of the run's settings and the sha256 of its inputs and targets."""
    return f"{run.settings.config_hash()}:{data_digest(run.data)}"


def data_digest(data: SplitData) -> str:
    """The hex sha256 of every split's inputs and targets."""
    digest = hashlib.sha256()
    for split in sorted(data.features):
        digest.update(split.encode())
        digest.update(data.features[split].cpu().numpy().tobytes())
        digest.update(np.ascontiguousarray(data.targets[split]).tobytes())
    return digest.hexdigest()


def random_states() -> dict[str, Any]:
    """The global generators' states: Python's, numpy's, torch's CPU and CUDA (where present)."""
    numpy = np.random.get_state(legacy=False)
    return {
        "python": random.getstate(),
        "numpy": {
            **numpy,
            "state": {
                "key": torch.from_numpy(numpy["state"]["key"].astype(np.int64)),
                "pos": numpy["state"]["pos"],
            },
        },
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def set_random_states(states: dict[str, Any]) -> None:
    """Set the global generators to ``states`` (``random_states``'s)."""
    random.setstate(states["python"])
    numpy = states["numpy"]
    np.random.set_state(
        {
            **numpy,
            "state": {
                "key": numpy["state"]["key"].numpy().astype(np.uint32),
                "pos": numpy["state"]["pos"],
            },
        }
    )
    torch.set_rng_state(states["torch"])
    if states["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])
