"""The laboratory file as an Excel workbook (issue 24, item 4): every laboratory rule says the
same as for the CSV file, naming the sheet and the row as Excel shows it; a typed cell is named
for what it is; the synthetic export's workbook gives the same cut, byte for byte."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import time

import openpyxl
import pandas as pd
import pytest

from her2cr.intake.issues import IntakeFailed
from her2cr.intake.run import intake
from her2cr.intake.workbook_writer import write_workbook
from tests.intake import export as X
from tests.intake.test_intake import CASES, CUT, L, M, errors, run_ok

CSV_LAB = X.LAB_NAME
XLSX_LAB = X.LAB_NAME.replace(".csv", ".xlsx")
SHEET = f"{XLSX_LAB}, sheet Results"
DATES, INTEGERS = ("COLLECTION_DATE", "REPORT_DATE"), ("VARIANTS_DETECTED", "PANEL_SIZE")


def as_workbook(mapping: str) -> str:
    assert "  file: Signatera_results_*.csv\n" in mapping
    return mapping.replace("  file: Signatera_results_*.csv\n", "  file: Signatera_results_*.xlsx\n")


def workbook_errors(tmp_path, lab=L, mapping=M, title=(), edit=None) -> list[str]:
    """The export of tests/intake/export.py with its laboratory file as a workbook (dates and
    counts typed, as a laboratory's workbook has them), `title` rows above the header and
    edit(worksheet) to damage it: the intake's errors."""
    e, mp = X.write_export(tmp_path, mapping=as_workbook(mapping))
    _write(e, lab, title, edit)
    with pytest.raises(IntakeFailed) as info:
        intake(e, mp, CUT, tmp_path / "raw")
    assert not (tmp_path / "raw").exists()
    return [i.line() for i in info.value.errors]


def _write(e, lab, title=(), edit=None):
    (e / CSV_LAB).unlink()
    rows = list(csv.reader(io.StringIO(lab)))
    frame = pd.DataFrame(rows[1:], columns=rows[0], dtype=object)
    path = write_workbook(frame, e / XLSX_LAB, dates=DATES, integers=INTEGERS)
    if title or edit:
        wb = openpyxl.load_workbook(path)
        ws = wb.active
        if title:
            ws.insert_rows(1, len(title))
            for k, t in enumerate(title, start=1):
                ws.cell(row=k, column=1, value=t or None)
        if edit:
            edit(ws)
        wb.save(path)


def workbook_ok(tmp_path, lab=L, mapping=M, title=(), edit=None):
    e, mp = X.write_export(tmp_path, mapping=as_workbook(mapping))
    _write(e, lab, title, edit)
    intake(e, mp, CUT, tmp_path / "raw")
    return tmp_path / "raw"


# every case of test_intake.py that damages the laboratory file's cells (not its CSV form)
LAB_CASES = [c for c, (kw, want) in CASES.items()
             if "lab" in kw and not any(w.split()[1].startswith(("FILE", "MAP")) for w in want)]


def test_the_parity_cases_cover_the_laboratory_rules():
    rules = {w.split()[1].rstrip(":") for c in LAB_CASES for w in CASES[c][1]}
    assert {"LAB01", "LAB03", "LAB06", "LAB07", "LAB08", "REC01", "REC03", "REC04", "REC06", "EDC03",
            "EDC04"} <= rules


@pytest.mark.parametrize("case", LAB_CASES)
def test_each_laboratory_rule_says_the_same_for_a_workbook_naming_its_sheet(tmp_path, case):
    """The CSV case's messages, the file named as 'file.xlsx, sheet Results' (no title above the
    header: Excel's rows are the CSV file's)."""
    kw, want = CASES[case]
    got = workbook_errors(tmp_path, lab=kw["lab"], mapping=kw.get("mapping", M))
    assert got == [w.replace(f"{CSV_LAB} row", f"{SHEET} row") for w in want]


TITLE = ["Signatera (Natera) results, HER2 CR", ""]  # rows 1-2: the header is row 3, S-0002 row 5


def test_rows_are_named_as_excel_shows_them_below_a_title(tmp_path):
    got = workbook_errors(tmp_path, lab=L.replace("DETECTED,0.35", "POS,0.35") + L.splitlines()[1] + "\n",
                          title=TITLE)
    assert got == [
        f"ERROR LAB03: {SHEET} row 7 (record HCR-001), field SPECIMEN_ID: sample S-0001 is given again (first at row "
        "4); if the file resends corrected results, declare lab.corrections (keep: newest, by: <report date "
        "column>); otherwise ask the laboratory",
        f"ERROR LAB01: {SHEET} row 5 (record HCR-002), field RESULT: result 'POS' has no entry in lab.result_codes "
        "(DETECTED, NOT DETECTED, QNS, TEST FAILED); add it, mapped to POSITIVE, NEGATIVE, QNS or FAILED"]


def test_a_date_typed_as_text_is_the_same_error_as_in_csv(tmp_path):
    got = workbook_errors(tmp_path, lab=L.replace("S-0002,2024-06-03", "S-0002,2024/06/03"), title=TITLE)
    assert got == [
        f"ERROR EDC03: {SHEET} row 5 (record HCR-002), field COLLECTION_DATE: date '2024/06/03' is not written "
        "YYYY-MM-DD; the intake never guesses a format: ask the laboratory to correct it and send the file again"]


def test_typed_dates_and_counts_give_the_csv_files_cut(tmp_path):
    raw = workbook_ok(tmp_path / "xlsx", title=TITLE)
    plain, _ = run_ok(tmp_path / "csv")
    for name in ("subjects.csv", "ctdna.csv"):
        assert (raw / name).read_bytes() == (plain / name).read_bytes()
    issues = pd.read_csv(raw / "intake_issues.csv", dtype=str, keep_default_na=False)
    assert issues[["rule", "file", "row"]].values.tolist() == [["LAB02", SHEET, "6"]]


def _cell(column: str, sample: str):
    """The cell of column at sample's row (a workbook written without a title: header row 1)."""
    def edit(ws):
        header = [c.value for c in ws[1]]
        row = next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=2).value == sample)
        return ws.cell(row=row, column=header.index(column) + 1)
    return edit


