"""The synthetic study as its sources deliver it: a REDCap export, Signatera's result file and the
mapping that takes them to the contract (`her2cr synth --export DIR`).

It is the same study as the synthetic contract cut of `her2cr.data.synth` (same n, seed, cut-off,
as-of date), written the way a real cut arrives, so that the default `make report` goes through
the real entry point (export -> intake -> pipeline) and the intake is tested on every feature a
real export has:

- a longitudinal REDCap project: events enrollment_arm_1, ctdna_sampling_arm_1 and
  end_of_study_arm_1, one records row per record x event x repeat instance, raw codes;
- the plasma draws as a repeating instrument (plasma_draw) of the sampling event;
- the site as the data access group (ncu, acc, jfcr);
- race as a checkbox (exactly one box ticked; the code -99 gives the column race____99), with
  the extra columns REDCap adds for the project's missing-data codes on a checkbox;
- <form>_complete columns, yes/no fields, radio and dropdown codes, date and integer fields;
- missing-data codes (UNK, NASK, -999) where the contract cut has an empty optional value;
- a data dictionary in the web download's header (with a byte-order mark, as Excel-friendly
  downloads have), Japanese field and choice labels, labels holding commas, and four fields
  flagged `Identifier? = y` that hold identifiers the intake must never copy: a name in kanji,
  the same name in Latin letters, a hospital record number and a birth date (all invented,
  drawn from their own random stream so the contract cut is unchanged);
- the laboratory file, one row per sample, with Signatera-like words (DETECTED, NOT DETECTED, QNS,
  TEST FAILED), MTM/mL "ND" where the contract says 0 for NEGATIVE, and one corrected result
  resent in the same cumulative file (the mapping's corrections rule keeps the newest).

The intake of this export gives subjects.csv and ctdna.csv byte-identical to the contract cut,
planted imperfections included (`SynthCut.planted`); how each is carried is said where it is
written below. Deterministic: the same options give byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from her2cr.data.synth import FOLLOW_UP_MONTHS, VISIT_INTERVAL, SynthCut
from her2cr.intake.workbook_writer import write_workbook

MAPPING_NAME = "mapping.yml"
PROJECT = "HER2CR"
IDENTIFIER_FIELDS = ("name_kanji", "name_latin", "mrn", "birth_date")

# REDCap unique event names, in the arm's order (the records export is sorted by record, then
# event in this order, then repeat instance).
EV_ENROL, EV_DRAW, EV_EOS = "enrollment_arm_1", "ctdna_sampling_arm_1", "end_of_study_arm_1"
DRAW_FORM = "plasma_draw"
FORM_EVENT = {"enrollment": EV_ENROL, "baseline_disease": EV_ENROL, DRAW_FORM: EV_DRAW,
              "study_status": EV_EOS}

# Project-wide missing-data codes (REDCap: Project Setup > Additional customizations).
MISSING_CODES = {"UNK": "Unknown", "NASK": "Not asked", "-999": "Not available"}

DAGS = {"NCU": "ncu", "ACC": "acc", "JFCR": "jfcr"}
RACE_CODES = {  # REDCap code -> contract category
    "1": "American Indian or Alaska Native", "2": "Asian",
    "3": "Native Hawaiian or Other Pacific Islander", "4": "Black or African American",
    "5": "White", "6": "More than one race", "-99": "Unknown or Not Reported",
}
RACE_LABELS = {
    "1": "アメリカ先住民, アラスカ先住民 (American Indian or Alaska Native)",
    "2": "アジア人 (Asian)",
    "3": "ハワイ先住民, 太平洋諸島民 (Native Hawaiian or Other Pacific Islander)",
    "4": "黒人, アフリカ系アメリカ人 (Black or African American)",
    "5": "白人 (White)", "6": "複数の人種 (More than one race)",
    "-99": "不明, 未回答 (Unknown or Not Reported)",
}
ETHNICITY_CODES = {"1": "Hispanic or Latino", "2": "Not Hispanic or Latino", "3": "Unknown or Not Reported"}
ECOG_CODES = {str(k): str(k) for k in range(5)}
HR_CODES = {"1": "positive", "0": "negative"}
PRESENTATION_CODES = {"1": "de_novo", "2": "recurrent"}
YESNO_CODES = {"1": "yes", "0": "no"}
RESPONSE_CODES = {"1": "CR", "2": "PR"}
STATUS_CODES = {"1": "on_study", "2": "completed", "3": "withdrawn", "4": "lost_to_follow_up",
                "5": "died"}
STATUS_LABELS = {"1": "追跡中 (on study)", "2": "完了 (completed)", "3": "同意撤回 (withdrawn)",
                 "4": "追跡不能 (lost to follow-up)", "5": "死亡 (died)"}
VISIT_CODES = {str(m): ("baseline" if m == 0 else f"month_{m}")
               for m in range(0, FOLLOW_UP_MONTHS + 1, VISIT_INTERVAL)}
RESULT_WORDS = {"POSITIVE": "DETECTED", "NEGATIVE": "NOT DETECTED", "QNS": "QNS", "FAILED": "TEST FAILED"}
MTM_NOT_DETECTED = "ND"

# The data dictionary, in the project's order: (field, form, type, label, choices, validation,
# identifier, branching logic, required). Choices are written as REDCap writes them.
def _choices(codes: dict, labels: dict | None = None) -> str:
    return " | ".join(f"{c}, {(labels or codes)[c]}" for c in codes)


DICTIONARY_ROWS = (
    ("record_id", "enrollment", "text", "Record ID", "", "", "", "", ""),
    ("subject_id", "enrollment", "text", "研究対象者番号 (study subject ID, HCR-nnn)", "", "", "", "", "y"),
    ("name_kanji", "enrollment", "text", "氏名（漢字）", "", "", "y", "", ""),
    ("name_latin", "enrollment", "text", "氏名（ローマ字） Name in Latin letters", "", "", "y", "", ""),
    ("mrn", "enrollment", "text", "診療録番号 (hospital record number)", "", "", "y", "", ""),
    ("birth_date", "enrollment", "text", "生年月日 (date of birth)", "", "date_ymd", "y", "", ""),
    ("consent_date", "enrollment", "text", "同意取得日 (date of informed consent)", "", "date_ymd", "", "", "y"),
    ("age", "enrollment", "text", "同意時年齢 (age at consent, years)", "", "integer", "", "", "y"),
    ("cohort", "enrollment", "text", "コホート (cohort as on the enrolment log: continuing / stopped)",
     "", "", "", "", "y"),
    ("race", "enrollment", "checkbox", "人種 (race; tick one)", _choices(RACE_CODES, RACE_LABELS),
     "", "", "", ""),
    ("ethnicity", "enrollment", "radio", "Ethnicity", _choices(ETHNICITY_CODES), "", "", "", ""),
    ("menopausal_status", "baseline_disease", "text", "閉経状況 (menopausal status: pre / post)",
     "", "", "", "", "y"),
    ("ecog", "baseline_disease", "radio", "ECOG Performance Status", _choices(ECOG_CODES), "", "", "", "y"),
    ("hr_status", "baseline_disease", "radio", "ホルモン受容体 (ER and/or PgR)",
     "1, 陽性 (positive) | 0, 陰性 (negative)", "", "", "", "y"),
    ("presentation", "baseline_disease", "radio", "転移性疾患の診断 (presentation)",
     "1, de novo (metastatic at diagnosis) | 2, 再発, recurrent (relapse after early disease)",
     "", "", "", "y"),
    ("visceral_mets", "baseline_disease", "yesno", "内臓転移 (visceral metastases)", "", "", "", "", "y"),
    ("brain_mets", "baseline_disease", "yesno", "脳転移 (brain metastases)", "", "", "", "", "y"),
    ("prior_lines", "baseline_disease", "text",
     "転移巣に対する前治療ライン数 (prior lines for metastatic disease)", "", "integer", "", "", "y"),
    ("anti_her2", "baseline_disease", "text", "抗HER2療法レジメン (regimen of the response, as written)",
     "", "", "", "", "y"),
    ("best_response", "baseline_disease", "radio", "最良総合効果 (best response)",
     "1, CR (complete response) | 2, PR (partial response)", "", "", "", "y"),
    ("anti_her2_start", "baseline_disease", "text", "抗HER2療法開始日 (start of the regimen)", "",
     "date_ymd", "", "", "y"),
    ("response_date", "baseline_disease", "text", "奏効確認日 (CR/PR first documented)", "",
     "date_ymd", "", "", "y"),
    ("anti_her2_stop", "baseline_disease", "text", "抗HER2療法中止日 (stop of the regimen)", "",
     "date_ymd", "", "[cohort] = 'stopped'", ""),
    ("draw_sample_id", DRAW_FORM, "text", "検体番号 (Signatera specimen ID)", "", "", "", "", "y"),
    ("draw_visit", DRAW_FORM, "dropdown", "採血時期 (visit)",
     _choices(VISIT_CODES, {c: ("ベースライン (baseline)" if c == "0" else f"{c}ヶ月 (month {c})")
                            for c in VISIT_CODES}), "", "", "", "y"),
    ("draw_date", DRAW_FORM, "text", "採血日 (collection date)", "", "date_ymd", "", "", "y"),
    ("eos_status", "study_status", "radio", "研究参加状況 (status at the cut-off)",
     _choices(STATUS_CODES, STATUS_LABELS), "", "", "", "y"),
    ("last_contact", "study_status", "text", "最終確認日 (last contact)", "", "date_ymd", "", "", "y"),
    ("progression_date", "study_status", "text", "増悪日 (first progression after consent)", "",
     "date_ymd", "", "", ""),
    ("death_date", "study_status", "text", "死亡日 (date of death)", "", "date_ymd", "", "", ""),
    ("eos_comment", "study_status", "notes", "コメント (comment)", "", "", "", "", ""),
)
WEB_HEADER = (
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note", "Text Validation Type OR Show Slider Number",
    "Text Validation Min", "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
    "Required Field?", "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name",
    "Matrix Ranking?", "Field Annotation",
)
VALIDATION_RANGE = {"age": ("18", "110"), "prior_lines": ("0", "")}

# Invented identifiers (common Japanese family and given names; kanji with the Hepburn reading).
SURNAMES = (("佐藤", "SATO"), ("鈴木", "SUZUKI"), ("高橋", "TAKAHASHI"), ("田中", "TANAKA"),
            ("伊藤", "ITO"), ("渡辺", "WATANABE"), ("山本", "YAMAMOTO"), ("中村", "NAKAMURA"),
            ("小林", "KOBAYASHI"), ("加藤", "KATO"), ("吉田", "YOSHIDA"), ("山田", "YAMADA"),
            ("佐々木", "SASAKI"), ("山口", "YAMAGUCHI"), ("松本", "MATSUMOTO"), ("井上", "INOUE"),
            ("木村", "KIMURA"), ("林", "HAYASHI"), ("斎藤", "SAITO"), ("清水", "SHIMIZU"))
GIVEN_NAMES = (("花子", "Hanako"), ("洋子", "Yoko"), ("恵子", "Keiko"), ("京子", "Kyoko"),
               ("幸子", "Sachiko"), ("和子", "Kazuko"), ("久美子", "Kumiko"), ("由美子", "Yumiko"),
               ("真由美", "Mayumi"), ("美穂", "Miho"), ("裕子", "Yuko"), ("直美", "Naomi"),
               ("明美", "Akemi"), ("智子", "Tomoko"), ("典子", "Noriko"), ("順子", "Junko"),
               ("弘子", "Hiroko"), ("美香", "Mika"), ("千代子", "Chiyoko"), ("紀子", "Noriko"))
MRN_PREFIX = {"NCU": "3", "ACC": "7", "JFCR": "5"}  # each hospital numbers its own records


@dataclass(frozen=True)
class SyntheticExport:
    """The files of the export, as tables of strings, and the identifiers planted in them."""

    records: pd.DataFrame
    dictionary: pd.DataFrame
    lab: pd.DataFrame
    mapping: str
    identifiers: pd.DataFrame  # record_id, subject_id and the four identifier fields
    names: dict  # role -> file name: records, dictionary, lab, mapping
    cut: SynthCut


LAB_FORMATS = ("csv", "xlsx")
LAB_SHEET = "Results"
LAB_DATES, LAB_INTEGERS = ("COLLECTION_DATE", "REPORT_DATE"), ("VARIANTS_DETECTED", "PANEL_SIZE")


def file_names(cut: str, lab_format: str = "csv") -> dict:
    """REDCap's and the laboratory's usual names, dated by the export (the cut-off)."""
    return {"records": f"{PROJECT}_DATA_{cut}_1200.csv",
            "dictionary": f"{PROJECT}_DataDictionary_{cut}.csv",
            "lab": f"Signatera_results_{cut}.{lab_format}",
            "mapping": MAPPING_NAME}


def _code_of(values: pd.Series, codes: dict, column: str) -> pd.Series:
    """Contract words -> EDC codes; a word with no code is a change in the generator, not data."""
    back = {word: code for code, word in codes.items()}
    out = values.map(back)
    bad = values[out.isna() & (values != "")]
    if len(bad):
        raise ValueError(f"synthetic export: no EDC code for {column} value {bad.iloc[0]!r}")
    return out.fillna("")


def _identifiers(cut: SynthCut, record: np.ndarray) -> pd.DataFrame:
    """Names, hospital record numbers and birth dates, drawn per record number from a stream of
    their own: the contract cut is untouched and a record keeps its identifiers across cuts."""
    rng = np.random.default_rng([cut.seed, 0x17B])
    size = max(cut.n, int(record.max()) if record.size else 0)
    sur = rng.integers(len(SURNAMES), size=size)
    given = rng.integers(len(GIVEN_NAMES), size=size)
    mrn = rng.integers(0, 10**9, size=size)
    offset = rng.integers(1, 365, size=size)  # days before the last birthday at consent
    s = cut.subjects
    i = record - 1
    kanji = [f"{SURNAMES[a][0]}\u3000{GIVEN_NAMES[b][0]}" for a, b in zip(sur[i], given[i])]
    latin = [f"{SURNAMES[a][1]} {GIVEN_NAMES[b][1]}" for a, b in zip(sur[i], given[i])]
    mrns = [f"{MRN_PREFIX[site]}{m:09d}" for site, m in zip(s["site"], mrn[i])]
    births = []
    for consent, age, off in zip(s["consent_date"], s["age"], offset[i]):
        c = dt.date.fromisoformat(consent)
        try:
            birthday = c.replace(year=c.year - int(age))
        except ValueError:  # 29 February
            birthday = c.replace(year=c.year - int(age), day=28)
        births.append((birthday - dt.timedelta(days=int(off))).isoformat())
    return pd.DataFrame({"name_kanji": kanji, "name_latin": latin, "mrn": mrns, "birth_date": births})


def _missing_code_cells(s: pd.DataFrame) -> dict[str, pd.Series]:
    """Where the contract cut has an empty optional value, the EDC holds a missing-data code
    (the intake writes an empty cell and lists a warning):
    - ethnicity not recorded -> UNK;
    - race not recorded -> the checkbox's NASK column ticked (see `_records`);
    - death date of a participant lost to follow-up (vital status unknown) -> UNK, of one who
      withdrew consent (no follow-up asked after it) -> NASK;
    - progression date of a participant lost to follow-up with no progression known -> -999
      (not available: no assessment after the loss)."""
    status = s["status"].str.strip().str.lower()
    eth = s["ethnicity"].where(s["ethnicity"] != "", "UNK")
    death = s["death_date"].mask((s["death_date"] == "") & (status == "lost_to_follow_up"), "UNK")
    death = death.mask((death == "") & (status == "withdrawn"), "NASK")
    prog = s["progression_date"].mask((s["progression_date"] == "") & (status == "lost_to_follow_up"),
                                      "-999")
    return {"ethnicity": eth, "death_date": death, "progression_date": prog}


def _checkbox_columns(field: str, codes) -> list[str]:
    """REDCap's column per box: field___code, the code lower-cased, other characters as '_'."""
    return [f"{field}___{re.sub(r'[^a-z0-9]', '_', c.lower())}" for c in codes]


