"""Warm kernels (runner/kernels.py): they change nothing but sys.modules.

A notebook run in a kernel that imported the libraries while it waited must give the very bytes a
plain papermill kernel gives, and find nothing in its namespace that a plain kernel lacks; the
preload must leave matplotlib's rcParams, pandas' options and the random generators as they were.
"""

from __future__ import annotations

import ast
import asyncio
import hashlib
from pathlib import Path

import pytest

from her2cr.runner import kernels
from her2cr.runner.kernels import PRELOAD, KernelPool
from her2cr.runner.pipeline import KERNEL, PROJECT, run_cut

pytestmark = pytest.mark.slow
CUT = "2025-12-31"
COMPARED = ("data", "tables", "results", "figures")

# Evaluated as a user expression, so that looking binds no name in the kernel either.
STATE = r'''
import json, random, sys
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
})
'''
STATE_EXPR = f"(lambda d: (exec({STATE!r}, d), d['result'])[1])({{}})"
IPYTHON_OWN = {"In", "Out", "exit", "quit", "get_ipython"}


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


def test_a_warm_kernel_has_no_name_a_plain_one_lacks():
    pool = KernelPool(KERNEL, PROJECT)  # the pipeline's way: start, preload, hand out
    pool.prestart(["warm"])
    km = pool.take("warm")
    plain = Kernel()
    try:
        assert km is not None
        p = plain.state()
        warmed = Kernel.__new__(Kernel)
        from jupyter_client.blocking import BlockingKernelClient

        warmed.km, warmed.kc = km, BlockingKernelClient()
        warmed.kc.load_connection_info(km.get_connection_info())
        warmed.kc.start_channels(hb=False)
        warmed.kc.wait_for_ready(timeout=120)
        w = warmed.state()
        warmed.kc.stop_channels()
    finally:
        plain.close()
        if km is not None:
            KernelPool.shutdown(km)
        pool.close()
    assert "statsmodels.duration.survfunc" in w["modules"]
    assert "statsmodels.duration.survfunc" not in p["modules"]
    user = {n for n in w["user_ns"] if not n.startswith("_")} - IPYTHON_OWN
    assert user <= {n for n in p["user_ns"] if not n.startswith("_")} - IPYTHON_OWN
    assert w["user_ns"] == p["user_ns"]  # not even an underscore name (`_`, `_i1`) more
    assert w["execution_count"] == p["execution_count"] and w["history"] == p["history"]
    assert w["backend"] == p["backend"]  # no backend chosen: the notebook's code chooses it


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


def test_warm_kernels_give_the_bytes_of_plain_papermill_kernels(synthetic_raw, tmp_path, monkeypatch):
    warmed: dict[str, bool] = {}
    real_warm = kernels.warm

    def spy(km, code=PRELOAD, timeout=120.0):
        ok = real_warm(km, code, timeout)
        warmed[len(warmed)] = ok
        return ok

    monkeypatch.setattr(kernels, "warm", spy)
    taken: list[str] = []
    real_take = KernelPool.take

    def take(self, name, timeout=120.0):
        km = real_take(self, name, timeout)
        taken.append(name if km is not None else f"{name}: no kernel")
        return km

    monkeypatch.setattr(KernelPool, "take", take)
    hot = run_cut(synthetic_raw, CUT, tmp_path / "warm", echo=lambda *_: None, render=False)
    assert hot.status == "built", hot.message
    # 01 can start at once (plain pre-started kernel); 02, 03 and the report wait for it (warm)
    assert sorted(taken) == ["01_clean", "02_baseline", "03_ctdna", "report"]
    assert list(warmed.values()) == [True, True, True]

    cold = run_cut(synthetic_raw, CUT, tmp_path / "plain", echo=lambda *_: None, render=False,
                   warm_kernels=False)
    assert cold.status == "built", cold.message
    h_warm, h_plain = hashes(hot.version_dir), hashes(cold.version_dir)
    assert {f.split("/")[0] for f in h_plain} == set(COMPARED)
    assert "figures/ctdna_positivity.png" in h_plain and "data/adsl.parquet" in h_plain
    assert h_warm == h_plain