def test_a_cell_excel_turned_into_a_date_is_named_so(tmp_path):
    """'1.10' typed into Excel becomes 10 January: not a number, and the message says the cell is a date."""
    got = workbook_errors(tmp_path, edit=lambda ws: setattr(_cell("MTM_PER_ML", "S-0002")(ws), "value",
                                                           dt.datetime(2024, 1, 10)))
    assert got == [
        f"ERROR EDC04: {SHEET} row 3 (record HCR-002), field MTM_PER_ML: '2024-01-10' (the cell is a date) is not "
        "a number (decimal point '.'); ask the laboratory to correct it and send the file again"]


def test_a_date_held_as_a_number_is_named_so(tmp_path):
    """A date cell formatted General shows Excel's serial number (45446 is 2024-06-03)."""
    def edit(ws):
        cell = _cell("COLLECTION_DATE", "S-0002")(ws)
        cell.value, cell.number_format = 45446, "General"
    got = workbook_errors(tmp_path, edit=edit)
    assert got == [
        f"ERROR EDC03: {SHEET} row 3 (record HCR-002), field COLLECTION_DATE: date '45446' (the cell is a number) "
        "is not written YYYY-MM-DD; the intake never guesses a format: ask the laboratory to correct it and send "
        "the file again"]


def test_a_date_with_a_time_of_day_is_named_so(tmp_path):
    got = workbook_errors(tmp_path, edit=lambda ws: setattr(_cell("COLLECTION_DATE", "S-0002")(ws), "value",
                                                           dt.datetime(2024, 6, 3, 9, 30)))
    assert got == [
        f"ERROR EDC03: {SHEET} row 3 (record HCR-002), field COLLECTION_DATE: date '2024-06-03 09:30' (the cell is "
        "a date and time) is not written YYYY-MM-DD; the intake never guesses a format: ask the laboratory to "
        "correct it and send the file again"]


