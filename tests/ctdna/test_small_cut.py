"""End to end on a small synthetic cut that stopped the run before (issue 18: every finding must
hold on small and edge cuts).

`her2cr synth --n 20 --seed 7` gives a primary analysis set whose only baseline-positive
participant is censored before the only progression: the PFS log-rank test has no information,
and statsmodels' survdiff raised "LinAlgError: Singular matrix" in 03_ctdna. The run must finish
and say why the test is not estimable.
"""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

pytestmark = pytest.mark.slow
CUT = "2025-12-31"


def her2cr(*args):
    return subprocess.run([sys.executable, "-m", "her2cr", *map(str, args)], capture_output=True,
                          text=True, timeout=600)


def test_small_cut_n20_seed7_runs_and_reports_the_logrank_test_not_estimable(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "reports" / "small"
    r = her2cr("synth", "--out", raw, "--n", 20, "--seed", 7, "--cut", CUT)
    assert r.returncode == 0, r.stderr
    r = her2cr("run", "--raw", raw, "--cut", CUT, "--out", out, "--no-render")
    assert r.returncode == 0, r.stderr + r.stdout
    assert "Traceback" not in r.stderr + r.stdout
    est = pd.read_csv(out / "current" / "results" / "estimates.csv", keep_default_na=False)
    row = est[(est["analysis"] == "exploratory_pfs") & (est["parameter"] == "logrank")].iloc[0]
    assert row["status"] == "not estimable" and row["estimate"] == "" and row["p_value"] == ""
    assert row["note"] == ("log-rank test not estimable: no event while both groups were at "
                           "risk (the test has no information)")
    # the primary comparison is still estimated on this cut
    primary = est[(est["analysis"] == "primary") & (est["parameter"] == "risk_difference")]
    assert primary["status"].tolist() == ["estimated"]