def record_columns() -> list[str]:
    """The records export's header: REDCap's own columns, then each form's fields (a checkbox as
    one column per choice and per missing-data code) and its <form>_complete."""
    cols = ["record_id", "redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance",
            "redcap_data_access_group"]
    form = None
    for name, f, ftype, *_ in DICTIONARY_ROWS:
        if form is not None and f != form:
            cols.append(f"{form}_complete")
        form = f
        if name == "record_id":
            continue
        if ftype == "checkbox":
            cols += _checkbox_columns(name, [*RACE_CODES, *MISSING_CODES])
        else:
            cols.append(name)
    cols.append(f"{form}_complete")
    return cols


def _records(cut: SynthCut, record: np.ndarray, ids: pd.DataFrame) -> pd.DataFrame:
    s, d = cut.subjects, cut.ctdna
    n = len(s)
    cols = record_columns()
    rec = pd.Series(record.astype(str))
    dag = _code_of(s["site"], {v: k for k, v in DAGS.items()}, "site")
    miss = _missing_code_cells(s)

    # enrollment_arm_1: the enrollment and baseline_disease forms
    e = pd.DataFrame("", index=range(n), columns=cols)
    e["record_id"], e["redcap_event_name"], e["redcap_data_access_group"] = rec, EV_ENROL, dag.values
    for c in ("subject_id", "consent_date", "age", "prior_lines", "anti_her2_start", "response_date",
              "anti_her2_stop"):
        e[c] = s[c].values
    for c in IDENTIFIER_FIELDS:
        e[c] = ids[c].values
    # The contract cut's respelled categories (" Continuing", "POST", "t-dxd ") are planted as a
    # site typed them: cohort, menopausal status and regimen are free-text fields of this
    # project, so the intake carries each value as it stands and the pipeline's validator, as for
    # the contract cut, matches it ignoring case and spaces (a note). A coded field could not
    # hold them: one code has one word.
    for c in ("cohort", "menopausal_status", "anti_her2"):
        e[c] = s[c].values
    race = _code_of(s["race"], RACE_CODES, "race")
    for code, col in zip([*RACE_CODES, *MISSING_CODES], _checkbox_columns("race", [*RACE_CODES, *MISSING_CODES])):
        e[col] = np.where(race.values == code, "1", "0")
    e["race___nask"] = np.where(s["race"].values == "", "1", "0")
    e["ethnicity"] = _code_of(miss["ethnicity"], {**ETHNICITY_CODES, **{k: k for k in MISSING_CODES}},
                              "ethnicity").values
    e["ecog"] = _code_of(s["ecog"], ECOG_CODES, "ecog").values
    e["hr_status"] = _code_of(s["hr_status"], HR_CODES, "hr_status").values
    e["presentation"] = _code_of(s["presentation"], PRESENTATION_CODES, "presentation").values
    e["visceral_mets"] = _code_of(s["visceral_mets"], YESNO_CODES, "visceral_mets").values
    e["brain_mets"] = _code_of(s["brain_mets"], YESNO_CODES, "brain_mets").values
    e["best_response"] = _code_of(s["best_response"], RESPONSE_CODES, "best_response").values
    e["enrollment_complete"] = "2"
    e["baseline_disease_complete"] = "2"

    # ctdna_sampling_arm_1: one repeat instance of plasma_draw per sample, numbered in the order
    # of collection (the contract cut's order within a participant)
    subj_pos = pd.Series(np.arange(n), index=s["subject_id"].values)
    pos = subj_pos.reindex(d["subject_id"].values).to_numpy()
    if np.isnan(pos.astype(float)).any():
        raise ValueError("synthetic export: a sample of a participant who is not in subjects.csv")
    pos = pos.astype(np.int64)
    m = len(d)
    g = pd.DataFrame("", index=range(m), columns=cols)
    g["record_id"] = record[pos].astype(str)
    g["redcap_event_name"] = EV_DRAW
    g["redcap_repeat_instrument"] = DRAW_FORM
    g["redcap_repeat_instance"] = (d.groupby("subject_id", sort=False).cumcount() + 1).astype(str).values
    g["redcap_data_access_group"] = dag.values[pos]
    g["draw_sample_id"] = d["sample_id"].values
    g["draw_visit"] = _code_of(d["visit"], VISIT_CODES, "visit").values
    g["draw_date"] = d["collection_date"].values
    g["plasma_draw_complete"] = "2"

    # end_of_study_arm_1: status at the cut-off, dates and the free-text comment (the contract
    # cut's extra `comment` column: the mapping maps eos_comment to it)
    x = pd.DataFrame("", index=range(n), columns=cols)
    x["record_id"], x["redcap_event_name"], x["redcap_data_access_group"] = rec, EV_EOS, dag.values
    x["eos_status"] = _code_of(s["status"], STATUS_CODES, "status").values
    x["last_contact"] = s["last_contact"].values
    x["progression_date"] = miss["progression_date"].values
    x["death_date"] = miss["death_date"].values
    x["eos_comment"] = s["comment"].values
    x["study_status_complete"] = "2"

    # REDCap's order: record, event (in the arm's order), repeat instance
    out = pd.concat([e, g, x], ignore_index=True)
    key = pd.DataFrame({"rec": np.concatenate([np.arange(n), pos, np.arange(n)]),
                        "ev": np.repeat([0, 1, 2], [n, m, n]),
                        "inst": np.concatenate([np.zeros(n, np.int64),
                                                g["redcap_repeat_instance"].astype(np.int64).values,
                                                np.zeros(n, np.int64)])})
    order = np.lexsort((key["inst"].values, key["ev"].values, key["rec"].values))
    return out.iloc[order].reset_index(drop=True)


