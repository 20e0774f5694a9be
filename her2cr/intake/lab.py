"""The laboratory's result file: one row per sample, or one row per sample and test.

Result words map to the contract's results by `lab.result_codes`; qualified MTM/mL values
(`ND`, `<0.01`, `>1000`) are written by the rule `lab.mtm_qualifiers` declares; a cumulative file
that resends corrected results keeps the newest row of a sample (by `lab.corrections.by`), at the
position of the sample's first appearance. Without that rule a repeated sample is an error.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import pandas as pd

from her2cr.data import sources as S
from her2cr.intake import convert as V
from her2cr.intake.issues import IntakeIssue, issue
from her2cr.intake.mapping import VISIT_RULE, Mapping
from her2cr.intake.textio import read_table
from her2cr.intake.workbook import is_workbook, read_workbook

INTEGER_COLUMNS = ("variants_detected", "panel_size")
KIND = "_kind:"  # a workbook's column of cell kinds (workbook.py), beside the column it describes
TEXT = "string[pyarrow]"


def _keep_newest(df: pd.DataFrame, rows: np.ndarray, key: list[str], m: Mapping, name: str, what: str,
                 subject: str | None) -> tuple[pd.DataFrame, np.ndarray, list[IntakeIssue]]:
    """One row per key: the newest by corrections.by, at the key's first position; else errors.
    subject: the lab's subject column (named as the issues' record)."""
    dup = df.duplicated(key, keep=False).to_numpy()
    if not dup.any():
        return df, rows, []
    sample = df[key[0]].to_numpy(dtype=object)
    who = df[subject].to_numpy(dtype=object) if subject in df else np.full(len(df), "", dtype=object)
    by = m.get("lab", "corrections", "by")
    out = []
    if by is None:
        firsts = pd.Series(rows).groupby([df[k].to_numpy() for k in key]).transform("first").to_numpy()
        for i in np.flatnonzero(dup & df.duplicated(key, keep="first").to_numpy()):
            out.append(issue("LAB03", name, f"{what} {sample[i]} is given again (first at row {firsts[i]}); "
                             "if the file resends corrected results, declare lab.corrections (keep: newest, "
                             "by: <report date column>); otherwise ask the laboratory", row=int(rows[i]),
                             record=who[i], field=key[0], value=sample[i]))
        # (the first of each kept, so that a one-row-per-test file can still be laid out: the
        # errors stop the intake)
        first = ~df.duplicated(key, keep="first").to_numpy()
        return df.loc[first].reset_index(drop=True), rows[first], out
    order = df.assign(_pos=np.arange(len(df)), _by=df[by].str.strip())
    # resends are ordered by `by`: dates YYYY-MM-DD (with a time or not) as written, numbers (a
    # version) by value; any other form (12/05/2024) or a tie cannot say which is the correction
    resent = order.loc[dup, "_by"]
    if resent.str.fullmatch(r"\d+(?:\.\d+)?").all():
        order["_by"] = pd.to_numeric(order["_by"].where(dup, ""), errors="coerce")
    else:
        for i in np.flatnonzero(dup & ~order["_by"].str.match(r"\d{4}-\d{2}-\d{2}(?:$|[ T])").to_numpy()):
            out.append(issue("LAB03", name, f"{what} {sample[i]} is given more than once, and its {by} "
                             f"{df[by].iat[i]!r} is neither a date written YYYY-MM-DD nor a number: which result "
                             "is the correction cannot be told; ask the laboratory", row=int(rows[i]),
                             record=who[i], field=by, value=df[by].iat[i]))
    tied = order.duplicated(key + ["_by"], keep="first").to_numpy() & dup
    if tied.any():
        firsts = order.groupby(key + ["_by"], sort=False)["_pos"].transform("min").to_numpy()
        for i in np.flatnonzero(tied):
            out.append(issue("LAB03", name, f"{what} {sample[i]} is given again with the same {by} "
                             f"{df[by].iat[i]!r} as row {rows[firsts[i]]}: which result is the correction "
                             "cannot be told; ask the laboratory", row=int(rows[i]), record=who[i],
                             field=key[0], value=sample[i]))
    first_pos = order.groupby(key, sort=False)["_pos"].transform("min")
    newest = order.sort_values(["_by", "_pos"], kind="stable").drop_duplicates(key, keep="last")
    dropped = np.setdiff1d(np.arange(len(df)), newest["_pos"].to_numpy())
    kept_row = pd.Series(rows[newest["_pos"].to_numpy()],
                         index=pd.MultiIndex.from_frame(newest[key]) if len(key) > 1 else newest[key[0]])
    for i in dropped:
        k = tuple(df[c].iat[i] for c in key) if len(key) > 1 else df[key[0]].iat[i]
        out.append(issue("LAB04", name, f"{what} {sample[i]}: this result ({by} {df[by].iat[i]!r}) was "
                         f"replaced by the newer one at row {kept_row[k]}", row=int(rows[i]),
                         record=who[i], field=key[0], value=sample[i]))
    newest = newest.assign(_first=first_pos[newest.index]).sort_values("_first", kind="stable")
    keep = newest["_pos"].to_numpy()
    return df.iloc[keep].reset_index(drop=True), rows[keep], out


def _visits(lab: pd.DataFrame, df: pd.DataFrame, rows: np.ndarray, sample_col: str, vcol: str,
            subject: str | None, test_col: str | None, m: Mapping, name: str
            ) -> tuple[pd.DataFrame, list[IntakeIssue]]:
    """The laboratory's visit of each sample (lab.visit_codes), to be compared with the EDC draw's
    (reconcile, REC06): `visit` (the contract's word; '' when the cell is empty, the word maps to
    '', or it is in error), `_visit_word` (the laboratory's own word) and `_row_visit` (its row).
    df, rows: the file's rows after corrections, one per sample (lab's rows, in its order) or, in a
    one-row-per-test file (test_col), one per sample and test, whose visits must agree (LAB08)."""
    codes = {_match_key(_word(k)): _word(v) for k, v in (m.get("lab", "visit_codes") or {}).items()}
    word = df[vcol].str.strip().to_numpy(dtype=object)
    mapped = _match_keys(pd.Series(word)).map(codes)
    sample = df[sample_col].to_numpy(dtype=object)
    who = df[subject].to_numpy(dtype=object) if subject in df else np.full(len(df), "", dtype=object)
    unknown = ((word != "") & mapped.isna()).to_numpy()
    if test_col is not None:  # one message per sample and word, at its first row
        unknown &= ~pd.DataFrame({"s": sample, "w": word}).duplicated().to_numpy()
    out = []
    for i in np.flatnonzero(unknown):
        out.append(issue("LAB07", name, f"visit {word[i]!r} has no entry in lab.visit_codes "
                         f"({', '.join(codes) or 'none yet'}); add it, mapped to the contract's visit "
                         f"({VISIT_RULE}), or to '' if it names no visit", row=int(rows[i]), record=who[i],
                         field=vcol, value=word[i]))
    visit = mapped.fillna("").to_numpy(dtype=object)
    if test_col is None:
        return lab.assign(visit=visit, _visit_word=word, _row_visit=rows.astype(float)), out
    given = pd.DataFrame({"sample": sample, "visit": visit, "word": word, "row": rows.astype(float),
                          "test": df[test_col].str.strip().to_numpy(dtype=object), "who": who})
    given = given[given["visit"] != ""]
    first = given.drop_duplicates("sample").set_index("sample")
    other = given["visit"].to_numpy() != first["visit"].reindex(given["sample"]).to_numpy()
    for r in given.loc[other].drop_duplicates("sample").itertuples():
        f = first.loc[r.sample]
        out.append(issue("LAB08", name, f"sample {r.sample} is filed under visit {r.word!r} ({r.visit}) in this "
                         f"row (test {r.test}) but under {f['word']!r} ({f['visit']}) at row {int(f['row'])} "
                         f"(test {f['test']}); one sample is drawn at one visit: ask the laboratory to correct "
                         "its file", row=int(r.row), record=r.who, field=vcol, value=r.word))
    first.loc[given.loc[other, "sample"].unique(), "visit"] = ""  # in error: not compared with the EDC
    at = first.reindex(lab["sample_id"].to_numpy())
    return lab.assign(visit=at["visit"].fillna("").to_numpy(dtype=object),
                      _visit_word=at["word"].fillna("").to_numpy(dtype=object),
                      _row_visit=at["row"].to_numpy(dtype=float)), out


def _match_key(text) -> str:
    """A laboratory word as the word maps match it: ignoring case and extra spaces ('Not  detected ')."""
    return " ".join(str(text).split()).upper()


def _match_keys(words: pd.Series) -> pd.Series:
    return words.str.split().str.join(" ").str.upper()


def _word(v) -> str:
    """A key or value of a word map as the mapping writes it (YAML's 3 and "3" alike)."""
    return "" if v is None else str(v).strip()


def _mtm(values: pd.Series, where: V.Where, m: Mapping) -> tuple[pd.Series, list[IntakeIssue]]:
    q = m.get("lab", "mtm_qualifiers", default={}) or {}
    nd = {_match_key(x) for x in q.get("not_detected", []) or []}
    s = values.str.strip()
    out = []
    res = s.copy()
    is_nd = _match_keys(s).isin(nd).to_numpy()
    res[is_nd] = str(q.get("not_detected_value", "0"))  # (17b) the text written for a not-detected value
    for sign, key in (("<", "below_limit"), (">", "above_limit")):
        mask = s.str.startswith(sign).to_numpy() & ~is_nd  # '<LOD' declared not detected is not a limit
        rule = q.get(key)
        for i in np.flatnonzero(mask):
            row, rec = where.at(i)
            v = s.iat[i]
            x = v[1:].strip()
            if rule is None:
                out.append(issue("LAB06", where.file, f"MTM/mL {v!r} is qualified, and lab.mtm_qualifiers."
                                 f"{key} is not declared; declare it (limit, "
                                 f"{'half, ' if key == 'below_limit' else ''}missing)", row=row, record=rec,
                                 field=where.field, value=v))
                continue
            try:
                limit = Decimal(x)
            except InvalidOperation:
                out.append(issue("EDC04", where.file, f"MTM/mL {v!r}: {x!r} after {sign!r} is not a number; "
                                 "ask the laboratory" + (", or list it under lab.mtm_qualifiers.not_detected if "
                                                         "it means not detected" if sign == "<" else ""),
                                 row=row, record=rec, field=where.field, value=v))
                continue
            new = {"limit": x, "half": format(limit / 2, "f"), "missing": ""}[rule]
            res.iat[i] = new
            out.append(issue("LAB02", where.file, f"MTM/mL {v!r} written as {new!r} (mtm_qualifiers.{key}: "
                             f"{rule})", row=row, record=rec, field=where.field, value=v))
    qualified = is_nd | s.str.match(r"^[<>]").to_numpy()
    rest, more = V.check_kind(s.where(~qualified, ""), where, "number")
    return res.where(qualified, rest), out + more


def read_lab(path: Path, m: Mapping) -> tuple[pd.DataFrame | None, list[IntakeIssue], dict[str, dict]]:
    """The lab file as contract columns (result, mtm_per_ml, ...), one row per sample, with `_row`
    (the spreadsheet row; in a one-row-per-test file the sample's first row, and `_row:<target>`
    the row of each test); the issues; and each contract column's origin (her2cr/data/sources.py)."""
    name = path.name
    cols = {k: str(v) for k, v in (m.get("lab", "columns") or {}).items()}
    if is_workbook(path):
        t, out = read_workbook(path, m.get("lab", "sheet"), expect=tuple(cols.values()))
    elif m.get("lab", "sheet") is not None:
        return None, [issue("MAP03", m.path.name, f"line {m.line('lab', 'sheet')}: lab.sheet names a sheet, but "
                            f"{name} is not an Excel workbook (.xlsx); delete lab.sheet, or name the workbook "
                            "in lab.file", row=m.line("lab", "sheet"), field="lab.sheet")], {}
    else:
        t, out = read_table(path, m.get("lab", "encoding", default="utf-8"),
                            m.get("lab", "delimiter", default=","), expect=tuple(cols.values()))
    if t is None:
        return None, out, {}
    name = t.name  # a workbook's sheet is named with the file
    layout = m.get("lab", "layout", default="sample")
    tests = m.get("lab", "tests") or {}
    needed = list(cols.values()) + ([tests.get("column"), tests.get("value")] if layout == "sample_test" else [])
    by = m.get("lab", "corrections", "by")
    if by:
        needed.append(by)
    missing = [c for c in dict.fromkeys(needed) if c and c not in t.frame]
    if missing:
        return None, [issue("FILE06", name, f"column {c} (named in the mapping's lab section) is not in the "
                            f"laboratory file (its columns: {', '.join(t.header)}); correct the mapping",
                            row=1, field=c) for c in missing], {}
    df, rows = t.frame, t.rows
    if t.kinds is not None:  # a workbook: what its typed cells were, carried along as `_kind:<column>`
        df = df.assign(**{KIND + c: t.kinds[c].to_numpy(dtype=object) for c in t.kinds if (t.kinds[c] != "").any()})
    sample_col = cols["sample_id"]
    origins = {target: S.column_origin(S.ORIGIN_LAB, name, col) for target, col in cols.items()}
    if layout == "sample_test":
        tcol, vcol = tests["column"], tests["value"]
        codes = {str(k).strip(): str(v) for k, v in (tests.get("codes") or {}).items()}
        code = df[tcol].str.strip()
        unknown = ~code.isin(codes).to_numpy()
        for i in np.flatnonzero(unknown):
            out.append(issue("LAB05", name, f"test code {code.iat[i]!r} has no entry in lab.tests.codes "
                             f"({', '.join(codes)}); add it (or ask the laboratory)", row=int(rows[i]),
                             field=tcol, value=code.iat[i]))
        df, rows = df.loc[~unknown].reset_index(drop=True), rows[~unknown]
        df = df.assign(_test=df[tcol].str.strip().map(codes))
        df, rows, more = _keep_newest(df, rows, [sample_col, "_test"], m, name, "sample and test",
                                      cols.get("subject_id"))
        out += more
        first = df.assign(_row=rows).drop_duplicates(sample_col)
        wide = df.pivot(index=sample_col, columns="_test", values=vcol)
        wide_rows = df.assign(_r=rows).pivot(index=sample_col, columns="_test", values="_r")
        base = first.set_index(sample_col)
        wide_kinds = df.pivot(index=sample_col, columns="_test", values=KIND + vcol) if KIND + vcol in df else None
        lab = pd.DataFrame({"sample_id": base.index.to_numpy(dtype=object), "_row": base["_row"].to_numpy()})
        for target in dict.fromkeys(codes.values()):
            lab[target] = wide[target].reindex(base.index).fillna("").to_numpy(dtype=object) \
                if target in wide else ""
            origin = f"{S.ORIGIN_LAB}:{target}"
            lab[f"_row:{target}"] = (wide_rows[target].reindex(base.index).to_numpy(dtype=float)
                                     if target in wide_rows else np.nan)
            if wide_kinds is not None:
                lab[KIND + target] = wide_kinds[target].reindex(base.index).fillna("").to_numpy(dtype=object) \
                    if target in wide_kinds else ""
            tested = ", ".join(k for k, v in codes.items() if v == target)
            origins[target] = S.column_origin(origin, name, f"{vcol} (test {tested})")
        for target, col in cols.items():
            if target not in lab:
                lab[target] = base[col].to_numpy(dtype=object)
                if KIND + col in base:
                    lab[KIND + target] = base[KIND + col].to_numpy(dtype=object)
    else:
        df, rows, more = _keep_newest(df, rows, [sample_col], m, name, "sample", cols.get("subject_id"))
        out += more
        lab = pd.DataFrame({t_: df[c].reset_index(drop=True) for t_, c in cols.items()})
        for t_, c in cols.items():
            if KIND + c in df:
                lab[KIND + t_] = df[KIND + c].to_numpy(dtype=object)
        lab["_row"] = rows
    if "visit" in cols:
        lab, more = _visits(lab, df, rows, sample_col, cols["visit"], cols.get("subject_id"),
                            tests.get("column") if layout == "sample_test" else None, m, name)
        out += more
    rows = lab["_row"].to_numpy()
    subj = lab["subject_id"].to_numpy(dtype=object) if "subject_id" in lab else np.full(len(lab), "")

    def where(target):
        kinds = lab[KIND + target].to_numpy(dtype=object) if KIND + target in lab else None
        if f"_row:{target}" in lab:  # one row per test: the test's own row and the value column
            own = lab[f"_row:{target}"].to_numpy(dtype=float)
            at = np.where(np.isnan(own), rows, own).astype(np.int64)
            return V.Where(name, at, subj, origins[target]["field"], lab=True, kinds=kinds)
        return V.Where(name, rows, subj, cols.get(target, target), lab=True, kinds=kinds)

    res_codes = {_match_key(k): str(v) for k, v in (m.get("lab", "result_codes") or {}).items()}
    lab = lab.astype({c: TEXT for c in lab if not c.startswith("_row")})
    word = lab["result"].str.strip()
    mapped = _match_keys(word).map(res_codes)
    for i in np.flatnonzero(mapped.isna().to_numpy()):
        said = ("the result is empty; ask the laboratory to complete it and send the file again"
                if word.iat[i] == "" else f"result {word.iat[i]!r} has no entry in lab.result_codes "
                f"({', '.join(res_codes)}); add it, mapped to POSITIVE, NEGATIVE, QNS or FAILED")
        out.append(issue("LAB01", name, said, row=int(rows[i]), record=subj[i],
                         field=cols.get("result", "result"), value=word.iat[i]))
    lab["result"] = mapped.fillna("").to_numpy(dtype=object)
    lab["mtm_per_ml"], more = _mtm(lab["mtm_per_ml"], where("mtm_per_ml"), m)
    out += more
    for target in INTEGER_COLUMNS:
        lab[target], more = V.check_kind(lab[target], where(target), "integer")
        out += more
    if "collection_date" in lab:
        _, more = V.check_kind(lab["collection_date"], where("collection_date"), "date")
        out += more
    lab.attrs["file"] = name  # how the reconciliation's messages name the file (and its sheet)
    return lab, out, origins
