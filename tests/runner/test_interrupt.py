"""A run interrupted as users interrupt it leaves nothing behind, and the next run cleans up.

Under a subreaper (tests/runner/subreaper.py: as a desktop session adopts orphans), SIGHUP (a
closed terminal, to the run's process group), SIGTERM and SIGKILL (`kill`, to the runner alone)
are sent during 01, during 02/03 and during the report. After each: no process of that run is
alive within 5 s, the cut's `current` version is untouched, and the next run succeeds and leaves
no staging folder, lock or kernel connection file (the next run finds the cut up to date, but
after a SIGKILL during the report, when it builds the cut again, --force). (--no-render: the report notebook runs, Quarto
does not; the points of interruption are in the notebooks.)
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_CHILD_SUBREAPER is Linux's")]
CUT = "2025-12-31"
HARNESS = Path(__file__).with_name("subreaper.py")
HER2CR = [sys.executable, "-m", "her2cr"]


def tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built(synthetic_raw, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("interrupt") / "cut"
    done = subprocess.run(HER2CR + ["run", "--raw", str(synthetic_raw), "--cut", CUT, "--out", str(out), "--no-render"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return out


def left_behind(out: Path) -> list[str]:
    """Staging folders (with the kernels' connection files) and the lock, beside the cut."""
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


@pytest.mark.parametrize("step", ["01_clean", "03_ctdna", "report"])
@pytest.mark.parametrize("sig", ["SIGHUP", "SIGTERM", "SIGKILL"])
def test_an_interrupted_run_leaves_nothing_behind(sig, step, built, synthetic_raw, tmp_path):
    out = tmp_path / "cut"
    shutil.copytree(built, out, symlinks=True)
    before = tree(out / "v1")
    run = HER2CR + ["run", "--raw", str(synthetic_raw), "--cut", CUT, "--out", str(out), "--no-render", "--force"]
    done = subprocess.run([sys.executable, str(HARNESS), sig, step, str(out), "--", *run],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    seen = json.loads(done.stdout)
    assert seen["descendants_before"] >= 1, seen  # the runner had a kernel when it was interrupted
    assert seen["survivors"] == {}, seen
    assert seen["gone_after"] is not None and seen["gone_after"] <= 5.0
    if sig == "SIGKILL":
        assert seen["returncode"] == -9
    else:
        assert seen["returncode"] == 2, seen
        assert "her2cr: interrupted; earlier reports are unchanged." in seen["stderr"]
        assert seen["stderr"].splitlines()[-1] == "her2cr: interrupted; earlier reports are unchanged."
        # no traceback of the runner (a kernel's own messages on the shared stderr aside)
        assert "her2cr/runner/" not in seen["stderr"] and "her2cr/cli.py" not in seen["stderr"], seen["stderr"]
        # nor papermill's word that a kernel died, as if the notebook had failed on its own
        assert "Kernel died" not in seen["stderr"], seen["stderr"]
        assert left_behind(out) == []  # it cleaned up after itself
    # the current version is the one it was, unchanged; nothing half-built was published
    assert sorted(p.name for p in out.iterdir()) == ["current", "v1"]
    assert (out / "current").resolve() == (out / "v1").resolve()
    assert tree(out / "v1") == before

    # the next run succeeds and cleans what a killed run could not (saying so)
    whole = (sig, step) == ("SIGKILL", "report")  # one whole build after an interruption (time)
    again = subprocess.run(run if whole else run[:-1], capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    if sig == "SIGKILL":
        assert "her2cr: cleaned up after an interrupted run (process" in again.stdout
    if whole:
        assert "outputs in" in again.stdout and (out / "current").resolve().name == "v2"
    else:
        assert "is up to date (v1)" in again.stdout
    assert left_behind(out) == []


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGKILL"])
def test_an_interrupted_run_leaves_no_qc_process_behind(sig, built, synthetic_raw, tmp_path):
    """The independent QC's R process (issue 23) runs while the report notebook executes and ends
    with the run; a stand-in Rscript that takes a minute is alive when the run is interrupted."""
    import os

    fake = tmp_path / "Rscript"
    fake.write_text("#!/bin/sh\nexec sleep 60\n")
    fake.chmod(0o755)
    out = tmp_path / "cut"
    shutil.copytree(built, out, symlinks=True)
    run = HER2CR + ["run", "--raw", str(synthetic_raw), "--cut", CUT, "--out", str(out), "--no-render", "--force"]
    done = subprocess.run([sys.executable, str(HARNESS), sig, "report", str(out), "--", *run],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "HER2CR_RSCRIPT": str(fake)})
    assert done.returncode == 0, done.stdout + done.stderr
    seen = json.loads(done.stdout)
    assert any(c.startswith("sleep 60") for c in seen["commands_before"]), seen  # QC was running
    assert seen["survivors"] == {}, seen
    assert seen["gone_after"] is not None and seen["gone_after"] <= 5.0
    assert sorted(p.name for p in out.iterdir()) == ["current", "v1"]


def test_a_live_run_makes_a_second_one_stop(built, synthetic_raw, tmp_path):
    out = tmp_path / "cut"
    shutil.copytree(built, out, symlinks=True)
    run = HER2CR + ["run", "--raw", str(synthetic_raw), "--cut", CUT, "--out", str(out), "--no-render", "--force"]
    first = subprocess.Popen(run, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        import time

        while not list(out.parent.glob(f".{out.name}.staging-*")):
            assert first.poll() is None, first.stderr.read()
            time.sleep(0.02)
        second = subprocess.run(run, capture_output=True, text=True, timeout=600)
        assert second.returncode == 2
        assert f"another run of cut {CUT} is in progress" in second.stderr
        assert first.poll() is None  # the first goes on; stopped here, it cleans up after itself
        first.terminate()
        assert first.wait(60) == 2
    finally:
        if first.poll() is None:
            first.kill()
    assert sorted(p.name for p in out.iterdir()) == ["current", "v1"]
    assert left_behind(out) == []