def test_an_error_cell_is_a_failed_formula_of_the_workbook(tmp_path):
    got = workbook_errors(tmp_path, edit=lambda ws: setattr(_cell("MTM_PER_ML", "S-0002")(ws), "value", "#N/A"))
    assert got == [
        f"ERROR EDC06: {SHEET} row 3 (record HCR-002), field MTM_PER_ML: '#N/A' (the cell is an error value) is a "
        "spreadsheet's error value, not a number (decimal point '.'): a formula of the laboratory's workbook "
        "failed; ask the laboratory to correct it and send the file again"]


def test_a_typed_count_and_a_typed_version_number_are_read_as_written(tmp_path):
    """16.0 typed is 16; a resend ordered by a typed version number (1, 2) keeps the newest."""
    lab = X.LAB_HEADER.replace("REPORT_DATE", "VERSION") + "\n" + "\n".join(
        line.rsplit(",", 1)[0] + ",1" for line in X.LAB) + "\n" + X.LAB[1].rsplit(",", 1)[0] + ",2\n"

    def edit(ws):
        ws["G2"].value = 16.0
        ws["H5"].value = 2.0
    raw = workbook_ok(tmp_path / "xlsx", lab=lab, edit=edit, mapping=M.replace(
        "  mtm_qualifiers:", "  corrections: {keep: newest, by: VERSION}\n  mtm_qualifiers:"))
    plain, _ = run_ok(tmp_path / "csv")
    assert (raw / "ctdna.csv").read_bytes() == (plain / "ctdna.csv").read_bytes()


def test_a_missing_column_names_the_sheet(tmp_path):
    got = workbook_errors(tmp_path, lab=L.replace("PANEL_SIZE", "PANEL"))
    assert got == [
        f"ERROR FILE06: {SHEET} row 1, field PANEL_SIZE: column PANEL_SIZE (named in the mapping's lab section) is "
        "not in the laboratory file (its columns: PATIENT_ID, SPECIMEN_ID, COLLECTION_DATE, RESULT, MTM_PER_ML, "
        "VARIANTS_DETECTED, PANEL, REPORT_DATE); correct the mapping"]


def test_two_sheets_and_lab_sheet(tmp_path):
    got = workbook_errors(tmp_path, edit=lambda ws: ws.parent.create_sheet("Notes"))
    assert got == [f"ERROR FILE01: {XLSX_LAB}: the workbook has 2 sheets (Results, Notes); name the one holding "
                   "the results as lab.sheet in the mapping (e.g. `sheet: Results`)"]
    raw = workbook_ok(tmp_path / "named", mapping=M.replace("  layout: sample", "  sheet: Results\n  layout: sample"),
                      edit=lambda ws: ws.parent.create_sheet("Notes", 0))
    assert (raw / "ctdna.csv").is_file()


def test_lab_sheet_for_a_csv_file_is_named_at_its_line(tmp_path):
    got = errors(tmp_path, mapping=M.replace("  layout: sample", "  sheet: Results\n  layout: sample"))
    assert got == ["ERROR MAP03: mapping.yml line 43, field lab.sheet: lab.sheet names a sheet, but "
                   f"{CSV_LAB} is not an Excel workbook (.xlsx); delete lab.sheet, or name the workbook in lab.file"]


def test_a_merged_header_is_named(tmp_path):
    def edit(ws):
        ws["E1"].value = "MTM"
        ws.merge_cells("E1:F1")
    got = workbook_errors(tmp_path, edit=edit)
    assert got == [f"ERROR FILE04: {SHEET} row 1: header cells E1:F1 are merged ('MTM', header row 1), so column F "
                   "has no name but holds values: each column needs its own name in one cell; unmerge them in Excel "
                   "(Home > Merge & Center) and name every column"]


