"""Sample reconciliation: the EDC's plasma draws against the laboratory file, and the ctDNA frame.

ctdna rows follow the laboratory file (after corrections). subject_id, visit and collection_date
come from the EDC draw (its date checked against the laboratory's within the tolerance, its visit
against the laboratory's when the file gives one); result, mtm_per_ml, variants_detected and
panel_size from the laboratory file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from her2cr.intake.issues import IntakeIssue, issue

CTDNA_ORDER = ("subject_id", "sample_id", "visit", "collection_date", "result", "mtm_per_ml",
               "variants_detected", "panel_size")


def _days(n) -> str:
    return f"{int(n)} day" + ("" if int(n) == 1 else "s")


def reconcile(draws: pd.DataFrame, lab: pd.DataFrame, subject_of: pd.Series, edc_name: str,
              lab_name: str, tolerance_days: int = 0, visit_column: str = "visit"
              ) -> tuple[pd.DataFrame, list[IntakeIssue], pd.DataFrame]:
    """subject_of: record ID -> subject_id. Returns the ctdna frame (contract order, extras after),
    the issues, and the origin of each of its rows: the draw's record (`_record`), the draw's row
    in the records export (`_row`) and the sample's rows in the laboratory file (`_row_lab`, and
    `_row:<target>` per test of a one-row-per-test file). When the laboratory file gives a visit
    (lab.py: `visit` in contract words, `_visit_word`, `_row_visit`), it is compared with the
    draw's (REC06, naming the laboratory's column visit_column); ctdna's visit stays the draw's."""
    out: list[IntakeIssue] = []
    d = draws.assign(subject_id=draws["_record"].map(subject_of).fillna("").to_numpy(dtype=object))
    twice = d["sample_id"].duplicated(keep="first").to_numpy()
    for i in np.flatnonzero(twice):
        first = d.loc[d["sample_id"] == d["sample_id"].iat[i], "_row"].iat[0]
        out.append(issue("REC05", edc_name, f"sample {d['sample_id'].iat[i]} is also recorded at row {first} "
                         "(another draw); one sample ID belongs to one draw: correct it in the EDC",
                         row=int(d["_row"].iat[i]), record=d["_record"].iat[i], field="sample_id",
                         value=d["sample_id"].iat[i]))
    d = d.loc[~twice]
    j = lab.merge(d, on="sample_id", how="left", suffixes=("_lab", ""), indicator=True)
    no_draw = (j["_merge"] == "left_only").to_numpy()
    lab_subject = j["subject_id_lab"] if "subject_id_lab" in j else j.get("subject_id")
    for i in np.flatnonzero(no_draw):
        out.append(issue("REC01", lab_name, f"sample {j['sample_id'].iat[i]} (subject {lab_subject.iat[i]}) "
                         "has no plasma draw in the EDC; enter the draw in the EDC, or ask the laboratory "
                         "whose sample it is", row=int(j["_row_lab"].iat[i]), record=lab_subject.iat[i],
                         field="sample_id", value=j["sample_id"].iat[i]))
    both = ~no_draw
    other = both & (lab_subject.astype(str).str.strip() != j["subject_id"].astype(str)).to_numpy()
    for i in np.flatnonzero(other):
        out.append(issue("REC03", lab_name, f"sample {j['sample_id'].iat[i]} is subject {lab_subject.iat[i]}'s "
                         f"in the laboratory file but subject {j['subject_id'].iat[i]}'s in the EDC (record "
                         f"{j['_record'].iat[i]}, row {int(j['_row'].iat[i])}); find which is right and "
                         "correct it", row=int(j["_row_lab"].iat[i]), record=lab_subject.iat[i],
                         field="subject_id", value=j["sample_id"].iat[i]))
    if "collection_date_lab" in j:
        a = pd.to_datetime(j["collection_date"], format="%Y-%m-%d", errors="coerce")
        b = pd.to_datetime(j["collection_date_lab"], format="%Y-%m-%d", errors="coerce")
        gap = (a - b).abs().dt.days
        far = both & (gap > tolerance_days).fillna(False).to_numpy()
        for i in np.flatnonzero(far):
            out.append(issue("REC04", lab_name, f"sample {j['sample_id'].iat[i]} was collected on "
                             f"{j['collection_date_lab'].iat[i]} by the laboratory file but on "
                             f"{j['collection_date'].iat[i]} by the EDC (record {j['_record'].iat[i]}, row "
                             f"{int(j['_row'].iat[i])}): {_days(gap.iat[i])} apart, more than the tolerance "
                             f"of {_days(tolerance_days)} (reconciliation.date_tolerance_days); correct "
                             "the wrong date",
                             row=int(j["_row_lab"].iat[i]), record=j["subject_id"].iat[i],
                             field="collection_date", value=j["collection_date_lab"].iat[i]))
    if "visit_lab" in j:  # the laboratory's visit (lab.columns.visit), in contract words
        lab_visit, edc_visit = j["visit_lab"].fillna("").astype(str), j["visit"].fillna("").astype(str)
        moved = both & ((lab_visit != "") & (edc_visit != "") & (lab_visit != edc_visit)).to_numpy()
        for i in np.flatnonzero(moved):
            out.append(issue("REC06", lab_name, f"sample {j['sample_id'].iat[i]} is filed under visit "
                             f"{j['_visit_word'].iat[i]!r} ({lab_visit.iat[i]}) in the laboratory file but "
                             f"was drawn at {edc_visit.iat[i]} by the EDC ({edc_name} row "
                             f"{int(j['_row'].iat[i])}, record {j['_record'].iat[i]}); find which is right: if "
                             "the EDC is wrong, correct the draw's visit in the EDC; if the laboratory file "
                             "is, ask the laboratory to correct it",
                             row=int(j["_row_visit"].iat[i]), record=j["subject_id"].iat[i],
                             field=visit_column, value=j["_visit_word"].iat[i]))
    pending = ~d["sample_id"].isin(lab["sample_id"]).to_numpy()
    for i in np.flatnonzero(pending):
        out.append(issue("REC02", edc_name, f"sample {d['sample_id'].iat[i]} (subject {d['subject_id'].iat[i]}) "
                         "has no result in the laboratory file yet: pending, not in ctdna.csv",
                         row=int(d["_row"].iat[i]), record=d["_record"].iat[i], field="sample_id",
                         value=d["sample_id"].iat[i]))
    j = j.loc[both].reset_index(drop=True)
    extras = [c for c in list(d) + list(lab) if c not in CTDNA_ORDER and not c.startswith("_")
              and not c.endswith("_lab") and c != "_merge"]
    cols = list(CTDNA_ORDER) + list(dict.fromkeys(extras))
    origin = j[["_record", "_row", "_row_lab"] + [c for c in lab if c.startswith("_row:")]]
    return j.reindex(columns=cols).fillna(""), out, origin
