"""A CutDiff in words: summary sentences, the report section (Markdown) and the diff/ folder."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from her2cr.formatting import plural
from her2cr.reporting.cutdiff import TABLE_COLUMNS, CutDiff
from her2cr.reporting.cutdiff_tables import (ARROW, CODE_LABELS, EMPTY, MAX_ROWS as MAX_TABLE_ROWS,
                                             change_cell, change_tables, estimate_cell, field_label,
                                             record_value)
from her2cr.study import COHORTS

MAX_IDS = 10  # ids listed in a sentence; beyond this the sentence gives counts only
# the words of the change tables; a participant back on study had a status corrected
STATUS_WORDS = {**CODE_LABELS["status"], "on_study": "back on study (status corrected)"}


# -- formatting -----------------------------------------------------------------------------------

def _missing(x) -> bool:
    return x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x))


def _side(row, prefix: str) -> str:
    """One cut's estimate as the change table writes it (cutdiff_tables.estimate_cell)."""
    return str(estimate_cell(row, prefix))


def _change_text(row) -> str:
    return "" if row["status"] != "changed" else str(change_cell(row))


def _value(column: str, value) -> str:
    """A record value in a sentence: as the change tables show it, "(empty)" when there is none."""
    text = str(record_value(column, value, "", ""))
    return "(empty)" if text == EMPTY else text


def _estimate_name(row) -> str:
    """The names the report's estimates table uses (ctdna.labels), e.g. "Primary: baseline ctDNA
    positivity, proportion positive (continuing)"; an unknown key is written out plainly."""
    from her2cr.ctdna.labels import analysis_title, parameter_name

    key = str(row["analysis"])
    analysis = analysis_title(key)
    if analysis == key:
        analysis = key.replace("_", " ")
        analysis = analysis[:1].upper() + analysis[1:]
    parameter = parameter_name(str(row["parameter"]))
    return f"{analysis}, {parameter[:1].lower() + parameter[1:]} ({row['group']})"


def _ids(ids, max_ids: int = MAX_IDS) -> str:
    ids = [str(i) for i in ids]
    if len(ids) > max_ids:
        return ", ".join(ids[:max_ids]) + f" and {len(ids) - max_ids} more"
    return ", ".join(ids)


def _by_cohort(cohorts: pd.Series) -> str:
    counts = cohorts.value_counts()
    order = [c for c in COHORTS if c in counts] + sorted(c for c in counts.index if c not in COHORTS)
    return ", ".join(f"{int(counts[c])} {c}" for c in order)


def _move(old, new) -> str:
    return f"{_cell(old)} (unchanged)" if _cell(old) == _cell(new) else f"{_cell(old)} {ARROW} {_cell(new)}"


def _cell(x) -> str:
    if _missing(x) or x is pd.NaT:
        return "(empty)"
    return x.strftime("%Y-%m-%d") if isinstance(x, pd.Timestamp) else str(x)


# -- sentences ------------------------------------------------------------------------------------

def _first_changes(changes: pd.DataFrame, describe) -> str:
    """The first MAX_IDS changes in words, then how many more (the tables have them all)."""
    shown = "; ".join(describe(r) for r in changes.head(MAX_IDS).itertuples())
    return shown + (f"; and {len(changes) - MAX_IDS} more" if len(changes) > MAX_IDS else "")


def _estimate_lines(d: CutDiff) -> list[str]:
    e = d.estimate_changes
    lines = []
    if not all(d.estimates_available):
        return lines  # said in the header lines
    for _, row in e.loc[e["analysis"] == "primary"].iterrows():  # a handful of rows
        name = _estimate_name(row)
        if row["status"] == "unchanged":
            lines.append(f"{name}: unchanged, {_side(row, 'new')}.")
        elif row["status"] == "added":
            lines.append(f"{name}: new in this cut, {_side(row, 'new')}.")
        elif row["status"] == "removed":
            lines.append(f"{name}: was {_side(row, 'old')}; not in this cut.")
        else:
            change = _change_text(row)
            lines.append(f"{name}: {_side(row, 'old')} at the last cut, now {_side(row, 'new')}"
                         + (f"; change {change}." if change else "."))
    other = e.loc[e["analysis"] != "primary"]
    if len(other):
        k = other["status"].value_counts()
        parts = [f"{int(k[s])} {s}" for s in ("changed", "added", "removed") if s in k]
        lines.append(f"Other estimates ({len(other)}): " + (", ".join(parts) if parts else "none changed")
                     + ".")
    return lines


def summary_lines(d: CutDiff) -> list[str]:
    """Plain sentences, most important first; ids are listed up to MAX_IDS.

    One section per kind of change, in this order; each gives its sentences and the kinds it
    found unchanged, which the last sentence lists."""
    lines = _header_lines(d)
    if not d.has_changes:
        return lines + ["No changes: the same participants, records, ctDNA results and estimates."]
    none: list[str] = []
    for section in _SECTIONS:
        said, unchanged = section(d)
        lines += said
        none += unchanged
    lines += _estimate_lines(d)
    if none:
        lines.append("No changes to: " + ", ".join(none) + ".")
    return lines


