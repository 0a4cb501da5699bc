"""GPU placement without a GPU: a fake device count and lock files in a temporary folder."""

import logging
import subprocess
import sys
import threading

from chromexpr.train.gpus import claim_gpu, visible_devices


def devices(count):
    return lambda: count


def test_visible_devices_follow_cuda_visible_devices_else_the_driver_count():
    assert visible_devices({}, devices(3)) == ["0", "1", "2"]
    assert visible_devices({"CUDA_VISIBLE_DEVICES": "2,5"}, devices(8)) == ["2", "5"]
    assert visible_devices({"CUDA_VISIBLE_DEVICES": ""}, devices(8)) == []
    assert visible_devices({"CUDA_VISIBLE_DEVICES": "-1"}, devices(8)) == []
    assert visible_devices({"CUDA_VISIBLE_DEVICES": "GPU-ab12, GPU-cd34"}, devices(0)) == [
        "GPU-ab12",
        "GPU-cd34",
    ]


def test_concurrent_jobs_get_different_devices_and_release_them(tmp_path):
    environments = [{}, {}, {}]
    with (
        claim_gpu("auto", tmp_path, environments[0], devices(3)) as first,
        claim_gpu("cuda", tmp_path, environments[1], devices(3)) as second,
        claim_gpu("auto", tmp_path, environments[2], devices(3)) as third,
    ):
        assert [first, second, third] == ["0", "1", "2"]
        assert [env["CUDA_VISIBLE_DEVICES"] for env in environments] == ["0", "1", "2"]
    assert environments == [{}, {}, {}]  # restored
    with claim_gpu("auto", tmp_path, {}, devices(3)) as again:
        assert again == "0"  # released on exit


def test_an_existing_cuda_visible_devices_is_narrowed_to_one_of_its_ids(tmp_path):
    environ = {"CUDA_VISIBLE_DEVICES": "3,7"}
    other = {"CUDA_VISIBLE_DEVICES": "3,7"}
    with (
        claim_gpu("auto", tmp_path, environ, devices(8)) as first,
        claim_gpu("auto", tmp_path, other, devices(8)) as second,
    ):
        assert (first, second) == ("3", "7")
        assert other["CUDA_VISIBLE_DEVICES"] == "7"
    assert environ == {"CUDA_VISIBLE_DEVICES": "3,7"}


def test_nothing_is_claimed_on_cpu_without_devices_or_under_slurm(tmp_path):
    for requested, environ, count in [
        ("cpu", {}, 4),
        ("auto", {}, 0),
        ("auto", {"SLURM_JOB_GPUS": "1", "CUDA_VISIBLE_DEVICES": "1"}, 4),
    ]:
        before = dict(environ)
        with claim_gpu(requested, tmp_path, environ, devices(count)) as device:
            assert device is None
            assert environ == before
    assert list(tmp_path.iterdir()) == []


def test_a_job_waits_while_every_device_is_held(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="chromexpr")
    got = []
    with claim_gpu("auto", tmp_path, {}, devices(1)):
        waiter = threading.Thread(
            target=lambda: got.append(_claim_once(tmp_path, poll_seconds=0.05))
        )
        waiter.start()
        waiter.join(timeout=0.5)
        assert waiter.is_alive() and got == []
        assert any("waiting" in message for message in caplog.messages)
    waiter.join(timeout=10)
    assert got == ["0"]


def _claim_once(lock_dir, poll_seconds=0.05):
    with claim_gpu("auto", lock_dir, {}, devices(1), poll_seconds=poll_seconds) as device:
        return device


HOLDER = """
import sys, time
from chromexpr.train.gpus import claim_gpu
with claim_gpu("auto", sys.argv[1], {}, lambda: 2) as device:
    print(device, flush=True)
    time.sleep(60)
"""


def test_the_lock_holds_across_processes_and_dies_with_its_holder(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "0"
        with claim_gpu("auto", tmp_path, {}, devices(2)) as device:
            assert device == "1"
        holder.kill()  # a killed job's lock is released by the kernel
        holder.wait(10)
        with claim_gpu("auto", tmp_path, {}, devices(2)) as device:
            assert device == "0"
    finally:
        holder.kill()
        holder.wait(10)
