"""One GPU per training job on a workstation with several: a lock file per device id.

Snakemake counts a ``gpu`` resource but does not say which device a job gets, so every job would
start on GPU 0. ``claim_gpu`` picks a device no other job holds (an ``fcntl`` lock on
``<lock_dir>/gpu-<id>.lock``, held for the job's life and released by the kernel even when the
job is killed), and narrows ``CUDA_VISIBLE_DEVICES`` to it before CUDA starts. It picks among the
ids of an existing ``CUDA_VISIBLE_DEVICES`` where one is set, else among the driver's devices.
Under a scheduler that assigns devices itself (SLURM sets ``SLURM_JOB_GPUS``/``SLURM_STEP_GPUS``)
it leaves the environment alone.
"""

import contextlib
import fcntl
import logging
import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

DEFAULT_LOCK_DIR = "/tmp/chromexpr-gpu-locks"
SCHEDULER_VARIABLES = ("SLURM_JOB_GPUS", "SLURM_STEP_GPUS")

logger = logging.getLogger(__name__)


def driver_device_count() -> int:
    """NVIDIA devices the driver lists (``/proc/driver/nvidia/gpus``, else ``nvidia-smi -L``);
    0 where there is no NVIDIA driver. Does not initialise CUDA."""
    proc = Path("/proc/driver/nvidia/gpus")
    if proc.is_dir():
        return sum(1 for _ in proc.iterdir())
    try:
        listing = subprocess.run(
            ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    return sum(1 for line in listing.splitlines() if line.startswith("GPU "))


def visible_devices(
    environ: dict[str, str] | None = None, device_count: Callable[[], int] = driver_device_count
) -> list[str]:
    """The device ids a job may use: ``CUDA_VISIBLE_DEVICES``'s where set (empty or ``-1``: none),
    else ``0 .. device_count() - 1``."""
    environ = os.environ if environ is None else environ
    if "CUDA_VISIBLE_DEVICES" in environ:
        ids = [part.strip() for part in environ["CUDA_VISIBLE_DEVICES"].split(",")]
        ids = [part for part in ids if part]
        # CUDA stops at the first invalid id; "-1" is the usual way to hide every device.
        return [] if not ids or ids[0].startswith("-") else ids
    return [str(index) for index in range(device_count())]


def _lock_name(device: str) -> str:
    return "gpu-" + re.sub(r"[^A-Za-z0-9_.-]", "_", device) + ".lock"


@contextlib.contextmanager
def claim_gpu(
    requested: str,
    lock_dir: str | Path | None = None,
    environ: dict[str, str] | None = None,
    device_count: Callable[[], int] = driver_device_count,
    poll_seconds: float = 2.0,
) -> Iterator[str | None]:
    """Hold one free GPU for the ``with`` block; yields its id, or None where nothing was claimed.

    Nothing is claimed for ``requested == "cpu"``, where no device is visible, or where a scheduler
    assigned the devices. Otherwise the first device whose lock is free is taken (waiting, polling
    every ``poll_seconds``, while all are held) and ``environ["CUDA_VISIBLE_DEVICES"]`` is set to it
    for the block. Call it before the first CUDA call of the process.
    """
    environ = os.environ if environ is None else environ
    devices = [] if requested == "cpu" else visible_devices(environ, device_count)
    if not devices or any(environ.get(name) for name in SCHEDULER_VARIABLES):
        yield None
        return
    folder = Path(lock_dir or environ.get("CHROMEXPR_GPU_LOCK_DIR") or DEFAULT_LOCK_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    handle, device = _take_free(folder, devices, poll_seconds)
    previous = environ.get("CUDA_VISIBLE_DEVICES")
    environ["CUDA_VISIBLE_DEVICES"] = device
    try:
        logger.info(f"GPU placement: device {device} of {','.join(devices)} (lock {handle.name})")
        yield device
    finally:
        if previous is None:
            environ.pop("CUDA_VISIBLE_DEVICES", None)
        else:
            environ["CUDA_VISIBLE_DEVICES"] = previous
        handle.close()  # releases the lock


def _take_free(folder: Path, devices: list[str], poll_seconds: float):
    waited = False
    while True:
        for device in devices:
            handle = (folder / _lock_name(device)).open("a")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            return handle, device
        if not waited:
            logger.info(
                f"GPU placement: all of {','.join(devices)} are held by other jobs; waiting"
            )
        waited = True
        time.sleep(poll_seconds)
