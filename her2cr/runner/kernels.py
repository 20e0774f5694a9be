"""Fresh kernels started ahead of the notebooks that will use them.

Every notebook still runs in a kernel of its own that nothing else ever used; starting that
kernel while the previous step is still running takes its start-up (about a second here) off the
critical path. Kernels not used by the end of a run are shut down.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path


class KernelPool:
    def __init__(self, kernel_name: str, cwd: Path):
        self.kernel_name, self.cwd = kernel_name, cwd
        self._kms: dict[str, object] = {}
        self._ready: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def prestart(self, names: list[str]) -> None:
        """Start one kernel per name, in order, in the background."""
        for n in names:
            self._ready[n] = threading.Event()
        threading.Thread(target=self._start_all, args=(list(names),), daemon=True).start()

    def _start_all(self, names: list[str]) -> None:
        from jupyter_client.manager import AsyncKernelManager

        for n in names:
            try:
                km = AsyncKernelManager(kernel_name=self.kernel_name)
                asyncio.run(km.start_kernel(cwd=str(self.cwd)))
                with self._lock:
                    self._kms[n] = km
            except Exception:  # the notebook then starts its own kernel, as papermill would
                pass
            finally:
                self._ready[n].set()

    def take(self, name: str, timeout: float = 60.0):
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
            ev.wait(60)
        with self._lock:
            kms, self._kms = list(self._kms.values()), {}
        for km in kms:
            self.shutdown(km)