def _lab(cut: SynthCut) -> pd.DataFrame:
    """Signatera's cumulative result file, one row per sample in the contract cut's order, plus
    one corrected result resent: the first report of a sample (a decimal-point slip) sits just
    before its correction, as a cumulative file sorted by specimen and report date has it, so
    the kept (newest) row is at the contract cut's place whichever of the two rows the intake
    keeps the place of."""
    d = cut.ctdna
    m = len(d)
    rng = np.random.default_rng([cut.seed, 0x1AB])
    lag = rng.integers(7, 22, size=m)
    collected = pd.to_datetime(d["collection_date"]).values.astype("datetime64[D]")
    report = np.datetime_as_string(collected + lag.astype("timedelta64[D]"), unit="D")
    canon = d["result"]
    # The contract cut's respelled result ("Negative", SynthCut.planted["case_variants"]) stands
    # in the laboratory file as it was keyed, and the mapping's result_codes carry it as it
    # stands (the contract matches results ignoring case): a word of a code map is the one place
    # the intake takes a laboratory's spelling from.
    word = canon.map(RESULT_WORDS).where(canon.isin(list(RESULT_WORDS)), canon)
    negative = canon.str.strip().str.upper() == "NEGATIVE"
    mtm = d["mtm_per_ml"].where(~negative | (d["mtm_per_ml"] != "0.00"), MTM_NOT_DETECTED)
    if (negative & (mtm != MTM_NOT_DETECTED)).any():
        raise ValueError("synthetic export: a NEGATIVE sample with an MTM/mL other than 0.00")
    lab = pd.DataFrame({
        "PATIENT_ID": d["subject_id"].values,
        "SPECIMEN_ID": d["sample_id"].values,
        "ASSAY": "Signatera",
        "COLLECTION_DATE": d["collection_date"].values,
        "REPORT_DATE": report,
        "RESULT": word.values,
        "MTM_PER_ML": mtm.values,
        "VARIANTS_DETECTED": d["variants_detected"].values,
        "PANEL_SIZE": d["panel_size"].values,
    })
    planted = {r["sample_id"] for recs in cut.planted.values() for r in recs if r.get("sample_id")}
    cand = np.flatnonzero((canon == "POSITIVE").values & ~d["sample_id"].isin(planted).values)
    if not cand.size:
        return lab
    k = int(cand[0])
    first = lab.iloc[[k]].copy()
    whole, frac = str(d["mtm_per_ml"].iat[k]).split(".")
    first["MTM_PER_ML"] = f"{int(whole + frac[0])}.{frac[1]}0"  # the point one place to the right
    first["REPORT_DATE"] = report[k]
    lab.loc[k, "REPORT_DATE"] = str(np.datetime64(report[k]) + np.timedelta64(14, "D"))
    return pd.concat([lab.iloc[:k], first, lab.iloc[k:]], ignore_index=True)


