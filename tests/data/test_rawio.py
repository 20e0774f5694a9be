"""Unreadable files are named with the reason; messy but valid files are accepted."""

from __future__ import annotations

import pandas as pd
import pytest

from her2cr.data.validate import validate_cut

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
    assert errs[0].rule == "record has 10 fields, more than the header (8)" and errs[0].row == 6
    assert errs[0].value == "extra,cells"


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


def test_trailing_comma_on_every_row_is_accepted(raw_copy, synthetic_raw):
    """Some exports end every record with a comma: an empty cell beyond the header."""
    path = raw_copy.dir / "ctdna.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0]] + [ln + "," for ln in lines[1:]]) + "\n")
    v = validate_cut(raw_copy.dir, CUT)
    assert v.ok, [i.message() for i in v.issues if i.severity == "error"]
    assert any(i.action == "empty trailing cells ignored" for i in v.issues)
    ref = validate_cut(synthetic_raw, CUT)
    pd.testing.assert_frame_equal(v.ctdna.reset_index(drop=True), ref.ctdna.reset_index(drop=True))


@pytest.mark.parametrize("content", [b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n", b"  \n\n"])
def test_file_with_nothing_but_a_bom_or_blank_lines_is_empty(raw_copy, content):
    (raw_copy.dir / "subjects.csv").write_bytes(content)
    assert "empty" in fatal(raw_copy.dir, "subjects.csv")[0].rule


def test_rows_are_numbered_as_a_spreadsheet_shows_them_after_a_blank_line(raw_copy):
    path = raw_copy.dir / "subjects.csv"
    lines = path.read_text().splitlines()
    lines.insert(3, "")  # a blank row 4
    lines[10] = lines[10].replace(",F,", ",X,", 1)  # now on spreadsheet row 11
    path.write_text("\n".join(lines) + "\n")
    errs = fatal(raw_copy.dir, "subjects.csv")
    assert [(e.row, e.column, e.value) for e in errs] == [(11, "sex", "X")]


def test_quoted_line_break_in_a_cell_is_one_row(raw_copy):
    df = raw_copy.read("subjects.csv")
    df.loc[1, "comment"] = "first line\nsecond line, with a comma"
    df.loc[5, "sex"] = "X"
    raw_copy.write("subjects.csv", df)
    errs = fatal(raw_copy.dir, "subjects.csv")
    assert [(e.row, e.column) for e in errs] == [(7, "sex")]


def test_extra_column_with_a_derived_name_is_renamed(raw_copy):
    df = raw_copy.read("subjects.csv")
    df["eligible"] = "yes"
    raw_copy.write("subjects.csv", df)
    ct = raw_copy.read("ctdna.csv")
    ct["cohort"] = "X"
    raw_copy.write("ctdna.csv", ct)
    v = validate_cut(raw_copy.dir, CUT)
    assert v.ok
    assert "raw_eligible" in v.subjects.columns and "eligible" not in v.subjects.columns
    assert "raw_cohort" in v.ctdna.columns
    from her2cr.data.derive import analysis_datasets

    adsl, adctdna = analysis_datasets(v.subjects, v.ctdna, v.cut)
    assert adsl["eligible"].dtype == bool and set(adsl["raw_eligible"]) == {"yes"}
    assert set(adctdna["cohort"]) == {"continuing", "stopped"} and set(adctdna["raw_cohort"]) == {"X"}


def test_a_cell_over_the_csv_limit_is_named_at_its_row(raw_copy):
    # was "the table is malformed: field larger than field limit (131072)", with no row
    path = raw_copy.dir / "subjects.csv"
    lines = path.read_text().splitlines()
    lines[3] += ',"' + "x" * 200_000 + '"'
    lines[0] += ",comment"
    path.write_text("\n".join(lines) + "\n")
    errs = fatal(raw_copy.dir, "subjects.csv")
    assert [e.message() for e in errs] == [
        "ERROR: subjects.csv, row 4: a cell of this row is longer than 131,072 characters (the most a cell "
        "may hold); shorten it at its source"]


def test_a_folder_that_is_an_edc_export_or_not_there_is_said_so(tmp_path):
    # was 'file not found: .../subjects.csv' only: the data manager pointed --raw at the export
    export = tmp_path / "export"
    export.mkdir()
    (export / "HER2CR_DATA_2025-12-31_1200.csv").write_text("record_id\n1\n")
    errs = fatal(export, "subjects.csv")
    assert [e.message() for e in errs] == [
        f"ERROR: subjects.csv: file not found: {export / 'subjects.csv'}; {export} holds an EDC export, not a "
        f"cut: take it in first (her2cr intake --export {export} --mapping <mapping> --cut <cut-off> --out "
        f"<folder>, or make report EXPORT={export} MAPPING=<mapping>); then give that folder as --raw"]
    gone = tmp_path / "gone"
    assert [e.message() for e in fatal(gone, "ctdna.csv")] == [
        f"ERROR: ctdna.csv: file not found: {gone / 'ctdna.csv'} (the folder {gone} does not exist)"]
    afile = tmp_path / "cut.csv"
    afile.write_text("subject_id\n")
    assert [e.message() for e in fatal(afile, "subjects.csv")] == [
        f"ERROR: subjects.csv: file not found: {afile / 'subjects.csv'} ({afile} is a file, not a folder)"]
