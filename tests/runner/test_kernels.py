"""The kernel pool (runner/kernels.py): warm kernels differ from plain ones in sys.modules only,
kernels that die or hang fail their step in time, and nothing of a kernel outlives it.

A notebook run in a warm kernel (one that imported the libraries while it waited) must give the
very bytes a plain papermill kernel gives, and find nothing in its namespace that a plain kernel
lacks; matplotlib's rcParams and backend, pandas' options, the working folder, sys.path, sys.argv
and the environment are a plain kernel's; the preload leaves the random generators as they were.
"""

from __future__ import annotations

import ast
import asyncio
import hashlib
import sys
from pathlib import Path

import pytest

from her2cr.runner import kernels
from her2cr.runner.kernels import KERNEL_ARGUMENTS, PRELOAD, KernelFailed, KernelPool
from her2cr.runner.pipeline import KERNEL, PROJECT, run_cut

pytestmark = pytest.mark.slow
CUT = "2025-12-31"
COMPARED = ("data", "tables", "results", "figures")

# Evaluated as a user expression, so that looking binds no name in the kernel either.
STATE = r'''
import json, os, random, sys
import matplotlib, numpy, pandas
from IPython import get_ipython
from pandas._config.config import _registered_options
ip = get_ipython()
np_state = numpy.random.get_state()
result = json.dumps({
    "user_ns": sorted(ip.user_ns),
    "execution_count": ip.execution_count,
    "history": len(ip.user_ns["In"]),
    "rcParams": {k: repr(v) for k, v in dict(matplotlib.rcParams).items()},
    "backend": repr(matplotlib.rcParams._get("backend")),
    "pandas": {k: repr(pandas.get_option(k)) for k in sorted(_registered_options)},
    "random": repr(random.getstate()),
    "numpy_random": [np_state[0], np_state[1].tolist(), *np_state[2:]],
    "modules": sorted(sys.modules),
    "cwd": os.getcwd(),
    "path": sys.path,
    "argv0": sys.argv[0],
    "argv_rest": [a for a in sys.argv[1:] if not a.endswith(".json")],
    "environ": {k: v for k, v in os.environ.items()},
    "pid": os.getpid(),
})
'''
STATE_EXPR = f"(lambda d: (exec({STATE!r}, d), d['result'])[1])({{}})"
IPYTHON_OWN = {"In", "Out", "exit", "quit", "get_ipython"}
NOTEBOOK_IMPORTS = "exec('import matplotlib.pyplot, numpy, pandas, great_tables', {})"


def start_kernel():
    km = kernels.LocalKernelManager(kernel_name=KERNEL)  # as papermill starts one in a run
    asyncio.run(km.start_kernel(cwd=str(PROJECT), extra_arguments=list(KERNEL_ARGUMENTS)))
    return km


class Kernel:
    """A started kernel and one client. One client only: every client that connects asks for the
    kernel's info, and IPython draws a random tip for its banner then, moving `random`."""

    def __init__(self):
        from jupyter_client.blocking import BlockingKernelClient

        self.km = start_kernel()
        self.kc = BlockingKernelClient()
        self.kc.load_connection_info(self.km.get_connection_info())
        self.kc.start_channels(hb=False)
        self.kc.wait_for_ready(timeout=120)

    def run(self, code: str, **expressions) -> dict:
        """Run code silently, as the pool runs the preload; the reply's content."""
        reply = self.kc.execute_interactive(code, silent=True, store_history=False, allow_stdin=False,
                                            timeout=120, user_expressions=expressions,
                                            output_hook=lambda m: None)
        return reply["content"]

    def state(self) -> dict:
        """The kernel's state, read by a user expression that binds no name."""
        import json

        value = self.run("", s=STATE_EXPR)["user_expressions"]["s"]
        assert value["status"] == "ok", value
        return json.loads(ast.literal_eval(value["data"]["text/plain"]))

    def close(self):
        self.kc.stop_channels()
        asyncio.run(self.km.shutdown_kernel(now=True))


@pytest.fixture
def kernel():
    k = Kernel()
    yield k
    k.close()


def test_reading_the_state_leaves_no_trace(kernel):
    first, second = kernel.state(), kernel.state()
    assert first == second


# From the same seed, the generators after the preload are compared with a kernel that ran a
# request doing nothing (the same number of requests, so the comparison is exact).
SEED = "exec('import random, numpy.random\\nrandom.seed(2025)\\nnumpy.random.seed(2025)', {})"


