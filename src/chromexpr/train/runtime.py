"""Where and how reproducibly a training job runs: device, seeds, deterministic kernels, memory.

The device is decided when the job runs (``resolve_device``), never when the workflow is
parsed; which of several GPUs a job gets is ``chromexpr.train.gpus.claim_gpu``'s choice.
"""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Iterator

import numpy as np
import torch

from chromexpr.errors import TrainingError


def resolve_device(requested: str) -> torch.device:
    """``auto``: CUDA when available, else CPU. ``cuda`` without a usable GPU is a TrainingError."""
    if requested == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if requested == "cuda":
        raise TrainingError(
            "training.device is 'cuda' but torch sees no CUDA device "
            f"(torch {torch.__version__}, built for CUDA {torch.version.cuda}); "
            "set training.device to 'auto' or 'cpu', or run on a GPU node"
        )
    return torch.device("cpu")


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's and torch's (CPU and CUDA) global generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@contextlib.contextmanager
def deterministic_algorithms(device: torch.device) -> Iterator[None]:
    """Make torch pick deterministic kernels inside the block; restore the previous choice after.

    Cheap for these models on CPU and GPU; ``warn_only`` so that a kernel without a deterministic
    version warns instead of stopping a day-long run.
    """
    previous = (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.backends.cudnn.benchmark,
    )
    if device.type == "cuda":
        # cuBLAS is deterministic only with a fixed workspace, read when its handle is created.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = False
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous[0], warn_only=previous[1])
        torch.backends.cudnn.benchmark = previous[2]


@contextlib.contextmanager
def out_of_memory_advice(name: str, batch_size: int, device: torch.device) -> Iterator[None]:
    """Turn running out of GPU or CPU memory inside the block into a TrainingError with advice."""
    try:
        yield
    except (torch.cuda.OutOfMemoryError, MemoryError, RuntimeError) as error:
        message = str(error)
        if not isinstance(error, torch.cuda.OutOfMemoryError | MemoryError) and not any(
            phrase in message for phrase in ("out of memory", "not enough memory")
        ):
            raise
        raise TrainingError(
            f"{name}: out of memory on {device} ({type(error).__name__}: "
            f"{message.splitlines()[0] if message else 'no details'}); lower training.batch_size "
            f"(now {batch_size}) or train on a device with more memory"
        ) from error
