"""Where a value came from: a cut taken in by the intake names, in every issue of the contract
validation (01_clean) that points at a row of subjects.csv or ctdna.csv, the export's file, row,
record and field (or laboratory column) that the value came from; a cut given in the contract's
CSVs keeps the messages it always had."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from her2cr.data import clean_cut
from her2cr.data.issues import InputError
from her2cr.data.sources import COLUMNS_KEY, SOURCES_COLUMNS, SOURCES_FILE
from her2cr.intake.run import intake, verify_intake
from her2cr.runner.pipeline import raw_inputs
from tests.intake import export as X

CUT = "2025-12-31"
COHORT_TYPO = ("ERROR: subjects.csv, row 5, column cohort: value 'contnuing': is not an allowed value: "
               "continuing or stopped")


def _spreadsheet_rows(path: Path) -> list[tuple[int, list[str]]]:
    """(row as a spreadsheet shows it, cells) of each record of a CSV file."""
    text = path.read_text(encoding="utf-8")
    return [(k, rec) for k, rec in enumerate(csv.reader(io.StringIO(text)), start=1)]


@pytest.fixture(scope="module")
def synthetic_export(tmp_path_factory) -> Path:
    from her2cr.data.cutinfo import write_synthetic_marker
    from her2cr.data.synth import generate
    from her2cr.intake.synthetic import build_export, write_export

    export = tmp_path_factory.mktemp("synthetic") / "export"
    write_export(build_export(generate(n=50, cut=CUT)), export)
    write_synthetic_marker(export, n=50, seed=20251231, cut=CUT)
    return export


def test_a_typo_in_a_free_text_edc_field_is_named_in_the_export(synthetic_export, tmp_path):
    """The data manager's case: cohort is carried as typed, the typo passes the intake and is
    caught by 01, whose message now names the records export's row, record and field."""
    export = tmp_path / "export"
    shutil.copytree(synthetic_export, export)
    records = next(export.glob("HER2CR_DATA_*.csv"))
    rows = _spreadsheet_rows(records)
    header = rows[0][1]
    at = next(k for k, rec in rows[1:] if rec[0] == "4" and rec[header.index("cohort")] != "")
    lines = records.read_text(encoding="utf-8").split("\n")
    cells = lines[at - 1].split(",")
    cells[header.index("cohort")] = "contnuing"
    lines[at - 1] = ",".join(cells)
    records.write_text("\n".join(lines), encoding="utf-8")
    assert at == 27   # record 4's enrolment row: the row the message must name

    raw = tmp_path / "raw"
    intake(export, export / "mapping.yml", CUT, raw)   # a free-text field: the intake lets it pass
    with pytest.raises(InputError) as info:
        clean_cut(raw, CUT)
    assert str(info.value) == (f"{COHORT_TYPO} (from HER2CR_DATA_2025-12-31_1200.csv, row 27, record 4, "
                               "field cohort)")

    # the same cut given in the contract's CSVs (no intake.json): the message it always had
    plain = tmp_path / "plain"
    plain.mkdir()
    for name in ("subjects.csv", "ctdna.csv"):
        shutil.copyfile(raw / name, plain / name)
    with pytest.raises(InputError) as info:
        clean_cut(plain, CUT)
    assert str(info.value) == COHORT_TYPO
    # and a raw folder of an intake that wrote no sources.csv (written before it existed): the same
    shutil.copyfile(raw / "intake.json", plain / "intake.json")
    with pytest.raises(InputError) as info:
        clean_cut(plain, CUT)
    assert str(info.value) == COHORT_TYPO