def test_preload_changes_nothing_but_sys_modules(kernel):
    assert kernel.run(SEED)["status"] == "ok"
    before_nothing = kernel.state()  # matplotlib, numpy, pandas and random now imported
    assert kernel.run("pass")["status"] == "ok"
    after_nothing = kernel.state()
    assert kernel.run(SEED)["status"] == "ok"
    before = kernel.state()
    assert "great_tables" not in before["modules"]
    assert kernel.run(PRELOAD)["status"] == "ok"
    after = kernel.state()
    for heavy in ("pyarrow.parquet", "scipy.stats", "statsmodels.duration.survfunc", "matplotlib.pyplot",
                  "great_tables", "her2cr.data", "her2cr.baseline", "her2cr.ctdna.figures",
                  "her2cr.reporting.context", "her2cr.reporting.display"):
        assert heavy in after["modules"], heavy
    assert set(before["modules"]) < set(after["modules"])
    for what in ("user_ns", "execution_count", "history", "rcParams", "backend", "pandas", "random",
                 "numpy_random"):
        assert before[what] == before_nothing[what], what
        assert after[what] == after_nothing[what], what


def attach(km) -> Kernel:
    from jupyter_client.blocking import BlockingKernelClient

    k = Kernel.__new__(Kernel)
    k.km, k.kc = km, BlockingKernelClient()
    k.kc.load_connection_info(km.get_connection_info())
    k.kc.start_channels(hb=False)
    k.kc.wait_for_ready(timeout=120)
    return k


def warm_kernels(names, tmp_path, **kw):
    """The pipeline's way: start, warm (preload), hand out."""
    pool = KernelPool(KERNEL, PROJECT, tmp_path / "kernels", **kw)
    pool.prestart(list(names))
    kms = {n: pool.take(n) for n in names}
    assert all(km is not None for km in kms.values())
    return pool, {n: attach(km) for n, km in kms.items()}


def close_all(pool, ks):
    for k in ks:
        k.kc.stop_channels()
        pool.retire(k.km)
    pool.close()


def test_a_warm_kernel_is_a_plain_one_but_for_sys_modules(tmp_path):
    plain = Kernel()
    pool, ks = warm_kernels(["warm"], tmp_path)
    try:
        # a notebook imports in a cell (IPython's builtins in place); so does each kernel here
        for k in (plain, ks["warm"]):
            assert k.run(NOTEBOOK_IMPORTS)["status"] == "ok"
        p, w = plain.state(), ks["warm"].state()
    finally:
        plain.close()
        close_all(pool, ks.values())
    assert "statsmodels.duration.survfunc" in w["modules"]
    assert "statsmodels.duration.survfunc" not in p["modules"]
    user = {n for n in w["user_ns"] if not n.startswith("_")} - IPYTHON_OWN
    assert user <= {n for n in p["user_ns"] if not n.startswith("_")} - IPYTHON_OWN
    assert w["user_ns"] == p["user_ns"]  # not even an underscore name (`_`, `_i1`) more
    assert w["execution_count"] == p["execution_count"] and w["history"] == p["history"]
    # ipykernel's inline backend, as in a plain kernel; no backend chosen by the preload
    assert w["backend"] == p["backend"] == repr("module://matplotlib_inline.backend_inline")
    assert w["rcParams"] == p["rcParams"]
    assert w["pandas"] == p["pandas"]
    for what in ("cwd", "path", "argv0", "argv_rest", "environ"):
        assert w[what] == p[what], what
    # its connection file was in the pool's folder, and went with the kernel
    assert not list((tmp_path / "kernels").iterdir())


def test_a_failing_preload_hands_out_a_plain_kernel(tmp_path):
    pool, ks = warm_kernels(["a"], tmp_path, preload="import great_tables\nraise RuntimeError('preload failed')")
    try:
        # not the half-warmed kernel: a new one, as papermill would start it
        assert "great_tables" not in ks["a"].state()["modules"]
    finally:
        close_all(pool, ks.values())


def unix_socket_names() -> set[str]:
    """The names of the Unix sockets bound on this machine (abstract ones begin with @)."""
    rows = Path("/proc/net/unix").read_text().splitlines()[1:]
    return {r.split()[7] for r in rows if len(r.split()) > 7}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="abstract Unix sockets exist on Linux only")