def _dictionary() -> pd.DataFrame:
    rows = []
    for name, form, ftype, label, choices, valid, ident, branch, required in DICTIONARY_ROWS:
        lo, hi = VALIDATION_RANGE.get(name, ("", ""))
        rows.append({"Variable / Field Name": name, "Form Name": form, "Field Type": ftype,
                     "Field Label": label, "Choices, Calculations, OR Slider Labels": choices,
                     "Text Validation Type OR Show Slider Number": valid, "Text Validation Min": lo,
                     "Text Validation Max": hi, "Identifier?": ident,
                     "Branching Logic (Show field only if...)": branch, "Required Field?": required})
    return pd.DataFrame(rows, columns=list(WEB_HEADER)).fillna("")


def _yaml_map(codes: dict) -> str:
    return "{" + ", ".join(f'"{k}": "{v}"' for k, v in codes.items()) + "}"


def _lab_format_keys(lab_file: str) -> str:
    if lab_file.endswith(".xlsx"):  # dates and counts typed, MTM/mL as text (workbook_writer.py)
        return f"  sheet: {LAB_SHEET}"
    return '  encoding: utf-8\n  delimiter: ","'


def mapping_text(names: dict, respelled_results: list[str]) -> str:
    """The mapping of this export (format 1), with comments that say why where it is not plain."""
    extra_results = "".join(f', "{w}": "{w}"' for w in respelled_results)
    result_note = ("\n    # the contract cut's planted respelling of a result, kept as keyed (see her2cr/intake/"
                   "synthetic.py)" if respelled_results else "")
    return f"""\
# Mapping of the synthetic HER2 CR export (written by `her2cr synth --export`): REDCap records and
# data dictionary, and Signatera's result file, to the data contract (spec/study-data.md).
# Its intake gives the synthetic contract cut (`her2cr synth --out`) byte for byte.
format: 1
edc:
  records: {names['records']}
  dictionary: {names['dictionary']}
  encoding: utf-8
  delimiter: ","
  record_id: record_id
  missing_codes: [UNK, NASK, "-999"]
subjects:
  event: {EV_ENROL}
  columns:
    subject_id: {{field: subject_id}}
    site: {{dag: true, codes: {_yaml_map({v: k for k, v in DAGS.items()})}}}
    # cohort, menopausal status and regimen are free text in this project: carried as typed
    cohort: {{field: cohort}}
    consent_date: {{field: consent_date}}
    age: {{field: age}}
    sex: {{constant: F}}   # a study of women: the CRF has no sex field
    race: {{checkbox: race, codes: {_yaml_map(RACE_CODES)}}}
    ethnicity: {{field: ethnicity, codes: {_yaml_map(ETHNICITY_CODES)}}}
    menopausal_status: {{field: menopausal_status}}
    ecog: {{field: ecog, codes: {_yaml_map(ECOG_CODES)}}}
    hr_status: {{field: hr_status, codes: {_yaml_map(HR_CODES)}}}
    presentation: {{field: presentation, codes: {_yaml_map(PRESENTATION_CODES)}}}
    visceral_mets: {{field: visceral_mets, codes: {_yaml_map(YESNO_CODES)}}}
    brain_mets: {{field: brain_mets, codes: {_yaml_map(YESNO_CODES)}}}
    prior_lines: {{field: prior_lines}}
    anti_her2: {{field: anti_her2}}
    best_response: {{field: best_response, codes: {_yaml_map(RESPONSE_CODES)}}}
    anti_her2_start: {{field: anti_her2_start}}
    response_date: {{field: response_date}}
    anti_her2_stop: {{field: anti_her2_stop}}
    status: {{field: eos_status, event: {EV_EOS}, codes: {_yaml_map(STATUS_CODES)}}}
    last_contact: {{field: last_contact, event: {EV_EOS}}}
    progression_date: {{field: progression_date, event: {EV_EOS}}}
    death_date: {{field: death_date, event: {EV_EOS}}}
    comment: {{field: eos_comment, event: {EV_EOS}}}   # an extra column, carried along
  not_used: [{", ".join(IDENTIFIER_FIELDS)}]   # identifiers: never copied
draws:
  instrument: {DRAW_FORM}
  event: {EV_DRAW}
  columns:
    sample_id: {{field: draw_sample_id}}
    visit: {{field: draw_visit, codes: {_yaml_map(VISIT_CODES)}}}
    collection_date: {{field: draw_date}}
lab:
  file: {names['lab']}
{_lab_format_keys(names['lab'])}
  layout: sample
  columns:
    subject_id: PATIENT_ID
    sample_id: SPECIMEN_ID
    collection_date: COLLECTION_DATE
    result: RESULT
    mtm_per_ml: MTM_PER_ML
    variants_detected: VARIANTS_DETECTED
    panel_size: PANEL_SIZE{result_note}
  result_codes: {{"DETECTED": "POSITIVE", "NOT DETECTED": "NEGATIVE", "QNS": "QNS", "TEST FAILED": "FAILED"{extra_results}}}
  mtm_qualifiers:
    not_detected: [{MTM_NOT_DETECTED}]
    not_detected_value: "0.00"   # as the contract cut writes the MTM/mL of a NEGATIVE sample
    below_limit: limit
    above_limit: limit
  corrections:   # the file is cumulative: a resent result replaces the earlier report
    keep: newest
    by: REPORT_DATE
reconciliation:
  date_tolerance_days: 0
"""


