"""A small REDCap-style export written by the tests: a longitudinal project with events, data
access groups, a checkbox, a repeating plasma-draw instrument, identifiers, Japanese labels, and a
laboratory file with one row per sample. Tests change one cell of it and expect one message.
"""

from __future__ import annotations

from pathlib import Path

DICT_HEADER = ('"Variable / Field Name","Form Name","Section Header","Field Type","Field Label",'
               '"Choices, Calculations, OR Slider Labels","Field Note",'
               '"Text Validation Type OR Show Slider Number","Text Validation Min","Text Validation Max",'
               '"Identifier?"')

# name, form, type, label, choices, validation, identifier
FIELDS = [
    ("record_id", "enrollment", "text", "Record ID", "", "", ""),
    ("name_kanji", "enrollment", "text", "氏名", "", "", "y"),
    ("mrn", "enrollment", "text", "カルテ番号", "", "", "y"),
    ("subject_id", "enrollment", "text", "研究対象者番号", "", "", ""),
    ("cohort", "enrollment", "radio", "コホート", "1, 継続 (continuing) | 2, 中止, stopped", "", ""),
    ("consent_date", "enrollment", "text", "同意日", "", "date_ymd", ""),
    ("age", "enrollment", "text", "年齢", "", "integer", ""),
    ("race", "enrollment", "checkbox", "人種", "1, Asian | 2, White | -99, Unknown", "", ""),
    ("meno", "enrollment", "dropdown", "閉経", "1, pre | 2, post", "", ""),
    ("ecog", "enrollment", "dropdown", "ECOG PS", "0, 0 | 1, 1 | 2, 2 | 3, 3 | 4, 4", "", ""),
    ("hr", "enrollment", "yesno", "HR positive", "", "", ""),
    ("presentation", "enrollment", "radio", "Presentation", "1, de novo | 2, recurrent", "", ""),
    ("visceral", "enrollment", "yesno", "Visceral", "", "", ""),
    ("brain", "enrollment", "yesno", "Brain", "", "", ""),
    ("prior_lines", "enrollment", "text", "Prior lines", "", "integer", ""),
    ("regimen", "enrollment", "dropdown", "Regimen", "1, trastuzumab | 2, trastuzumab+pertuzumab | "
     "3, T-DM1 | 4, T-DXd", "", ""),
    ("best_response", "enrollment", "radio", "Best response", "1, CR | 2, PR", "", ""),
    ("rx_start", "enrollment", "text", "Regimen start", "", "date_ymd", ""),
    ("response_date", "enrollment", "text", "Response date", "", "date_ymd", ""),
    ("rx_stop", "enrollment", "text", "Regimen stop", "", "date_ymd", ""),
    ("eos_status", "end_of_study", "dropdown", "Status", "1, on study | 2, completed | 3, withdrawn | "
     "4, lost | 5, died", "", ""),
    ("last_contact", "end_of_study", "text", "Last contact", "", "date_ymd", ""),
    ("pd_date", "end_of_study", "text", "Progression", "", "date_ymd", ""),
    ("death_date", "end_of_study", "text", "Death", "", "date_ymd", ""),
    ("draw_sample_id", "plasma_draw", "text", "Sample ID", "", "", ""),
    ("draw_visit", "plasma_draw", "dropdown", "Visit", "0, baseline | 3, month 3", "", ""),
    ("draw_date", "plasma_draw", "text", "Draw date", "", "date_ymd", ""),
]

RECORD_COLUMNS = [
    "record_id", "redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance",
    "redcap_data_access_group", "name_kanji", "mrn", "subject_id", "cohort", "consent_date", "age",
    "race___1", "race___2", "race____99", "meno", "ecog", "hr", "presentation", "visceral", "brain",
    "prior_lines", "regimen", "best_response", "rx_start", "response_date", "rx_stop",
    "enrollment_complete", "eos_status", "last_contact", "pd_date", "death_date", "end_of_study_complete",
    "draw_sample_id", "draw_visit", "draw_date", "plasma_draw_complete",
]