def test_the_synthetic_export_as_a_workbook_gives_the_same_cut_byte_for_byte(tmp_path):
    from her2cr.data.synth import generate
    from her2cr.intake.synthetic import build_export, write_export

    data = generate(n=50, cut=CUT)
    cuts = {}
    for fmt in ("csv", "xlsx"):
        export = tmp_path / f"export-{fmt}"
        write_export(build_export(data, lab_format=fmt), export)
        intake(export, export / "mapping.yml", CUT, tmp_path / f"raw-{fmt}")
        cuts[fmt] = tmp_path / f"raw-{fmt}"
    lab = tmp_path / "export-xlsx" / f"Signatera_results_{CUT}.xlsx"
    assert lab.is_file() and not (tmp_path / "export-xlsx" / f"Signatera_results_{CUT}.csv").exists()
    wb = openpyxl.load_workbook(lab)  # a workbook with typed dates and counts, MTM/mL as text
    assert wb.sheetnames == ["Results"]
    assert isinstance(wb.active["D2"].value, dt.datetime) and isinstance(wb.active["I2"].value, int)
    assert "  sheet: Results\n" in (tmp_path / "export-xlsx" / "mapping.yml").read_text(encoding="utf-8")
    for name in ("subjects.csv", "ctdna.csv"):
        assert (cuts["xlsx"] / name).read_bytes() == (cuts["csv"] / name).read_bytes(), name
    # the same options give the same bytes (the workbook's time stamps are fixed)
    first = hashlib.sha256(lab.read_bytes()).hexdigest()
    time.sleep(1.1)
    write_export(build_export(data, lab_format="xlsx"), tmp_path / "again")
    assert hashlib.sha256((tmp_path / "again" / lab.name).read_bytes()).hexdigest() == first


def test_a_one_row_per_test_workbook_gives_the_csv_files_cut(tmp_path):
    """lab.layout sample_test, the workbook below a title: the cut of the same file as CSV, and
    its rows (sources.csv) as Excel shows them, two below the CSV file's."""
    per_test = "\n".join(X.per_test_lab()) + "\n"
    raw = workbook_ok(tmp_path / "xlsx", lab=per_test, mapping=X.per_test_mapping(), title=TITLE)
    plain, _ = run_ok(tmp_path / "csv", lab=per_test, mapping=X.per_test_mapping())
    for name in ("subjects.csv", "ctdna.csv"):
        assert (raw / name).read_bytes() == (plain / name).read_bytes()
    src = [pd.read_csv(p / "sources.csv", dtype=str) for p in (raw, plain)]
    lab = [s.loc[s["origin"].str.startswith("lab"), "source_row"].astype(int).tolist() for s in src]
    assert lab[0] == [r + 2 for r in lab[1]] and lab[1]


def test_one_row_per_test_a_resend_and_an_unknown_test_code_below_a_title(tmp_path):
    """LAB04 (a warning) and LAB05 at the rows Excel shows: the CSV file's rows 14, two lower."""
    rows = X.per_test_lab()
    mapping = X.per_test_mapping(M, extra="  corrections: {keep: newest, by: REPORT_DATE}\n")
    resent = "\n".join(rows + ["HCR-002,S-0002,2024-06-03,SIG_MTM,0.42,2024-07-01"]) + "\n"
    raw = workbook_ok(tmp_path / "ok", lab=resent, mapping=mapping, title=TITLE)
    issues = pd.read_csv(raw / "intake_issues.csv", dtype=str, keep_default_na=False)
    lab04 = issues.loc[issues["rule"] == "LAB04"]
    assert lab04[["file", "row", "message"]].values.tolist() == [
        [SHEET, "9", "sample and test S-0002: this result (REPORT_DATE '2024-06-20') was replaced by the newer one "
                     "at row 16"]]
    bad = "\n".join(rows + ["HCR-002,S-0002,2024-06-03,SIG_XX,1,2024-07-01"]) + "\n"
    assert workbook_errors(tmp_path / "bad", lab=bad, mapping=mapping, title=TITLE) == [
        f"ERROR LAB05: {SHEET} row 16, field TEST_CODE: test code 'SIG_XX' has no entry in lab.tests.codes "
        "(SIG_CALL, SIG_MTM, SIG_VAR, SIG_PANEL); add it (or ask the laboratory)"]


