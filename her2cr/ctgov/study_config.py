"""The sponsor's facts for results posting, read from the study configuration (report/study.yml).

ClinicalTrials.gov's "More Information" module needs a Results Point of Contact and the Certain
Agreements between the sponsor and the principal investigators: facts only the sponsor knows. They
live in a small YAML file beside the report; the sponsor's name is known from the registry record,
the rest starts empty. Every problem is reported at once, one message per problem naming the field
(`StudyConfigError`), before the pipeline writes anything.

Empty fields are not errors: a section that is not filled in is left out of the upload (in a
partial upload PRS then keeps what it holds), and `StudyConfig.missing()` lists what is still to
fill in, for the report. A contact that has been started but cannot be reached (no phone and no
e-mail) is an error: it could not be posted.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

CONFIG_NAME = "study.yml"
# The project's file: report/study.yml (this module is her2cr/ctgov/study_config.py).
DEFAULT_PATH = Path(__file__).resolve().parents[2] / "report" / CONFIG_NAME
# How the report names the file the sponsor edits: the project's, unless a run was given another.
CONFIG_SHOWN = "the study configuration file (report/study.yml unless the run was given another)"
# Certain Agreements, restriction type: the API v2 codes (AgreementRestrictionType), which the PRS
# pick-list CertAgreeRestrictTypeUtil accepts; see the words in RESTRICTION_WORDS.
RESTRICTION_WORDS = {
    "LTE60": "the sponsor may review results communications and embargo them for 60 days or less",
    "GT60": "the sponsor may review results communications and embargo them for more than 60 days",
    "OTHER": "another restriction (described in other_details)",
}
RESTRICTION_TYPES = tuple(RESTRICTION_WORDS)


@dataclass(frozen=True)
class PointOfContact:
    name_or_title: str = ""
    organization: str = ""
    phone: str = ""
    phone_extension: str = ""
    email: str = ""

    @property
    def started(self) -> bool:
        """Filled in beyond the organization (which comes pre-filled from the registry record)."""
        return any((self.name_or_title, self.phone, self.phone_extension, self.email))

    @property
    def complete(self) -> bool:
        return bool(self.name_or_title and self.organization and (self.phone or self.email))


@dataclass(frozen=True)
class CertainAgreements:
    pi_sponsor_employee: bool | None = None
    restrictive_agreement: bool | None = None
    restriction_type: str = ""
    other_details: str = ""

    def missing(self) -> list[str]:
        """Fields still to answer, following the PRS questions (each answer opens the next)."""
        if self.pi_sponsor_employee is None:
            return ["pi_sponsor_employee"]
        if self.pi_sponsor_employee:
            return []  # all PIs are sponsor employees: the remaining questions are skipped
        if self.restrictive_agreement is None:
            return ["restrictive_agreement"]
        if not self.restrictive_agreement:
            return []
        if not self.restriction_type:
            return ["restriction_type"]
        if self.restriction_type == "OTHER" and not self.other_details:
            return ["other_details"]
        return []

    @property
    def complete(self) -> bool:
        return not self.missing()


@dataclass(frozen=True)
class StudyConfig:
    point_of_contact: PointOfContact
    certain_agreements: CertainAgreements
    source: str = CONFIG_NAME

    def missing(self) -> list[str]:
        """Every field the sponsor still has to fill in, as `section.field`."""
        out = []
        c = self.point_of_contact
        if not c.complete:
            out += [f"point_of_contact.{f}" for f in ("name_or_title", "organization")
                    if not getattr(c, f)]
            if not (c.phone or c.email):
                out.append("point_of_contact.phone or point_of_contact.email")
        out += [f"certain_agreements.{f}" for f in self.certain_agreements.missing()]
        return out

    def to_frame(self):
        """One row per field: section, field, value ('' when empty)."""
        import pandas as pd

        rows = []
        for section in ("point_of_contact", "certain_agreements"):
            obj = getattr(self, section)
            for f in fields(obj):
                v = getattr(obj, f.name)
                rows.append((section, f.name, "" if v is None else ("yes" if v is True else
                                                                     "no" if v is False else v)))
        return pd.DataFrame(rows, columns=["section", "field", "value"])


class StudyConfigError(Exception):
    """The study configuration cannot be used; carries every problem, one message each."""

    def __init__(self, source: str, problems: list[str]):
        self.source, self.problems = source, list(problems)
        n = len(self.problems)
        head = f"{source}: {n} problem{'s' if n != 1 else ''} in the study configuration:"
        super().__init__("\n".join([head] + [f"  - {p}" for p in self.problems]))


def default_config() -> StudyConfig:
    """Nothing filled in but the sponsor's name (registry record): what the project ships."""
    from her2cr import study

    return StudyConfig(PointOfContact(organization=study.SPONSOR), CertainAgreements(), "default")


