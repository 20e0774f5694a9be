"""Independent QC of a version folder: run the R program (qc/qc.R) on the raw cut, read the
pipeline's outputs into the same long format, compare, and write qc/qc_values.csv, qc/summary.txt
and qc/qc.json into the version folder."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from her2cr import processes
from her2cr.qc import compare as cmp
from her2cr.qc import pipeline_values as pv
from her2cr.settings import PROJECT

R_PROGRAM = PROJECT / "qc" / "qc.R"
R_MISSING = ("Rscript not found: independent QC needs R and its package survival (Debian: apt-get install "
             "r-base-core r-cran-survival; conda: the env of environment.yml has r-base and r-survival)")
NOT_RUN = "independent QC not run: R not found"
QC_DIR = "qc"


@dataclass
class QCResult:
    status: str  # "agree", "differ", "not run"
    summary: str
    r_version: str = ""
    differences: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)  # the tables with a difference

    def to_json(self) -> dict:
        return {"status": self.status, "summary": self.summary, "r_version": self.r_version,
                "tables_that_differ": self.tables, "differences": self.differences}


def find_rscript() -> str | None:
    """Rscript on PATH, or the one HER2CR_RSCRIPT names (a path that does not exist: no R)."""
    chosen = os.environ.get("HER2CR_RSCRIPT")
    return shutil.which(chosen) if chosen is not None else shutil.which("Rscript")


def r_identity() -> str:
    """Which R and which QC program would run (for the report step's key): without R, or with
    another R or QC program, the report states another result."""
    exe = find_rscript()
    h = hashlib.sha256()
    for p in sorted((PROJECT / "qc").glob("*.R")):
        h.update(p.name.encode() + p.read_bytes())
    if exe:
        path = Path(shutil.which(exe) or exe).resolve()
        st = path.stat() if path.exists() else None
        h.update(f"{path}|{st.st_size if st else ''}|{st.st_mtime_ns if st else ''}".encode())
    else:
        h.update(b"no R")
    return h.hexdigest()


def _start(cmd: list[str]) -> subprocess.Popen:
    """A child that dies with the run (her2cr.processes), like the kernels and Quarto."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **processes.popen_options())
    processes.track(proc.pid)
    return proc


def _wait(proc: subprocess.Popen, timeout: float | None = None) -> subprocess.CompletedProcess:
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        processes.untrack(proc.pid)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@dataclass
class RStarted:
    """The R program started on a raw cut, writing its values into out_csv."""
    proc: subprocess.Popen
    out_csv: Path

    def stop(self) -> None:
        """End it if it still runs (a run that stops before its report step)."""
        if self.proc.poll() is None:
            self.proc.kill()
            _wait(self.proc)


def start_r(raw_dir: Path, cut: str, work_dir: Path) -> RStarted | None:
    """Start the R program (None without R): it needs only the raw cut, so a run starts it with
    its first notebook, and only the comparison waits for the pipeline's outputs."""
    rscript = find_rscript()
    if not rscript:
        return None
    work_dir.mkdir(parents=True, exist_ok=True)
    out_csv = work_dir / "r_values.csv"
    return RStarted(_start([rscript, "--vanilla", str(R_PROGRAM), str(raw_dir), cut, str(out_csv)]), out_csv)


R_PACKAGE_HINT = ("R's package survival is needed: apt-get install r-cran-survival (Debian), or "
                  "conda env update -f environment.yml (r-survival)")


class QCFailed(RuntimeError):
    """The R program stopped with an error: QC did not compare anything."""


def r_values(started: RStarted) -> tuple[str, list[tuple]]:
    """(R's version, its values) once the R program has finished."""
    import pandas as pd

    r = _wait(started.proc)
    if r.returncode != 0:
        raise QCFailed(f"the QC program in R failed (exit {r.returncode}): {r.stderr.strip()[-2000:]}"
                       + (f"; {R_PACKAGE_HINT}" if "survival" in r.stderr else ""))
    values = pd.read_csv(started.out_csv, dtype=str, keep_default_na=False, encoding="utf-8")
    is_version = values["table"].eq("qc")
    version = values.loc[is_version, "value"].iloc[0] if is_version.any() else "unknown"
    return version, list(values.loc[~is_version, list(pv.COLUMNS)].itertuples(index=False, name=None))


def pipeline_rows(version_dir: Path, raw_dir: Path) -> list[tuple]:
    tidy = version_dir / "tables" / "baseline_tidy.csv"
    rows = pv.participant_values(version_dir / "data" / "adsl.csv", pv.raw_subject_ids(raw_dir))
    rows += pv.flow_values(version_dir / "data" / "flow.csv")
    rows += pv.table1_values(tidy)
    rows += pv.estimate_values(version_dir / "results" / "estimates.csv")
    xml = version_dir / "results" / "prs-results.xml"
    if xml.is_file():
        rows += pv.prs_values(xml, tidy)
    return rows


def write_values(path: Path, results) -> None:
    tmp = path.with_name(path.name + ".tmp")
    out = results.assign(result=results["agree"].map({True: "agree", False: "differ"})).drop(columns="agree")
    out.to_csv(tmp, index=False, lineterminator="\n", encoding="utf-8")
    os.replace(tmp, path)


def check(version_dir: Path | str, raw_dir: Path | str, cut: str, out_dir: Path | str | None = None,
          started: RStarted | None = None) -> QCResult:
    """QC of the outputs in version_dir (its data/, tables/, results/) against R on raw_dir;
    writes into out_dir (default version_dir/qc). started: the R program, already started on
    raw_dir (by the run); otherwise started here."""
    version_dir, raw_dir = Path(version_dir), Path(raw_dir)
    out = Path(out_dir) if out_dir else version_dir / QC_DIR
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="her2cr-qc-") as tmp:
        started = started or start_r(raw_dir, cut, Path(tmp))
        if started is None:
            result = QCResult("not run", NOT_RUN)
        else:
            try:
                ours = pipeline_rows(version_dir, raw_dir)  # read while R computes
            except BaseException:
                started.stop()
                raise
            version, r_rows = r_values(started)
            results = cmp.compare(ours, r_rows)
            write_values(out / "qc_values.csv", results)
            differ = cmp.differences(results)
            result = QCResult("differ" if differ else "agree", cmp.summary_line(results, version), version,
                              differ, cmp.tables_that_differ(results))
    _write_atomic(out / "summary.txt", result.summary + "\n")
    _write_atomic(out / "qc.json", json.dumps(result.to_json(), indent=2) + "\n")
    return result


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def read_result(version_dir: Path | str) -> QCResult | None:
    """The QC result a run stored in its version folder (qc/qc.json), or None."""
    p = Path(version_dir) / QC_DIR / "qc.json"
    if not p.is_file():
        return None
    d = json.loads(p.read_text(encoding="utf-8"))
    return QCResult(d["status"], d["summary"], d.get("r_version", ""), d.get("differences", []),
                    d.get("tables_that_differ", []))


def qc_version(out: Path | str) -> tuple[Path, QCResult]:
    """`her2cr qc --out DIR`: QC of the cut's current version (or of DIR itself, a version folder),
    its raw data and cut-off from its manifest; the results are written into its qc/ folder."""
    out = Path(out)
    version_dir = (out / "current").resolve() if (out / "current").exists() else out.resolve()
    manifest = version_dir / "manifest.json"
    if not manifest.is_file():
        raise ValueError(f"{out} has no built version (no manifest.json): run `make report` first")
    m = json.loads(manifest.read_text(encoding="utf-8"))
    raw_dir = Path(m["raw_dir"])
    if not (raw_dir / "subjects.csv").is_file():
        raise ValueError(f"the raw cut {raw_dir} of {version_dir} is gone: QC needs its subjects.csv and ctdna.csv")
    return version_dir, check(version_dir, raw_dir, m["cut"])
