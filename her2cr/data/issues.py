"""Data issues (queries): one record per problem found in a raw export.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first record row 2.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

ERROR = "error"  # the cut cannot be analysed until this is fixed
WARNING = "warning"  # analysed, with the action stated; a query for the site
INFO = "info"  # noted (e.g. respelled value, record after the cut-off); no query needed

COLUMNS = ("file", "row", "subject_id", "column", "value", "rule", "severity", "action")
# the listing's last column when a row names where its value came from in the export (a cut taken
# in by `her2cr intake`): a cut given in the contract's CSVs keeps the listing as it was
SOURCE = "source"
_SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}
# The rule that lists a participant whose consent is dated after the cut-off (not enrolled).
CONSENTED_AFTER_CUTOFF = "consented after the cut-off"


@dataclass(frozen=True)
class DataIssue:
    file: str
    row: int | None
    subject_id: str
    column: str
    value: str
    rule: str
    severity: str
    action: str
    # where the value came from in the EDC export or the laboratory file, for a cut taken in by
    # `her2cr intake` (her2cr/data/sources.py); "" for a cut given in the contract's CSVs
    source: str = ""

    def message(self) -> str:
        where = self.file if self.row is None else f"{self.file}, row {self.row}"
        if self.column:
            where += f", column {self.column}"
        shown = f"value {self.value!r}: " if self.value != "" else ""
        origin = f" (from {self.source})" if self.source else ""
        return f"{self.severity.upper()}: {where}: {shown}{self.rule}{origin}"


def to_frame(issues: list[DataIssue]) -> pd.DataFrame:
    """Issues as a table in a stable order: errors first, then by file, row and column; with the
    column `source` when an issue names its origin in the export (her2cr/data/sources.py)."""
    columns = list(COLUMNS) + ([SOURCE] if any(i.source for i in issues) else [])
    df = pd.DataFrame([asdict(i) for i in issues], columns=columns)
    if df.empty:
        return df.astype({"row": "Int64"})
    df["row"] = df["row"].astype("Int64")
    key = df["severity"].map(_SEVERITY_ORDER)
    df = df.assign(_k=key).sort_values(
        ["_k", "file", "row", "column", "rule"], kind="stable", na_position="first"
    )
    return df.drop(columns="_k").reset_index(drop=True)


def counts_by_rule(issues: pd.DataFrame) -> pd.DataFrame:
    """How many issues of each rule, errors first: the summary a data manager reads first."""
    cols = ["Severity", "File", "Rule", "Action", "Count"]
    if issues.empty:
        return pd.DataFrame(columns=cols)
    g = issues.groupby(["severity", "file", "rule", "action"], sort=False).size().reset_index(name="count")
    g = g.assign(_k=g["severity"].map(_SEVERITY_ORDER)).sort_values(["_k", "file", "rule"], kind="stable")
    g = g.drop(columns="_k")
    g.columns = cols
    return g.reset_index(drop=True)


def has_errors(issues: list[DataIssue]) -> bool:
    return any(i.severity == ERROR for i in issues)


class InputError(Exception):
    """Raised when raw input cannot be used; carries every issue found, not only the first."""

    def __init__(self, issues: list[DataIssue]):
        self.issues = sorted(issues, key=lambda i: (i.file != "subjects.csv", i.file, i.row or 0, i.column))
        super().__init__("\n".join(i.message() for i in self.issues))


ISSUES_FILE = "data/data_issues.csv"


def read_issues(out_dir) -> pd.DataFrame:
    """A cut's data-issues listing (data/data_issues.csv), every value as text."""
    from pathlib import Path

    return pd.read_csv(Path(out_dir) / ISSUES_FILE, dtype=str, keep_default_na=False)


def consented_after_cutoff(issues: pd.DataFrame) -> int:
    """How many participants consented after the cut-off, from the data-issues listing
    (data/data_issues.csv): enrolment in the registry less those who started."""
    if "rule" not in issues:  # never written so: a damaged file must not read as "none"
        raise ValueError(f"{ISSUES_FILE}: no column rule")
    return int((issues["rule"] == CONSENTED_AFTER_CUTOFF).sum())