def test_kernels_listen_on_abstract_unix_sockets_and_no_tcp_port(tmp_path):
    """A TCP port that jupyter_client picks free can be taken before the kernel binds it (CI saw
    02's kernel die with "Address already in use"): the run's kernels and their clients talk over
    abstract Unix sockets that the kernel binds by a name of its own. (ipykernel's pipe for the
    output of forked processes stays on TCP, on a port the system gives it as it binds: no race.)"""
    pool, ks = warm_kernels(["a", "b"], tmp_path)
    try:
        names = []
        for k in ks.values():
            info = k.km.get_connection_info()
            assert info["transport"] == "ipc" and info["ip"].startswith("@her2cr-kernel-"), info
            ports = [info[f"{c}_port"] for c in ("shell", "iopub", "stdin", "control", "hb")]
            names += [f"{info['ip']}-{port}" for port in ports]
            assert not k.km.cache_ports  # no TCP port picked ahead for it
            assert k.run("1 + 1")["status"] == "ok"
        assert len(set(names)) == 10  # each kernel's own names
        assert set(names) <= unix_socket_names()
    finally:
        close_all(pool, ks.values())
    # no socket and no file is left: abstract names go with the kernel
    assert not set(names) & unix_socket_names()
    assert not list((tmp_path / "kernels").iterdir())


def open_resources() -> dict:
    """This process's Python threads, native threads (zmq's) and TCP sockets (kernel clients';
    not counted: the socket pairs of event loops that papermill leaves to the garbage collector)."""
    import os
    import threading

    tcp = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            tcp.add(line.split()[9])
    sockets = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            link = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        sockets += link.startswith("socket:[") and link[8:-1] in tcp
    native = sorted(Path(f"/proc/self/task/{t}/comm").read_text().strip() for t in os.listdir("/proc/self/task"))
    return {"threads": sorted(t.name for t in threading.enumerate()), "native threads": native,
            "TCP sockets": sockets}


