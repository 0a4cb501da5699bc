"""A real single-node SLURM cluster (munged, slurmctld, slurmd) in a temporary folder.

Debian's ``slurm-wlm`` and ``munge`` provide the daemons (``make tools`` installs them). The cluster
uses its own munge key and socket, its own ports and state folders, no accounting, cgroups or
systemd, and two stand-in GPUs, so it runs next to anything else on the machine and leaves
nothing behind: ``stop`` terminates the daemons it started, by pid. Clients find it through
``SLURM_CONF`` (``environ``).
"""

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "sinfo", "scontrol", "srun", "scancel")
GPU_FILES = ("/dev/null", "/dev/zero")
GPUS = len(GPU_FILES)


def missing_binaries() -> list[str]:
    """The daemons and client commands not on PATH (or in /usr/sbin)."""
    return [name for name in DAEMONS + CLIENTS if _which(name) is None]


def why_unavailable() -> str | None:
    """None where this machine can start a cluster, else the reason it cannot."""
    missing = missing_binaries()
    if missing:
        return f"SLURM/munge binaries missing: {', '.join(missing)} (run `make tools` as root)"
    if os.geteuid() != 0:
        return "starting slurmd needs root (it launches jobs as their owner)"
    return None


def _which(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def node_line() -> str:
    """``NodeName=... CPUs=... RealMemory=...`` as ``slurmd -C`` reports this machine."""
    output = subprocess.run(
        [_which("slurmd"), "-C"], capture_output=True, text=True, check=True
    ).stdout
    return next(line for line in output.splitlines() if line.startswith("NodeName="))


@dataclass
class SlurmCluster:
    root: Path
    node: str = ""
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def conf(self) -> Path:
        return self.root / "slurm.conf"

    @property
    def environ(self) -> dict[str, str]:
        """The environment of a client of this cluster (sbatch, squeue, Snakemake)."""
        path = f"{self.root / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
        return {**os.environ, "SLURM_CONF": str(self.conf), "PATH": path}

    def write_srun_shim(self) -> None:
        """An ``srun`` that finds this cluster: the Snakemake job step drops every ``SLURM_*``
        variable, SLURM_CONF included, before calling srun (a real cluster's configuration lives
        at the default path or comes from DNS, neither of which a test should touch)."""
        shim = self.root / "bin/srun"
        shim.parent.mkdir(exist_ok=True)
        shim.write_text(f'#!/bin/sh\nSLURM_CONF="{self.conf}" exec "{_which("srun")}" "$@"\n')
        shim.chmod(0o755)

    def write_config(self) -> None:
        state = self.root / "state"
        for folder in ("state/ctld", "state/d", "log", "munge", "jobs"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        key = self.root / "munge/munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        node = node_line()
        self.node = node.split()[0].split("=", 1)[1]
        ctld_port, d_port = _free_ports(2)
        # Stand-in GPUs (/dev/null, /dev/zero as the device files): jobs request --gpus and are
        # scheduled on them as on a GPU node, while training finds no CUDA device (CPU).
        (self.root / "gres.conf").write_text(
            "".join(f"NodeName={self.node} Name=gpu File={device}\n" for device in GPU_FILES)
        )
        self.conf.write_text(
            f"""ClusterName=chromexpr-test
SlurmctldHost={self.node}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={self.root}/munge/munge.socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation={state}/ctld
SlurmdSpoolDir={state}/d
SlurmctldPidFile={self.root}/slurmctld.pid
SlurmdPidFile={self.root}/slurmd.pid
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MpiDefault=none
ReturnToService=2
MinJobAge=600
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
GresTypes=gpu
{node} Gres=gpu:{GPUS} NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes={self.node} Default=YES MaxTime=INFINITE State=UP
"""
        )

    def start(self, timeout: float = 60) -> None:
        self.write_config()
        self.write_srun_shim()
        munge = self.root / "munge"
        self._spawn(
            "munged",
            [
                _which("munged"),
                "--foreground",
                "--force",
                f"--key-file={munge}/munge.key",
                f"--socket={munge}/munge.socket",
                f"--pid-file={munge}/munged.pid",
                f"--log-file={munge}/munged.log",
                f"--seed-file={munge}/munged.seed",
            ],
        )
        self._wait_for(lambda: (munge / "munge.socket").exists(), timeout, "munged socket")
        self._spawn("slurmctld", [_which("slurmctld"), "-D", "-i", "-f", str(self.conf)])
        self._wait_for(self._controller_answers, timeout, "slurmctld answering")
        self._spawn("slurmd", [_which("slurmd"), "-D", "-f", str(self.conf)])
        self._wait_for(self.node_idle, timeout, f"node {self.node} idle in sinfo")

    def _spawn(self, name: str, command: list[str]) -> None:
        log = (self.root / "log" / f"{name}.out").open("w")
        self.processes[name] = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=self.environ, start_new_session=True
        )

    def _wait_for(self, ready, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited ({process.returncode}):\n{self.logs()}")
            if ready():
                return
            time.sleep(0.5)
        raise TimeoutError(f"SLURM test cluster: no {what} after {timeout} s:\n{self.logs()}")

    def _run(self, *command: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [_which(command[0]), *command[1:]],
            capture_output=True,
            text=True,
            env=self.environ,
            timeout=30,
        )

    def scontrol(self, *arguments: str) -> str:
        return self._run("scontrol", *arguments).stdout

    def _controller_answers(self) -> bool:
        return self._run("scontrol", "ping").stdout.count("UP") > 0

    def node_idle(self) -> bool:
        result = self._run("sinfo", "--noheader", "--Node", "--format=%N %t")
        return f"{self.node} idle" in result.stdout

    def logs(self) -> str:
        parts = []
        for path in sorted((self.root / "log").glob("*")) + [self.root / "munge/munged.log"]:
            if path.exists():
                parts.append(f"--- {path.name}\n{path.read_text()[-3000:]}")
        return "\n".join(parts)

    def stop(self) -> None:
        """Cancel what is still queued, then terminate the daemons in reverse start order."""
        if "slurmctld" in self.processes and self.processes["slurmctld"].poll() is None:
            self._run("scancel", "--full", "--partition=debug")
        for name in reversed(list(self.processes)):
            process = self.processes[name]
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self.processes.clear()
