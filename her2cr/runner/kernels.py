"""Fresh kernels started ahead of the notebooks that will use them, and warmed while they wait.

Every notebook still runs in a kernel of its own that nothing else ever used; starting that
kernel while the previous step is still running takes its start-up (about a second here) off the
critical path. Most of a notebook's time in a fresh kernel is importing pandas, scipy, statsmodels,
matplotlib and our modules, so a kernel that waits for its notebook also imports them (PRELOAD):
the notebook's import cell then finds them in sys.modules. Kernels not used by the end of a run
are shut down.

The preload is the same code for every notebook and leaves the kernel as a fresh one apart from
sys.modules: it runs silently (no execution count, no history, no `_`), in a throwaway dict (no
name in the user namespace), chooses no matplotlib backend (our drawing functions choose Agg when
they draw), and puts back the state of `random` and numpy's global generator. A kernel whose
preload fails is shut down; the notebook then gets a plain kernel, as papermill would start.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

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
    preload at a time (the run's jobs: the notebooks that become ready together are warmed
    together, later ones after them)."""

    def __init__(self, kernel_name: str, cwd: Path, preload: str | None = PRELOAD, parallel: int = 2):
        self.kernel_name, self.cwd, self.preload = kernel_name, cwd, preload
        self._kms: dict[str, object] = {}
        self._ready: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._preloading = threading.Semaphore(max(1, parallel))

    def prestart(self, names: list[str], warm: set[str] | None = None) -> None:
        """Start one kernel per name, in order, in the background; preload the kernels named in
        `warm` (default: all), `parallel` at a time, in the same order."""
        for n in names:
            self._ready[n] = threading.Event()
        warm = set(names) if warm is None else set(warm)
        threading.Thread(target=self._start_all, args=(list(names), warm), daemon=True).start()

    def _start_all(self, names: list[str], to_warm: set[str]) -> None:
        from jupyter_client.manager import AsyncKernelManager

        for n in names:
            try:
                km = AsyncKernelManager(kernel_name=self.kernel_name)
                asyncio.run(km.start_kernel(cwd=str(self.cwd)))
            except Exception:  # the notebook then starts its own kernel, as papermill would
                self._ready[n].set()
                continue
            if self.preload and n in to_warm:
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

    @staticmethod
    def shutdown(km) -> None:
        try:
            asyncio.run(km.shutdown_kernel(now=True))
        except Exception:
            pass

    def close(self) -> None:
        for ev in self._ready.values():
            ev.wait(120)
        with self._lock:
            kms, self._kms = list(self._kms.values()), {}
        for km in kms:
            self.shutdown(km)
