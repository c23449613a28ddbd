"""A real single-node SLURM cluster on 127.0.0.1: munged, slurmctld and slurmd with
their configuration in a temporary folder, stopped by PID when done."""

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

PACKAGES = ["slurm-wlm", "munge"]
MUNGE_SOCKET = Path("/run/munge/munge.socket.2")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_installed() -> str | None:
    """Install SLURM and munge when missing; the reason it cannot, or None."""
    if shutil.which("slurmctld") and shutil.which("munged"):
        return None
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "slurm-wlm and munge are not installed and this user cannot apt-get them"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", *PACKAGES], check=True, env=env)
    return None


SLURM_CONF = """\
ClusterName=music
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
# Job completion records in a file: `sacct -c` reads every job's attempts there
# without a slurmdbd. A job over its time limit is killed 5 s after its warning.
JobCompType=jobcomp/filetxt
JobCompLoc={root}/jobcomp.txt
KillWait=5
MpiDefault=none
ReturnToService=2
# squeue forgets a finished job MinJobAge seconds after it ends; on a loaded machine
# a test DAG can run longer than the default 300 s, and the test reads every job.
MinJobAge=3600
SchedulerType=sched/builtin
SlurmctldParameters=enable_configless
GresTypes=gpu
NodeName=localhost NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory} Gres=gpu:1 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
"""


class SlurmCluster:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.procs: list[subprocess.Popen] = []
        self.env = {**os.environ, "SLURM_CONF": str(self.root / "slurm.conf")}

    def start(self):
        for sub in ("state", "spool"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2 ** 20 // 2
        self.ctld_port = free_port()
        (self.root / "slurm.conf").write_text(SLURM_CONF.format(
            root=self.root, ctld_port=self.ctld_port, slurmd_port=free_port(),
            cpus=os.cpu_count(), memory=memory))
        (self.root / "gres.conf").write_text("NodeName=localhost Name=gpu File=/dev/null\n")
        # munged on its default socket: configless slurmd authenticates there before
        # it has any config. A munged already serving it is used as it is.
        if not MUNGE_SOCKET.exists():
            MUNGE_SOCKET.parent.mkdir(parents=True, exist_ok=True)
            self._spawn(["munged", "-F", "-f", f"--socket={MUNGE_SOCKET}",
                         f"--pid-file={self.root}/munged.pid",
                         f"--log-file={self.root}/munged.log",
                         f"--seed-file={self.root}/munge.seed"])
            self._wait(MUNGE_SOCKET.exists, "munged")
        self._spawn(["slurmctld", "-D", "-i", "-f", str(self.root / "slurm.conf")])
        # Configless slurmd: it fetches the config from slurmctld and links it at
        # /run/slurm/conf, where job steps find it (Snakemake's job-step executor
        # drops SLURM_CONF from the environment of the srun it runs in each job).
        self._spawn(["slurmd", "-D", "-N", "localhost", "--conf-server",
                     f"127.0.0.1:{self.ctld_port}"])
        self._wait(self._node_idle, "slurmd registering with slurmctld")
        return self

    def _spawn(self, cmd):
        log = open(self.root / f"{Path(cmd[0]).name}.out", "w")
        self.procs.append(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                           env=self.env, start_new_session=True))

    def _node_idle(self) -> bool:
        result = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True,
                                env=self.env)
        return result.stdout.strip() in ("idle", "mix", "alloc")

    def _wait(self, ready, what: str, timeout: float = 60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if ready():
                return
            for proc in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"{proc.args[0]} exited ({proc.returncode}); see "
                                       f"{self.root}")
            time.sleep(0.5)
        raise TimeoutError(f"{what} not ready after {timeout} s; logs in {self.root}")

    def stop(self):
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        link = Path("/run/slurm/conf")
        if link.is_symlink() and str(self.root) in os.readlink(link):
            link.unlink()

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()
