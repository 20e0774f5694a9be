"""The intake: export folder + mapping -> a contract cut (subjects.csv, ctdna.csv), the intake's
warnings (intake_issues.csv), where each row came from in the export (sources.csv, with intake.json's
`columns`: her2cr/data/sources.py) and its record (intake.json: SHA-256 of every source file and of
the mapping).

Order: the mapping's grammar, then the dictionary, then the mapping against the dictionary and the
contract, all before any record is read. Every error of a stage is collected before stopping; on
any error nothing is written. The output folder is written whole or not at all (a temporary
folder beside it, renamed into place), never inside the export folder.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from her2cr.data import sources as S
from her2cr.data.cutinfo import EXPORTED_KEY, SYNTHETIC_MARKER
from her2cr.intake.build import build_draws, build_subjects
from her2cr.intake.dictionary import read_dictionary
from her2cr.intake.issues import ERROR, IntakeFailed, IntakeIssue, issue, to_frame
from her2cr.intake.lab import read_lab
from her2cr.intake.mapping import check_mapping, load_mapping
from her2cr.intake.records import check_events, export_day, read_records
from her2cr.intake.reconcile import reconcile
from her2cr.provenance import sha256_file as sha256

INTAKE_JSON = "intake.json"
ISSUES_CSV = "intake_issues.csv"
FORMAT = 1


def _stop(issues: list[IntakeIssue]) -> None:
    if any(i.severity == ERROR for i in issues):
        raise IntakeFailed(issues)


def resolve(export: Path, pattern: str, role: str, mapping_name: str) -> tuple[Path | None, list[IntakeIssue]]:
    """The one file of the export folder that `pattern` (a name or a glob) names."""
    if pattern.startswith("/") or "\\" in pattern:  # a full path (Path.glob refuses one), or Windows
        base = pattern.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
        return None, [issue("FILE01", mapping_name, f"the {role} {pattern!r} is a path; the mapping names "
                            f"a file of the export folder (--export) by its name: write {base!r}")]
    hits = sorted(p for p in export.glob(pattern) if p.is_file()) if pattern else []
    if len(hits) == 1:
        return hits[0], []
    if not hits:
        files = ", ".join(sorted(p.name for p in export.iterdir() if p.is_file())[:12]) if export.is_dir() else ""
        return None, [issue("FILE01", mapping_name, f"the {role} {pattern!r} matches no file in {export}"
                            f"{' (files there: ' + files + ')' if files else ''}; correct the name in the mapping")]
    return None, [issue("FILE01", mapping_name, f"the {role} pattern {pattern!r} matches {len(hits)} files "
                        f"({', '.join(p.name for p in hits)}); name exactly one in the mapping")]


def _lab_without_ids(lab: pd.DataFrame, name: str, m) -> list[IntakeIssue]:
    """A laboratory row without its sample ID or its subject ID cannot be reconciled (it was a
    REC01 'sample  has no plasma draw', or a REC03 'is subject 's')."""
    out = []
    for target in ("sample_id", "subject_id"):
        if target not in lab:
            continue
        column = str((m.get("lab", "columns") or {}).get(target, target))
        for i in np.flatnonzero((lab[target].astype(str).str.strip() == "").to_numpy()):
            sample = lab["sample_id"].iat[i] if target == "subject_id" else ""
            said = f" (its sample {sample})" if sample else ""
            out.append(issue("LAB09", name, f"the row has no {target.replace('_id', ' ID')} ({column}){said}; ask the "
                             "laboratory to complete it and send the file again", row=int(lab["_row"].iat[i]),
                             record=lab["subject_id"].iat[i] if "subject_id" in lab else "", field=column))
    return out


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def prepare(export, mapping) -> dict:
    """Read and check everything; return the frames and facts to write, or raise IntakeFailed."""
    export, mapping = Path(export), Path(mapping)
    if not export.is_dir():
        raise IntakeFailed([issue("FILE01", export.name, f"export folder {export} not found")])
    m, issues = load_mapping(mapping)
    if any(i.rule != "MAP02" for i in issues):  # unknown keys alone: go on, to list more errors
        _stop(issues)
    mname = mapping.name
    enc, delim = m.get("edc", "encoding", default="utf-8"), m.get("edc", "delimiter", default=",")
    dict_path, p1 = resolve(export, str(m.get("edc", "dictionary")), "data dictionary", mname)
    rec_path, p2 = resolve(export, str(m.get("edc", "records")), "records export", mname)
    lab_path, p3 = resolve(export, str(m.get("lab", "file")), "laboratory file", mname)
    issues += p1 + p2 + p3
    if p1 or p2 or p3:
        _stop(issues)
    fields, more = read_dictionary(dict_path, enc, delim)
    issues += more
    if fields is None:
        _stop(issues)
    issues += check_mapping(m, fields)
    _stop(issues)
    record_id = m.get("edc", "record_id") or next(iter(fields))
    mapped = {c.name for c in m.subjects + m.draws if c.source in ("field", "checkbox")}
    records, more = read_records(rec_path, fields, record_id, enc, delim, mapped)
    issues += more
    lab, more, lab_columns = read_lab(lab_path, m)
    issues += more
    if records is None or lab is None:
        _stop(issues)
    lab_name = lab.attrs.get("file", lab_path.name)  # a workbook's: 'file, sheet S'
    issues += _lab_without_ids(lab, lab_name, m)
    more = check_events(records, m)
    issues += more
    if more:  # every record's subject fields or every draw would be missing: say the one cause
        _stop(issues)
    subjects, record_ids, more, subject_origins = build_subjects(records, m, fields, record_id)
    issues += more
    draws, more, draw_columns = build_draws(records, m, fields, record_id)
    issues += more
    # Reconcile also when the data have errors, so that every error is listed at once; but not
    # when a draw's subject cannot be known (it would only repeat those errors as mismatches).
    unknown_subject = ("subject_id" not in subjects or (subjects["subject_id"] == "").any()
                       or "sample_id" not in draws
                       or any(i.rule in ("FILE06", "EDC07", "EDC08", "EDC11", "LAB09") for i in issues))
    ctdna = None
    if not unknown_subject:
        subject_of = pd.Series(subjects["subject_id"].to_numpy(), index=record_ids)
        ctdna, more, ctdna_rows = reconcile(draws, lab, subject_of, rec_path.name, lab_name,
                                            int(m.get("reconciliation", "date_tolerance_days", default=0)),
                                            str(m.get("lab", "columns", "visit", default="visit")))
        issues += more
    _stop(issues)
    from her2cr.data import contract as C

    order = [f.name for f in C.SUBJECTS if f.name in subjects] + [c for c in subjects if c not in
                                                                   {f.name for f in C.SUBJECTS}]
    sources = [(role, p) for role, p in (("records", rec_path), ("dictionary", dict_path), ("lab", lab_path))]
    if (export / SYNTHETIC_MARKER).is_file():  # the synthetic study as an export: the report must say so
        sources.append(("synthetic marker", export / SYNTHETIC_MARKER))
    # where each contract column comes from: a ctdna row's subject is its draw's record's
    ctdna_columns = {**lab_columns, **draw_columns,
                     "subject_id": S.column_origin(S.ORIGIN_DRAW, rec_path.name, record_id)}
    columns = {"subjects.csv": {c: subject_origins.columns[c] for c in order if c in subject_origins.columns},
               "ctdna.csv": {c: ctdna_columns[c] for c in ctdna if c in ctdna_columns}}
    rows = pd.concat([_origin_rows("subjects.csv", record_ids, subject_origins.rows),
                      _origin_rows("ctdna.csv", ctdna_rows["_record"].to_numpy(dtype=object),
                                   {S.ORIGIN_DRAW: ctdna_rows["_row"].to_numpy(dtype=float),
                                    S.ORIGIN_LAB: ctdna_rows["_row_lab"].to_numpy(dtype=float),
                                    **{S.ORIGIN_LAB + c[len("_row"):]: ctdna_rows[c].to_numpy(dtype=float)
                                       for c in ctdna_rows if c.startswith("_row:")}})],
                     ignore_index=True)
    return {"subjects": subjects[order], "ctdna": ctdna, "issues": issues, "sources": sources,
            "mapping": mapping, "export": export, "origin_rows": rows, "origin_columns": columns}


def _origin_rows(file: str, records: np.ndarray, rows: dict[str, np.ndarray]) -> pd.DataFrame:
    """sources.csv's rows of one contract file: each row's origins in turn (rows as a spreadsheet
    shows them); an origin with no source row (a record with no row at an event) is left out."""
    n, k = len(records), len(rows)
    source = np.column_stack([np.asarray(r, dtype=float) for r in rows.values()]).ravel() if k else np.empty(0)
    frame = pd.DataFrame({"file": file, "row": np.repeat(np.arange(2, n + 2), k),
                          "record": np.repeat(np.asarray(records, dtype=object), k),
                          "origin": np.tile(np.array(list(rows), dtype=object), n), "source_row": source})
    frame = frame.loc[frame["source_row"].notna()]
    return frame.astype({"source_row": "int64"})


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    # as the synthetic cut is written (her2cr/data/synth.py write_cut)
    frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def intake(export, mapping, cut: str, out) -> dict:
    """Run the intake; returns the content of intake.json. Raises IntakeFailed (nothing written)."""
    export, mapping, out = Path(export), Path(mapping), Path(out)
    if _inside(out, export):
        raise IntakeFailed([issue("FILE01", out.name, f"the output folder {out} is inside the export folder "
                                  f"{export}; the intake never writes there: choose another --out")])
    if out.exists() and not out.is_dir():
        raise IntakeFailed([issue("FILE01", out.name, f"--out {out} is a file, not a folder; give the folder "
                                  "the cut is to be written into (a new or empty one)")])
    if out.exists() and any(out.iterdir()) and not (out / INTAKE_JSON).is_file():
        raise IntakeFailed([issue("FILE01", out.name, f"{out} already holds files that the intake did not "
                                  "write (no intake.json); choose an empty or new --out folder")])
    r = prepare(export, mapping)
    records = next(p for role, p in r["sources"] if role == "records")
    exported = export_day(records.name)
    if exported is not None and cut > exported:
        raise IntakeFailed([issue("FILE08", records.name, (
            f"the records were exported on {exported} (the day in the file name REDCap gives), before the "
            f"cut-off {cut}: what the sites entered after that day is not in the export. Export the records "
            f"again after the cut-off, or take this export in with a cut-off on or before {exported} "
            "(--cut, or CUT= of make)"))] + [i for i in r["issues"] if i.severity != ERROR])
    record = {
        "format": FORMAT,
        "cut": cut,
        EXPORTED_KEY: exported,
        "export": str(export.resolve()),
        "mapping": {"file": str(mapping.resolve()), "sha256": sha256(mapping)},
        "sources": [{"role": role, "file": p.name, "sha256": sha256(p), "bytes": p.stat().st_size}
                    for role, p in r["sources"]],
        "outputs": {},
        "counts": {"subjects": len(r["subjects"]), "samples": len(r["ctdna"]),
                   "warnings": sum(i.severity != ERROR for i in r["issues"])},
        S.COLUMNS_KEY: r["origin_columns"],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.intake-", dir=out.parent))
    try:
        _write_csv(r["subjects"], tmp / "subjects.csv")
        _write_csv(r["ctdna"], tmp / "ctdna.csv")
        _write_csv(to_frame(r["issues"]), tmp / ISSUES_CSV)
        S.write_sources(r["origin_rows"], tmp / S.SOURCES_FILE)
        for name in ("subjects.csv", "ctdna.csv", ISSUES_CSV, S.SOURCES_FILE):
            record["outputs"][name] = sha256(tmp / name)
        if (export / SYNTHETIC_MARKER).is_file():  # (17b) a synthetic export gives a cut marked synthetic
            shutil.copyfile(export / SYNTHETIC_MARKER, tmp / SYNTHETIC_MARKER)
            record["outputs"][SYNTHETIC_MARKER] = sha256(tmp / SYNTHETIC_MARKER)
        (tmp / INTAKE_JSON).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        old = None
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            out.rename(old)
        tmp.rename(out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return record


def read_intake_record(raw_dir) -> dict | None:
    """intake.json beside a raw cut, or None when the cut did not come through the intake."""
    p = Path(raw_dir) / INTAKE_JSON
    return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else None


def verify_intake(record: dict) -> list[str]:
    """Re-run a recorded intake from its export and mapping; [] when every source file and every
    output is as recorded, else one line per difference."""
    export, mapping = Path(record["export"]), Path(record["mapping"]["file"])
    out = []
    if not mapping.is_file():
        return [f"intake: the mapping {mapping} is gone"]
    if sha256(mapping) != record["mapping"]["sha256"]:
        out.append(f"intake: the mapping {mapping} changed since the run")
    for s in record["sources"]:
        p = export / s["file"]
        if not p.is_file():
            out.append(f"intake: export file {p} is gone")
        elif sha256(p) != s["sha256"]:
            out.append(f"intake: export file {p} changed since the run")
    if out:
        return out
    with tempfile.TemporaryDirectory(prefix="her2cr-verify-intake-") as tmp:
        try:
            again = intake(export, mapping, record["cut"], Path(tmp) / "raw")
        except IntakeFailed as exc:
            return [f"intake: the re-run failed: {exc}"]
    for name, h in record.get("outputs", {}).items():
        if again["outputs"].get(name) != h:
            out.append(f"intake: {name} differs when the intake is run again")
    return out


