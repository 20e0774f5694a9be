"""Without R (issue 23): the run goes on, and the manifest and the report say that the
independent QC was not run."""

from __future__ import annotations

import json
import os
import shutil
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


def test_qc_whose_r_lacks_survival_says_how_to_get_it_and_exits_1(tmp_path):
    # An R without the package survival (a plain r-base): the R program stops at library(survival).
    # `her2cr qc` ended in 'her2cr qc: RuntimeError: ...' (exit 2) and said nothing of what to do.
    raw, out = tmp_path / "raw", tmp_path / "out"
    write_cut(generate(n=20, seed=7), raw)
    no_r = {**os.environ, "HER2CR_RSCRIPT": str(tmp_path / "no-Rscript")}
    run = subprocess.run([sys.executable, "-m", "her2cr", "run", "--raw", str(raw), "--cut", "2025-12-31",
                          "--out", str(out), "--no-render"], capture_output=True, text=True, timeout=900, env=no_r)
    assert run.returncode == 0, run.stderr
    fake = tmp_path / "Rscript"
    fake.write_text("#!/bin/sh\necho 'Error in library(survival) : there is no package called \u2018survival\u2019' >&2\n"
                    "exit 1\n")
    fake.chmod(0o755)
    r = subprocess.run([sys.executable, "-m", "her2cr", "qc", "--out", str(out)], capture_output=True,
                       text=True, timeout=300, env={**os.environ, "HER2CR_RSCRIPT": str(fake)})
    assert r.returncode == 1
    assert r.stderr.strip() == (
        "her2cr qc: the QC program in R failed (exit 1): Error in library(survival) : there is no package "
        "called \u2018survival\u2019; R's package survival is needed: apt-get install r-cran-survival (Debian), "
        "or conda env update -f environment.yml (r-survival)")


@pytest.mark.skipif(not shutil.which("Rscript"), reason="Rscript not on PATH (apt-get install r-base-core r-cran-survival)")
def test_qc_of_a_version_missing_one_of_its_files_names_it_and_what_to_do(tmp_path):
    # estimates.csv deleted from a built version ended in 'her2cr qc: FileNotFoundError: ...' (exit 2)
    raw, out = tmp_path / "raw", tmp_path / "out"
    write_cut(generate(n=20, seed=7), raw)
    no_r = {**os.environ, "HER2CR_RSCRIPT": str(tmp_path / "no-Rscript")}
    run = subprocess.run([sys.executable, "-m", "her2cr", "run", "--raw", str(raw), "--cut", "2025-12-31",
                          "--out", str(out), "--no-render"], capture_output=True, text=True, timeout=900, env=no_r)
    assert run.returncode == 0, run.stderr
    gone = (out / "current").resolve() / "results" / "estimates.csv"
    gone.unlink()
    r = subprocess.run([sys.executable, "-m", "her2cr", "qc", "--out", str(out)], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 1
    assert r.stderr.strip() == (
        f"her2cr qc: {gone} is missing: the version was changed by hand after the run; build it again "
        "from its raw cut (her2cr run ... --force, or make report after make clean)")
