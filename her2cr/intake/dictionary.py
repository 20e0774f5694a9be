"""The REDCap data dictionary (project metadata) as Field records.

Both headers are read: the web download ("Variable / Field Name", "Choices, Calculations, OR
Slider Labels", "Identifier?", ...) and the API export (field_name, select_choices_or_calculations,
identifier, ...). Choices are written `1, Yes | 0, No`: each choice is split at its first comma
(labels may hold commas; codes may be negative or letters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from her2cr.intake.issues import IntakeIssue, issue
from her2cr.intake.textio import read_table

# canonical name -> (web header, API header)
HEADERS = {
    "field_name": ("Variable / Field Name", "field_name"),
    "form_name": ("Form Name", "form_name"),
    "field_type": ("Field Type", "field_type"),
    "field_label": ("Field Label", "field_label"),
    "choices": ("Choices, Calculations, OR Slider Labels", "select_choices_or_calculations"),
    "validation": ("Text Validation Type OR Show Slider Number", "text_validation_type_or_show_slider_number"),
    "identifier": ("Identifier?", "identifier"),
}
REQUIRED = ("field_name", "form_name", "field_type")
CHOICE_TYPES = ("dropdown", "radio", "checkbox", "yesno", "truefalse")
FIXED_CHOICES = {"yesno": {"1": "Yes", "0": "No"}, "truefalse": {"1": "True", "0": "False"}}
NO_DATA_TYPES = ("descriptive",)


@dataclass(frozen=True)
class Field:
    name: str
    form: str
    type: str
    label: str
    choices: dict  # code -> label, in the dictionary's order ({} when the field has none)
    validation: str
    identifier: bool
    row: int

    @property
    def is_date(self) -> bool:
        return self.validation.startswith(("date_", "datetime_"))

    @property
    def is_datetime(self) -> bool:
        """A date with a time (REDCap exports it Y-M-D H:M or Y-M-D H:M:S)."""
        return self.validation.startswith("datetime_")

    @property
    def is_number(self) -> bool:
        return self.validation in ("integer", "number", "number_comma_decimal") or self.type in ("calc", "slider")


def checkbox_column(field: str, code: str) -> str:
    """REDCap's column for one box: field___code, code lower-cased, non-alphanumerics as '_'."""
    return f"{field}___{re.sub(r'[^a-z0-9]', '_', code.lower())}"


def parse_choices(text: str) -> tuple[dict, list[str]]:
    """`1, Yes | 0, No` -> ({'1': 'Yes', '0': 'No'}, problems)."""
    out, bad = {}, []
    for part in text.split("|"):
        part = part.strip()
        if not part:
            continue
        code, sep, label = part.partition(",")
        if not sep:
            bad.append(part)
            continue
        out[code.strip()] = label.strip()
    return out, bad


def read_dictionary(path: Path, encoding: str = "utf-8", delimiter: str = ","
                    ) -> tuple[dict[str, Field] | None, list[IntakeIssue]]:
    name = path.name
    t, issues = read_table(path, encoding, delimiter,
                           expect=tuple(h for pair in HEADERS.values() for h in pair))
    if t is None:
        return None, issues
    cols = {}
    for canon, (web, api) in HEADERS.items():
        for h in t.header:
            if h in (web, api) or h.lower() == api:
                cols[canon] = h
    missing = [c for c in REQUIRED if c not in cols]
    if missing:
        want = ", ".join(f"{HEADERS[c][0]!r} (API: {HEADERS[c][1]})" for c in missing)
        return None, [issue("FILE07", name, f"the header has no column {want}; this does not look like a "
                            "REDCap data dictionary: download it again (Project Setup > Data Dictionary, "
                            "or the API's metadata export)", row=1)]
    df = t.frame
    get = lambda c, i: df[cols[c]].iat[i].strip() if c in cols else ""  # noqa: E731
    fields: dict[str, Field] = {}
    for i in range(len(df)):
        fname, ftype, row = get("field_name", i), get("field_type", i).lower(), int(t.rows[i])
        if not fname:
            continue
        if fname in fields:
            issues.append(issue("FILE04", name, f"field {fname} is defined twice (rows {fields[fname].row} "
                                f"and {row}); correct the dictionary", row=row, field=fname))
            continue
        choices = dict(FIXED_CHOICES.get(ftype, {}))
        if ftype in ("dropdown", "radio", "checkbox"):
            choices, bad = parse_choices(get("choices", i))
            for b in bad:
                issues.append(issue("FILE04", name, f"choice {b!r} has no comma between code and label "
                                    "(write choices as '1, Yes | 0, No'); correct the dictionary",
                                    row=row, field=fname))
        fields[fname] = Field(fname, get("form_name", i), ftype, get("field_label", i), choices,
                              get("validation", i).lower(), get("identifier", i).lower() in ("y", "yes", "1"),
                              row)
    return fields, issues
