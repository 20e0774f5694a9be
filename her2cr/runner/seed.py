"""Kernels forked from a seed that has imported the libraries: warm at no cost of their own.

Importing pandas, scipy, statsmodels, matplotlib and our modules takes about 4 s of CPU in a new
process. Paid in every notebook's kernel, that is most of a run on 2 CPUs. The seed
(seed_server.py) pays it once; each notebook's kernel is then a fork of it: a new process that no
other notebook used, with the modules in sys.modules (shared with the seed until written to) and
nothing in its namespace. To jupyter_client and papermill it is an ordinary local kernel: the
kernel manager's provisioner (SeededProvisioner) asks the seed for the process instead of starting
`python -m ipykernel_launcher`, and signals, interrupts and kills it as the local provisioner would.

Only on Linux (fork after importing these libraries is what multiprocessing does there every day;
on macOS system frameworks forbid it), and only for a kernel spec of the form
`python [options] -m ipykernel_launcher -f {connection_file}`; otherwise `usable` says why not and
the pool starts plain kernels.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from jupyter_client.provisioning import LocalProvisioner

SERVER = Path(__file__).with_name("seed_server.py")
LAUNCHER_TAIL = ["-m", "ipykernel_launcher", "-f", "{connection_file}"]


class SeedError(RuntimeError):
    pass


def seed_command(kernel_argv: list[str]) -> list[str] | None:
    """The kernel spec's interpreter and options, or None if the spec is not a plain IPython one."""
    if sys.platform != "linux" or len(kernel_argv) < 5 or kernel_argv[-4:] != LAUNCHER_TAIL:
        return None
    return kernel_argv[:-4]


class KernelSeed:
    """One seed process for a run: start() at once (it imports while the first step runs),
    spawn() a kernel per notebook, close() at the end (its kernels end with it)."""

    def __init__(self, interpreter: list[str], libraries, packages, cwd: Path, env: dict[str, str]):
        self.interpreter, self.libraries, self.packages = interpreter, list(libraries), list(packages)
        self.cwd, self.env = cwd, env
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._replies: list[dict] = []
        self._reply_cv = threading.Condition()
        self.exited: dict[int, int] = {}

    def start(self) -> None:
        cmd_r, self._cmd_w = os.pipe()
        self._reply_r, reply_w = os.pipe()
        # run as a file, not imported (nothing of her2cr.runner enters the kernels' sys.modules),
        # and named as a file: short in `ps`, and its tracebacks point at it
        run_file = f"exec(compile(open({str(SERVER)!r}, encoding='utf-8').read(), {str(SERVER)!r}, 'exec'))"
        argv = [*self.interpreter, "-c", run_file, str(cmd_r), str(reply_w),
                json.dumps(self.libraries), json.dumps(self.packages)]
        try:
            self._proc = subprocess.Popen(argv, cwd=str(self.cwd), env=self.env, stdin=subprocess.DEVNULL,
                                          pass_fds=(cmd_r, reply_w))
        finally:
            os.close(cmd_r)
            os.close(reply_w)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        with os.fdopen(self._reply_r, "rb") as replies:
            for line in replies:
                msg = json.loads(line)
                if msg.get("ready"):
                    self._ready.set()
                elif "exited" in msg:
                    with self._reply_cv:
                        self.exited[msg["exited"]] = msg["status"]
                        self._reply_cv.notify_all()
                else:
                    with self._reply_cv:
                        self._replies.append(msg)
                        self._reply_cv.notify_all()
        # the seed has ended (or failed while importing): nobody waits for it any more
        self._ready.set()
        with self._reply_cv:
            self._reply_cv.notify_all()

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def spawn(self, connection_file: str, cwd: str, env: dict[str, str], timeout: float = 120.0) -> int:
        """Fork a kernel for this connection file; its pid."""
        if not self._ready.wait(timeout) or not self.alive():
            raise SeedError("the kernel seed did not start (its import of the libraries failed)")
        request = json.dumps({"connection_file": connection_file, "cwd": cwd, "env": env}) + "\n"
        with self._lock:  # one request at a time: replies come in the order of requests
            os.write(self._cmd_w, request.encode())
            with self._reply_cv:
                if not self._reply_cv.wait_for(lambda: self._replies or not self.alive(), timeout):
                    raise SeedError("the kernel seed did not answer")
                if not self._replies:
                    raise SeedError("the kernel seed ended")
                return int(self._replies.pop(0)["pid"])

    def status(self, pid: int) -> int | None:
        """A kernel's exit status once the seed has seen it end, else None."""
        with self._reply_cv:
            if pid in self.exited:
                return self.exited[pid]
        return None if self.alive() else -signal.SIGKILL  # the seed kills its kernels as it ends

    def close(self) -> None:
        if self._proc is None:
            return
        try:
            os.close(self._cmd_w)  # the seed kills the kernels it still has, then ends
        except OSError:
            pass
        try:
            self._proc.wait(10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


class SeededProcess:
    """What LocalProvisioner expects of its Popen, for a kernel forked by the seed."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, seed: KernelSeed):
        self.pid, self.seed = pid, seed

    def poll(self) -> int | None:
        return self.seed.status(self.pid)

    def wait(self, timeout: float | None = None) -> int:
        import time

        end = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if end is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.02)
        return code

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class SeededProvisioner(LocalProvisioner):
    """LocalProvisioner whose kernel process is forked by the seed instead of started by Popen."""

    seed: KernelSeed | None = None

    async def launch_kernel(self, cmd: list[str], **kwargs) -> dict:
        env = dict(kwargs.get("env") or os.environ)
        env["JPY_PARENT_PID"] = str(os.getpid())  # as jupyter_client's launcher sets it
        pid = self.seed.spawn(self.parent.connection_file, str(kwargs.get("cwd") or os.getcwd()), env)
        self.process = SeededProcess(pid, self.seed)
        self.pid = self.pgid = pid  # the child made itself the leader of a new session
        self.cwd = kwargs.get("cwd")
        return self.connection_info

    async def wait(self) -> int | None:
        """As LocalProvisioner's, polling every 10 ms instead of 100 (the seed reports an end at once)."""
        import asyncio

        if self.process is None:
            return 0
        while (code := await self.poll()) is None:
            await asyncio.sleep(0.01)
        self.process = None
        return code


def seeded_kernel_manager(kernel_name: str, seed: KernelSeed):
    """A kernel manager (not started) whose kernel will come from the seed."""
    import uuid

    from jupyter_client.manager import AsyncKernelManager

    km = AsyncKernelManager(kernel_name=kernel_name)
    km.kernel_id = str(uuid.uuid4())
    km.provisioner = SeededProvisioner(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)
    km.provisioner.seed = seed
    return km
