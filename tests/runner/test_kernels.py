"""Warm kernels (runner/kernels.py, runner/seed.py): they differ from plain ones in sys.modules only.

A notebook run in a warm kernel (forked from the seed on Linux, or one that imported the libraries
itself while it waited) must give the very bytes a plain papermill kernel gives, and find nothing
in its namespace that a plain kernel lacks; matplotlib's rcParams and backend, pandas' options, the
working folder, sys.path, sys.argv and the environment are a plain kernel's; the in-kernel preload
leaves the random generators as they were, and a forked kernel draws fresh seeds, as a new process
does.
"""

from __future__ import annotations

import ast
import asyncio
import hashlib
from pathlib import Path

import pytest

from her2cr.runner import kernels, seed
from her2cr.runner.kernels import PRELOAD, KernelPool
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
    from jupyter_client.manager import AsyncKernelManager

    km = AsyncKernelManager(kernel_name=KERNEL)
    asyncio.run(km.start_kernel(cwd=str(PROJECT)))
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
        KernelPool.shutdown(self.km)


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


def warm_kernels(names, seeded: bool):
    """The pipeline's way: start, warm (fork from the seed, or preload), hand out."""
    pool = KernelPool(KERNEL, PROJECT, seeded=seeded)
    pool.prestart(list(names))
    kms = {n: pool.take(n) for n in names}
    assert all(km is not None for km in kms.values())
    if seeded:
        assert pool.seed is not None and pool.seed.alive()
    return pool, {n: attach(km) for n, km in kms.items()}


def close_all(pool, ks):
    for k in ks:
        k.close()
    pool.close()


@pytest.mark.parametrize("seeded", [True, False], ids=["forked from the seed", "preloaded in the kernel"])
def test_a_warm_kernel_is_a_plain_one_but_for_sys_modules(seeded):
    plain = Kernel()
    pool, ks = warm_kernels(["warm"], seeded)
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


def test_forked_kernels_are_separate_processes_with_fresh_random_seeds():
    pool, ks = warm_kernels(["a", "b"], seeded=True)
    try:
        a, b = ks["a"].state(), ks["b"].state()
        seed_pid = pool.seed._proc.pid
        pids = [a["pid"], b["pid"]]
        assert seed_pid not in pids and a["pid"] != b["pid"]
        # as two new processes: each draws its own seeds from the OS
        assert a["random"] != b["random"]
        assert a["numpy_random"] != b["numpy_random"]
        # a forked kernel is interrupted as a plain one is (papermill's timeout does this)
        k = ks["a"]
        msg_id = k.kc.execute("import time\ntime.sleep(60)")
        import time

        time.sleep(0.5)
        asyncio.run(k.km.interrupt_kernel())
        reply = k.kc.get_shell_msg(timeout=20)
        assert reply["parent_header"]["msg_id"] == msg_id
        assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"
    finally:
        close_all(pool, ks.values())
    # closing the pool ends the kernels and the seed, reaped: no process, not even a zombie
    for pid in pids + [seed_pid]:
        assert not Path(f"/proc/{pid}").exists(), Path(f"/proc/{pid}/stat").read_text()


def test_a_seed_whose_import_fails_hands_out_no_kernel(monkeypatch):
    monkeypatch.setattr(kernels, "PRELOAD_LIBRARIES", kernels.PRELOAD_LIBRARIES + ("her2cr_no_such_module",))
    pool = KernelPool(KERNEL, PROJECT)
    pool.prestart(["a", "b"], warm={"b"})
    try:
        assert pool.take("b") is None  # the notebook then starts a plain kernel, as papermill would
        a = pool.take("a")  # a kernel not warmed is started as before
        assert a is not None
        KernelPool.shutdown(a)
    finally:
        pool.close()


