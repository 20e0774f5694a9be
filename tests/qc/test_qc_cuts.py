"""Independent QC (issue 23) end to end, with R: the pipeline runs (her2cr run, which runs the R
program in qc/ after the analysis notebooks) on the synthetic cut, an as-of cut and small and edge
cuts, and QC must agree on every value; planted faults (an edited output, a patched derivation
in the pipeline's code, a participant dropped from the primary analysis set) must be named in its
output."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from her2cr.data.synth import as_of, generate, write_cut
from her2cr.qc.run import check, find_rscript

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not find_rscript(), reason="Rscript not found: independent QC needs R "
                                 "(Debian: r-base-core r-cran-survival; conda: environment.yml)")]
CUT = "2025-12-31"


def run_cut(tmp: Path, name: str, cut_data, env_extra: dict | None = None):
    """Write the cut, run the pipeline on it (no render) and return (version folder, qc.json, exit)."""
    raw, out = tmp / name / "raw", tmp / name / "out"
    write_cut(cut_data, raw)
    env = None
    if env_extra:
        import os

        env = {**os.environ, **env_extra}
    r = subprocess.run([sys.executable, "-m", "her2cr", "run", "--raw", str(raw), "--cut", CUT, "--out", str(out),
                        "--no-render"], capture_output=True, text=True, timeout=900, env=env)
    assert "Traceback" not in r.stdout + r.stderr
    version = (out / "current").resolve()
    assert (version / "qc" / "qc.json").is_file(), r.stdout + r.stderr
    return version, json.loads((version / "qc" / "qc.json").read_text()), r


def assert_agree(qc: dict, r) -> None:
    assert qc["status"] == "agree", "\n".join(qc["differences"][:30])
    assert r.returncode == 0, r.stderr
    n = int(qc["summary"].split(": ")[1].split(" values")[0])
    assert n > 1000 and f"{n} agree, 0 differ" in qc["summary"]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("qc")
    version, qc, r = run_cut(tmp, "synthetic", generate())
    return tmp, version, qc, r


def test_qc_agrees_on_the_synthetic_cut(synthetic):
    _, version, qc, r = synthetic
    assert_agree(qc, r)
    values = pd.read_csv(version / "qc" / "qc_values.csv", keep_default_na=False)
    # every kind of value is there: participants, flow, Table 1, estimates, the posted file
    assert set(values["table"]) == {"participant", "flow", "table1", "estimates", "prs-results.xml"}
    assert set(values["result"]) == {"agree"}
    assert json.loads((version / "manifest.json").read_text())["qc"]["status"] == "agree"
    assert "QC (R " in r.stdout and "0 differ" in r.stdout


def test_qc_agrees_on_an_as_of_cut(tmp_path):
    version, qc, r = run_cut(tmp_path, "asof", as_of(generate(), "2025-06-30"))
    assert_agree(qc, r)


def test_qc_agrees_on_a_small_cut(tmp_path):
    # n = 20, seed 7: the PFS log-rank test is not estimable (tests/ctdna/test_small_cut.py)
    version, qc, r = run_cut(tmp_path, "n20", generate(n=20, seed=7))
    assert_agree(qc, r)
    est = pd.read_csv(version / "results" / "estimates.csv", keep_default_na=False)
    assert "not estimable" in set(est["status"])


def test_qc_agrees_when_one_cohort_has_no_evaluable_baseline(tmp_path):
    c = generate()
    cont = set(c.subjects.loc[c.subjects["cohort"].str.strip().str.lower() == "continuing", "subject_id"])
    base = c.ctdna["subject_id"].isin(cont) & (c.ctdna["visit"] == "baseline")
    c.ctdna.loc[base, ["result", "mtm_per_ml", "variants_detected"]] = ["QNS", "", ""]
    version, qc, r = run_cut(tmp_path, "noeval", c)
    assert_agree(qc, r)
    est = pd.read_csv(version / "results" / "estimates.csv", keep_default_na=False)
    primary = est[(est["analysis"] == "primary") & (est["group"] == "continuing")]
    assert primary["N"].tolist() == [0]


def test_qc_agrees_when_every_result_is_negative(tmp_path):
    c = generate()
    pos = c.ctdna["result"].str.strip().str.upper() == "POSITIVE"
    c.ctdna.loc[pos, ["result", "mtm_per_ml", "variants_detected"]] = ["NEGATIVE", "0", "0"]
    version, qc, r = run_cut(tmp_path, "negative", c)
    assert_agree(qc, r)


def test_qc_agrees_without_progression_events(tmp_path):
    c = generate()
    c.subjects["progression_date"] = ""
    c.subjects["death_date"] = ""
    c.subjects.loc[c.subjects["status"].str.strip().str.lower() == "died", "status"] = "on_study"
    version, qc, r = run_cut(tmp_path, "noprog", c)
    assert_agree(qc, r)
    est = pd.read_csv(version / "results" / "estimates.csv", keep_default_na=False)
    assert set(est.loc[est["analysis"] == "exploratory_pfs", "n"]) == {0}


# -- planted faults ---------------------------------------------------------------------------

def _copy(version: Path, tmp: Path) -> Path:
    dst = tmp / "copy"
    shutil.copytree(version, dst, symlinks=False)
    return dst


def _raw(version: Path) -> Path:
    return Path(json.loads((version / "manifest.json").read_text())["raw_dir"])


def test_qc_names_an_edited_estimate(synthetic, tmp_path):
    _, version, _, _ = synthetic
    v = _copy(version, tmp_path)
    est = v / "results" / "estimates.csv"
    text = est.read_text()
    row = next(line for line in text.splitlines() if line.startswith("sensitivity_miettinen_nurminen,"))
    lower = row.split(",")[6]
    est.write_text(text.replace(row, row.replace(lower, str(float(lower) + 0.001), 1)))
    res = check(v, _raw(version), CUT)
    assert res.status == "differ" and res.tables == ["estimates (estimates.csv)"]
    assert res.differences == [
        f"estimates / sensitivity_miettinen_nurminen / risk_difference|stopped vs continuing / ci_lower: "
        f"pipeline {float(lower) + 0.001}, R {next(iter(_r_value(v, 'sensitivity_miettinen_nurminen', 'ci_lower')))}"]


def _r_value(v: Path, row: str, field: str):
    values = pd.read_csv(v / "qc" / "qc_values.csv", keep_default_na=False, dtype=str)
    return values.loc[(values["row"] == row) & (values["field"] == field), "r"]


def test_qc_names_an_edited_table1_cell(synthetic, tmp_path):
    _, version, _, _ = synthetic
    v = _copy(version, tmp_path)
    tidy = pd.read_csv(v / "tables" / "baseline_tidy.csv", dtype=str, keep_default_na=False)
    i = tidy.index[(tidy["variable"] == "age") & (tidy["group"] == "stopped")][0]
    tidy.loc[i, "median"] = str(float(tidy.loc[i, "median"]) + 1)
    tidy.to_csv(v / "tables" / "baseline_tidy.csv", index=False, lineterminator="\n")
    res = check(v, _raw(version), CUT)
    assert res.status == "differ" and res.tables == ["Table 1 (baseline_tidy.csv)"]
    assert len(res.differences) == 1 and res.differences[0].startswith("table1 / age / stopped / median: pipeline ")


def _patched_run(tmp: Path, name: str, cut_data, patch: str):
    """Run the pipeline with its code patched (a sitecustomize module on PYTHONPATH is imported by
    every Python process of the run, the notebooks' kernels included)."""
    site = tmp / f"{name}-site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(patch)
    return run_cut(tmp, name, cut_data, {"PYTHONPATH": str(site)})


def test_qc_names_the_values_a_patched_baseline_window_moves(tmp_path):
    # one baseline draw 31 days after consent: outside the spec's 28-day window, inside 35 days
    c = generate()
    s = c.subjects.set_index("subject_id")
    base = c.ctdna.index[(c.ctdna["visit"] == "baseline")
                         & c.ctdna["result"].str.strip().str.upper().isin(["POSITIVE", "NEGATIVE"])]
    i = base[0]
    sid = c.ctdna.loc[i, "subject_id"]
    c.ctdna.loc[c.ctdna["subject_id"].eq(sid) & c.ctdna["visit"].eq("baseline"), "collection_date"] = (
        pd.Timestamp(s.loc[sid, "consent_date"]) + pd.Timedelta(days=31)).strftime("%Y-%m-%d")
    patch = "import her2cr.data.contract as C\nC.BASELINE_WINDOW_DAYS = 35\n"
    version, qc, r = _patched_run(tmp_path, "window35", c, patch)
    assert qc["status"] == "differ" and r.returncode != 0
    moved = "\n".join(qc["differences"])
    assert f"participant / {sid} / baseline_evaluable: pipeline true, R false" in moved
    assert "estimates / primary / proportion|" in moved  # the primary analysis moved with it
    assert "QC: values differ" in r.stderr and f"{sid} / baseline_evaluable" in r.stderr


def test_qc_names_a_participant_dropped_from_the_primary_set(tmp_path):
    patch = (
        "import her2cr.data.derive as D\n"
        "_orig = D.subject_dataset\n"
        "def subject_dataset(*a, **k):\n"
        "    s = _orig(*a, **k)\n"
        "    s.loc[s.index[s['primary_set']][0], 'primary_set'] = False\n"
        "    return s\n"
        "D.subject_dataset = subject_dataset\n")
    version, qc, r = _patched_run(tmp_path, "dropped", generate(), patch)
    assert qc["status"] == "differ"
    adsl = pd.read_csv(version / "data" / "adsl.csv", keep_default_na=False)
    dropped = adsl.loc[adsl["primary_set"].astype(str).eq("False") & adsl["eligible"].astype(str).eq("True")
                       & adsl["baseline_evaluable"].astype(str).eq("True"), "subject_id"].tolist()
    assert len(dropped) == 1
    moved = "\n".join(qc["differences"])
    assert f"participant / {dropped[0]} / primary_set: pipeline false, R true" in moved
    assert "flow / primary_set / overall / count" in moved