SUBJECTS = [  # record, dag, name, mrn, subject_id, cohort, consent, age, race(1,2,-99), rest...
    ("1", "ncu", "名古屋花子", "MRN0012345", "HCR-001", "1", "2024-05-01", "61", ("1", "0", "0"),
     "2", "1", "1", "2", "1", "0", "2", "4", "1", "2020-06-01", "2021-01-10", ""),
    ("2", "acc", "山田 Yamada Yoko", "MRN0067890", "HCR-002", "2", "2024-06-03", "55", ("1", "0", "0"),
     "1", "0", "0", "1", "0", "0", "1", "2", "2", "2019-03-01", "2019-09-15", "2023-01-20"),
]
EOS = [("1", "1", "2025-11-30", "", ""), ("2", "1", "2025-12-01", "", "")]
DRAWS = [  # record, instance, sample, visit, date
    ("1", "1", "S-0001", "0", "2024-05-02"),
    ("2", "1", "S-0002", "0", "2024-06-03"),
    ("1", "2", "S-0003", "3", "2024-08-01"),
]
LAB_HEADER = "PATIENT_ID,SPECIMEN_ID,COLLECTION_DATE,RESULT,MTM_PER_ML,VARIANTS_DETECTED,PANEL_SIZE,REPORT_DATE"
LAB = [
    "HCR-001,S-0001,2024-05-02,NOT DETECTED,ND,0,16,2024-05-20",
    "HCR-002,S-0002,2024-06-03,DETECTED,0.35,3,16,2024-06-20",
    "HCR-001,S-0003,2024-08-01,DETECTED,<0.01,2,16,2024-08-20",
]

# The laboratory file one row per sample (MAPPING's lab section) and one row per sample and test.
PER_SAMPLE_LAB = """  layout: sample
  columns:
    subject_id: PATIENT_ID
    sample_id: SPECIMEN_ID
    collection_date: COLLECTION_DATE
    result: RESULT
    mtm_per_ml: MTM_PER_ML
    variants_detected: VARIANTS_DETECTED
    panel_size: PANEL_SIZE
"""
MAPPING = """\
format: 1
edc:
  records: HER2CR_DATA_*.csv
  dictionary: HER2CR_DataDictionary.csv
  encoding: utf-8
  record_id: record_id
  missing_codes: [UNK, NASK, "-999"]
subjects:
  event: enrollment_arm_1
  columns:
    subject_id: {field: subject_id}
    site: {dag: true, codes: {ncu: NCU, acc: ACC, jfcr: JFCR}}
    cohort: {field: cohort, codes: {"1": continuing, "2": stopped}}
    consent_date: {field: consent_date}
    age: {field: age}
    sex: {constant: F}
    race: {checkbox: race, codes: {"1": Asian, "2": White, "-99": Unknown or Not Reported}}
    menopausal_status: {field: meno, codes: {"1": pre, "2": post}}
    ecog: {field: ecog}
    hr_status: {field: hr, codes: {"1": positive, "0": negative}}
    presentation: {field: presentation, codes: {"1": de_novo, "2": recurrent}}
    visceral_mets: {field: visceral, codes: {"1": "yes", "0": "no"}}
    brain_mets: {field: brain, codes: {"1": "yes", "0": "no"}}
    prior_lines: {field: prior_lines}
    anti_her2: {field: regimen, codes: {"1": trastuzumab, "2": trastuzumab+pertuzumab, "3": T-DM1, "4": T-DXd}}
    best_response: {field: best_response, codes: {"1": CR, "2": PR}}
    anti_her2_start: {field: rx_start}
    response_date: {field: response_date}
    anti_her2_stop: {field: rx_stop}
    status: {field: eos_status, event: end_of_study_arm_1, codes: {"1": on_study, "2": completed, "3": withdrawn, "4": lost_to_follow_up, "5": died}}
    last_contact: {field: last_contact, event: end_of_study_arm_1}
    progression_date: {field: pd_date, event: end_of_study_arm_1}
    death_date: {field: death_date, event: end_of_study_arm_1}
  not_used: [name_kanji, mrn]
draws:
  instrument: plasma_draw
  columns:
    sample_id: {field: draw_sample_id}
    visit: {field: draw_visit, codes: {"0": baseline, "3": month_3}}
    collection_date: {field: draw_date}
lab:
  file: Signatera_results_*.csv
""" + PER_SAMPLE_LAB + """  result_codes: {DETECTED: POSITIVE, "NOT DETECTED": NEGATIVE, QNS: QNS, "TEST FAILED": FAILED}
  mtm_qualifiers:
    not_detected: [ND]
    below_limit: limit
    above_limit: limit
reconciliation:
  date_tolerance_days: 0
"""

RECORDS_NAME = "HER2CR_DATA_2025-12-31_1200.csv"
DICT_NAME = "HER2CR_DataDictionary.csv"
LAB_NAME = "Signatera_results_20251231.csv"


