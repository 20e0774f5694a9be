"""Reading a laboratory's Excel workbook (.xlsx) as the CSV reader reads a CSV file: every cell a
string, rows numbered as Excel shows them.

Read with openpyxl through pandas. A cell keeps what it is: a typed date is written YYYY-MM-DD
(with its time of day, if any, HH:MM or HH:MM:SS), a number in the shortest form that reads back as
the cell's value (0.1, not 0.10000000000000001; 16.0 is 16), TRUE/FALSE as Excel shows them, an
error value as Excel shows it (#N/A); text stays as typed, so that a date typed as text
(2024/04/01) meets the same rules as in a CSV file. `Table.kinds` says which cells were typed
(date, number, ...), for messages that say what a cell is.

A title above the header is skipped (the header is the row that holds the most of the expected
column names, or else the first widest row); empty rows and columns are skipped. Merged cells that
would lose values (a header merged over columns that hold values, merged cells among the rows),
and formulas whose value was never calculated (read as empty otherwise), stop with the cells named
as Excel names them, and what to do.
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

from her2cr.intake.issues import IntakeIssue, issue
from her2cr.intake.textio import Table

ZIP, OLE2 = b"PK\x03\x04", bytes.fromhex("d0cf11e0a1b11ae1")  # .xlsx is a zip archive; .xls (97-2003) OLE2
HEADER_SEARCH = 30  # rows (non-empty) in which the header is looked for, below any title

# the kind of a typed cell, as a message names it ("" for text or an empty cell)
DATE, DATETIME, TIME, NUMBER, BOOLEAN, ERROR_VALUE = ("a date", "a date and time", "a time", "a number",
                                                     "TRUE/FALSE", "an error value")


def is_workbook(path: Path) -> bool:
    """An Excel workbook by its content, whatever its name (.xlsx, .xlsm, a .xls, or one renamed):
    a zip archive holding xl/workbook.xml, or Excel 97-2003's OLE2 file (refused with a message)."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            head = f.read(8)
        if head == OLE2:
            return True
        if head[:4] != ZIP:
            # a damaged file named as a workbook is read as one, to be named as damaged (FILE04)
            return path.suffix.lower() in (".xlsx", ".xlsm")
        with zipfile.ZipFile(path) as z:
            return "xl/workbook.xml" in z.namelist()
    except (OSError, zipfile.BadZipFile):
        return path.suffix.lower() in (".xlsx", ".xlsm", ".xls")


def sheet_label(file: str, sheet: str) -> str:
    """How issues name a sheet of a workbook: the file and the sheet ('results.xlsx, sheet Results')."""
    return f"{file}, sheet {sheet}"


def column_letter(j: int) -> str:
    """Excel's letter of the j-th column (0 -> A, 26 -> AA)."""
    s, j = "", j + 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return s


def cell_text(v, error: str = "#VALUE!") -> tuple[str, str]:
    """A cell's value as text, and its kind (module constants; '' for text or empty). `error`:
    what Excel shows for an error cell (pandas reads one as NaN)."""
    if v is None or (isinstance(v, str) and v == ""):
        return "", ""
    if isinstance(v, str):
        return v, ""
    if isinstance(v, bool | np.bool_):
        return ("TRUE" if v else "FALSE"), BOOLEAN
    if isinstance(v, dt.datetime | pd.Timestamp):
        if (v.hour, v.minute, v.second, v.microsecond) == (0, 0, 0, 0):
            return v.strftime("%Y-%m-%d"), DATE
        return v.strftime("%Y-%m-%d %H:%M" if v.second == 0 else "%Y-%m-%d %H:%M:%S"), DATETIME
    if isinstance(v, dt.date):
        return v.strftime("%Y-%m-%d"), DATE
    if isinstance(v, dt.time):
        return v.strftime("%H:%M" if v.second == 0 else "%H:%M:%S"), TIME
    if isinstance(v, dt.timedelta):  # a duration cell ([h]:mm)
        return str(v), TIME
    if isinstance(v, float | np.floating):
        if np.isnan(v):
            return error, ERROR_VALUE
        if float(v).is_integer() and abs(v) < 2**53:
            return str(int(v)), NUMBER
        # the shortest digits that read back as the same double, never in exponent form
        return np.format_float_positional(float(v), trim="-"), NUMBER
    if isinstance(v, int | np.integer):
        return str(int(v)), NUMBER
    return str(v), ""


def _open(data: bytes, name: str):
    """The workbook through pandas (openpyxl; not read-only, so that merged cells are known)."""
    try:
        # from its bytes: openpyxl refuses a workbook by its name's extension (a .txt, a .xls)
        return pd.ExcelFile(io.BytesIO(data), engine="openpyxl", engine_kwargs={"read_only": False}), []
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        old = data[:8] == OLE2
        said = ("it is an Excel 97-2003 workbook (.xls): open it in Excel and save it as an Excel "
                "Workbook (.xlsx)" if old else f"it cannot be opened as an Excel workbook ({exc.__class__.__name__}); "
                "ask the laboratory to send it again as an Excel Workbook (.xlsx), or as CSV")
        return None, [issue("FILE04", name, said)]