def test_a_run_with_a_cut_off_after_the_day_of_the_export_is_stopped_by_01(synthetic_export, tmp_path):
    """The intake refuses such a cut-off (FILE08); `her2cr run --cut` on its folder could still be
    given a later one. 01 stops it with the day of the export and the records file; an earlier
    cut-off (an as-of cut) and a cut with no intake record are analysed as before."""
    raw = tmp_path / "raw"
    intake(synthetic_export, synthetic_export / "mapping.yml", CUT, raw)
    with pytest.raises(InputError) as info:
        clean_cut(raw, "2026-01-01")
    assert str(info.value) == (
        "ERROR: intake.json: the cut-off 2026-01-01 is after 2025-12-31, the day the EDC records were "
        "exported (HER2CR_DATA_2025-12-31_1200.csv): what the sites entered after that day is not in this "
        "cut. Take in an export made on or after the cut-off, or run with a cut-off on or before 2025-12-31")
    enrolled = len(clean_cut(raw, CUT).adsl)
    assert len(clean_cut(raw, "2025-06-30").adsl) < enrolled
    plain = tmp_path / "plain"
    plain.mkdir()
    for name in ("subjects.csv", "ctdna.csv"):
        shutil.copyfile(raw / name, plain / name)
    assert len(clean_cut(plain, "2026-01-01").adsl) >= enrolled


@pytest.mark.parametrize("name, damage, message", [
    ("intake.json", "{not json", "ERROR: intake.json: is not the intake's JSON record (Expecting property "
     "name enclosed in double quotes: line 1 column 2 (char 1)); this file is written by `her2cr intake`: "
     "run the intake again to write this folder anew"),
    ("intake.json", '{"columns": {"subjects.csv": {"cohort": "cohort"}}}', "ERROR: intake.json: its "
     "'columns' map is not the one the intake writes (each contract column with origin, file and field); "
     "this file is written by `her2cr intake`: run the intake again to write this folder anew"),
    ("sources.csv", "a,b\nx,y\n", "ERROR: sources.csv: has no column file, row, record, origin, "
     "source_row; this file is written by `her2cr intake`: run the intake again to write this folder anew"),
    ("synthetic.json", "{oops", "ERROR: synthetic.json: is not the synthetic-data marker `her2cr synth` "
     "writes (not valid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char "
     "1)); write the synthetic cut again (her2cr synth)"),
])
def test_a_damaged_file_of_the_intake_s_folder_is_named_not_a_traceback(synthetic_export, tmp_path, name,
                                                                        damage, message):
    """01 reads intake.json, sources.csv and synthetic.json beside the cut; a damaged one (edited
    by hand, cut short) stops the run with one line naming it, never a JSON or pandas exception."""
    raw = tmp_path / "raw"
    intake(synthetic_export, synthetic_export / "mapping.yml", CUT, raw)
    (raw / name).write_text(damage, encoding="utf-8")
    if name != "synthetic.json":  # the origins are looked up only for a cut with issues
        subjects = (raw / "subjects.csv").read_text(encoding="utf-8").split("\n")
        subjects[4] = subjects[4].replace("continuing", "contnuing").replace("stopped", "stoped")
        (raw / "subjects.csv").write_text("\n".join(subjects), encoding="utf-8")
    from her2cr.data import write_cut_info

    with pytest.raises(InputError) as info:
        clean_cut(raw, CUT)  # validation reads intake.json and sources.csv
        write_cut_info(raw, CUT, tmp_path / "out")  # notebook 01's last step reads synthetic.json
    assert str(info.value) == message