def _q(v: str) -> str:
    return f'"{v}"' if any(c in v for c in ',"\n') else v


def dictionary_text() -> str:
    rows = [DICT_HEADER]
    for name, form, typ, label, choices, valid, ident in FIELDS:
        rows.append(",".join(_q(x) for x in (name, form, "", typ, label, choices, "", valid, "", "", ident)))
    return "\n".join(rows) + "\n"


def records_text() -> str:
    rows = [",".join(RECORD_COLUMNS)]

    def row(**cells):
        return ",".join(_q(cells.get(c, "")) for c in RECORD_COLUMNS)

    dag = {s[0]: s[1] for s in SUBJECTS}
    for s in SUBJECTS:
        (rec, d, name, mrn, sid, cohort, consent, age, race, meno, ecog, hr, pres, visc, brain, lines,
         reg, br, start, resp, stop) = s
        rows.append(row(record_id=rec, redcap_event_name="enrollment_arm_1", redcap_data_access_group=d,
                        name_kanji=name, mrn=mrn, subject_id=sid, cohort=cohort, consent_date=consent, age=age,
                        race___1=race[0], race___2=race[1], race____99=race[2], meno=meno, ecog=ecog, hr=hr,
                        presentation=pres, visceral=visc, brain=brain, prior_lines=lines, regimen=reg,
                        best_response=br, rx_start=start, response_date=resp, rx_stop=stop,
                        enrollment_complete="2"))
    for rec, st, last, pd_, death in EOS:
        rows.append(row(record_id=rec, redcap_event_name="end_of_study_arm_1", redcap_data_access_group=dag[rec],
                        eos_status=st, last_contact=last, pd_date=pd_, death_date=death,
                        end_of_study_complete="2"))
    for rec, inst, sample, visit, date in DRAWS:
        rows.append(row(record_id=rec, redcap_event_name="enrollment_arm_1", redcap_repeat_instrument="plasma_draw",
                        redcap_repeat_instance=inst, redcap_data_access_group=dag[rec], draw_sample_id=sample,
                        draw_visit=visit, draw_date=date, plasma_draw_complete="2"))
    return "\n".join(rows) + "\n"


def lab_text() -> str:
    return "\n".join([LAB_HEADER] + LAB) + "\n"


PER_TEST_LAB = """  layout: sample_test
  columns:
    subject_id: PATIENT_ID
    sample_id: SPECIMEN_ID
    collection_date: COLLECTION_DATE
  tests:
    column: TEST_CODE
    value: RESULT_VALUE
    codes: {SIG_CALL: result, SIG_MTM: mtm_per_ml, SIG_VAR: variants_detected, SIG_PANEL: panel_size}
"""
TEST_CODES = ("SIG_CALL", "SIG_MTM", "SIG_VAR", "SIG_PANEL")


def per_test_lab(edit=None) -> list[str]:
    """lab_text() as one row per sample and test (header first); edit(sample, code, value) may
    change a value."""
    rows = ["PATIENT_ID,SPECIMEN_ID,COLLECTION_DATE,TEST_CODE,RESULT_VALUE,REPORT_DATE"]
    for line in lab_text().splitlines()[1:]:
        sid, sample, date, result, mtm, var, panel, rep = line.split(",")
        for code, value in zip(TEST_CODES, (result, mtm, var, panel)):
            rows.append(f"{sid},{sample},{date},{code},{edit(sample, code, value) if edit else value},{rep}")
    return rows


def per_test_mapping(mapping: str = MAPPING, extra: str = "") -> str:
    """The mapping with its lab section read one row per sample and test (extra: more keys)."""
    assert PER_SAMPLE_LAB in mapping
    return mapping.replace(PER_SAMPLE_LAB, PER_TEST_LAB + extra)


def write_export(folder: Path, records: str | None = None, dictionary: str | None = None,
                 lab: str | None = None, mapping: str | None = None, encoding: str = "utf-8",
                 newline: str = "\n", bom: bool = False) -> tuple[Path, Path]:
    """Write the export into folder/export and the mapping beside it; returns (export, mapping)."""
    export = Path(folder) / "export"
    export.mkdir(parents=True, exist_ok=True)
    for name, text in ((RECORDS_NAME, records or records_text()), (DICT_NAME, dictionary or dictionary_text()),
                       (LAB_NAME, lab or lab_text())):
        data = text.replace("\n", newline).encode(encoding)
        (export / name).write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    mp = Path(folder) / "mapping.yml"
    mp.write_text(mapping or MAPPING, encoding="utf-8")
    return export, mp


