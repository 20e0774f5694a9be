"""Display renderings of a BaselineTable: strings (DataFrame), great_tables HTML, markdown.

All three come from `display_rows`, itself made only from the tidy table.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from her2cr.study import OVERALL

INDENT = "\u00a0" * 4  # non-breaking spaces survive HTML, markdown and LaTeX
DASH = "—"
STUB = "Characteristic"

_STAT_LABEL = {"mean_sd": "mean (SD)", "median_iqr": "median (IQR)"}


def fmt_num(x: float, digits: int = 1) -> str:
    if x is None or pd.isna(x):
        return DASH
    return f"{x:.{digits}f}"


def _fmt_bound(x: float, digits: int) -> str:
    """A minimum or maximum: whole numbers (age, lines of therapy) without decimals."""
    return f"{x:.0f}" if not pd.isna(x) and float(x).is_integer() else fmt_num(x, digits)


def _smd_cell(r: pd.Series):
    from her2cr.trace import Traced

    if pd.isna(r["smd"]):
        return DASH
    return Traced(_num(r, "smd", "smd"))


def level_label(text) -> str:
    """A category as the reader sees it: "\u226418 years" for ClinicalTrials.gov's "<=18 years"."""
    return str(text).replace("<=", "\u2264").replace(">=", "\u2265")


def fmt_smd(x: float) -> str:
    if pd.isna(x):
        return DASH
    return "∞" if math.isinf(x) else f"{x:.2f}"


def fmt_p(x: float) -> str:
    if pd.isna(x):
        return DASH
    return "<0.001" if x < 0.001 else f"{x:.3f}"


def fmt_n_pct(n, denom, pct) -> str:
    if pd.isna(n):
        return DASH
    if pd.isna(denom) or denom == 0:
        return f"{int(n)}"
    return f"{int(n)} ({pct:.1f}%)"


# The file the report's baseline table is read from: each number of the display carries its row
# of it (her2cr.trace), which only the HTML report shows.
SOURCE = "tables/baseline_tidy.csv"


def _num(r: pd.Series, column: str, kind: str, digits: int = 1, scale: float = 1.0):
    from her2cr.trace import Num

    level = r.get("level")
    level = "" if level is None or pd.isna(level) else str(level)
    value = r[column]
    if kind == "count" and not pd.isna(value):
        value = int(value)
    return Num(value, kind, SOURCE, f"{r['variable']} | {level} | {r['group']} | {column}",
               missing=DASH, scale=scale, digits=digits)


def _continuous_cells(r: pd.Series, digits: int) -> dict[str, str]:
    from her2cr.trace import Traced

    if not r["applicable"] or r["n"] == 0:
        return {k: DASH for k in ("mean_sd", "median_iqr", "range")}

    def s(col):
        return _num(r, col, "summary", digits)

    def b(col):
        return _num(r, col, "bound", digits)

    return {
        "mean_sd": Traced(s("mean"), " (", s("sd"), ")"),
        "median_iqr": Traced(s("median"), " (", s("q1"), "–", s("q3"), ")"),
        "range": Traced(b("min"), "–", b("max")),
    }


def _n_pct_cell(r: pd.Series) -> str:
    """n (%), or n/N (%) where the denominator (participants with a known value) is not the
    column's N, so that "23 (100.0%)" under N = 24 shows its denominator: "23/23 (100.0%)"."""
    from her2cr.trace import Traced

    if pd.isna(r["n"]):
        return DASH
    n = _num(r, "n", "count")
    if pd.isna(r["denominator"]) or r["denominator"] == 0:
        return Traced(n)
    pct = _num(r, "percent", "percent", scale=0.01)
    if int(r["denominator"]) != int(r["group_N"]):
        return Traced(n, "/", _num(r, "denominator", "count"), " (", pct, "%)")
    return Traced(n, " (", pct, "%)")


