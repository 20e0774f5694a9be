"""The laboratory workbook reader (her2cr/intake/workbook.py): cells as text as a CSV file holds
them, rows as Excel shows them, and the damage a spreadsheet brings named at its cells."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from her2cr.intake.workbook import cell_text, column_letter, read_workbook

HEADER = ["PATIENT_ID", "SPECIMEN_ID", "COLLECTION_DATE", "MTM_PER_ML", "PANEL_SIZE"]


def book(path, rows, merges=(), sheets=None, title="Results"):
    """A workbook of one sheet `title` holding rows (lists; None for an empty cell) from A1, and
    more sheets {name: rows}."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for r in rows:
        ws.append(r)
    for m in merges:
        ws.merge_cells(m)
    for name, more in (sheets or {}).items():
        extra = wb.create_sheet(name)
        for r in more:
            extra.append(r)
    wb.save(path)
    return path


ROWS = [HEADER,
        ["HCR-001", "S-0001", dt.datetime(2024, 4, 1), 0.1, 16.0],
        ["HCR-001", "S-0002", dt.date(2024, 7, 2), 12.34, 16]]


def read(path, **kw):
    t, issues = read_workbook(path, **kw)
    return t, [i.line() for i in issues]


def test_typed_cells_are_written_as_their_values(tmp_path):
    """A typed date is YYYY-MM-DD; 0.1 is 0.1 (not 0.10000000000000001); 16.0 is 16; the kind of
    each typed cell is kept for messages; rows as Excel numbers them."""
    t, issues = read(book(tmp_path / "lab.xlsx", ROWS))
    assert issues == []
    assert t.name == "lab.xlsx, sheet Results"
    assert t.header == HEADER
    assert t.frame.astype(str).values.tolist() == [["HCR-001", "S-0001", "2024-04-01", "0.1", "16"],
                                                   ["HCR-001", "S-0002", "2024-07-02", "12.34", "16"]]
    assert t.rows.tolist() == [2, 3]
    assert t.kinds.values.tolist() == [["", "", "a date", "a number", "a number"],
                                       ["", "", "a date", "a number", "a number"]]
    assert t.letters["MTM_PER_ML"] == "D"


@pytest.mark.parametrize("value, text, kind", [
    (0.1, "0.1", "a number"), (16.0, "16", "a number"), (0.30000000000000004, "0.30000000000000004", "a number"),
    (1e-05, "0.00001", "a number"), (1234567.5, "1234567.5", "a number"), (-3, "-3", "a number"),
    (dt.datetime(2024, 4, 1, 9, 30), "2024-04-01 09:30", "a date and time"),
    (dt.datetime(2024, 4, 1, 9, 30, 5), "2024-04-01 09:30:05", "a date and time"),
    (True, "TRUE", "TRUE/FALSE"), ("2024/04/01", "2024/04/01", ""), ("0.10", "0.10", ""), (None, "", ""),
])
def test_cell_text(value, text, kind):
    assert cell_text(value) == (text, kind)


def test_a_date_typed_as_text_stays_text(tmp_path):
    rows = [HEADER, ["HCR-001", "S-0001", "2024/04/01", "0.10", "16"]]
    t, _ = read(book(tmp_path / "lab.xlsx", rows))
    assert t.frame["COLLECTION_DATE"].iat[0] == "2024/04/01" and t.kinds["COLLECTION_DATE"].iat[0] == ""
    assert t.frame["MTM_PER_ML"].iat[0] == "0.10"


def test_an_error_cell_reads_as_excel_shows_it(tmp_path):
    t, _ = read(book(tmp_path / "lab.xlsx", [HEADER, ["HCR-001", "S-0001", "#N/A", 1, 2]]))
    assert t.frame["COLLECTION_DATE"].iat[0] == "#N/A" and t.kinds["COLLECTION_DATE"].iat[0] == "an error value"