def scaled_texts(n: int) -> tuple[str, str]:
    """Records export and lab file for n participants (3 draws each), for the timing tests."""
    idx = {c: i for i, c in enumerate(RECORD_COLUMNS)}

    def row(**values) -> str:
        cells = [""] * len(RECORD_COLUMNS)
        for c, v in values.items():
            cells[idx[c]] = v
        return ",".join(cells)

    enrol, eos, draws, lab = [], [], [], [LAB_HEADER]
    dags = ("ncu", "acc", "jfcr")
    for k in range(1, n + 1):
        rec, dag, sid = str(k), dags[k % 3], f"HCR-{k:06d}"
        enrol.append(row(record_id=rec, redcap_event_name="enrollment_arm_1", redcap_data_access_group=dag,
                         name_kanji="名古屋花子", mrn=f"MRN{k:07d}", subject_id=sid, cohort=str(1 + k % 2),
                         consent_date="2024-05-01", age=str(40 + k % 40), race___1="1", race___2="0",
                         race____99="0", meno="2", ecog=str(k % 2), hr="1", presentation="2", visceral="1",
                         brain="0", prior_lines="2", regimen="4", best_response="1", rx_start="2020-06-01",
                         response_date="2021-01-10", rx_stop="2023-01-20" if k % 2 == 0 else "",
                         enrollment_complete="2"))
        eos.append(row(record_id=rec, redcap_event_name="end_of_study_arm_1", redcap_data_access_group=dag,
                       eos_status="1", last_contact="2025-11-30", end_of_study_complete="2"))
        for j, (visit, date) in enumerate((("0", "2024-05-02"), ("3", "2024-08-01"), ("6", "2024-11-01"))):
            sample = f"S-{k:06d}-{j}"
            draws.append(row(record_id=rec, redcap_event_name="enrollment_arm_1",
                             redcap_repeat_instrument="plasma_draw", redcap_repeat_instance=str(j + 1),
                             redcap_data_access_group=dag, draw_sample_id=sample, draw_visit=visit,
                             draw_date=date, plasma_draw_complete="2"))
            lab.append(f"{sid},{sample},{date},DETECTED,0.35,3,16,2024-12-20")
    return "\n".join([",".join(RECORD_COLUMNS)] + enrol + eos + draws) + "\n", "\n".join(lab) + "\n"


SCALED_MAPPING = MAPPING.replace('{"0": baseline, "3": month_3}', '{"0": baseline, "3": month_3, "6": month_6}')
SCALED_DICTIONARY_FIX = ("0, baseline | 3, month 3", "0, baseline | 3, month 3 | 6, month 6")


# The laboratory file with a visit column (lab.columns.visit): its words, matched ignoring case
# and spaces, name the visits the EDC draws give (S-0001 and S-0002 baseline, S-0003 month_3).
VISIT_CODES = "  visit_codes: {BASELINE: baseline, MONTH 3: month_3, UNSCHEDULED: ''}\n"
LAB_VISITS = {"S-0001": "BASELINE", "S-0002": "Baseline", "S-0003": " month 3"}


def visit_mapping(mapping: str = MAPPING) -> str:
    """The mapping with the laboratory's visit column and its code map."""
    for layout in (PER_SAMPLE_LAB, PER_TEST_LAB):
        mapping = mapping.replace(layout, layout.replace("    sample_id: SPECIMEN_ID\n",
                                                         "    sample_id: SPECIMEN_ID\n    visit: VISIT\n"))
    return mapping.replace("  result_codes:", VISIT_CODES + "  result_codes:")


def visit_lab(visits: dict | None = None) -> str:
    """lab_text() with a VISIT column (LAB_VISITS, changed by `visits`: sample -> word)."""
    words = {**LAB_VISITS, **(visits or {})}
    lines = lab_text().splitlines()
    return "\n".join([lines[0] + ",VISIT"] + [x + "," + words[x.split(",")[1]] for x in lines[1:]]) + "\n"


def per_test_visit_lab(visit=None) -> str:
    """per_test_lab() with a VISIT column: LAB_VISITS, or visit(sample, code) for each row."""
    rows = per_test_lab()
    out = [rows[0] + ",VISIT"]
    for x in rows[1:]:
        sample, code = x.split(",")[1], x.split(",")[3]
        out.append(x + "," + (visit(sample, code) if visit else LAB_VISITS[sample]))
    return "\n".join(out) + "\n"
