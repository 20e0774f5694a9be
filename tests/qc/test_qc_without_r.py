"""Without R (issue 23): the run goes on, and the manifest and the report say that the
independent QC was not run."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from her2cr.data.synth import generate, write_cut

pytestmark = pytest.mark.slow


def test_a_run_without_r_goes_on_and_says_qc_was_not_run(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    write_cut(generate(n=20, seed=7), raw)
    env = {**os.environ, "HER2CR_RSCRIPT": str(tmp_path / "no-Rscript")}
    r = subprocess.run([sys.executable, "-m", "her2cr", "run", "--raw", str(raw), "--cut", "2025-12-31",
                        "--out", str(out), "--no-render"], capture_output=True, text=True, timeout=900, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "independent QC not run: R not found"
    version = (out / "current").resolve()
    assert json.loads((version / "manifest.json").read_text())["qc"] == {
        "status": "not run", "summary": "independent QC not run: R not found", "r_version": ""}
    assert not (version / "qc" / "qc_values.csv").exists()
    executed = (version / "notebooks" / "report.ipynb").read_text()
    assert "independent-QC" not in executed  # no placeholder is left
    assert "Independent QC not run: R not found." in executed  # the first page
    assert "independent QC not run: R not found" in executed  # the provenance appendix
