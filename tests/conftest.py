"""Shared fixtures: the synthetic cut, mutable copies of it, and one full pipeline run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

PROJECT = Path(__file__).resolve().parents[1]
SHARED = PROJECT.parent / "shared"
CUT = "2025-12-31"


def needs_shared(*parts: str) -> Path:
    """Path inside ../shared, or skip the test with the reason."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: this test validates against ../shared, which this checkout does not have")
    return path


@pytest.fixture(scope="session")
def synthetic_raw(tmp_path_factory) -> Path:
    """The default synthetic cut (n = 50), written once per session; treat as read-only."""
    from her2cr.data.cutinfo import write_synthetic_marker
    from her2cr.data.synth import generate, write_cut

    out = tmp_path_factory.mktemp("raw") / f"synthetic-{CUT}"
    write_cut(generate(n=50, cut=CUT), out)
    write_synthetic_marker(out, n=50, seed=20251231, cut=CUT)
    return out


class RawCopy:
    """A writable copy of the synthetic cut whose cells a test can change."""

    def __init__(self, src: Path, dst: Path):
        shutil.copytree(src, dst)
        self.dir = dst

    def read(self, name: str) -> pd.DataFrame:
        return pd.read_csv(self.dir / name, dtype=str, keep_default_na=False)

    def write(self, name: str, df: pd.DataFrame) -> None:
        df.to_csv(self.dir / name, index=False, lineterminator="\n")

    def set(self, name: str, row: int, column: str, value: str) -> int:
        """Set one cell (row = 0-based record index); returns the spreadsheet row number."""
        df = self.read(name)
        df.loc[row, column] = value
        self.write(name, df)
        return row + 2


@pytest.fixture
def raw_copy(synthetic_raw, tmp_path) -> RawCopy:
    return RawCopy(synthetic_raw, tmp_path / "raw")


@pytest.fixture(scope="session")
def pipeline_run(synthetic_raw, tmp_path_factory):
    """One full run of the pipeline on the synthetic cut (papermill kernels): slow, shared."""
    from her2cr.runner.pipeline import run_cut

    out = tmp_path_factory.mktemp("reports") / f"synthetic-{CUT}"
    outcome = run_cut(synthetic_raw, CUT, out, echo=lambda *_: None)
    assert outcome.status == "built", outcome.message
    return outcome


@pytest.fixture(scope="session")
def real_pipeline_run(synthetic_raw, tmp_path_factory):
    """The same exports without the synthetic-data marker, run once: a cut the pipeline takes as
    study data (the rendered-report tests of both tests/reporting files share it)."""
    from her2cr.runner.pipeline import run_cut

    raw = tmp_path_factory.mktemp("realraw") / CUT
    shutil.copytree(synthetic_raw, raw)
    (raw / "synthetic.json").unlink()
    outcome = run_cut(raw, CUT, tmp_path_factory.mktemp("realreports") / CUT, echo=lambda *_: None)
    assert outcome.status == "built", outcome.message
    return outcome


EARLIER_CUT = "2025-06-30"


@pytest.fixture(scope="session")
def later_cut_run(synthetic_raw, tmp_path_factory):
    """The synthetic study as it stood at EARLIER_CUT, run first; then the default cut with two
    corrections (an age, a ctDNA level), run into the same reports folder: a report whose
    "Changes since the previous cut" has every kind of table (estimates, flow, participants and
    samples added, status changes, corrections and follow-up updates, primary-set changes)."""
    from her2cr.data.cutinfo import write_synthetic_marker
    from her2cr.data.synth import as_of, generate, write_cut
    from her2cr.runner.pipeline import run_cut

    root = tmp_path_factory.mktemp("later")
    earlier = root / f"synthetic-{EARLIER_CUT}"
    write_cut(as_of(generate(n=50, cut=CUT), EARLIER_CUT), earlier)
    write_synthetic_marker(earlier, n=50, seed=20251231, cut=CUT, as_of=EARLIER_CUT)
    first = run_cut(earlier, EARLIER_CUT, root / "reports" / f"synthetic-{EARLIER_CUT}", echo=lambda *_: None,
                    render=False)
    assert first.status == "built", first.message
    later = RawCopy(synthetic_raw, root / f"synthetic-{CUT}")
    later.set("subjects.csv", 0, "age", str(int(later.read("subjects.csv").loc[0, "age"]) + 1))
    ct = later.read("ctdna.csv")
    later.set("ctdna.csv", int(ct.index[ct["result"] == "POSITIVE"][0]), "mtm_per_ml", "0.53")
    outcome = run_cut(later.dir, CUT, root / "reports" / f"synthetic-{CUT}", echo=lambda *_: None)
    assert outcome.status == "built", outcome.message
    return outcome


def _project_entries() -> set[str]:
    """What the project folder holds, a level down from the top (caches and the venv aside)."""
    skip = {".git", ".venv", ".pytest_cache", "__pycache__"}
    out = set()
    for top in PROJECT.iterdir():
        if top.name in skip:
            continue
        out.add(top.name)
        if top.is_dir() and top.name not in ("reports", "build"):
            out.update(f"{top.name}/{p.name}" for p in top.iterdir() if p.name not in skip)
    return out


@pytest.fixture(scope="session", autouse=True)
def tests_write_only_to_temporary_folders():
    """A test that writes into the project folder (a path taken for a name, a relative folder)
    fails the run instead of leaving litter in a checkout."""
    before = _project_entries()
    yield
    new = sorted(_project_entries() - before)
    assert not new, f"the tests wrote into the project folder: {new}"
