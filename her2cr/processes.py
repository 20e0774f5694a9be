"""Child processes of a run (Jupyter kernels, Quarto) that never outlive it.

- `popen_options()`: each child leads a process group of its own (so that one signal reaches it
  and whatever it starts), and, on Linux, is sent SIGKILL by the kernel when the thread that
  started it ends (prctl PR_SET_PDEATHSIG): when the runner is killed, even by SIGKILL, or its
  parent is a subreaper rather than init, its children go at once with it.
- `track` / `untrack` / `kill_all`: the process groups started by this process; `kill_all` is
  what an interrupted run (Ctrl-C, SIGTERM, SIGHUP) does first, and a group tracked after it is
  killed as it is tracked.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

_PR_SET_PDEATHSIG = 1
_groups: set[int] = set()
_lock = threading.Lock()
_stopping = False


def _libc_prctl():
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_prctl = _libc_prctl()


def _end_with_parent(parent: int) -> None:
    """Run in the child between fork and exec."""
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent ended before the line above: end now
        os._exit(1)


def popen_options() -> dict:
    """subprocess.Popen keywords for a child that ends with the thread that starts it."""
    options: dict = {"start_new_session": True}
    if _prctl is not None:
        parent = os.getpid()
        options["preexec_fn"] = lambda: _end_with_parent(parent)
    return options


def track(pgid: int) -> None:
    with _lock:
        _groups.add(pgid)
        stopping = _stopping
    if stopping:
        _kill(pgid)


def untrack(pgid: int) -> None:
    with _lock:
        _groups.discard(pgid)


def kill_all() -> None:
    """SIGKILL every tracked process group now, and any tracked from now on."""
    global _stopping
    with _lock:
        _stopping = True
        groups = list(_groups)
    for pgid in groups:
        _kill(pgid)


def reset() -> None:
    """A new run in this process (tests run several): nothing is being stopped."""
    global _stopping
    with _lock:
        _stopping = False


def _kill(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass


def alive(pid: int) -> bool:
    """Whether a process with this id exists (a folder named after a dead one is stale)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True
