"""What a cut is: its cut-off, its input files and whether its data are synthetic."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

SYNTHETIC_MARKER = "synthetic.json"  # written by `her2cr synth` beside the raw exports
INPUT_FILES = ("subjects.csv", "ctdna.csv")
INTAKE_RECORD = "intake.json"  # written by `her2cr intake` beside the raw cut it wrote
INTAKE_FILES = (INTAKE_RECORD, "intake_issues.csv")
# intake.json: the day the EDC records were exported (YYYY-MM-DD, from REDCap's file name), or null
EXPORTED_KEY = "records_exported"


def cut_info(raw_dir: Path | str, cut: str) -> dict:
    raw_dir = Path(raw_dir)
    marker = raw_dir / SYNTHETIC_MARKER
    info = {
        "cut": cut,
        "synthetic": marker.is_file(),
        "inputs": {n: hashlib.sha256((raw_dir / n).read_bytes()).hexdigest() for n in INPUT_FILES},
    }
    if marker.is_file():
        try:
            info["synthetic_generator"] = json.loads(marker.read_text(encoding="utf-8"))
        except ValueError as e:
            from her2cr.data.issues import ERROR, DataIssue, InputError

            raise InputError([DataIssue(
                SYNTHETIC_MARKER, None, "", "", "", f"is not the synthetic-data marker `her2cr synth` "
                f"writes (not valid JSON: {e}); write the synthetic cut again (her2cr synth)", ERROR, "cut not analysed")]) from None
    return info


def cut_after_export(raw_dir: Path | str, cut: str) -> list:
    """An error when the cut-off is after the day the EDC records of a cut taken in by the intake
    were exported: what the sites entered after that day is not in the cut, and every participant
    would look followed up to a cut-off the data do not reach. (A cut-off before that day is an
    as-of analysis, and fine.) A cut with no intake record, or one that does not know the day,
    gives none; a damaged intake.json is reported by her2cr.data.sources."""
    from her2cr.data.issues import ERROR, DataIssue

    path = Path(raw_dir) / INTAKE_RECORD
    if not path.is_file():
        return []
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        day = record.get(EXPORTED_KEY)
        records = next((s["file"] for s in record.get("sources", []) if s.get("role") == "records"), "")
    except (ValueError, AttributeError, TypeError, KeyError):
        return []
    if not isinstance(day, str) or not cut > day:
        return []
    return [DataIssue(
        INTAKE_RECORD, None, "", "", "",
        f"the cut-off {cut} is after {day}, the day the EDC records were exported ({records}): what the "
        f"sites entered after that day is not in this cut. Take in an export made on or after the "
        f"cut-off, or run with a cut-off on or before {day}", ERROR, "cut not analysed")]


def edited_after_intake(raw_dir: Path | str) -> list:
    """An error for each contract file of a cut written by the intake that was changed since (its
    SHA-256 is not the one intake.json records): its values may no longer be the export's, so the
    origins named in the export (sources.csv) would point at values the file does not hold, and the
    report's provenance (the export and the mapping) would not give this cut. A cut with no intake
    record, or no outputs in it, gives none; a damaged intake.json is reported by her2cr.data.sources."""
    from her2cr.data.issues import ERROR, DataIssue

    raw_dir = Path(raw_dir)
    path = raw_dir / INTAKE_RECORD
    if not path.is_file():
        return []
    try:
        outputs = json.loads(path.read_text(encoding="utf-8")).get("outputs") or {}
        # every file the intake wrote (the contract's, its warnings, the origins), but the synthetic
        # marker, a copy whose damage cut_info names
        outputs = {str(n): str(h) for n, h in outputs.items() if n != SYNTHETIC_MARKER}
    except (ValueError, AttributeError, TypeError):
        return []
    out = []
    for name, digest in outputs.items():
        p = raw_dir / Path(name).name
        # (a file gone is not one changed: a contract file is named by its reader, and a folder of an
        # intake made before sources.csv existed is read without it)
        if p.is_file() and hashlib.sha256(p.read_bytes()).hexdigest() != digest:
            out.append(DataIssue(
                name, None, "", "", "",
                f"was changed after `her2cr intake` wrote it (its SHA-256 is not the one {INTAKE_RECORD} "
                "records): the folder is no longer what the export and the mapping give, and the rows of the "
                "export named as the origins of its values may not hold them. Correct the value in the EDC (or "
                "the laboratory file, or the mapping) and run the intake again; do not edit the intake's output",
                ERROR, "cut not analysed"))
    return out


def write_cut_info(raw_dir: Path | str, cut: str, out_dir: Path | str) -> Path:
    """data/cut_info.json; and, for a cut written by `her2cr intake`, its record (intake.json:
    the export's files and the mapping with their SHA-256) and its warnings, copied into
    <out_dir>/intake/ for the report's provenance and data-issues appendices."""
    path = Path(out_dir) / "data" / "cut_info.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(cut_info(raw_dir, cut), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if (Path(raw_dir) / INTAKE_RECORD).is_file():
        gone = [n for n in INTAKE_FILES if not (Path(raw_dir) / n).is_file()]
        if gone:  # (was a FileNotFoundError)
            from her2cr.data.issues import ERROR, DataIssue, InputError

            raise InputError([DataIssue(n, None, "", "", "", f"is missing beside {INTAKE_RECORD}; this file is "
                                        "written by `her2cr intake`: run the intake again to write this folder "
                                        "anew", ERROR, "cut not analysed") for n in gone])
        (Path(out_dir) / "intake").mkdir(exist_ok=True)
        for name in INTAKE_FILES:
            shutil.copyfile(Path(raw_dir) / name, Path(out_dir) / "intake" / name)
    return path


def read_cut_info(out_dir: Path | str) -> dict:
    return json.loads((Path(out_dir) / "data" / "cut_info.json").read_text(encoding="utf-8"))


def write_synthetic_marker(raw_dir: Path | str, *, n: int, seed: int, cut: str, as_of: str | None = None) -> Path:
    """Mark a raw folder as synthetic so that every report made from it says so."""
    from her2cr import __version__

    path = Path(raw_dir) / SYNTHETIC_MARKER
    meta = {"generator": "her2cr synth", "her2cr_version": __version__, "n": n, "seed": seed, "cut": cut,
            **({"as_of": as_of} if as_of else {}),
            "note": "SYNTHETIC DATA generated for building and testing the pipeline; not study data."}
    path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
