"""The round trip (issue 17, items 8 and 10): the intake of `her2cr synth --export` gives
subjects.csv and ctdna.csv byte-identical to the synthetic contract cut (`her2cr synth --out`) of
the same n, seed and cut-off, planted imperfections included, with the synthetic marker carried
along and only the warnings the export plants (missing-data codes, the resent result)."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
import yaml

CUT = "2025-12-31"


def her2cr(*args):
    return subprocess.run([sys.executable, "-m", "her2cr", *map(str, args)], capture_output=True, text=True,
                          timeout=600)


def round_trip(tmp_path, *synth_args):
    cut, export, raw = tmp_path / "cut", tmp_path / "export", tmp_path / "raw"
    r = her2cr("synth", "--out", cut, "--export", export, *synth_args)
    assert r.returncode == 0, r.stderr
    cutoff = dict(zip(synth_args[::2], synth_args[1::2])).get("--as-of", CUT)
    r = her2cr("intake", "--export", export, "--mapping", export / "mapping.yml", "--cut", cutoff, "--out", raw)
    assert r.returncode == 0, r.stdout + r.stderr
    return cut, export, raw


@pytest.mark.parametrize("args", [
    ("--n", 50),                                         # the default study (seed 20251231)
    ("--n", 137, "--seed", 7, "--cut", "2026-03-31"),    # another seed, size and cut-off
    ("--n", 50, "--as-of", "2025-06-30"),                # an earlier cut of the same study
], ids=["default", "seed7-n137", "as-of"])
def test_intake_of_the_synthetic_export_is_the_synthetic_contract_cut(tmp_path, args):
    cut, export, raw = round_trip(tmp_path, *args)
    for name in ("subjects.csv", "ctdna.csv", "synthetic.json"):
        assert (raw / name).read_bytes() == (cut / name).read_bytes(), name
    issues = pd.read_csv(raw / "intake_issues.csv", dtype=str, keep_default_na=False)
    assert set(issues["severity"]) <= {"warning"}
    # the warnings are exactly what the export plants: one per missing-data code, one resent result
    mapping = yaml.safe_load((export / "mapping.yml").read_text(encoding="utf-8"))
    records = pd.read_csv(export / mapping["edc"]["records"], dtype=str, keep_default_na=False)
    codes = records.isin(["UNK", "NASK", "-999"]).to_numpy().sum() + (records["race___nask"] == "1").sum()
    assert (issues["rule"] == "EDC05").sum() == codes > 0
    assert (issues["rule"] == "LAB04").sum() == 1
    assert set(issues["rule"]) == {"EDC05", "LAB04"}


def test_default_make_report_goes_through_the_synthetic_export_and_the_intake():
    """`make report` (dry run): generate the export when absent, take it in into data/interim, run
    the pipeline on that, into reports/synthetic-CUT (the folder earlier reports are kept in)."""
    import shutil
    from pathlib import Path

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    project = Path(__file__).resolve().parents[2]
    r = subprocess.run(["make", "-n", "-B", "report", "CUT=2025-12-31"], capture_output=True, text=True,
                       cwd=project, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = [ln for ln in r.stdout.splitlines() if "bin/her2cr " in ln]
    commands = [ln.split("bin/her2cr ", 1)[1] for ln in lines]
    assert commands[-3:] == [
        "synth --export data/raw/synthetic-2025-12-31-export/ --seed 20251231 --cut 2025-12-31",
        "intake --export data/raw/synthetic-2025-12-31-export --mapping "
        "data/raw/synthetic-2025-12-31-export/mapping.yml --cut 2025-12-31 --out data/interim/synthetic-2025-12-31",
        "run --raw data/interim/synthetic-2025-12-31 --cut 2025-12-31 --out reports/synthetic-2025-12-31 --jobs 2",
    ]
    # a contract cut given as RAW is read as it stands, with no intake
    r = subprocess.run(["make", "-n", "-B", "report", "RAW=data/raw/2026-06-30", "CUT=2026-06-30"],
                       capture_output=True, text=True, cwd=project, timeout=60)
    # (the her2cr commands only: make's own lines name the project folder, which may hold the word)
    commands = [ln.split("bin/her2cr ", 1)[1] for ln in r.stdout.splitlines() if "bin/her2cr " in ln]
    assert not [c for c in commands if "intake" in c]
    assert "run --raw data/raw/2026-06-30 --cut 2026-06-30 --out reports/2026-06-30" in r.stdout
