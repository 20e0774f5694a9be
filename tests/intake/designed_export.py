"""An export that another data centre designed: the synthetic study written the way a Japanese
site's REDCap project and a laboratory's transfer might have it, unlike the synthetic export
(her2cr/intake/synthetic.py) in every respect the draft mapping has to find on its own:

- the data dictionary with the API header, named `metadata.csv`; records and dictionary in CP932;
- field names that are not the contract's (`ic_date`, `gender`, `bor`, ...), Japanese labels and
  choices (女性/男性, 閉経前/閉経後, あり/なし, 初発/再発, 完全奏効 (CR), ...), hormone receptors
  as a yes/no field ('ホルモン受容体陽性'), ECOG coded 1-5 for PS 0-4, the regimen choice
  `Trastuzumab, Pertuzumab`, an identifier not flagged as one (イニシャル), the record ID beside
  the subject ID (被験者ID);
- the data access groups named by the hospitals (nagoya_city, aichi_cancer, jfcr_ariake);
- the plasma draws as a repeating event (instances with no repeat instrument); or, `classic`, a
  project without events whose draws are a repeating instrument, records and dictionary
  tab-separated;
- the laboratory file one row per sample and test, tab-separated (.tsv) or an Excel workbook,
  with qualifiers (ND, <x, >x) and a resent MTM/mL result ordered by its report date.

`expected(cut)` is the contract cut its intake must give: the synthetic cut with the categories
the site typed as free text in the synthetic export (' Continuing', 'POST', 't-dxd ') written as
the coded fields give them, and no `comment` column.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from her2cr.data import contract as C
from her2cr.data.synth import FOLLOW_UP_MONTHS, VISIT_INTERVAL, SynthCut

RECORDS = "HER2CR_JP_DATA_2025-12-31_0900.csv"
DICTIONARY = "metadata.csv"
LAB = "natera_transfer_20251231"
API_HEADER = ("field_name", "form_name", "section_header", "field_type", "field_label",
              "select_choices_or_calculations", "field_note", "text_validation_type_or_show_slider_number",
              "text_validation_min", "text_validation_max", "identifier", "branching_logic", "required_field",
              "custom_alignment", "question_number", "matrix_group_name", "matrix_ranking", "field_annotation")
EV_REG, EV_DRAW, EV_FU = "registration_arm_1", "blood_draw_arm_1", "followup_arm_1"
DAGS = {"NCU": "nagoya_city", "ACC": "aichi_cancer", "JFCR": "jfcr_ariake"}
MONTHS = range(0, FOLLOW_UP_MONTHS + 1, VISIT_INTERVAL)

# the contract's value -> the code, per coded field
GENDER = {"F": "1", "M": "2"}
RACE = {"Asian": "1", "White": "2", "Black or African American": "3", "": ""}
COHORT = {"continuing": "1", "stopped": "2"}
MENO = {"pre": "0", "post": "1"}
HR = {"positive": "1", "negative": "0"}
PRESENTATION = {"de_novo": "1", "recurrent": "2"}
YESNO = {"yes": "1", "no": "0"}
REGIMEN = {"trastuzumab": "1", "trastuzumab+pertuzumab": "2", "T-DM1": "3", "T-DXd": "4"}
BOR = {"CR": "1", "PR": "2"}
STATUS = {"on_study": "1", "completed": "2", "withdrawn": "3", "lost_to_follow_up": "4", "died": "5"}

# name, form, type, label, choices, validation, identifier
FIELDS = [
    ("reg_no", "registration", "text", "登録番号", "", "", ""),
    ("pt_initials", "registration", "text", "イニシャル", "", "", ""),
    ("dob", "registration", "text", "生年月日", "", "date_ymd", "y"),
    ("subj", "registration", "text", "被験者ID", "", "", ""),
    ("ic_date", "registration", "text", "同意取得日", "", "date_ymd", ""),
    ("age_yrs", "registration", "text", "同意時年齢", "", "integer", ""),
    ("gender", "registration", "radio", "性別", "1, 女性 | 2, 男性", "", ""),
    ("jinshu", "registration", "radio", "人種", "1, アジア人 (Asian) | 2, 白人 (White) | 3, 黒人 (Black) | "
     "8, その他 (other) | 9, 不明", "", ""),
    ("coh", "registration", "radio", "コホート", "1, 抗HER2療法継続 | 2, 抗HER2療法中止", "", ""),
    ("meno", "registration", "radio", "閉経状況", "0, 閉経前 | 1, 閉経後", "", ""),
    ("ps", "registration", "dropdown", "ECOG PS", "1, PS 0 | 2, PS 1 | 3, PS 2 | 4, PS 3 | 5, PS 4", "", ""),
    ("hr_pos", "registration", "yesno", "ホルモン受容体陽性", "", "", ""),
    ("dx_type", "registration", "radio", "初発/再発", "1, 初発 (Stage IV at diagnosis) | 2, 再発", "", ""),
    ("visc", "registration", "radio", "内臓転移", "1, あり | 0, なし", "", ""),
    ("cns", "registration", "radio", "脳転移", "1, あり | 0, なし", "", ""),
    ("n_prior", "registration", "text", "転移巣に対する前治療ライン数", "", "integer", ""),
    ("regimen", "registration", "dropdown", "抗HER2療法レジメン",
     "1, Trastuzumab | 2, Trastuzumab, Pertuzumab | 3, T-DM1 | 4, T-DXd", "", ""),
    ("bor", "registration", "radio", "最良総合効果", "1, 完全奏効 (CR) | 2, 部分奏効 (PR)", "", ""),
    ("rx_start", "registration", "text", "抗HER2療法開始日", "", "date_ymd", ""),
    ("resp_dt", "registration", "text", "奏効確認日", "", "date_ymd", ""),
    ("rx_stop", "registration", "text", "抗HER2療法中止日", "", "date_ymd", ""),
    ("spec_no", "blood_draw", "text", "検体番号", "", "", ""),
    ("draw_pt", "blood_draw", "dropdown", "採血時期",
     " | ".join(f"{m}, {'ベースライン' if m == 0 else f'{m}ヶ月'}" for m in MONTHS), "", ""),
    ("draw_dt", "blood_draw", "text", "採血日", "", "date_ymd", ""),
    ("fu_status", "follow_up", "radio", "転帰", "1, 追跡中 | 2, 完了 | 3, 同意撤回 | 4, 追跡不能 | 5, 死亡", "", ""),
    ("last_dt", "follow_up", "text", "最終確認日", "", "date_ymd", ""),
    ("pd_dt", "follow_up", "text", "増悪日", "", "date_ymd", ""),
    ("death_dt", "follow_up", "text", "死亡日", "", "date_ymd", ""),
]
FORMS = ("registration", "blood_draw", "follow_up")


def _canonical(value: str, allowed) -> str:
    """A category as typed (' Continuing', 'POST') -> the contract's word, as a coded field has it."""
    return next((a for a in allowed if a.casefold() == value.strip().casefold()), value)