def display_rows(table) -> pd.DataFrame:
    """One row per displayed line, with `kind` (label, level, missing) for styling."""
    from her2cr.trace import Traced, quote

    tidy = table.tidy
    cols = list(table.columns)
    headers = {g: table.column_header(g) for g in cols}
    out: list[dict] = []

    def line(kind: str, text: str, cells: dict[str, str], smd="", p="") -> None:
        rec = {"kind": kind, STUB: text}
        rec.update({headers[g]: cells.get(g, "") for g in cols})
        rec["SMD"] = smd
        if table.p_values:
            rec["p-value"] = p
        out.append(rec)

    for _, v in tidy.groupby("row_order", sort=True):
        first = v.iloc[0]
        cohort = v[v["group"] != OVERALL]
        smd = _smd_cell(cohort.iloc[0]) if len(cohort) and len(table.groups) == 2 else ""
        # a characteristic that applies to some cohorts only (months since stopping) is shown
        # under those cohorts, not pooled into an Overall column
        partial = not cohort["applicable"].astype(bool).all()
        shown_cols = [g for g in cols if not (partial and g == OVERALL)]
        p = fmt_p(cohort["p_value"].iloc[0]) if len(cohort) else ""
        label = first["label"]
        if not first["collected"]:
            line("label", label, {g: "Not collected" for g in shown_cols}, "", "")
            continue
        if first["var_type"] == "continuous":
            dig = table.digits.get(first["variable"], 1)
            by_g = {g: _continuous_cells(v[v["group"] == g].iloc[0], dig) if g in shown_cols
                    else {k: DASH for k in ("mean_sd", "median_iqr", "range")} for g in cols}
            if first["statistic"] in _STAT_LABEL:
                key = first["statistic"]
                line("label", f"{label}, {_STAT_LABEL[key]}", {g: by_g[g][key] for g in cols},
                     smd, p)
            else:
                line("label", label, {}, smd, p)
                for key, text in (("mean_sd", "Mean (SD)"), ("median_iqr", "Median (IQR)"),
                                  ("range", "Range")):
                    line("level", text, {g: by_g[g][key] for g in cols})
        else:
            line("label", label, {}, smd, p)
            for order, lv in v.groupby("level_order", sort=True):
                cells = {r["group"]: _n_pct_cell(r) if r["group"] in shown_cols else DASH
                         for _, r in lv.iterrows()}
                first_level = lv.iloc[0]
                line("level", quote(first_level["level"], SOURCE,
                                    f"{first_level['variable']} | {first_level['level']} | level"), cells)
        miss = v.drop_duplicates("group").set_index("group")["n_missing"]
        if (miss.fillna(0) > 0).any():
            rows_g = v.drop_duplicates("group").set_index("group", drop=False)
            line("missing", "Missing", {g: DASH if pd.isna(miss[g]) or g not in shown_cols
                                        else Traced(_num(rows_g.loc[g], "n_missing", "count")) for g in cols})
    header = ["kind", STUB, *(headers[g] for g in cols), "SMD"]
    return pd.DataFrame(out, columns=header + (["p-value"] if table.p_values else []))


def display_frame(table) -> pd.DataFrame:
    """Display strings; level lines indented with non-breaking spaces."""
    rows = display_rows(table)
    indent = rows["kind"] != "label"
    rows.loc[indent, STUB] = INDENT + rows.loc[indent, STUB]
    return rows.drop(columns="kind").reset_index(drop=True)


def great_table(table, title: str | None = None, subtitle: str | None = None):
    from great_tables import GT, loc, style

    rows = display_rows(table)
    kinds = rows.pop("kind").tolist()
    data_cols = [c for c in rows.columns if c != STUB]
    cohort_cols = [table.column_header(g) for g in table.groups]
    gt = GT(rows, rowname_col=STUB, id="her2cr-baseline")
    gt = gt.tab_stubhead(label=STUB)
    if title:
        gt = gt.tab_header(title=title, subtitle=subtitle)
    if cohort_cols:
        gt = gt.tab_spanner(label="Cohort", columns=cohort_cols)
    gt = gt.cols_align(align="center", columns=data_cols)
    labels = [i for i, k in enumerate(kinds) if k == "label"]
    nested = [i for i, k in enumerate(kinds) if k != "label"]
    if labels:
        gt = gt.tab_style(style.text(weight="bold"), loc.stub(rows=labels))
    if nested:
        gt = gt.tab_style(style.css("padding-left: 1.75em;"), loc.stub(rows=nested))
    for note in table.footnotes:
        gt = gt.tab_source_note(note)
    return gt.tab_options(
        table_font_size="13px", source_notes_font_size="11px", data_row_padding="3px"
    )


def markdown(table) -> str:
    """Pipe table (first column left-aligned, the others centred) followed by the footnotes."""
    frame = display_frame(table)
    header = "| " + " | ".join(frame.columns) + " |"
    align = "|" + "|".join([":---"] + [":---:"] * (frame.shape[1] - 1)) + "|"
    body = [
        "| " + " | ".join(str(x).replace("|", "\\|") for x in rec) + " |"
        for rec in frame.itertuples(index=False)
    ]
    notes = [f"{i}. {n}" for i, n in enumerate(table.footnotes, start=1)]
    return "\n".join([header, align, *body, "", *notes]) + "\n"


def read_markdown(text: str) -> tuple[pd.DataFrame, list[bool], list[str]]:
    """The table written by `markdown`, read back: (display frame, which rows are characteristic
    lines, footnotes). The report draws the PDF table from it without re-running notebook 02."""
    lines = text.splitlines()
    end = lines.index("") if "" in lines else len(lines)
    table, rest = lines[:end], lines[end:]

    def cells(line: str) -> list[str]:
        parts = re.split(r"(?<!\\)\|", line.strip()[1:-1])
        return [c.strip(" ").replace("\\|", "|") for c in parts]

    header, rows = cells(table[0]), [cells(x) for x in table[2:]]
    frame = pd.DataFrame(rows, columns=header)
    bold = [not r[0].startswith(INDENT) for r in rows]
    notes = [re.sub(r"^\d+\.\s+", "", x) for x in rest if x.strip()]
    return frame, bold, notes