def test_a_title_above_the_header_is_skipped_and_rows_keep_excel_numbers(tmp_path):
    rows = [["Signatera results, Natera"], ["Report of 2025-12-31"], [], HEADER, ROWS[1], [], ROWS[2]]
    for expect in ((), ("SPECIMEN_ID", "RESULT")):
        t, issues = read(book(tmp_path / "lab.xlsx", rows), expect=expect)
        assert issues == [] and t.header == HEADER
        assert t.rows.tolist() == [5, 7]


def test_a_header_merged_down_from_a_group_row_takes_its_name(tmp_path):
    """Two header rows: 'Result' over MTM/panel (merged across), identifiers merged down."""
    rows = [["PATIENT_ID", "SPECIMEN_ID", "COLLECTION_DATE", "Result", None],
            [None, None, None, "MTM_PER_ML", "PANEL_SIZE"], ROWS[1], ROWS[2]]
    t, issues = read(book(tmp_path / "lab.xlsx", rows, merges=["A1:A2", "B1:B2", "C1:C2", "D1:E1"]),
                     expect=("PATIENT_ID", "SPECIMEN_ID", "MTM_PER_ML", "PANEL_SIZE"))
    assert issues == [] and t.header == HEADER and t.rows.tolist() == [3, 4]


def test_a_merged_header_over_columns_with_values_is_named(tmp_path):
    rows = [["PATIENT_ID", "SPECIMEN_ID", "COLLECTION_DATE", "MTM", None], ROWS[1], ROWS[2]]
    t, issues = read(book(tmp_path / "lab.xlsx", rows, merges=["D1:E1"]))
    assert t is None
    assert issues == ["ERROR FILE04: lab.xlsx, sheet Results row 1: header cells D1:E1 are merged ('MTM', header "
                      "row 1), so column E has no name but holds values: each column needs its own name in one "
                      "cell; unmerge them in Excel (Home > Merge & Center) and name every column"]


def test_merged_cells_among_the_rows_are_named_without_their_value(tmp_path):
    rows = [HEADER, ROWS[1], [None] + ROWS[2][1:]]
    t, issues = read(book(tmp_path / "lab.xlsx", rows, merges=["A2:A3"]))
    assert issues == ["ERROR FILE04: lab.xlsx, sheet Results row 2: cells A2:A3 are merged: Excel keeps the value "
                      "in A2 only, and the other cells have none; unmerge them and fill the value into every cell "
                      "(or ask the laboratory to send the file unmerged)"]
    assert "HCR-001" not in issues[0]


def test_empty_trailing_rows_and_columns_are_skipped(tmp_path):
    path = book(tmp_path / "lab.xlsx", ROWS)
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    ws["G1"] = "   "           # a header cell holding a space, over an empty column
    ws["A9"] = ""              # a cell touched further down
    ws["H12"].number_format = "0.00"  # a formatted, empty cell
    wb.save(path)
    t, issues = read(path)
    assert issues == [] and t.header == HEADER and t.rows.tolist() == [2, 3]


def test_an_unnamed_column_with_values_is_named_by_its_letter(tmp_path):
    rows = [HEADER, ROWS[1] + [None, "note"], ROWS[2]]
    t, issues = read(book(tmp_path / "lab.xlsx", rows))
    assert issues == ["ERROR FILE04: lab.xlsx, sheet Results row 1: header cell G1 is empty, but column G holds "
                      "values (first at row 2); every column needs a name: name it, or delete the column"]


def test_several_sheets_need_lab_sheet(tmp_path):
    path = book(tmp_path / "lab.xlsx", ROWS, sheets={"Notes": [["read me"]]})
    t, issues = read(path)
    assert t is None and issues == [
        "ERROR FILE01: lab.xlsx: the workbook has 2 sheets (Results, Notes); name the one holding the results as "
        "lab.sheet in the mapping (e.g. `sheet: Results`)"]
    t, issues = read(path, sheet="Results")
    assert issues == [] and t.rows.tolist() == [2, 3]