def build_export(cut: SynthCut, lab_format: str = "csv") -> SyntheticExport:
    """The export of a synthetic cut (from `her2cr.data.synth.generate` or `as_of`); the
    laboratory file as CSV or as an Excel workbook (lab_format xlsx)."""
    if lab_format not in LAB_FORMATS:
        raise ValueError(f"lab_format {lab_format!r} is not one of {', '.join(LAB_FORMATS)}")
    s = cut.subjects
    record = s["subject_id"].str.slice(4).astype(np.int64).to_numpy()
    ids = _identifiers(cut, record)
    records = _records(cut, record, ids)
    lab = _lab(cut)
    respelled = sorted({w for w in lab["RESULT"] if w not in RESULT_WORDS.values()})
    names = file_names(cut.cut, lab_format)
    identifiers = pd.concat([pd.DataFrame({"record_id": record.astype(str), "subject_id": s["subject_id"].values}),
                             ids], axis=1)
    return SyntheticExport(records=records, dictionary=_dictionary(), lab=lab,
                           mapping=mapping_text(names, respelled), identifiers=identifiers,
                           names=names, cut=cut)


def write_export(export: SyntheticExport, out_dir) -> list[Path]:
    """Write the records export, the data dictionary (UTF-8 with a byte-order mark, as a download
    meant for Excel has it), the laboratory file and mapping.yml into out_dir; "\\n" line ends."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    n = export.names
    paths = []
    for key, frame, encoding in (("records", export.records, "utf-8"),
                                 ("dictionary", export.dictionary, "utf-8-sig"),
                                 ("lab", export.lab, "utf-8")):
        path = out / n[key]
        if path.suffix == ".xlsx":
            write_workbook(frame, path, LAB_SHEET, dates=LAB_DATES, integers=LAB_INTEGERS)
        else:
            frame.to_csv(path, index=False, lineterminator="\n", encoding=encoding)
        paths.append(path)
    path = out / n["mapping"]
    path.write_text(export.mapping, encoding="utf-8", newline="\n")
    paths.append(path)
    return paths