_YES_NO = {"pi_sponsor_employee", "restrictive_agreement"}
_SECTIONS = {"point_of_contact": PointOfContact, "certain_agreements": CertainAgreements}


def _kind(value) -> str:
    if isinstance(value, bool):
        return f"yes/no ({'yes' if value else 'no'})"
    if isinstance(value, (int, float)):
        return f"a number ({value!r})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} ({value!r})"


def _field(section: str, name: str, value, problems: list[str]):
    where = f"{section}.{name}"
    if value is None:
        return None if name in _YES_NO else ""
    if name in _YES_NO:
        if isinstance(value, bool):
            return value
        problems.append(f"{where}: must be yes or no (or left empty), got {_kind(value)}")
        return None
    if not isinstance(value, str):
        hint = " (write it in quotes)" if isinstance(value, (int, float, bool)) else ""
        problems.append(f"{where}: must be text{hint}, got {_kind(value)}")
        return ""
    value = value.strip()
    if name == "restriction_type" and value and value not in RESTRICTION_TYPES:
        problems.append(f"{where}: must be one of {', '.join(RESTRICTION_TYPES)} (or left empty), "
                        f"got {value!r}")
        return ""
    if name == "email" and value and ("@" not in value or " " in value):
        problems.append(f"{where}: {value!r} is not an e-mail address")
        return ""
    return value


def _yaml_loader():
    """PyYAML's safe loader, except that a key given twice in a section is an error: the safe
    loader keeps the last one silently, and a sponsor's first answer would vanish."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def mapping(loader, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: the safe loader says so itself
                continue
            if first is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{key} is given twice (first on line {first + 1})", key_node.start_mark)
            seen[key] = key_node.start_mark.line
        return yaml.SafeLoader.construct_mapping(loader, node, deep)

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    return Loader


def parse_study_config(text: str, source: str = CONFIG_NAME) -> StudyConfig:
    """A StudyConfig from YAML text; raises StudyConfigError listing every problem."""
    import yaml

    try:
        data = yaml.load(text, Loader=_yaml_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise StudyConfigError(source, [f"{where}not valid YAML ({problem})"]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise StudyConfigError(source, [f"the file must hold the sections "
                                        f"{', '.join(_SECTIONS)}, got {_kind(data)}"])
    problems: list[str] = []
    for key in data:
        if key not in _SECTIONS:
            problems.append(f"{key}: unknown key (known: {', '.join(_SECTIONS)})")
    parts, given = {}, {}
    for section, cls in _SECTIONS.items():
        raw = data.get(section) or {}
        if not isinstance(raw, dict):
            problems.append(f"{section}: must be a section of fields, got {_kind(raw)}")
            raw = {}
        given[section] = {k for k, v in raw.items() if v not in (None, "")}
        known = [f.name for f in fields(cls)]
        for key in raw:
            if key not in known:
                problems.append(f"{section}.{key}: unknown key (known: {', '.join(known)})")
        parts[section] = cls(**{k: _field(section, k, raw.get(k), problems) for k in known})
    contact = parts["point_of_contact"]
    # a phone or e-mail written but wrong is reported above, not as missing
    if contact.started and not given["point_of_contact"] & {"phone", "email"}:
        problems.append("point_of_contact.phone, point_of_contact.email: both are empty; give at "
                        "least one, so that the results point of contact can be reached")
    if problems:
        raise StudyConfigError(source, problems)
    return StudyConfig(contact, parts["certain_agreements"], source)


def load_study_config(path: Path | str) -> StudyConfig:
    """Read and check the study configuration file; StudyConfigError when absent or bad."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StudyConfigError(str(path), ["file not found (the project ships report/study.yml)"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StudyConfigError(str(path), [f"cannot be read: {exc}"]) from None
    return parse_study_config(text, str(path))
