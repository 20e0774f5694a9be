"""Intake issues: one record per problem found in an EDC export, a laboratory file or a mapping.

Every issue has a rule ID (as CDISC CORE and Pinnacle 21 give their checks), a severity and a
message a data manager can act on: what is wrong, where (file, row, record, field) and what to do.
Rows are numbered as a spreadsheet shows them (header = row 1); in the mapping file, row is the
line number. A message never quotes the value of a field flagged as an identifier.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

ERROR, WARNING = "error", "warning"

# rule ID -> (severity, what the rule checks). The table of intake rules in docs/intake.md is this one.
RULES: dict[str, tuple[str, str]] = {
    "MAP01": (ERROR, "the mapping file is not readable YAML of format 1"),
    "MAP02": (ERROR, "unknown key in the mapping"),
    "MAP03": (ERROR, "a required key is missing or has the wrong kind of value"),
    "MAP04": (ERROR, "a mapped field is not in the data dictionary"),
    "MAP05": (ERROR, "a dictionary choice has no entry in the code map"),
    "MAP06": (ERROR, "a target the data contract does not allow (column or value)"),
    "MAP07": (WARNING, "a dictionary field is neither mapped nor listed under not_used"),
    "MAP08": (ERROR, "a field flagged as an identifier is mapped without identifier_reason"),
    "MAP09": (ERROR, "a TODO of a draft mapping is not filled in"),
    "MAP10": (ERROR, "a required contract column is not mapped"),
    "MAP11": (WARNING, "a code of the code map is not a choice of the dictionary field"),
    "MAP12": (ERROR, "an event of the mapping (subjects.event, draws.event) that no row of the records has, or "
                     "draws at another event than draws.event"),
    "FILE01": (ERROR, "a source file is missing, or a name pattern does not match exactly one file (or a "
                      "laboratory workbook's sheet)"),
    "FILE02": (ERROR, "a file is not valid in its declared encoding"),
    "FILE03": (ERROR, "a file is not separated by the declared delimiter"),
    "FILE04": (ERROR, "a file is not a well-formed table"),
    "FILE05": (ERROR, "the records export holds labels, not raw codes"),
    "FILE06": (ERROR, "a mapped column is missing from the file"),
    "FILE07": (ERROR, "the data dictionary's header is not a REDCap header"),
    "FILE08": (ERROR, "the cut-off is after the day the records were exported (REDCap's file name)"),
    "EDC01": (ERROR, "a code that is not a choice of the dictionary or not in the code map"),
    "EDC02": (ERROR, "a single-choice checkbox with no box or several boxes ticked"),
    "EDC03": (ERROR, "a date not written YYYY-MM-DD (a datetime field: YYYY-MM-DD HH:MM), or not a date in "
                     "the calendar (EDC or laboratory file)"),
    "EDC04": (ERROR, "a number that does not parse (EDC or laboratory file)"),
    "EDC05": (WARNING, "a declared missing-data code, written as an empty cell"),
    "EDC06": (ERROR, "an undeclared token in a date or number field"),
    "EDC07": (ERROR, "one subject in two records or at two sites"),
    "EDC08": (ERROR, "a non-repeating event given twice for one record, or the subjects' event given only as "
                     "a repeating event's instance"),
    "EDC09": (WARNING, "a record has no row for the subjects' event: its fields are left empty"),
    "EDC10": (ERROR, "a plasma draw without a sample ID"),
    "EDC11": (ERROR, "a longitudinal export read without an event for the subjects' fields"),
    "EDC12": (ERROR, "a record without a subject ID"),
    "LAB01": (ERROR, "a result word with no entry in result_codes"),
    "LAB02": (WARNING, "a qualified MTM/mL value, written by the mapping's rule"),
    "LAB03": (ERROR, "a sample given twice in the laboratory file with no corrections rule, or resends that "
                     "corrections.by cannot order (the same value, or neither a date nor a number)"),
    "LAB04": (WARNING, "a resent (corrected) result replaced an earlier one"),
    "LAB05": (ERROR, "a test code with no entry in tests.codes"),
    "LAB06": (ERROR, "a qualified MTM/mL value with no rule in lab.mtm_qualifiers"),
    "LAB07": (ERROR, "a visit word with no entry in visit_codes"),
    "LAB08": (ERROR, "the test rows of one sample give different visits (one row per sample and test)"),
    "LAB09": (ERROR, "a laboratory row without a sample ID or a subject ID"),
    "REC01": (ERROR, "a laboratory sample with no EDC draw"),
    "REC02": (WARNING, "an EDC draw with no result yet (pending): not written to ctdna.csv"),
    "REC03": (ERROR, "a sample recorded under another subject in the EDC than in the laboratory file"),
    "REC04": (ERROR, "collection dates differ by more than the mapping's tolerance"),
    "REC05": (ERROR, "a sample ID given to two EDC draws"),
    "REC06": (ERROR, "a sample's visit in the laboratory file differs from its EDC draw's visit"),
}

COLUMNS = ("rule", "severity", "file", "row", "record", "field", "value", "message")


@dataclass(frozen=True)
class IntakeIssue:
    rule: str
    severity: str
    file: str
    row: int | None
    record: str
    field: str
    value: str
    message: str

    def line(self) -> str:
        """One line for the terminal: rule, where, then the message."""
        msg = self.message
        # the mapping's rows are its lines, whatever the file is called (mapping.txt)
        if (self.rule.startswith("MAP") or self.file.endswith((".yml", ".yaml"))) and self.row is not None:
            where = f"{self.file} line {self.row}"
            msg = msg.removeprefix(f"line {self.row}: ")
        else:
            where = self.file + ("" if self.row is None else f" row {self.row}")
        if self.record:
            where += f" (record {self.record})"
        if self.field:
            where += f", field {self.field}"
        return f"{self.severity.upper()} {self.rule}: {where}: {msg}"


def issue(rule: str, file: str, message: str, row: int | None = None, record: str = "",
          field: str = "", value: str = "") -> IntakeIssue:
    return IntakeIssue(rule, RULES[rule][0], file, row, str(record), field, str(value), message)


class IntakeFailed(Exception):
    """The intake found errors: carries every issue (errors and warnings), nothing was written."""

    def __init__(self, issues: list[IntakeIssue]):
        self.issues = list(issues)
        self.errors = [i for i in issues if i.severity == ERROR]
        super().__init__("\n".join(i.line() for i in self.errors))


def to_frame(issues: list[IntakeIssue]):
    import pandas as pd

    df = pd.DataFrame([asdict(i) for i in issues], columns=list(COLUMNS))
    df["row"] = df["row"].astype("Int64")
    return df
