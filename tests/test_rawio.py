"""Unreadable files are named with the reason; messy but valid files are accepted."""

from __future__ import annotations

import pandas as pd
import pytest

from her2cr.validate import validate_cut

CUT = "2025-12-31"


def fatal(raw_dir, file):
    return [i for i in validate_cut(raw_dir, CUT).issues if i.severity == "error" and i.file == file]


def test_missing_file(raw_copy):
    (raw_copy.dir / "ctdna.csv").unlink()
    errs = fatal(raw_copy.dir, "ctdna.csv")
    assert len(errs) == 1 and "file not found" in errs[0].rule


def test_empty_file(raw_copy):
    (raw_copy.dir / "subjects.csv").write_bytes(b"")
    assert "empty" in fatal(raw_copy.dir, "subjects.csv")[0].rule


def test_binary_file(raw_copy):
    (raw_copy.dir / "subjects.csv").write_bytes(b"PK\x03\x04\x00\x00binary zip content\x00")
    assert "binary" in fatal(raw_copy.dir, "subjects.csv")[0].rule


def test_not_utf8(raw_copy):
    path = raw_copy.dir / "subjects.csv"
    text = path.read_text(encoding="utf-8").splitlines(keepends=True)
    text[3] = text[3].replace("HCR", "HCR\u00e9", 1)  # an accented letter ...
    path.write_bytes("".join(text).encode("latin-1"))  # ... saved as Latin-1
    err = fatal(raw_copy.dir, "subjects.csv")[0]
    assert "not valid UTF-8" in err.rule and err.row == 4


@pytest.mark.parametrize("sep,word", [(";", "semicolon"), ("\t", "tab")])
def test_other_delimiter(raw_copy, sep, word):
    df = raw_copy.read("subjects.csv")
    df.to_csv(raw_copy.dir / "subjects.csv", index=False, sep=sep)
    err = fatal(raw_copy.dir, "subjects.csv")[0]
    assert word in err.rule and "commas" in err.rule


def test_missing_column(raw_copy):
    raw_copy.write("subjects.csv", raw_copy.read("subjects.csv").drop(columns=["ecog"]))
    errs = fatal(raw_copy.dir, "subjects.csv")
    assert [(e.row, e.column) for e in errs] == [(1, "ecog")]
    assert "required column is missing" in errs[0].rule


def test_duplicate_column(raw_copy):
    path = raw_copy.dir / "ctdna.csv"
    lines = path.read_text().splitlines()
    lines[0] = lines[0].replace("panel_size", "result")
    path.write_text("\n".join(lines) + "\n")
    errs = fatal(raw_copy.dir, "ctdna.csv")
    assert errs[0].column == "result" and "twice" in errs[0].rule


def test_record_with_too_few_fields(raw_copy):
    path = raw_copy.dir / "ctdna.csv"
    lines = path.read_text().splitlines()
    lines[5] = ",".join(lines[5].split(",")[:4])
    path.write_text("\n".join(lines) + "\n")
    errs = fatal(raw_copy.dir, "ctdna.csv")
    assert errs[0].row == 6 and "fewer fields" in errs[0].rule


def test_record_with_too_many_fields(raw_copy):
    path = raw_copy.dir / "ctdna.csv"
    lines = path.read_text().splitlines()
    lines[5] = lines[5] + ",extra,cells"
    path.write_text("\n".join(lines) + "\n")
    errs = fatal(raw_copy.dir, "ctdna.csv")
    assert "malformed" in errs[0].rule and errs[0].row == 6


def test_optional_race_column_absent_is_not_collected(raw_copy):
    raw_copy.write("subjects.csv", raw_copy.read("subjects.csv").drop(columns=["race", "ethnicity"]))
    v = validate_cut(raw_copy.dir, CUT)
    assert v.ok
    assert v.subjects["race"].isna().all()
    assert {i.column for i in v.issues if "not collected" in i.rule} == {"race", "ethnicity"}


def test_messy_but_valid_input_is_accepted(raw_copy, synthetic_raw):
    """A BOM, CRLF line ends, extra columns, another column order, other letter cases."""
    subjects = raw_copy.read("subjects.csv")
    subjects["site_comment"] = "x"
    subjects["cohort"] = subjects["cohort"].str.upper().str.center(14)
    subjects = subjects[list(reversed(subjects.columns))]
    subjects.columns = [c.upper() if i % 2 else c for i, c in enumerate(subjects.columns)]
    text = subjects.to_csv(index=False, lineterminator="\r\n")
    (raw_copy.dir / "subjects.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    v = validate_cut(raw_copy.dir, CUT)
    assert v.ok, [i.message() for i in v.issues if i.severity == "error"]
    ref = validate_cut(synthetic_raw, CUT)
    pd.testing.assert_series_equal(v.subjects["cohort"], ref.subjects["cohort"])
    pd.testing.assert_series_equal(v.subjects["consent_date"], ref.subjects["consent_date"])
    assert "site_comment" in v.subjects.columns