def test_a_missing_sheet_is_named_with_the_sheets(tmp_path):
    path = book(tmp_path / "lab.xlsx", ROWS, sheets={"Notes": [["read me"]]})
    _, issues = read(path, sheet="results")
    assert issues == ["ERROR FILE01: lab.xlsx: the workbook has no sheet 'results' (lab.sheet in the mapping); its "
                      "sheets: Results, Notes; did you mean 'Results'?"]
    assert read(path, sheet="Result")[1][0].endswith("did you mean 'Results'?")
    assert read(path, sheet="Summary")[1][0].endswith("its sheets: Results, Notes")


def test_an_empty_sheet_a_header_alone_and_a_file_that_is_no_workbook(tmp_path):
    assert read(book(tmp_path / "a.xlsx", []))[1] == [
        "ERROR FILE04: a.xlsx, sheet Results: the sheet is empty; a header row is required. Ask the laboratory to "
        "send the file again"]
    assert read(book(tmp_path / "b.xlsx", [HEADER]))[1] == [
        "ERROR FILE04: b.xlsx, sheet Results row 1: the sheet has a header (row 1) but no rows; ask the laboratory "
        "to send the file again"]
    (tmp_path / "c.xlsx").write_text("PATIENT_ID,SPECIMEN_ID\n", encoding="utf-8")
    assert read(tmp_path / "c.xlsx")[1] == [
        "ERROR FILE04: c.xlsx: it cannot be opened as an Excel workbook (BadZipFile); ask the laboratory to send "
        "it again as an Excel Workbook (.xlsx), or as CSV"]


def test_keep_reads_only_the_columns_asked_for(tmp_path):
    t, _ = read(book(tmp_path / "lab.xlsx", ROWS), keep=lambda names: ["SPECIMEN_ID"])
    assert list(t.frame) == ["SPECIMEN_ID"] and t.header == HEADER


def test_column_letters():
    assert [column_letter(j) for j in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


def test_a_workbook_is_known_by_its_content_whatever_its_name(tmp_path):
    from her2cr.intake.workbook import is_workbook

    book(tmp_path / "results.txt", ROWS)
    (tmp_path / "results.xlsx.csv").write_text(",".join(HEADER) + "\n", encoding="utf-8")
    (tmp_path / "old.xls").write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 512)
    assert is_workbook(tmp_path / "results.txt") and not is_workbook(tmp_path / "results.xlsx.csv")
    assert is_workbook(tmp_path / "old.xls")
    assert read(tmp_path / "results.txt")[0].rows.tolist() == [2, 3]
    assert read(tmp_path / "old.xls")[1] == [
        "ERROR FILE04: old.xls: it is an Excel 97-2003 workbook (.xls): open it in Excel and save it as an Excel "
        "Workbook (.xlsx)"]


def test_a_formula_never_calculated_is_named_not_read_as_empty(tmp_path):
    """openpyxl (as a laboratory's program might) writes a formula without its value: pandas would
    read an empty cell. A formula Excel has calculated keeps its value and is read."""
    rows = [HEADER, ROWS[1][:4] + ["=8*2"], ROWS[2][:4] + ["=8*2"]]
    _, issues = read(book(tmp_path / "lab.xlsx", rows))
    assert issues == ["ERROR FILE04: lab.xlsx, sheet Results row 2: 2 cells hold formulas whose value was never "
                      "calculated (E2, E3): the workbook was written by a program and not opened in Excel since, "
                      "and they would read as empty. Open it in Excel and save it, or ask the laboratory to send "
                      "the values"]


def test_a_formula_with_its_calculated_value_is_read_as_the_value(tmp_path):
    """As Excel saves it: the formula and its last value (<v>16</v>) in the cell."""
    import zipfile

    path = book(tmp_path / "f.xlsx", [HEADER, ROWS[1][:4] + ["=8*2"]])
    parts = {}
    with zipfile.ZipFile(path) as z:
        for n in z.namelist():
            parts[n] = z.read(n)
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(b"<f>8*2</f><v></v>",
                                                                                  b"<f>8*2</f><v>16</v>")
    with zipfile.ZipFile(path, "w") as z:
        for n, b in parts.items():
            z.writestr(n, b)
    t, issues = read(path)
    assert issues == [] and t.frame["PANEL_SIZE"].tolist() == ["16"]