def test_only_a_plain_ipython_kernel_spec_is_forked():
    argv = ["/env/bin/python", "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    assert seed.seed_command(argv) == ["/env/bin/python", "-Xfrozen_modules=off"]
    assert seed.seed_command(["/env/bin/python", "-m", "other_kernel", "-f", "{connection_file}"]) is None
    assert seed.seed_command(["xeus-python", "-f", "{connection_file}"]) is None


def test_a_failing_preload_hands_out_no_kernel():
    pool = KernelPool(KERNEL, PROJECT, preload="raise RuntimeError('preload failed')")
    pool.prestart(["a", "b"], warm={"a"})
    try:
        assert pool.take("a") is None  # the notebook then starts a plain kernel
        b = pool.take("b")
        assert b is not None
        KernelPool.shutdown(b)
    finally:
        pool.close()


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
    forked: list[int] = []
    real_spawn = seed.KernelSeed.spawn

    def spawn(self, *a, **k):
        pid = real_spawn(self, *a, **k)
        forked.append(pid)
        return pid

    monkeypatch.setattr(seed.KernelSeed, "spawn", spawn)
    taken: list[str] = []
    real_take = KernelPool.take

    def take(self, name, timeout=120.0):
        km = real_take(self, name, timeout)
        taken.append(name if km is not None else f"{name}: no kernel")
        return km

    monkeypatch.setattr(KernelPool, "take", take)
    hot = run_cut(synthetic_raw, CUT, tmp_path / "warm", echo=lambda *_: None, render=False)
    assert hot.status == "built", hot.message
    # 01 can start at once (plain pre-started kernel); 02, 03 and the report wait for it (forked)
    assert sorted(taken) == ["01_clean", "02_baseline", "03_ctdna", "report"]
    assert len(set(forked)) == 3

    cold = run_cut(synthetic_raw, CUT, tmp_path / "plain", echo=lambda *_: None, render=False,
                   warm_kernels=False)
    assert cold.status == "built", cold.message
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


def test_a_kernel_waiting_for_a_step_is_forked_when_that_step_ends(monkeypatch):
    forked: list[int] = []
    real_spawn = seed.KernelSeed.spawn

    def spawn(self, *a, **k):
        forked.append(real_spawn(self, *a, **k))
        return forked[-1]

    monkeypatch.setattr(seed.KernelSeed, "spawn", spawn)
    pool = KernelPool(KERNEL, PROJECT)
    pool.finished("01")  # a step may end before the pool has even started its seed
    pool.prestart(["a", "b", "c"], warm={"a", "b", "c"}, after={"a": {"01"}, "b": {"02", "03"}, "c": {"04"}})
    try:
        a = pool.take("a")
        assert a is not None and len(forked) == 1
        assert not pool._ready["b"].wait(1.0)  # nothing of b's has ended: no process for it
        pool.finished("03")
        b = pool.take("b")
        assert b is not None and len(forked) == 2
        for km in (a, b):
            KernelPool.shutdown(km)
    finally:
        t = __import__("time").perf_counter()
        pool.close()  # c's step never ended: its kernel is never forked, and close does not wait
        assert __import__("time").perf_counter() - t < 10
    assert len(forked) == 2 and pool.take("c", timeout=1) is None


def test_kernels_are_forked_a_step_ahead_of_their_notebooks(tmp_path):
    from her2cr.runner.pipeline import Step, all_steps, fork_after

    after = fork_after(all_steps())
    assert after["report"] == {"02_baseline", "03_ctdna"}  # not while 01 runs
    assert "02_baseline" not in after and "03_ctdna" not in after  # at once: needed when 01 ends
    assert "01_clean" not in after  # it waits for nothing: a plain kernel started at once
    sub = Step("91_extra", tmp_path / "91_extra.ipynb", needs=("01_clean", "02_baseline", "03_ctdna"),
               optional=True)
    core = all_steps()[:3]
    assert fork_after(core + [sub])["91_extra"] == {"01_clean"}


def test_a_forked_kernel_that_dies_fails_its_step_at_once(tmp_path):
    import time

    import nbformat

    from her2cr.runner.pipeline import Step, StepFailed, run_notebook

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("import os\nos._exit(3)"),
                nbformat.v4.new_code_cell("print('never')")]
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": KERNEL, "language": "python"}
    nbformat.write(nb, tmp_path / "dies.ipynb")
    pool = KernelPool(KERNEL, PROJECT)
    pool.prestart(["dies"], warm={"dies"})
    km = pool.take("dies")
    assert km is not None and type(km.provisioner).__name__ == "SeededProvisioner"
    t = time.perf_counter()
    try:
        with pytest.raises(StepFailed, match="Kernel died"):
            run_notebook(Step("dies", tmp_path / "dies.ipynb"), tmp_path, {"x": 2}, km=km, retire=pool.retire)
        assert time.perf_counter() - t < 30
    finally:
        pool.close()