def test_the_synthetic_cut_s_data_issues_name_their_origin(synthetic_export, tmp_path):
    """Every data issue of the synthetic cut that names a row has its origin, which holds the
    value the issue quotes; the listing gets the column `source` (a contract cut does not)."""
    raw = tmp_path / "raw"
    intake(synthetic_export, synthetic_export / "mapping.yml", CUT, raw)
    issues = clean_cut(raw, CUT).data_issues
    assert list(issues.columns)[-1] == "source"
    record = json.loads((raw / "intake.json").read_text(encoding="utf-8"))
    files = {}
    on_rows = issues.loc[issues["row"] > 1]
    assert len(on_rows) >= 5 and (on_rows["source"] != "").all()
    for r in on_rows.itertuples(index=False):
        name, row, rec, kind_field = r.source.split(", ")
        kind, field = kind_field.split(" ", 1)
        assert kind == ("column" if name.startswith("Signatera") else "field"), r.source
        spec = record[COLUMNS_KEY][r.file][r.column]
        assert (spec["file"], spec["field"]) == (name, field)
        if name not in files:
            files[name] = dict(_spreadsheet_rows(synthetic_export / name))
        header = files[name][1]
        cells = files[name][int(row.removeprefix("row "))]
        # the source cell holds the value as the export has it (before codes and respellings)
        assert cells[header.index(field)].strip().casefold() == r.value.casefold(), r.source
        id_column = "record_id" if name.startswith("HER2CR") else "PATIENT_ID"
        assert rec == f"record {r.subject_id.removeprefix('HCR-').lstrip('0')}"
        assert cells[header.index(id_column)] in (rec.removeprefix("record "), r.subject_id)
    # the header-level notes (no row of data) have none
    assert (issues.loc[issues["row"].isna() | (issues["row"] == 1), "source"] == "").all()
    plain = tmp_path / "plain"
    plain.mkdir()
    for name in ("subjects.csv", "ctdna.csv"):
        shutil.copyfile(raw / name, plain / name)
    assert "source" not in clean_cut(plain, CUT).data_issues.columns


def test_the_file_is_an_output_of_the_intake_with_its_hash_and_an_input_of_the_run(tmp_path):
    e, m = X.write_export(tmp_path)
    record = intake(e, m, CUT, tmp_path / "raw")
    raw = tmp_path / "raw"
    assert list(record["outputs"]) == ["subjects.csv", "ctdna.csv", "intake_issues.csv", SOURCES_FILE]
    assert SOURCES_FILE in raw_inputs(raw)
    rows = pd.read_csv(raw / SOURCES_FILE, dtype=str, keep_default_na=False)
    assert tuple(rows.columns) == SOURCES_COLUMNS
    # two subjects (records 1, 2): their enrolment row, data access group and end-of-study row;
    # three samples: the draw's row in the records export and the sample's row in the lab file
    assert rows.values.tolist() == [
        ["subjects.csv", "2", "1", "edc:enrollment_arm_1", "2"],
        ["subjects.csv", "2", "1", "edc:dag", "2"],
        ["subjects.csv", "2", "1", "edc:end_of_study_arm_1", "4"],
        ["subjects.csv", "3", "2", "edc:enrollment_arm_1", "3"],
        ["subjects.csv", "3", "2", "edc:dag", "3"],
        ["subjects.csv", "3", "2", "edc:end_of_study_arm_1", "5"],
        ["ctdna.csv", "2", "1", "edc:draw", "6"],
        ["ctdna.csv", "2", "1", "lab", "2"],
        ["ctdna.csv", "3", "2", "edc:draw", "7"],
        ["ctdna.csv", "3", "2", "lab", "3"],
        ["ctdna.csv", "4", "1", "edc:draw", "8"],
        ["ctdna.csv", "4", "1", "lab", "4"]]
    cols = record[COLUMNS_KEY]
    assert cols["subjects.csv"]["status"] == {"origin": "edc:end_of_study_arm_1", "file": X.RECORDS_NAME,
                                              "field": "eos_status"}
    assert cols["subjects.csv"]["race"]["field"] == "race"   # the checkbox group, not one box
    assert cols["subjects.csv"]["site"]["field"] == "redcap_data_access_group"
    assert cols["subjects.csv"]["sex"] == {"origin": "constant", "file": "mapping.yml", "field": ""}
    assert cols["ctdna.csv"]["visit"] == {"origin": "edc:draw", "file": X.RECORDS_NAME, "field": "draw_visit"}
    assert cols["ctdna.csv"]["mtm_per_ml"] == {"origin": "lab", "file": X.LAB_NAME, "field": "MTM_PER_ML"}
    assert list(cols["subjects.csv"]) == pd.read_csv(raw / "subjects.csv", nrows=0).columns.tolist()
    assert list(cols["ctdna.csv"]) == pd.read_csv(raw / "ctdna.csv", nrows=0).columns.tolist()
    # no identifier leaves the export: names and hospital numbers appear in no cell
    text = (raw / SOURCES_FILE).read_text(encoding="utf-8") + (raw / "intake.json").read_text(encoding="utf-8")
    for s in X.SUBJECTS:
        assert s[2] not in text and s[3] not in text
    # verify re-makes it and finds a hand-edited one
    assert verify_intake(record) == []
    changed = dict(record, outputs=dict(record["outputs"], **{SOURCES_FILE: "0" * 64}))
    assert verify_intake(changed) == [f"intake: {SOURCES_FILE} differs when the intake is run again"]


