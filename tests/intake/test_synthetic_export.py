"""`her2cr synth --export`: the synthetic study as a REDCap export, a laboratory file and a mapping.

What the export must hold for the intake to be tested on every feature of a real one (events, a
repeating instrument, data access groups, a checkbox, missing-data codes, Japanese labels, flagged
identifiers, a resent result), and that the same options give the same bytes. The round trip
through the intake is in test_synthetic_roundtrip.py.
"""

from __future__ import annotations

import csv
import hashlib
import io
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from her2cr.data.synth import as_of, generate
from her2cr.intake import synthetic as S

CUT = "2025-12-31"


@pytest.fixture(scope="module")
def export():
    return S.build_export(generate(n=50, seed=20251231, cut=CUT))


def _her2cr(*args):
    return subprocess.run([sys.executable, "-m", "her2cr", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def _hashes(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_export_is_byte_reproducible_and_depends_on_the_seed(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for d, seed in ((a, 7), (b, 7), (c, 8)):
        r = _her2cr("synth", "--export", d, "--seed", seed, "--n", 60, "--cut", CUT)
        assert r.returncode == 0, r.stderr
    assert _hashes(a) == _hashes(b)
    assert set(_hashes(a)) == {f"HER2CR_DATA_{CUT}_1200.csv", f"HER2CR_DataDictionary_{CUT}.csv",
                               f"Signatera_results_{CUT}.csv", "mapping.yml", "synthetic.json"}
    differ = {k for k in _hashes(a) if _hashes(a)[k] != _hashes(c)[k]}
    assert differ >= {f"HER2CR_DATA_{CUT}_1200.csv", f"Signatera_results_{CUT}.csv"}


def test_synth_writes_the_same_marker_beside_the_cut_and_the_export(tmp_path):
    r = _her2cr("synth", "--out", tmp_path / "cut", "--export", tmp_path / "export", "--n", 40)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "cut" / "synthetic.json").read_bytes() == (tmp_path / "export" / "synthetic.json").read_bytes()
    assert (tmp_path / "cut" / "subjects.csv").is_file() and (tmp_path / "export" / "mapping.yml").is_file()


def test_synth_needs_a_folder():
    r = _her2cr("synth", "--n", 40)
    assert r.returncode == 1 and "--out" in r.stderr and "--export" in r.stderr and "Traceback" not in r.stderr


def test_records_export_has_the_shape_of_a_longitudinal_redcap_project(export):
    r = export.records
    assert list(r.columns[:5]) == ["record_id", "redcap_event_name", "redcap_repeat_instrument",
                                   "redcap_repeat_instance", "redcap_data_access_group"]
    assert set(r["redcap_event_name"]) == {S.EV_ENROL, S.EV_DRAW, S.EV_EOS}
    # one enrollment and one end-of-study row per record, draws as repeat instances 1..k
    assert (r.groupby("redcap_event_name")["record_id"].nunique() == 50).all()
    draws = r[r["redcap_event_name"] == S.EV_DRAW]
    assert (draws["redcap_repeat_instrument"] == S.DRAW_FORM).all()
    inst = draws.groupby("record_id", sort=False)["redcap_repeat_instance"].apply(
        lambda s: list(s.astype(int)) == list(range(1, len(s) + 1)))
    assert inst.all()
    other = r[r["redcap_event_name"] != S.EV_DRAW]
    assert (other["redcap_repeat_instrument"] == "").all() and (other["redcap_repeat_instance"] == "").all()
    # REDCap's order: record, then event in the arm's order, then instance
    ev_rank = r["redcap_event_name"].map({S.EV_ENROL: 0, S.EV_DRAW: 1, S.EV_EOS: 2})
    key = list(zip(r["record_id"].astype(int), ev_rank, pd.to_numeric(r["redcap_repeat_instance"]).fillna(0)))
    assert key == sorted(key)
    assert set(r["redcap_data_access_group"]) == {"ncu", "acc", "jfcr"}
    assert (r.groupby("record_id")["redcap_data_access_group"].nunique() == 1).all()
    for form in ("enrollment", "baseline_disease", "plasma_draw", "study_status"):
        assert f"{form}_complete" in r.columns


def test_race_is_a_checkbox_with_exactly_one_box_ticked(export):
    r = export.records
    e = r[r["redcap_event_name"] == S.EV_ENROL]
    boxes = [c for c in r.columns if c.startswith("race___")]
    # code -99 -> race____99; the project's missing-data codes add a column each on a checkbox
    assert boxes == ["race___1", "race___2", "race___3", "race___4", "race___5", "race___6", "race____99",
                     "race___unk", "race___nask", "race____999"]
    assert (e[boxes].astype(int).sum(axis=1) == 1).all()
    assert (r.loc[r["redcap_event_name"] != S.EV_ENROL, boxes] == "").all().all()
    # the contract cut's empty race is the NASK box (HCR-008 at the default seed)
    cut = export.cut.subjects
    assert list(e.loc[e["race___nask"] == "1", "subject_id"]) == list(cut.loc[cut["race"] == "", "subject_id"])


def test_missing_data_codes_stand_where_the_contract_cut_is_empty(export):
    r, s = export.records, export.cut.subjects
    eos = r[r["redcap_event_name"] == S.EV_EOS].set_index("record_id")
    lost = s.index[s["status"] == "lost_to_follow_up"][0]
    wd = s.index[s["status"] == "withdrawn"][0]
    assert eos.at[str(lost + 1), "death_date"] == "UNK"
    assert eos.at[str(lost + 1), "progression_date"] == "-999"
    assert eos.at[str(wd + 1), "death_date"] == "NASK"
    other = S.build_export(generate(n=200, seed=3, cut=CUT))
    e = other.records[other.records["redcap_event_name"] == S.EV_ENROL]
    assert (e["ethnicity"] == "UNK").sum() == (other.cut.subjects["ethnicity"] == "").sum() > 0


def test_dictionary_is_a_web_download_with_japanese_labels_and_flagged_identifiers(export, tmp_path):
    S.write_export(export, tmp_path)
    raw = (tmp_path / export.names["dictionary"]).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a download meant for Excel: UTF-8 with a byte-order mark
    d = pd.read_csv(io.StringIO(raw.decode("utf-8-sig")), dtype=str, keep_default_na=False)
    assert tuple(d.columns) == S.WEB_HEADER
    assert set(d.loc[d["Identifier?"] == "y", "Variable / Field Name"]) == set(S.IDENTIFIER_FIELDS)
    labels = d.set_index("Variable / Field Name")["Field Label"]
    assert labels["name_kanji"] == "氏名（漢字）" and "同意取得日" in labels["consent_date"]
    race = d.set_index("Variable / Field Name").at["race", "Choices, Calculations, OR Slider Labels"]
    assert "-99, 不明, 未回答 (Unknown or Not Reported)" in race  # a label holding a comma
    # every records column is a dictionary field, a checkbox box, a form's _complete or REDCap's own
    fields = set(d["Variable / Field Name"])
    forms = set(d["Form Name"])
    for col in export.records.columns[5:]:
        assert col in fields or col.split("___")[0] in fields or col[: -len("_complete")] in forms, col


def test_identifiers_are_planted_and_consistent_with_age(export):
    ids, s = export.identifiers, export.cut.subjects
    assert ids["name_kanji"].str.contains("\u3000").all()
    assert ids["name_latin"].str.fullmatch(r"[A-Z]+ [A-Z][a-z]+").all()
    assert ids["mrn"].str.fullmatch(r"\d{10}").all() and ids["mrn"].is_unique
    consent = pd.to_datetime(s["consent_date"])
    birth = pd.to_datetime(ids["birth_date"])
    age = consent.dt.year - birth.dt.year - ((consent.dt.month * 100 + consent.dt.day)
                                             < (birth.dt.month * 100 + birth.dt.day))
    assert (age.astype(str) == s["age"]).all()
    e = export.records[export.records["redcap_event_name"] == S.EV_ENROL]
    assert list(e["name_latin"]) == list(ids["name_latin"])
    # a record keeps its identifiers in an earlier cut of the same study
    early = S.build_export(as_of(generate(n=50, seed=20251231, cut=CUT), "2025-06-30")).identifiers
    merged = early.merge(ids, on="record_id", suffixes=("", "_full"))
    assert len(merged) == len(early) and (merged["mrn"] == merged["mrn_full"]).all()


def test_lab_file_uses_signatera_words_nd_and_one_resent_result(export):
    lab, d = export.lab, export.cut.ctdna
    assert set(lab["RESULT"]) <= {"DETECTED", "NOT DETECTED", "QNS", "TEST FAILED", "Negative"}
    assert (lab.loc[lab["RESULT"] == "NOT DETECTED", "MTM_PER_ML"] == "ND").all()
    assert (lab.loc[lab["RESULT"].isin(["QNS", "TEST FAILED"]), "MTM_PER_ML"] == "").all()
    resent = lab[lab["SPECIMEN_ID"].duplicated(keep=False)]
    assert len(resent) == 2 and resent.index[1] == resent.index[0] + 1
    first, newest = resent.iloc[0], resent.iloc[1]
    assert first["REPORT_DATE"] < newest["REPORT_DATE"] and first["MTM_PER_ML"] != newest["MTM_PER_ML"]
    assert newest["MTM_PER_ML"] == d.set_index("sample_id").at[newest["SPECIMEN_ID"], "mtm_per_ml"]
    # without the earlier report, the laboratory's samples are the contract cut's, in its order
    assert list(lab.drop(resent.index[0])["SPECIMEN_ID"]) == list(d["sample_id"])


def test_mapping_is_format_1_and_lists_the_identifiers_as_not_used(export):
    m = yaml.safe_load(export.mapping)
    assert m["format"] == 1
    assert set(m["subjects"]["not_used"]) == set(S.IDENTIFIER_FIELDS)
    assert m["edc"]["records"] == export.names["records"] and m["lab"]["file"] == export.names["lab"]
    cols = m["subjects"]["columns"]
    assert cols["site"] == {"dag": True, "codes": {"ncu": "NCU", "acc": "ACC", "jfcr": "JFCR"}}
    assert cols["race"]["checkbox"] == "race" and cols["sex"] == {"constant": "F"}
    assert m["lab"]["corrections"] == {"keep": "newest", "by": "REPORT_DATE"}
    mapped = {c.get("field") or c.get("checkbox") for c in cols.values()} | {
        c["field"] for c in m["draws"]["columns"].values()}
    d = export.dictionary
    fields = set(d["Variable / Field Name"]) - {"record_id"}
    assert fields == (mapped - {None}) | set(m["subjects"]["not_used"])  # every field accounted for