def _header_lines(d: CutDiff) -> list[str]:
    """Which cuts are compared, warnings, and whether estimates could be compared."""
    lines = [f"Changes from {d.old_label} to {d.new_label}."]
    lines += [f"WARNING: {n}" for n in d.notes]
    if not all(d.estimates_available):
        which = [lab for lab, ok in zip((d.old_label, d.new_label), d.estimates_available) if not ok]
        lines.append(f"No estimates (results/estimates.csv) for {' and '.join(which)}: "
                     "estimates not compared.")
    return lines


def _flow_lines(d: CutDiff) -> tuple[list[str], list[str]]:
    """Enrolled and primary analysis set, old and new counts."""
    fl = d.flow_changes.set_index(["step", "cohort"])
    if ("enrolled", "overall") in fl.index and ("primary_set", "overall") in fl.index:
        en, ps = fl.loc[("enrolled", "overall")], fl.loc[("primary_set", "overall")]
        return [f"Enrolled {_move(en['old_count'], en['new_count'])}; "
                f"primary analysis set {_move(ps['old_count'], ps['new_count'])}."], []
    return [], []


def _participant_lines(d: CutDiff) -> tuple[list[str], list[str]]:
    """Participants added (by cohort, with those who ended by the cut-off) and removed (why)."""
    lines, none = [], []
    add, rem = d.participants_added, d.participants_removed
    if len(add):
        ended = add.loc[add["status_at_cutoff"].notna() & (add["status_at_cutoff"] != "on_study")]
        ends = "; ".join(f"{len(g)} {STATUS_WORDS[s]} by the cut-off ({_ids(g['subject_id'])})"
                         for s, g in ended.groupby("status_at_cutoff", sort=True) if s in STATUS_WORDS)
        lines.append(f"{plural(len(add), 'participant')} added ({_by_cohort(add['cohort'])}"
                     + (f"; of whom {ends}" if ends else "") + ").")
    else:
        none.append("participants added")
    if len(rem):
        detail = "; ".join(f"{r.subject_id}: {r.reason}" for r in rem.head(MAX_IDS).itertuples())
        more = f"; and {len(rem) - MAX_IDS} more" if len(rem) > MAX_IDS else ""
        lines.append(f"{plural(len(rem), 'participant')} of the last cut no longer in the analysis "
                     f"({detail}{more}).")
    else:
        none.append("participants removed")
    return lines, none


def _status_lines(d: CutDiff) -> tuple[list[str], list[str]]:
    """Participants whose status at the cut-off changed, by their new status."""
    st = d.status_changes
    if not len(st):
        return [], ["status at the cut-off"]
    parts = []
    for s in ("withdrawn", "lost_to_follow_up", "died", "completed", "on_study"):
        ids = st.loc[st["new_status"] == s, "subject_id"]
        if len(ids):
            parts.append(f"{len(ids)} {STATUS_WORDS[s]} since the last cut ({_ids(ids)})")
    return ["; ".join(parts) + "."], []


def _record_lines(d: CutDiff) -> tuple[list[str], list[str]]:
    """Corrections to existing records (cell by cell), then follow-up updates (counts by column)."""
    lines, none = [], []
    corr, fu = d.corrections, d.follow_up_updates
    if len(corr):
        shown = _first_changes(corr, lambda r: f"{r.subject_id} {field_label(r.column, sentence=True)} "
                                               f"{_value(r.column, r.old)} {ARROW} {_value(r.column, r.new)}")
        lines.append(f"{plural(len(corr), 'field-level correction')} to existing records "
                     f"({plural(corr['subject_id'].nunique(), 'participant')}): {shown}.")
    else:
        none.append("field-level corrections")
    if len(fu):
        by_col = fu["column"].value_counts()
        cols = ", ".join(f"{field_label(c, sentence=True)} {int(by_col[c])}" for c in fu["column"].unique())
        lines.append(f"Follow-up updated for {plural(fu['subject_id'].nunique(), 'participant')} "
                     f"({cols}).")
    return lines, none


def _eligibility_lines(d: CutDiff) -> tuple[list[str], list[str]]:
    """Existing participants whose eligibility changed, with the new reasons."""
    el = d.eligibility_changes
    if not len(el):
        return [], ["eligibility"]
    shown = "; ".join(
        f"{r.subject_id} {'eligible' if r.old_eligible else 'not eligible'} {ARROW} "
        f"{'eligible' if r.new_eligible else 'not eligible'}"
        + (f" ({r.new_reasons})" if isinstance(r.new_reasons, str) and r.new_reasons else "")
        for r in el.head(MAX_IDS).itertuples())
    more = f"; and {len(el) - MAX_IDS} more" if len(el) > MAX_IDS else ""
    return [f"Eligibility changed for {plural(len(el), 'existing participant')}: {shown}{more}."], []