def test_a_row_without_a_sample_id_below_a_title(tmp_path):
    got = workbook_errors(tmp_path, lab=L.replace("HCR-002,S-0002,", "HCR-002,,"), title=TITLE)
    assert got == [f"ERROR LAB09: {SHEET} row 5 (record HCR-002), field SPECIMEN_ID: the row has no sample ID "
                   "(SPECIMEN_ID); ask the laboratory to complete it and send the file again"]


def test_one_row_per_test_a_value_excel_turned_into_a_date_is_named_so(tmp_path):
    """The value column holds every test: the MTM/mL cell of S-0002 typed as a date is named so,
    at the row the CSV file's message names."""
    per_test = "\n".join(X.per_test_lab()) + "\n"
    csv_msg = errors(tmp_path / "csv", lab=per_test.replace("SIG_MTM,0.35", "SIG_MTM,2024-01-10"),
                     mapping=X.per_test_mapping())

    def edit(ws):
        row = next(r for r in range(2, ws.max_row + 1)
                   if (ws.cell(row=r, column=2).value, ws.cell(row=r, column=4).value) == ("S-0002", "SIG_MTM"))
        ws.cell(row=row, column=5).value = dt.datetime(2024, 1, 10)
    got = workbook_errors(tmp_path / "xlsx", lab=per_test, mapping=X.per_test_mapping(), edit=edit)
    assert got == [m.replace(f"{CSV_LAB} row", f"{SHEET} row").replace("'2024-01-10' is", "'2024-01-10' (the cell is "
                                                                        "a date) is") for m in csv_msg]
    assert len(got) == 1 and "(the cell is a date)" in got[0]


def test_the_command_line_writes_the_workbook_and_its_mapping(tmp_path):
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "her2cr", "synth", "--export", str(tmp_path / "e"), "--n", "20",
                        "--lab-format", "xlsx"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "e" / "Signatera_results_2025-12-31.xlsx").is_file()
    assert "file: Signatera_results_2025-12-31.xlsx" in (tmp_path / "e" / "mapping.yml").read_text(encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "her2cr", "intake", "--export", str(tmp_path / "e"), "--mapping",
                        str(tmp_path / "e" / "mapping.yml"), "--cut", CUT, "--out", str(tmp_path / "raw")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


def test_a_damaged_workbook_named_by_lab_sheet_is_named_as_damaged(tmp_path):
    # a truncated .xlsx (no zip signature left) with lab.sheet in the mapping was MAP03 'is not an
    # Excel workbook (.xlsx); delete lab.sheet', which sent the data manager to the mapping
    mapping = as_workbook(M).replace("  file: Signatera_results_*.xlsx\n",
                                     "  file: Signatera_results_*.xlsx\n  sheet: Results\n")
    e, mp = X.write_export(tmp_path, mapping=mapping)
    _write(e, L)
    (e / XLSX_LAB).write_bytes(b"PATIENT_ID,SPECIMEN_ID\r\n")
    with pytest.raises(IntakeFailed) as info:
        intake(e, mp, CUT, tmp_path / "raw")
    assert [i.line() for i in info.value.errors] == [
        f"ERROR FILE04: {XLSX_LAB}: it cannot be opened as an Excel workbook (BadZipFile); ask the laboratory "
        "to send it again as an Excel Workbook (.xlsx), or as CSV"]