def hashes(version_dir: Path) -> dict[str, str]:
    out = {}
    for folder in COMPARED:
        for p in sorted((version_dir / folder).rglob("*")):
            if p.is_file():
                out[str(p.relative_to(version_dir))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def notebook_outputs(version_dir: Path, cut_root: Path) -> dict[str, list[str]]:
    """What each executed notebook showed, cell by cell (papermill's timings left out), with what
    differs between any two runs masked: the run's work folders, objects' memory addresses and the
    report's time of rendering (to the minute)."""
    import json
    import os
    import re

    staging = f"{cut_root.parent}/.{cut_root.name}.staging-{os.getpid()}/.steps/"
    out = {}
    for nb in sorted((version_dir / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        shown = [json.dumps(c.get("outputs", []), sort_keys=True) for c in cells]
        for step in ("01_clean", "02_baseline", "03_ctdna", "posting", "report"):
            shown = [t.replace(f"{staging}{step}/", "<work>/") for t in shown]
        shown = [re.sub(r"0x[0-9a-f]{6,16}\b", "0x<address>", t) for t in shown]
        out[nb.name] = [re.sub(r"\b\d{4}-\d\d-\d\d \d\d:\d\d UTC\b", "<time> UTC", t) for t in shown]
    return out


def test_warm_kernels_give_the_bytes_of_plain_papermill_kernels(synthetic_raw, tmp_path, monkeypatch):
    taken: list[str] = []
    real_take = KernelPool.take

    def take(self, name):
        km = real_take(self, name)
        taken.append(name if km is not None else f"{name}: no kernel")
        return km

    monkeypatch.setattr(KernelPool, "take", take)
    transports: list[dict] = []
    real_transport = kernels.local_transport

    def local_transport():
        transports.append(real_transport())
        return transports[-1]

    monkeypatch.setattr(kernels, "local_transport", local_transport)
    before = open_resources()
    hot = run_cut(synthetic_raw, CUT, tmp_path / "warm", echo=lambda *_: None, render=False)
    assert hot.status == "built", hot.message
    # every kernel client the run opened (the preloads', papermill's) is closed: no heartbeat or
    # other thread, zmq context (its native threads) or socket is left in this process
    after = open_resources()
    assert set(after["threads"]) <= set(before["threads"]), after
    assert not [t for t in after["native threads"] if t.startswith("ZMQ")], after
    assert after["TCP sockets"] <= before["TCP sockets"], after
    # 01 can start at once (plain pre-started kernel); 02, 03 and the report wait for it (warmed)
    assert sorted(taken) == ["01_clean", "02_baseline", "03_ctdna", "report"]

    assert len(transports) == 4
    transports.clear()
    cold = run_cut(synthetic_raw, CUT, tmp_path / "plain", echo=lambda *_: None, render=False,
                   warm_kernels=False)
    assert cold.status == "built", cold.message
    # papermill started these kernels itself, on the same transport as the pool's
    assert len(transports) == 4
    h_warm, h_plain = hashes(hot.version_dir), hashes(cold.version_dir)
    assert {f.split("/")[0] for f in h_plain} == set(COMPARED)
    assert "figures/ctdna_positivity.png" in h_plain and "data/adsl.parquet" in h_plain
    assert h_warm == h_plain
    # and the notebooks showed the same: every table, text and figure of every cell
    o_warm = notebook_outputs(hot.version_dir, tmp_path / "warm")
    o_plain = notebook_outputs(cold.version_dir, tmp_path / "plain")
    assert sorted(o_plain) == ["01_clean.ipynb", "02_baseline.ipynb", "03_ctdna.ipynb", "report.ipynb"]
    for name in o_plain:
        for i, (w, p) in enumerate(zip(o_warm[name], o_plain[name])):
            at = next((j for j, (a, b) in enumerate(zip(w, p)) if a != b), min(len(w), len(p)))
            assert w == p, f"{name}, cell {i}: warm ...{w[at - 80:at + 80]!r} plain ...{p[at - 80:at + 80]!r}"
        assert len(o_warm[name]) == len(o_plain[name]), name




def kernel_spec(tmp_path, monkeypatch, name: str, code: str) -> str:
    """A kernel spec (found through JUPYTER_PATH) whose kernel runs `code` instead of IPython."""
    import json
    import sys

    spec = tmp_path / "jupyter" / "kernels" / name
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps(
        {"argv": [sys.executable, "-c", code, "{connection_file}"], "display_name": name, "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return name


@pytest.mark.parametrize("code, message", [
    ("import sys; sys.exit(3)", "its kernel died as it started (exit code 3)"),
    ("import time; time.sleep(600)", "its kernel did not answer within 3 s of its start"),
], ids=["dies", "hangs"])
def test_a_kernel_that_dies_or_hangs_as_it_starts_fails_in_time(code, message, tmp_path, monkeypatch):
    import time

    monkeypatch.setattr(kernels, "START_TIMEOUT", 3.0)
    name = kernel_spec(tmp_path, monkeypatch, "broken", code)
    pool = KernelPool(name, PROJECT, tmp_path / "kernels")
    t = time.perf_counter()
    pool.prestart(["a"], warm={"a"})
    try:
        with pytest.raises(KernelFailed, match=message.replace("(", r"\(").replace(")", r"\)")):
            pool.take("a")
        assert time.perf_counter() - t < 3.0 + kernels.SHUTDOWN_TIMEOUT
    finally:
        pool.close()
    assert time.perf_counter() - t < 3.0 + 2 * kernels.SHUTDOWN_TIMEOUT
    assert not list((tmp_path / "kernels").iterdir())  # no connection file left


def test_a_plain_kernel_that_hangs_fails_its_step_after_one_deadline(tmp_path, monkeypatch):
    import time

    import nbformat

    from her2cr.runner.pipeline import Step, StepFailed, run_notebook

    monkeypatch.setattr(kernels, "START_TIMEOUT", 3.0)
    name = kernel_spec(tmp_path, monkeypatch, "hangs", "import time; time.sleep(600)")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]})]
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": KERNEL, "language": "python"}
    nbformat.write(nb, tmp_path / "hangs.ipynb")
    pool = KernelPool(name, PROJECT, tmp_path / "kernels")
    pool.prestart(["hangs"], warm=set())  # papermill waits for it to answer, START_TIMEOUT
    t = time.perf_counter()
    try:
        with pytest.raises(StepFailed, match="didn't respond in 3 seconds"):
            run_notebook(Step("hangs", tmp_path / "hangs.ipynb"), tmp_path, {"x": 2}, km=pool.take("hangs"),
                         retire=pool.retire)
        assert time.perf_counter() - t < 3.0 + 10
    finally:
        pool.close()


def test_a_kernel_that_dies_fails_its_step_at_once(tmp_path):
    import time

    import nbformat

    from her2cr.runner.pipeline import Step, StepFailed, run_notebook

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("import os\nos._exit(3)"),
                nbformat.v4.new_code_cell("print('never')")]
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": KERNEL, "language": "python"}
    nbformat.write(nb, tmp_path / "dies.ipynb")
    pool = KernelPool(KERNEL, PROJECT, tmp_path / "kernels")
    pool.prestart(["dies"], warm={"dies"})
    km = pool.take("dies")
    t = time.perf_counter()
    try:
        with pytest.raises(StepFailed, match="Kernel died"):
            run_notebook(Step("dies", tmp_path / "dies.ipynb"), tmp_path, {"x": 2}, km=km, retire=pool.retire)
        assert time.perf_counter() - t < 30
    finally:
        pool.close()