def _primary_set_lines(d: CutDiff) -> tuple[list[str], list[str]]:
    """Participants who entered or left the primary analysis set, or whose baseline result changed."""
    ps = d.primary_set_changes
    if not len(ps):
        return [], []
    entered = ps.loc[ps["new_primary_set"] & ~ps["old_primary_set"]]
    left = ps.loc[ps["old_primary_set"] & ~ps["new_primary_set"]]
    moved = ps.loc[ps["old_primary_set"] & ps["new_primary_set"]]
    parts = []
    if len(entered):
        parts.append(f"{len(entered)} entered")
    if len(left):
        parts.append(f"{len(left)} left ({_ids(left['subject_id'])})")
    if len(moved):
        parts.append(f"baseline result changed for {len(moved)} ("
                     + ", ".join(f"{r.subject_id} {_value('baseline_result', r.old_baseline_result)} {ARROW} "
                                 f"{_value('baseline_result', r.new_baseline_result)}"
                                 for r in moved.head(MAX_IDS).itertuples()) + ")")
    return ["Primary analysis set: " + "; ".join(parts) + "."], []


def _sample_lines(d: CutDiff) -> tuple[list[str], list[str]]:
    """ctDNA samples added (by result), removed, and changes to existing samples."""
    lines, none = [], []
    sa, sr, sc = d.samples_added, d.samples_removed, d.sample_changes
    if len(sa):
        res = sa["result"].value_counts()
        kinds = ", ".join(f"{int(res[r])} {_value('result', r)}" for r in ("POSITIVE", "NEGATIVE", "QNS", "FAILED")
                          if r in res)
        k_new = int(sa["new_participant"].sum())
        lines.append(f"{plural(len(sa), 'ctDNA sample')} added ({len(sa) - k_new} from participants "
                     f"already in the last cut, {k_new} from new participants; {kinds}).")
    else:
        none.append("ctDNA samples added")
    if len(sr):
        lines.append(f"{plural(len(sr), 'ctDNA sample')} of the last cut no longer in the analysis "
                     f"({_ids(sr['sample_id'])}).")
    else:
        none.append("ctDNA samples removed")
    if len(sc):
        shown = _first_changes(
            sc, lambda r: f"{r.sample_id} ({r.subject_id}) {field_label(r.column, sentence=True)} "
                          f"{_value(r.column, r.old)} {ARROW} {_value(r.column, r.new)}")
        lines.append(f"{plural(len(sc), 'change')} to existing ctDNA samples "
                     f"({plural(sc['sample_id'].nunique(), 'sample')}): {shown}.")
    else:
        none.append("existing ctDNA results")
    return lines, none


_SECTIONS = (_flow_lines, _participant_lines, _status_lines, _record_lines, _eligibility_lines,
             _primary_set_lines, _sample_lines)


# -- Markdown -------------------------------------------------------------------------------------

def to_markdown(d: CutDiff, heading_level: int = 3, max_rows: int = MAX_TABLE_ROWS) -> str:
    """diff/summary.md: the sentences as a list, then the change report's tables (the frames the
    report shows: cutdiff_tables), each with its notes."""
    from her2cr.reporting.display import markdown_table

    h = "#" * heading_level
    out = ["\n".join(f"- {line}" for line in summary_lines(d))]
    if not d.has_changes:
        return "\n\n".join(out) + "\n"
    for t in change_tables(d, max_rows):
        # Markdown has no heading rows: a grouping column stays a column
        out += [f"{h} {t.title}", markdown_table(t.frame)] + [f"*{n}*" for n in t.notes]
    return "\n\n".join(out) + "\n"


# -- files ----------------------------------------------------------------------------------------

def write_diff(d: CutDiff, out_dir: Path | str) -> list[Path]:
    """out_dir/diff/: summary.md, one CSV per table, diff_info.json. Same diff, same bytes."""
    target = Path(out_dir) / "diff"
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name in TABLE_COLUMNS:
        path = target / f"{name}.csv"
        getattr(d, name).to_csv(path, index=False, lineterminator="\n", encoding="utf-8",
                                date_format="%Y-%m-%d")
        written.append(path)
    md = target / "summary.md"
    md.write_text("# What changed since the last cut\n\n"
                  + to_markdown(d, heading_level=2), encoding="utf-8")
    info = {"from": {"cut": d.old_cut, "version": d.old_version, "synthetic": d.old_synthetic},
            "to": {"cut": d.new_cut, "version": d.new_version, "synthetic": d.new_synthetic},
            "has_changes": d.has_changes,
            "rows": {name: len(getattr(d, name)) for name in TABLE_COLUMNS}}
    js = target / "diff_info.json"
    js.write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return written + [md, js]