def expected(cut: SynthCut) -> tuple[pd.DataFrame, pd.DataFrame]:
    s = cut.subjects.drop(columns=["comment"]).copy()
    for f in C.SUBJECTS:
        if f.allowed:
            s[f.name] = s[f.name].map(lambda v, a=f.allowed: _canonical(v, a) if v else v)
    d = cut.ctdna.copy()
    d["result"] = d["result"].map(lambda v: _canonical(v, C.RESULTS))
    return s, d


def _records(cut: SynthCut, classic: bool = False) -> pd.DataFrame:
    """classic: a project without events, the draws a repeating instrument (one row per record
    for the other forms)."""
    s, d = expected(cut)
    cols = ["reg_no", "redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance",
            "redcap_data_access_group"]
    for form in FORMS:
        cols += [f[0] for f in FIELDS if f[1] == form and f[0] != "reg_no"] + [f"{form}_complete"]
    rows = []
    for k, r in enumerate(s.itertuples(index=False), start=1):
        base = {"reg_no": str(k), "redcap_data_access_group": DAGS[r.site]}
        birth_year = int(r.consent_date[:4]) - int(r.age) - 1
        rows.append({**base, "redcap_event_name": EV_REG, "pt_initials": "H.S.", "dob": f"{birth_year}-07-01",
                     "subj": r.subject_id, "ic_date": r.consent_date, "age_yrs": r.age, "gender": GENDER[r.sex],
                     "jinshu": RACE[r.race], "coh": COHORT[r.cohort], "meno": MENO[r.menopausal_status],
                     "ps": str(int(r.ecog) + 1), "hr_pos": HR[r.hr_status], "dx_type": PRESENTATION[r.presentation],
                     "visc": YESNO[r.visceral_mets], "cns": YESNO[r.brain_mets], "n_prior": r.prior_lines,
                     "regimen": REGIMEN[r.anti_her2], "bor": BOR[r.best_response], "rx_start": r.anti_her2_start,
                     "resp_dt": r.response_date, "rx_stop": r.anti_her2_stop, "registration_complete": "2"})
        follow_up = {"fu_status": STATUS[r.status], "last_dt": r.last_contact, "pd_dt": r.progression_date,
                     "death_dt": r.death_date, "follow_up_complete": "2"}
        if classic:
            rows[-1].update(follow_up)
        for i, x in enumerate(d[d["subject_id"] == r.subject_id].itertuples(index=False), start=1):
            rows.append({**base, "redcap_event_name": EV_DRAW, "redcap_repeat_instance": str(i),
                         "redcap_repeat_instrument": "blood_draw" if classic else "",
                         "spec_no": x.sample_id, "draw_pt": "0" if x.visit == "baseline" else x.visit[len("month_"):],
                         "draw_dt": x.collection_date, "blood_draw_complete": "2"})
        if not classic:
            rows.append({**base, "redcap_event_name": EV_FU, **follow_up})
    out = pd.DataFrame(rows, columns=cols).fillna("")
    return out.drop(columns=["redcap_event_name"]) if classic else out


