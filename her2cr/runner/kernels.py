"""Fresh kernels started ahead of the notebooks that will use them.

Every notebook runs in a kernel of its own that nothing else ever used; starting that kernel
while the previous step still runs takes its start-up off the critical path. A kernel whose
notebook waits for another step also imports, while it waits, the libraries and our modules the
notebooks use (PRELOAD_LIBRARIES, PRELOAD_PACKAGES: the same list for every notebook), silently:
no execution count, no history, no `_`, no name in the user namespace, no matplotlib backend
chosen, `random` and numpy's global generator put back. So it is a fresh kernel apart from
sys.modules (tests/runner/test_kernels.py compares it with a plain kernel, and a whole run's
outputs with plain papermill kernels').

Every kernel is started, warmed and shut down by one thread of the pool (an asyncio loop), with
one deadline per start (START_TIMEOUT, until it answers) and one per shutdown (SHUTDOWN_TIMEOUT),
never one after another: a kernel that dies or hangs fails its notebook's step with a message
that says so. Its connection file is in the run's staging folder (removed with it, also by the
next run after a killed one), and every client opened to it is closed when it is shut down. On
Linux a kernel is killed by the system as soon as the pool's thread ends (her2cr.processes),
which it does only after the kernels are shut down, or when the runner itself is killed.

On Linux the kernel and its clients talk over Unix sockets in the abstract namespace, named by a
random id (local_transport): jupyter_client's TCP ports are picked free in this process and bound
later by the kernel, and in between any connection opened on the machine may take one as its own
port ("Address already in use": the kernel dies as it starts; seen in CI with 02 and 03 starting
together). Abstract sockets have no port to lose, no file to leave behind, and go with the
process that bound them, also when it is killed. Elsewhere the kernels use TCP, as Jupyter does.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
import threading
import uuid
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager

from her2cr import processes

START_TIMEOUT = 60.0  # seconds from launch until the kernel answers (also papermill's start_timeout)
SHUTDOWN_TIMEOUT = 10.0
PRELOAD_TIMEOUT = 120.0  # the imports, in a kernel that has answered
# As papermill starts a kernel (nbclient's default): no IPython history file.
KERNEL_ARGUMENTS = ["--HistoryManager.hist_file=:memory:"]

# Imported by the notebooks or, lazily, by the her2cr functions they call. Not seaborn: nothing
# in her2cr or the notebooks uses it, and importing it registers its colour maps in matplotlib.
# Not pandera: only 01_clean validates, and its kernel is never warmed (it waits for no step).
PRELOAD_LIBRARIES = (
    "numpy", "pandas", "pyarrow", "pyarrow.parquet", "scipy.stats", "scipy.optimize",
    "scipy.special", "statsmodels.stats.proportion", "statsmodels.duration.survfunc",
    "matplotlib", "matplotlib.pyplot", "matplotlib.ticker", "matplotlib.backends.backend_agg",
    "matplotlib.backends.backend_svg", "great_tables", "yaml",
)
# Every module of these packages (the notebooks' stages; not the runner or the command line).
PRELOAD_PACKAGES = ("her2cr.stats", "her2cr.data", "her2cr.baseline", "her2cr.ctdna", "her2cr.ctgov",
                    "her2cr.reporting")

_PRELOAD_BODY = f'''
def preload():
    import importlib, pkgutil, random
    py_state = random.getstate()
    import numpy.random
    np_state = numpy.random.get_state()
    try:
        for name in {PRELOAD_LIBRARIES!r}:
            importlib.import_module(name)
        for package in {PRELOAD_PACKAGES!r}:
            for m in pkgutil.iter_modules(importlib.import_module(package).__path__, package + "."):
                importlib.import_module(m.name)
    finally:
        random.setstate(py_state)
        numpy.random.set_state(np_state)

preload()
'''
# One expression statement: run silently it binds nothing, not even `_`; the names of the body
# live and die in the dict given to exec.
PRELOAD = f"exec({_PRELOAD_BODY!r}, {{'__name__': 'her2cr_preload'}})"


class KernelFailed(RuntimeError):
    """A notebook's kernel died or did not answer in time (the message says which)."""


