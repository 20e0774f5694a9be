"""Analysis-set explanations, written where ClinicalTrials.gov's element definitions put them: the
baseline population description and each outcome measure's Analysis Population Description.

Numbers come from data/flow.csv (steps not_eligible and baseline_not_evaluable, per cohort).
"""

from __future__ import annotations

import pandas as pd

from her2cr import study
from her2cr.ctgov.common import step_counts, within_limit
from her2cr.ctgov.formatting import plural


def _split(counts: dict[str, int]) -> str:
    return "; ".join(f"{study.COHORT_SHORT[k].lower()} {n}" for k, n in counts.items())


def _who(counts: dict[str, int], noun: str) -> str:
    """'1 enrolled participant (continuing 1; stopped 0)', plural as needed."""
    return f"{plural(sum(counts.values()), noun)} ({_split(counts)})"


def baseline_population(flow: pd.DataFrame | None) -> str:
    text = ("All enrolled participants (consent on or before the data cut-off), including those "
            "later found not to meet all eligibility criteria.")
    if flow is None:
        return text
    not_eligible = step_counts(flow, "not_eligible")
    if not any(not_eligible.values()):
        return ("All enrolled participants (consent on or before the data cut-off); every one met "
                "all eligibility criteria.")
    n = sum(not_eligible.values())
    return _checked(
        f"All enrolled participants (consent on or before the data cut-off), including the "
        f"{_who(not_eligible, 'participant')} who did not meet all eligibility criteria and "
        f"{'is' if n == 1 else 'are'} therefore not in the primary analysis set.")


POPULATION_MAX = 350  # PRS limit for an Analysis Population Description, in characters


def _checked(text: str) -> str:
    return within_limit("Analysis Population Description", text, POPULATION_MAX)


def _not_analysed(parts: list[str]) -> str:
    return f"Not analysed: {' and '.join(parts)}." if parts else ""


def primary_population(base: str, flow: pd.DataFrame | None) -> str:
    """The primary analysis set, with who was left out and why."""
    if flow is None:
        return _checked(base)
    not_eligible = step_counts(flow, "not_eligible")
    no_baseline = step_counts(flow, "baseline_not_evaluable")
    parts = []
    if any(not_eligible.values()):
        parts.append(f"{_who(not_eligible, 'participant')} not eligible")
    if any(no_baseline.values()):
        parts.append(f"{_who(no_baseline, 'eligible participant')} without an evaluable "
                     f"baseline result")
    return _checked(" ".join(x for x in (base, _not_analysed(parts)) if x))


def eligible_population(base: str, flow: pd.DataFrame | None) -> str:
    """A population of eligible participants, with who was left out as not eligible."""
    if flow is None:
        return _checked(base)
    not_eligible = step_counts(flow, "not_eligible")
    parts = [f"{_who(not_eligible, 'participant')} not eligible"] if any(not_eligible.values()) else []
    return _checked(" ".join(x for x in (base, _not_analysed(parts)) if x))