TESTS = (("CTDNA_STATUS", "Signatera ctDNA", "result", ""), ("MTM", "Mean tumor molecules", "mtm_per_ml", "MTM/mL"),
         ("VARIANTS", "Variants detected", "variants_detected", ""), ("PANEL", "Panel size", "panel_size", ""))
WORDS = {"POSITIVE": "DETECTED", "NEGATIVE": "NOT DETECTED", "QNS": "QNS", "FAILED": "TEST FAILED"}


def _lab(cut: SynthCut) -> pd.DataFrame:
    """One row per sample and test, in the cut's order; an empty value is a test not done (no
    row). MTM/mL: ND for a negative sample, `<x` for the first positive, `>x` for the second
    (`limit` writes x), and the third's MTM/mL first reported wrong and resent two weeks later."""
    d = cut.ctdna
    positive = [i for i, r in enumerate(d["result"]) if r == "POSITIVE"][:3]
    rows = []
    for i, x in enumerate(d.itertuples(index=False)):
        report = (pd.Timestamp(x.collection_date) + pd.Timedelta(days=14)).strftime("%Y-%m-%d")
        for code, name, target, unit in TESTS:
            v = getattr(x, target)
            if target == "result":
                v = WORDS.get(v, v)  # the planted 'Negative' stays as keyed
            if target == "mtm_per_ml" and x.result.upper() == "NEGATIVE":
                v = "ND"
            if target == "mtm_per_ml" and i in positive[:2]:
                v = ("<" if i == positive[0] else ">") + v
            if v == "":
                continue
            row = {"Patient ID": x.subject_id, "Accession No": x.sample_id, "Collection Date": x.collection_date,
                   "Test Code": code, "Test Name": name, "Result": v, "Unit": unit, "Report Date": report}
            if target == "mtm_per_ml" and len(positive) > 2 and i == positive[2]:
                rows.append({**row, "Result": str(float(v) * 10)})
                row["Report Date"] = (pd.Timestamp(report) + pd.Timedelta(days=14)).strftime("%Y-%m-%d")
            rows.append(row)
    return pd.DataFrame(rows)


def write(cut: SynthCut, folder: Path, lab_format: str = "tsv", classic: bool = False) -> Path:
    """Write the export into folder (created); returns it. classic: a project without events
    (the draws a repeating instrument), its records and dictionary tab-separated."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    dictionary = pd.DataFrame([dict(zip(API_HEADER, (n, fm, "", t, lab, ch, "", v, "", "", i, "", "", "", "", "", "",
                                                     ""))) for n, fm, t, lab, ch, v, i in FIELDS])
    sep = "\t" if classic else ","
    dictionary.to_csv(folder / DICTIONARY, index=False, encoding="cp932", lineterminator="\r\n", sep=sep)
    _records(cut, classic).to_csv(folder / RECORDS, index=False, encoding="cp932", lineterminator="\r\n", sep=sep)
    lab = _lab(cut)
    if lab_format == "xlsx":  # dates typed as Excel dates, and a cover sheet before the results
        import openpyxl

        from her2cr.intake.workbook_writer import write_workbook

        path = write_workbook(lab, folder / f"{LAB}.xlsx", "Results", dates=("Collection Date", "Report Date"))
        wb = openpyxl.load_workbook(path)
        wb.create_sheet("Cover", 0).append(["Signatera research transfer", "HER2 CR"])
        wb.save(path)
    else:
        lab.to_csv(folder / f"{LAB}.tsv", index=False, sep="\t", lineterminator="\n")
    return folder