def local_transport() -> dict:
    """The kernel manager's transport and address: a new abstract Unix socket name on Linux (the
    kernel binds "<ip>-1" to "<ip>-5"), else TCP on localhost (jupyter_client's default)."""
    if sys.platform.startswith("linux"):
        return {"transport": "ipc", "ip": f"@her2cr-kernel-{uuid.uuid4().hex}"}
    return {}


class LocalKernelManager(AsyncKernelManager):
    """jupyter_client's kernel manager on local_transport(): what papermill is given to start
    a kernel when none was started ahead."""

    def __init__(self, **kwargs):
        super().__init__(**{**local_transport(), **kwargs})


class RunKernelManager(LocalKernelManager):
    """A kernel manager that keeps the clients it makes (papermill's, the preload's), so that
    they are closed with the kernel: papermill leaves open the client of a kernel it did not
    start (its heartbeat thread and sockets would outlive the kernel)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.clients: list = []

    def client(self, **kwargs):
        kc = super().client(**kwargs)
        self.clients.append(kc)
        return kc

    def close_clients(self) -> None:
        """Stop every client's channels (threads, sockets) and its zmq context."""
        while self.clients:
            try:
                self.clients.pop().stop_channels()
            except Exception:
                pass


def new_manager(kernel_name: str, connection_dir: Path) -> RunKernelManager:
    connection_dir.mkdir(parents=True, exist_ok=True)
    return RunKernelManager(kernel_name=kernel_name,
                            connection_file=str(connection_dir / f"kernel-{uuid.uuid4()}.json"))


async def start_kernel(km: RunKernelManager, cwd: Path) -> None:
    """Launch the kernel as papermill would (it has not answered yet), to end with this thread."""
    await km.start_kernel(cwd=str(cwd), extra_arguments=list(KERNEL_ARGUMENTS), **processes.popen_options())
    pid = km.provisioner.pid if km.provisioner is not None else None
    if pid:
        processes.track(pid)  # the kernel leads its own process group (session)


async def shutdown_kernel(km: RunKernelManager) -> None:
    """Kill the kernel (its notebook is saved; no interrupt first, as jupyter_client's
    shutdown_kernel sends, which a kernel still starting answers with a traceback), within
    SHUTDOWN_TIMEOUT; close its clients, control socket and zmq context, and remove its
    connection file."""
    km.close_clients()
    pid = km.provisioner.pid if km.provisioner is not None else None
    try:
        if km.has_kernel:
            await asyncio.wait_for(_kill(km), SHUTDOWN_TIMEOUT)
    except Exception:
        pass
    finally:
        try:
            await km.cleanup_resources()
        except Exception:
            km.cleanup_connection_file()
        if pid:
            processes.untrack(pid)


async def _kill(km: RunKernelManager) -> None:
    await km.provisioner.kill()
    await km.provisioner.wait()


async def wait_until_ready(km: RunKernelManager, kc) -> None:
    """Within START_TIMEOUT; else KernelFailed, saying whether the kernel died or hangs."""
    try:
        await kc.wait_for_ready(timeout=START_TIMEOUT)
    except RuntimeError as exc:  # jupyter_client: "Kernel died before replying ...", "... didn't respond"
        if await km.is_alive():
            raise KernelFailed(f"its kernel did not answer within {START_TIMEOUT:.0f} s of its start") from None
        code = await km.provisioner.poll() if km.provisioner is not None else None
        raise KernelFailed("its kernel died as it started"
                           + (f" (exit code {code})" if code is not None else "") + f": {exc}") from None


async def unless_dead(km: RunKernelManager, coro, doing: str):
    """Await coro, but raise KernelFailed as soon as the kernel's process has ended."""
    task = asyncio.ensure_future(coro)
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=0.5)
            if done:
                return task.result()
            if not await km.is_alive():
                code = await km.provisioner.poll() if km.provisioner is not None else None
                raise KernelFailed(f"its kernel died while {doing}"
                                   + (f" (exit code {code})" if code is not None else ""))
    finally:
        task.cancel()


async def warm(km: RunKernelManager, code: str = PRELOAD) -> bool:
    """Wait for the kernel to answer, then run `code` in it silently (no history, no execution
    count); True if it ran without error. A kernel that dies or does not answer raises
    KernelFailed."""
    kc = km.client()
    # No heartbeat: a kernel slow to answer its first beat (a busy machine) would count as dead.
    kc.start_channels(hb=False)
    try:
        await wait_until_ready(km, kc)
        try:
            reply = await unless_dead(km, kc.execute_interactive(
                code, silent=True, store_history=False, allow_stdin=False, timeout=PRELOAD_TIMEOUT,
                output_hook=lambda msg: None), "importing the libraries")
        except TimeoutError:
            raise KernelFailed(f"its kernel did not finish importing the libraries within "
                               f"{PRELOAD_TIMEOUT:.0f} s") from None
        return reply["content"]["status"] == "ok"
    finally:
        km.close_clients()


