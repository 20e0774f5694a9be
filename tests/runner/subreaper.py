"""Test harness: run a command under a subreaper, interrupt it at a step, and report what survives.

    python subreaper.py SIGNAL STEP OUT -- COMMAND...

As a desktop session manager does (systemd --user), this process is a child subreaper
(PR_SET_CHILD_SUBREAPER): the orphans of the command are adopted by it, not by init, so a
kernel that waits for init to become its parent would never end. It starts COMMAND in a session of
its own, waits until STEP has begun (its folder in the run's staging folder beside OUT),
then 0.8 s later sends SIGNAL (SIGHUP to the session's process group, as a closed terminal does; SIGTERM and
SIGKILL to the command alone, as `kill` does), waits for the command to end, then watches its own
descendants (only they: other runs on this machine are none of its business) for 5 s. Prints
one JSON object: returncode, stderr, seconds until no descendant was alive (or null), and the
survivors (pid and command line) at 5 s.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36


def descendants(root: int) -> dict[int, str]:
    """Live (not zombie) descendants of root, found through /proc's parent pids."""
    parent, state, cmd = {}, {}, {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            parent[int(d.name)], state[int(d.name)] = int(fields[1]), fields[0]
            cmd[int(d.name)] = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:200]
        except (OSError, ValueError):
            continue
    found, frontier = {}, [root]
    while frontier:
        p = frontier.pop()
        for child, pp in parent.items():
            if pp == p and child not in found:
                found[child] = cmd[child]
                frontier.append(child)
    return {p: c for p, c in found.items() if state.get(p) != "Z"}


def reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main() -> int:
    sig, step, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    command = sys.argv[sys.argv.index("--") + 1:]
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "PR_SET_CHILD_SUBREAPER")
    proc = subprocess.Popen(command, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    started = f".{out.name}.staging-{proc.pid}/.steps/{step}"
    deadline = time.monotonic() + 300
    while not (out.parent / started).exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            print(json.dumps({"error": f"{step} never started", "returncode": proc.poll(),
                              "stderr": proc.stderr.read() if proc.poll() is not None else ""}))
            proc.kill()
            return 1
        time.sleep(0.02)
    time.sleep(0.8)  # well inside the step: its kernel runs the notebook
    before = descendants(os.getpid())
    if sig == "SIGHUP":
        os.killpg(proc.pid, signal.SIGHUP)
    else:
        os.kill(proc.pid, getattr(signal, sig))
    stdout, stderr = proc.communicate(timeout=120)
    ended = time.monotonic()
    gone_after = None
    while time.monotonic() - ended < 5.0:
        reap()
        if not descendants(os.getpid()):
            gone_after = round(time.monotonic() - ended, 2)
            break
        time.sleep(0.05)
    survivors = descendants(os.getpid())
    for pid in survivors:  # tidy up after a failing check: only this harness's own descendants
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    print(json.dumps({"returncode": proc.returncode, "stdout": stdout, "stderr": stderr,
                      "descendants_before": len(before), "commands_before": list(before.values()),
                      "gone_after": gone_after,
                      "survivors": {str(p): c for p, c in survivors.items()}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