def _ctdna_errors(tmp_path: Path, lab: str | None = None, records: str | None = None,
                  mapping: str | None = None) -> str:
    e, m = X.write_export(tmp_path, lab=lab, records=records, mapping=mapping)
    intake(e, m, CUT, tmp_path / "raw")
    with pytest.raises(InputError) as info:
        clean_cut(tmp_path / "raw", CUT)
    return str(info.value)


def test_a_laboratory_value_is_named_in_the_laboratory_file(tmp_path):
    # S-0003 (lab row 4, record 1): 17 variants of a panel of 16 passes the intake, not 01
    lab = X.lab_text().replace("HCR-001,S-0003,2024-08-01,DETECTED,<0.01,2,16", "HCR-001,S-0003,2024-08-01,"
                               "DETECTED,<0.01,17,16")
    assert _ctdna_errors(tmp_path, lab=lab) == (
        "ERROR: ctdna.csv, row 4, column variants_detected: value '17': variants_detected exceeds panel_size "
        f"(from {X.LAB_NAME}, row 4, record 1, column VARIANTS_DETECTED)")


def test_an_edc_draw_date_is_named_in_the_records_export(tmp_path):
    # S-0002 (record 2, consent 2024-06-03) drawn the day before consent, in the EDC and the lab file
    records = X.records_text().replace("S-0002,0,2024-06-03", "S-0002,0,2024-06-02")
    lab = X.lab_text().replace("HCR-002,S-0002,2024-06-03", "HCR-002,S-0002,2024-06-02")
    assert _ctdna_errors(tmp_path, lab=lab, records=records) == (
        "ERROR: ctdna.csv, row 3, column collection_date: value '2024-06-02': collection_date is before "
        f"consent_date (from {X.RECORDS_NAME}, row 7, record 2, field draw_date)")


def test_a_subject_value_read_at_another_event_is_named_at_that_event(tmp_path):
    # record 2's last contact (end-of-study event, row 5) before its consent
    records = X.records_text().replace("2025-12-01", "2024-06-01")
    assert _ctdna_errors(tmp_path, records=records) == (
        "ERROR: subjects.csv, row 3, column last_contact: value '2024-06-01': last_contact is before "
        f"consent_date (from {X.RECORDS_NAME}, row 5, record 2, field last_contact)")


def test_one_row_per_test_names_the_row_of_that_test(tmp_path):
    # NOT DETECTED with MTM/mL 0.5: passes the intake, not 01
    rows = X.per_test_lab(lambda sample, code, v: "0.5" if (sample, code) == ("S-0001", "SIG_MTM") else v)
    mapping = X.per_test_mapping()
    # S-0001's MTM/mL is its second test, the file's row 3
    assert _ctdna_errors(tmp_path, lab="\n".join(rows) + "\n", mapping=mapping) == (
        "ERROR: ctdna.csv, row 2, column mtm_per_ml: value '0.5': mtm_per_ml must be 0 for a NEGATIVE result "
        f"(from {X.LAB_NAME}, row 3, record 1, column RESULT_VALUE (test SIG_MTM))")