class KernelPool:
    """Kernels for the notebooks of one run, started ahead in the pool's thread.

    kernel_name, cwd: as papermill would start them; connection_dir: where their connection files
    go (the run's staging folder); preload: code run in each kernel named in prestart's `warm`
    before it is handed out (None: none); parallel: how many kernels preload at a time."""

    def __init__(self, kernel_name: str, cwd: Path, connection_dir: Path, preload: str | None = PRELOAD,
                 parallel: int = 2):
        self.kernel_name, self.cwd, self.connection_dir, self.preload = kernel_name, cwd, connection_dir, preload
        self._slots = asyncio.Semaphore(max(1, parallel))
        self._kms: list[RunKernelManager] = []  # every kernel the pool started
        self._starting: dict[str, concurrent.futures.Future] = {}
        self._tasks: list[asyncio.Task] = []  # the pool's starts and shutdowns
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="her2cr-kernels", daemon=True)
        self._thread.start()
        self._closed = False

    def _submit(self, coro) -> concurrent.futures.Future:
        async def task():
            self._tasks.append(asyncio.current_task())
            return await coro
        return asyncio.run_coroutine_threadsafe(task(), self._loop)

    def prestart(self, names: list[str], warm: set[str] | None = None) -> None:
        """Start one kernel per name: plain ones first, in order (the first notebook's, which
        waits for nothing), then the ones named in `warm` (default: all), preloaded `parallel` at
        a time, in order (each launched when a preload slot is free)."""
        warm = set(names) if warm is None else set(warm)
        order = [n for n in names if n not in warm] + [n for n in names if n in warm]
        for n in order:
            self._starting[n] = self._submit(self._start(n in warm and bool(self.preload)))

    async def _launch(self) -> RunKernelManager:
        km = new_manager(self.kernel_name, self.connection_dir)
        self._kms.append(km)
        await start_kernel(km, self.cwd)
        return km

    async def _start(self, warmed: bool) -> RunKernelManager:
        if not warmed:
            return await self._launch()
        async with self._slots:
            km = await self._launch()
            if await warm(km, self.preload):
                return km
        # the preload failed in a kernel that answers (a half-warmed kernel is not handed out):
        # the notebook gets a plain kernel, and meets the error itself if it imports the same
        await shutdown_kernel(km)
        return await self._launch()

    def take(self, name: str) -> RunKernelManager | None:
        """The kernel started for `name` (now the caller's, to hand to `retire`), or None if none
        was; raises KernelFailed if it died or hung."""
        fut = self._starting.pop(name, None)
        if fut is None:
            return None
        try:
            return fut.result()
        except concurrent.futures.CancelledError:
            raise KernelFailed("the run is being stopped") from None
        except KernelFailed:
            raise
        except Exception as exc:
            raise KernelFailed(f"its kernel could not be started: {type(exc).__name__}: {exc}") from None

    def retire(self, km: RunKernelManager) -> None:
        """Shut a used kernel down in the background: its notebook is saved, so the next step
        need not wait for the process to go; close() waits for it."""
        km.close_clients()  # in the caller's thread, where papermill used them
        self._submit(shutdown_kernel(km))

    def stop(self) -> None:
        """The run is interrupted: kernels not handed out yet are not waited for."""
        for fut in list(self._starting.values()):
            fut.cancel()

    def close(self) -> None:
        """Shut down every kernel of the pool (each within SHUTDOWN_TIMEOUT, all at once), then
        end the pool's thread."""
        if self._closed:
            return
        self._closed = True
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    async def _close(self) -> None:
        for fut in self._starting.values():
            fut.cancel()  # kernels not taken: their starts end now
        self._starting = {}
        await asyncio.gather(*self._tasks, return_exceptions=True)
        # every kernel not shut down yet (not taken, interrupted while starting or warming)
        await asyncio.gather(*(shutdown_kernel(km) for km in self._kms), return_exceptions=True)