def _choose_sheet(names: list[str], sheet, name: str) -> tuple[str | None, list[IntakeIssue]]:
    listed = ", ".join(names)
    if sheet is None:
        if len(names) == 1:
            return names[0], []
        return None, [issue("FILE01", name, f"the workbook has {len(names)} sheets ({listed}); name the one "
                            "holding the results as lab.sheet in the mapping (e.g. `sheet: "
                            f"{names[0]}`)")]
    sheet = str(sheet)
    if sheet in names:
        return sheet, []
    folded = {n.strip().casefold(): n for n in names}
    near = [folded[n] for n in difflib.get_close_matches(sheet.strip().casefold(), list(folded), n=1, cutoff=0.6)]
    hint = f"; did you mean {near[0]!r}?" if near else ""
    return None, [issue("FILE01", name, f"the workbook has no sheet {sheet!r} (lab.sheet in the mapping); its "
                        f"sheets: {listed}{hint}")]


def _header_row(texts: list[list[str]], nonempty: list[int], expect: tuple[str, ...]) -> int:
    """The index of the header among the rows: the row holding the most expected names, or else
    (none expected, or none found) the first row at least half as wide as the widest."""
    look = nonempty[:HEADER_SEARCH]
    want = {e.strip() for e in expect if e}
    if want:
        hits = [sum(c.strip() in want for c in texts[i]) for i in look]
        if max(hits, default=0) > 0:
            return look[hits.index(max(hits))]
    # a title has a cell or two; a row of notes may be wider than the header: the first row at
    # least half as wide as the widest
    widths = [sum(c.strip() != "" for c in texts[i]) for i in look]
    least = max(2, -(-max(widths) // 2))
    return next((i for i, w in zip(look, widths) if w >= least), look[0])


def _merged_filled(texts: list[list[str]], ranges) -> list[list[str]]:
    """The first rows with each merged range's value in all of its cells (as the eye reads a
    two-row header), to look for the header in."""
    top = [list(r) for r in texts[:HEADER_SEARCH * 2]]
    for rng in ranges:
        if rng.min_row > len(top):
            continue
        v = texts[rng.min_row - 1][rng.min_col - 1] if rng.min_col - 1 < len(texts[0]) else ""
        for i in range(rng.min_row - 1, min(rng.max_row, len(top))):
            for j in range(rng.min_col - 1, min(rng.max_col, len(top[i]))):
                top[i][j] = v
    return top


def _uncalculated(data: bytes, sheet: str, texts: list[list[str]]) -> list[tuple[int, int]]:
    """The cells (row, column index) holding a formula whose value was never calculated: a
    workbook written by a program and never opened in Excel keeps no value for them, and pandas
    (reading values, not formulas) sees an empty cell."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        if not any(b"<f" in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/sheet")):
            return []  # no formula at all: the usual case, and no second reading
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        out = []
        for i, row in enumerate(wb[sheet].iter_rows(values_only=True)):
            for j, v in enumerate(row):
                formula = getattr(v, "text", v)  # an array formula is an object
                if isinstance(formula, str) and formula.startswith("=") and \
                        (i >= len(texts) or j >= len(texts[i]) or texts[i][j] == ""):
                    out.append((i, j))
        return out
    finally:
        wb.close()


def read_workbook(path, sheet=None, expect: tuple[str, ...] = (), keep=None
                  ) -> tuple[Table | None, list[IntakeIssue]]:
    """Read one sheet of an .xlsx workbook as strings, as textio.read_table reads a CSV file.

    sheet: its name; None for the only sheet (several: an error that lists them). expect: column
    names the header should hold (to find it below a title). keep(header) -> columns: keep only
    these. Returns a Table whose name is 'file, sheet S' (how issues name it), rows as Excel shows
    them, and `kinds` (column -> the kind of each typed cell, '' for text or empty)."""
    path = Path(path)
    data = path.read_bytes() if path.is_file() else b""
    xl, issues = _open(data, path.name)
    if xl is None:
        return None, issues
    try:
        chosen, issues = _choose_sheet(list(xl.sheet_names), sheet, path.name)
        if chosen is None:
            return None, issues
        label = sheet_label(path.name, chosen)
        ws = xl.book[chosen]
        raw = xl.parse(chosen, header=None, dtype=object, na_filter=False)
    finally:
        xl.close()
    values = raw.to_numpy(dtype=object)
    n_rows, n_cols = values.shape
    texts = [[""] * n_cols for _ in range(n_rows)]
    kinds = [[""] * n_cols for _ in range(n_rows)]
    for i in range(n_rows):
        for j in range(n_cols):
            v = values[i, j]
            err = "#VALUE!"
            if isinstance(v, float) and np.isnan(v):  # pandas reads an error cell as NaN: take Excel's text
                err = str(ws.cell(row=i + 1, column=j + 1).value or err)
            texts[i][j], kinds[i][j] = cell_text(v, err)
    blank = _uncalculated(data, chosen, texts)
    if blank:
        cells = ", ".join(f"{column_letter(j)}{i + 1}" for i, j in blank[:5]) + (", ..." if len(blank) > 5 else "")
        return None, [issue("FILE04", label, f"{len(blank)} cell{'s hold formulas' if len(blank) > 1 else ' holds a formula'} "
                            f"whose value was never calculated ({cells}): the workbook was written by a program and "
                            "not opened in Excel since, and they would read as empty. Open it in Excel and save it, or "
                            "ask the laboratory to send the values", row=blank[0][0] + 1)]
    nonempty = [i for i in range(n_rows) if any(c.strip() for c in texts[i])]
    if not nonempty:
        return None, [issue("FILE04", label, "the sheet is empty; a header row is required. Ask the laboratory "
                            "to send the file again")]
    h = _header_row(_merged_filled(texts, ws.merged_cells.ranges), nonempty, expect)
    hrow = h + 1  # as Excel numbers rows
    # merged cells: a range over the header from above (a two-row header) gives the header its
    # value; one across header columns that hold values, or among the rows, would lose values
    filled = {}
    for rng in sorted(ws.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col)):
        if rng.max_row < hrow:
            continue  # a title's merged cells
        first = rng.coord.split(":")[0]
        if rng.min_row > hrow or rng.max_row > hrow:
            issues.append(issue("FILE04", label, f"cells {rng.coord} are merged: Excel keeps the value in {first} "
                                "only, and the other cells have none; unmerge them and fill the value into every "
                                "cell (or ask the laboratory to send the file unmerged)", row=max(rng.min_row, hrow)))
            continue
        j0 = rng.min_col - 1
        filled[j0] = texts[rng.min_row - 1][j0]  # a name merged down from a row above the header
        others = range(rng.min_col, min(rng.max_col, n_cols))
        unnamed = [column_letter(j) for j in others if any(texts[i][j].strip() for i in range(h + 1, n_rows))]
        if unnamed:
            issues.append(issue("FILE04", label, f"header cells {rng.coord} are merged ({filled[j0]!r}, header row "
                                f"{hrow}), so column{'s' if len(unnamed) > 1 else ''} {', '.join(unnamed)} "
                                f"{'have' if len(unnamed) > 1 else 'has'} no name but hold{'' if len(unnamed) > 1 else 's'} "
                                "values: each column needs its own name in one cell; unmerge them in Excel (Home > "
                                "Merge & Center) and name every column", row=hrow))
    if issues:
        return None, issues
    head = [filled.get(j, texts[h][j]).strip() for j in range(n_cols)]
    data_rows = [i for i in nonempty if i > h]
    used = [j for j in range(n_cols) if head[j] or any(texts[i][j].strip() for i in data_rows)]
    seen = set()
    for j in used:
        if head[j] == "":
            first = next(i for i in data_rows if texts[i][j].strip())
            issues.append(issue("FILE04", label, f"header cell {column_letter(j)}{hrow} is empty, but column "
                                f"{column_letter(j)} holds values (first at row {first + 1}); every column needs a "
                                "name: name it, or delete the column", row=hrow))
        elif head[j] in seen:
            issues.append(issue("FILE04", label, f"column {head[j]!r} appears twice in the header (again in "
                                f"{column_letter(j)}{hrow})", row=hrow, field=head[j]))
        seen.add(head[j])
    if issues:
        return None, issues
    if not data_rows:
        return None, [issue("FILE04", label, f"the sheet has a header (row {hrow}) but no rows; ask the "
                            "laboratory to send the file again", row=hrow)]
    names = [head[j] for j in used]
    wanted = set(names if keep is None else keep(names))
    chosen_cols = [j for j in used if head[j] in wanted]
    frame = pd.DataFrame({head[j]: [texts[i][j] for i in data_rows] for j in chosen_cols},
                         columns=[head[j] for j in chosen_cols], dtype=object)
    kind_frame = pd.DataFrame({head[j]: [kinds[i][j] for i in data_rows] for j in chosen_cols},
                              columns=[head[j] for j in chosen_cols], dtype=object)
    rows = np.asarray([i + 1 for i in data_rows], dtype=np.int64)
    return Table(label, frame.astype("string[pyarrow]"), rows, names, kinds=kind_frame,
                 letters={head[j]: column_letter(j) for j in used}), []
