"""Fresh kernels started ahead of the notebooks that will use them, and warm when they are taken.

Every notebook still runs in a kernel of its own that nothing else ever used; starting that
kernel while the previous step is still running takes its start-up (about half a second here)
off the critical path. Most of a notebook's time in a fresh kernel would be importing pandas,
scipy, statsmodels, matplotlib and our modules (PRELOAD_LIBRARIES, PRELOAD_PACKAGES: the same
list for every notebook), so the kernel of a notebook that waits for another step arrives with
them in sys.modules:

- on Linux it is forked from a seed process that imported them once, in the context a notebook
  cell imports them in (seed.py, seed_server.py): no kernel pays for the imports again;
- elsewhere (no fork), or with a kernel spec that is not `python -m ipykernel_launcher`, the
  kernel imports them itself while it waits (PRELOAD, run silently: no execution count, no
  history, no `_`, no name in the user namespace, no matplotlib backend chosen, `random` and
  numpy's global generator put back).

Either way the kernel is a fresh one apart from sys.modules (tests/runner/test_kernels.py
compares it with a plain kernel, and a whole run's outputs with plain papermill kernels'). A
kernel that cannot be warmed is not handed out: its notebook gets a plain kernel, as papermill
would start. A kernel whose notebook has run is shut down in the background (`retire`), and
kernels not used by the end of a run are shut down.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

# Imported by the notebooks or, lazily, by the her2cr functions they call. Not seaborn: nothing
# in her2cr or the notebooks uses it, and importing it registers its colour maps in matplotlib.
# Not pandera: only 01_clean validates, and its kernel is never warmed (it waits for no step:
# a plain kernel started at once is ready before the seed has imported).
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


def start_seed(kernel_name: str, cwd: Path):
    """A started KernelSeed for this kernel spec, importing PRELOAD's libraries, or None where
    kernels cannot be forked (not Linux, or a kernel spec that is not `python -m ipykernel_launcher`)."""
    import os

    from jupyter_client.kernelspec import KernelSpecManager

    from her2cr.runner.seed import KernelSeed, seed_command

    try:
        spec = KernelSpecManager().get_kernel_spec(kernel_name)
    except Exception:
        return None
    interpreter = seed_command(spec.argv)
    if interpreter is None:
        return None
    # the environment the kernels get (jupyter_client's launcher): the libraries import under it
    env = {k: v for k, v in os.environ.items() if k != "PYTHONEXECUTABLE"}
    env.update(spec.env or {})
    env["JPY_PARENT_PID"] = str(os.getpid())
    seed = KernelSeed(interpreter, PRELOAD_LIBRARIES, PRELOAD_PACKAGES, cwd, env)
    try:
        seed.start()
    except OSError:
        return None
    return seed


def warm(km, code: str = PRELOAD, timeout: float = 120.0) -> bool:
    """Run `code` silently in the kernel of `km` (no history, no execution count); True if it ran
    without error."""
    from jupyter_client.blocking import BlockingKernelClient

    kc = BlockingKernelClient()
    kc.load_connection_info(km.get_connection_info())
    # No heartbeat: a kernel slow to answer its first beat (a busy machine) would count as dead.
    kc.start_channels(hb=False)
    try:
        kc.wait_for_ready(timeout=timeout)
        reply = kc.execute_interactive(code, silent=True, store_history=False, allow_stdin=False,
                                       timeout=timeout, output_hook=lambda msg: None)
        return reply["content"]["status"] == "ok"
    finally:
        kc.stop_channels()


class KernelPool:
    """kernel_name, cwd: as papermill would start them; preload: code run in each kernel named in
    prestart's `warm` before it is handed out (None: plain kernels); parallel: how many kernels
    preload at a time. seeded: on Linux, the kernels named in `warm` are forked from one seed
    process that ran the same preload once (seed.py), instead of each importing for itself; the
    in-kernel preload is what other systems get."""

    def __init__(self, kernel_name: str, cwd: Path, preload: str | None = PRELOAD, parallel: int = 2,
                 seeded: bool = True):
        self.kernel_name, self.cwd, self.preload = kernel_name, cwd, preload
        self.seeded = seeded and preload == PRELOAD
        self.seed = None
        self._kms: dict[str, object] = {}
        self._ready: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._retiring: list[threading.Thread] = []
        self._after: dict[str, set[str]] = {}  # kernels forked when one of these steps starts
        self._finished: set[str] = set()
        self._steps = threading.Condition()
        self._closing = False
        self._preloading = threading.Semaphore(max(1, parallel))

    def prestart(self, names: list[str], warm: set[str] | None = None,
                 after: dict[str, set[str]] | None = None) -> None:
        """Start the seed, then one kernel per name in the background: plain ones first, in order
        (the first notebook's, which waits for nothing), then the ones named in `warm` (default:
        all), forked from the seed or else preloaded `parallel` at a time. (The seed goes first:
        started after the first kernel, it is ready later and 02 and 03 wait for their kernels.)

        after: for a forked kernel, the steps of which the first to end (`finished`) has it
        forked; e.g. the report's kernel is forked when 02 or 03 ends, not while 01 runs, when
        it would only hold memory, nor as 02 and 03 start, when it would take CPU from their own
        kernels' start. Preloaded kernels are started at once: they need the time."""
        for n in names:
            self._ready[n] = threading.Event()
        warm = set(names) if warm is None else set(warm)
        if self.preload and warm and self.seeded:
            self.seed = start_seed(self.kernel_name, self.cwd)
        self._after = {n: set(s) for n, s in (after or {}).items() if n in warm and s}
        order = [n for n in names if n not in warm] + [n for n in names if n in warm]
        threading.Thread(target=self._start_all, args=(order, warm), daemon=True).start()

    def finished(self, step: str) -> None:
        """A step has ended: kernels waiting for it are forked."""
        with self._steps:
            self._finished.add(step)
            self._steps.notify_all()

    def _start_all(self, names: list[str], to_warm: set[str]) -> None:
        for n in names:
            if n not in to_warm:
                self._start(n, False, to_warm)
        for n in names:
            if n not in to_warm:
                continue
            if self.seed is None:
                self._start(n, False, to_warm)  # preloaded in the kernel, at once
            elif n in self._after:
                threading.Thread(target=self._start_when_finished, args=(n,), daemon=True).start()
            else:
                self._start(n, True, to_warm)

    def _start_when_finished(self, n: str) -> None:
        with self._steps:
            self._steps.wait_for(lambda: self._closing or bool(self._after[n] & self._finished))
        if self._closing:  # the run is over: this kernel is not needed
            self._ready[n].set()
        else:
            self._start(n, True, {n})

    def _start(self, n: str, seeded: bool, to_warm: set[str]) -> None:
        from jupyter_client.manager import AsyncKernelManager

        try:
            if seeded:
                from her2cr.runner.seed import seeded_kernel_manager

                km = seeded_kernel_manager(self.kernel_name, self.seed)
            else:
                km = AsyncKernelManager(kernel_name=self.kernel_name)
            asyncio.run(km.start_kernel(cwd=str(self.cwd)))
        except Exception:  # the notebook then starts its own kernel, as papermill would
            self._ready[n].set()
            return
        if self.preload and n in to_warm and not seeded:
            # the slot is taken here, in order, so that kernels are warmed in the order needed
            self._preloading.acquire()
            threading.Thread(target=self._warm, args=(n, km), daemon=True).start()
        else:
            self._hand_over(n, km)

    def _warm(self, name: str, km) -> None:
        try:
            ok = warm(km, self.preload)
        except Exception:
            ok = False
        finally:
            self._preloading.release()
        if ok:
            self._hand_over(name, km)
        else:  # a half-warmed kernel is not handed out
            self.shutdown(km)
            self._ready[name].set()

    def _hand_over(self, name: str, km) -> None:
        with self._lock:
            self._kms[name] = km
        self._ready[name].set()

    def take(self, name: str, timeout: float = 120.0):
        """The kernel manager started for `name` (now the caller's), or None."""
        ev = self._ready.get(name)
        if ev is None or not ev.wait(timeout):
            return None
        with self._lock:
            return self._kms.pop(name, None)

    def retire(self, km) -> None:
        """Shut a used kernel down in the background: its notebook is saved, so the next step
        need not wait for the process to go; close() waits for it."""
        t = threading.Thread(target=self.shutdown, args=(km,), daemon=True)
        t.start()
        with self._lock:
            self._retiring.append(t)

    @staticmethod
    def shutdown(km) -> None:
        try:
            asyncio.run(km.shutdown_kernel(now=True))
        except Exception:
            pass

    def close(self) -> None:
        with self._steps:  # a kernel still waiting for its step is not forked
            self._closing = True
            self._steps.notify_all()
        for ev in self._ready.values():
            ev.wait(120)
        with self._lock:
            kms, self._kms = list(self._kms.values()), {}
        for km in kms:
            self.shutdown(km)
        for t in self._retiring:
            t.join(30)
        if self.seed is not None:
            self.seed.close()
