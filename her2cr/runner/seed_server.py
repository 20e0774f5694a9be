"""The kernel seed: a process that imports the libraries once, then forks a fresh kernel per notebook.

Run by seed.py as `python [the kernel spec's options] -c "exec(<this file>)" CMD_FD REPLY_FD
LIBRARIES PACKAGES`, with the environment a kernel would get; it is never imported. It imports
what the notebooks use (the same list for every notebook) and IPython's kernel modules, creating
no kernel, socket or event loop, then says "ready". For each request (a line of JSON: connection
file, working folder, environment) it forks a child that becomes a kernel exactly as
`python -m ipykernel_launcher -f <connection file>` would: a new session, its own stdin, the
working folder and environment of the request, sys.argv and sys.path as the launcher leaves them,
fresh seeds for `random` and numpy's global generator (a new process draws them from the OS too).
The child never runs anything of the seed's again; no notebook ever runs in the seed.

One thing a fork cannot draw afresh: the secret of str hashing (PYTHONHASHSEED), which the kernels
of a run share with the seed where plain kernels each draw their own. Only the order of sets of
strings depends on it, and output that depended on that would already differ from run to run
(the runs' outputs are compared byte for byte in tests/runner/test_kernels.py).

Replies are lines of JSON: {"ready": true} once, {"pid": N} per request, {"exited": N, "status": S}
when a kernel ends. The seed ends its kernels and itself when the runner closes the command pipe.
"""

import json
import os
import select
import signal
import sys


class KernelStream:
    """Stands in for ipykernel's OutStream while the libraries import: some read sys.stdout when
    they are imported (pandas takes its display.encoding from it)."""

    encoding = "UTF-8"  # ipykernel.iostream.OutStream.encoding

    def isatty(self):
        return False  # as OutStream's

    def write(self, text):
        return os.write(self._fd, text.encode("utf-8", "replace"))

    def flush(self):
        pass

    def __init__(self, fd):
        self._fd = fd


class KernelShell:
    """Stands in for the answer of `get_ipython()` in a notebook cell while the libraries import:
    pandas asks it whether it runs in a Jupyter kernel (pandas.core.config_init.is_terminal, which
    sets display.max_columns), the only import-time question of these libraries to IPython."""

    kernel = None  # what `hasattr(get_ipython(), "kernel")` looks for


def preload(libraries, packages):
    """Import what the notebooks use in the context a notebook cell imports it in, in a plain
    kernel: ipykernel has set MPLBACKEND (matplotlib reads it on import) and replaced sys.stdout
    and sys.stderr, and IPython has put get_ipython into builtins for the cell."""
    import builtins
    import importlib
    import pkgutil
    import random

    import numpy.random

    if not os.environ.get("MPLBACKEND"):  # ipykernel.kernelapp.IPKernelApp.init_gui_pylab
        os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    py_state, np_state = random.getstate(), numpy.random.get_state()
    real_out, real_err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = KernelStream(1), KernelStream(2)
    builtins.get_ipython = KernelShell
    try:
        for name in libraries:
            importlib.import_module(name)
        for package in packages:
            for m in pkgutil.iter_modules(importlib.import_module(package).__path__, package + "."):
                importlib.import_module(m.name)
        # the kernel's own modules, so that a child only builds its kernel
        import ipykernel.ipkernel  # noqa: F401
        import ipykernel.kernelapp  # noqa: F401
    finally:
        del builtins.get_ipython
        sys.stdout, sys.stderr = real_out, real_err
        random.setstate(py_state)
        numpy.random.set_state(np_state)


def become_kernel(request, fds):
    """In the forked child: turn into `python -m ipykernel_launcher -f <connection file>`."""
    import importlib.util
    import random

    import numpy.random

    os.setsid()  # as jupyter_client's launcher: the kernel is the leader of its own process group
    for fd in fds:
        os.close(fd)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as Python sets it in a new process
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    random.seed()
    numpy.random.seed()
    sys.argv = [importlib.util.find_spec("ipykernel_launcher").origin, "-f", request["connection_file"]]
    if sys.path and sys.path[0] == "":  # as ipykernel_launcher: IPython puts it back
        del sys.path[0]
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


def serve(cmd_fd, reply_fd):
    children = set()

    def reply(obj):
        os.write(reply_fd, (json.dumps(obj) + "\n").encode())

    def reap():
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            children.discard(pid)
            reply({"exited": pid, "status": os.waitstatus_to_exitcode(status)})

    # a kernel that ends wakes the loop at once (its status is what the runner waits for)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    reply({"ready": True})
    buffer = b""
    try:
        while True:
            readable, _, _ = select.select([cmd_fd, wake_r], [], [], 1.0)
            if wake_r in readable:
                os.read(wake_r, 4096)
            reap()
            if cmd_fd not in readable:
                continue
            chunk = os.read(cmd_fd, 65536)
            if not chunk:  # the runner has gone: so do its kernels
                return
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                request = json.loads(line)
                pid = os.fork()
                if pid == 0:
                    code = 1
                    try:
                        signal.set_wakeup_fd(-1)
                        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                        become_kernel(request, (cmd_fd, reply_fd, wake_r, wake_w))
                        code = 0
                    except SystemExit as exc:
                        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
                    except BaseException:
                        import traceback

                        traceback.print_exc()
                    finally:
                        sys.stdout.flush()
                        sys.stderr.flush()
                        os._exit(code)
                children.add(pid)
                reply({"pid": pid})
    finally:
        for pid in children:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        for pid in children:  # reaped here, not left as zombies for whoever adopts them
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


def main():
    cmd_fd, reply_fd = int(sys.argv[1]), int(sys.argv[2])
    libraries, packages = json.loads(sys.argv[3]), json.loads(sys.argv[4])
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the runner, which ends the run
    try:
        preload(libraries, packages)
        serve(cmd_fd, reply_fd)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    else:
        code = 0
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # nothing to tidy: tearing down the imported libraries would only cost time


if __name__ == "__main__":
    main()
