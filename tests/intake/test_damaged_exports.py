"""Damaged exports and mappings as a data manager meets them (the intake's QA pass): each gets the
exact message that names the file, the row and the field and says what to do, never a traceback,
and nothing is written.
"""

from __future__ import annotations

import csv
import io

import pytest

from her2cr.intake.issues import IntakeFailed
from her2cr.intake.run import intake
from tests.intake import export as X
from tests.intake.test_intake import CUT, DATA, MAP, M, errors


def test_a_full_path_in_the_mapping_is_named_not_a_traceback(tmp_path):
    # Path.glob raised NotImplementedError ('Non-relative patterns are unsupported'): exit 2
    absolute = str(tmp_path / "export" / DATA)
    got = errors(tmp_path, mapping=M.replace("HER2CR_DATA_*.csv", absolute))
    assert got == [f"ERROR FILE01: {MAP}: the records export {absolute!r} is a path; the mapping names a "
                   f"file of the export folder (--export) by its name: write {DATA!r}"]
    windows = "C:\\Users\\dm\\export\\" + DATA
    got = errors(tmp_path, mapping=M.replace("HER2CR_DATA_*.csv", windows))
    assert got == [f"ERROR FILE01: {MAP}: the records export {windows!r} is a path; the mapping names a "
                   f"file of the export folder (--export) by its name: write {DATA!r}"]


def test_a_key_given_twice_in_the_mapping_is_named_at_both_lines(tmp_path):
    # YAML kept the last one silently: age was read from cohort, and every record was an EDC04
    got = errors(tmp_path, mapping=M.replace("    age: {field: age}\n", "    age: {field: age}\n"
                                             "    age: {field: prior_lines}\n"))
    assert got == [f"ERROR MAP01: {MAP} line 16, field subjects.columns.age: key 'age' is given again (first "
                   "at line 15) under subjects.columns; YAML keeps only one: delete or merge one of them"]


def test_a_key_that_is_a_list_is_named_at_its_line(tmp_path):
    # was "her2cr intake: TypeError: unhashable type: 'list'"
    got = errors(tmp_path, mapping=M + "? [a, b]\n: x\n")
    line = M.count("\n") + 1
    assert got == [f"ERROR MAP01: {MAP} line {line}: a key is a list or a mapping; keys are plain words (a "
                   "column, a code): check the indentation and quoting there"]


def test_a_nul_byte_is_named_at_its_line(tmp_path):
    # the parser ended the cell at the NUL: record 1 lost its subject ID, and the message was EDC12
    got = errors(tmp_path, records=X.records_text().replace("HCR-001", "\x00HCR-001"))
    assert got == [f"ERROR FILE04: {DATA} row 2: this line holds a NUL byte (a damaged file, or one saved as "
                   "UTF-16, Excel's 'Unicode Text'); export it again as CSV"]


def test_a_file_with_a_header_and_no_rows_is_refused(tmp_path):
    # a laboratory file with its header only gave a cut with no sample and only REC02 warnings;
    # a records export so, a REC01 for every sample of the laboratory file
    lab = X.lab_text().splitlines()[0] + "\n"
    assert errors(tmp_path, lab=lab) == [
        f"ERROR FILE04: {X.LAB_NAME} row 1: the file has a header but no rows; export it again"]
    records = X.records_text().splitlines()[0] + "\n"
    assert errors(tmp_path, records=records) == [
        f"ERROR FILE04: {DATA} row 1: the file has a header but no rows; export it again"]


def test_a_file_cut_short_in_its_last_row_is_refused(tmp_path):
    # pandas filled the row's missing cells with empty ones: the draw's date was silently lost
    records = X.records_text().rstrip("\n")
    records = records[:records.rindex("2024-08-01")]
    assert errors(tmp_path, records=records) == [
        f"ERROR FILE04: {DATA} row 8: the file ends in the middle of this row (35 of 36 cells, no line end): "
        "it was cut short in a download or a copy; export it again"]


def test_a_mapping_file_not_named_yml_is_named_by_its_lines(tmp_path):
    # was "mapping.txt row 43: line 43: unknown key ..."
    e, m = X.write_export(tmp_path, mapping=X.MAPPING.replace("  layout: sample", "  layot: sample"))
    txt = m.rename(m.with_suffix(".txt"))
    with pytest.raises(IntakeFailed) as info:
        intake(e, txt, "2025-12-31", tmp_path / "raw")
    assert [i.line() for i in info.value.errors] == [
        "ERROR MAP02: mapping.txt line 43, field lab.layot: unknown key 'layot' under lab; did you mean 'layout'?"]


def test_a_short_row_in_the_middle_of_a_file_is_refused(tmp_path):
    # a line break typed into an unquoted value splits a row in two: pandas filled both parts with
    # empty cells, and record 2's end-of-study status and last contact were silently lost
    lines = X.records_text().split("\n")
    k = next(i for i, line in enumerate(lines) if line.startswith("2,end_of_study_arm_1"))
    cells = lines[k].split(",")
    lines[k] = ",".join(cells[:27]) + "\n" + ",".join(cells[27:])
    assert errors(tmp_path, records="\n".join(lines)) == [
        f"ERROR FILE04: {DATA} row {k + 1}: this row has 27 of the header's 36 cells: the file was damaged or "
        "edited (a line break in a value?); export it again"]


def test_a_negative_number_in_a_date_is_an_undeclared_code_not_a_date_written_another_way(tmp_path):
    # was EDC03: "not written YYYY-MM-DD (... re-saved by a spreadsheet)", for REDCap's usual -999
    got = errors(tmp_path, records=X.records_text().replace("2024-05-01", "-998"))
    assert got == [f"ERROR EDC06: {DATA} row 2 (record 1), field consent_date: event enrollment_arm_1: '-998' "
                   "is not a date written YYYY-MM-DD and not a declared missing-data code; correct it in the "
                   "source, or declare it under edc.missing_codes if it means 'no value'"]


def test_a_word_in_the_laboratory_file_is_for_the_laboratory_to_correct(tmp_path):
    # was "... declare it under edc.missing_codes": those codes are the EDC's, not read in the lab file
    got = errors(tmp_path, lab=X.lab_text().replace("DETECTED,0.35", "DETECTED,NaN"))
    assert got == [f"ERROR EDC06: {X.LAB_NAME} row 3 (record HCR-002), field MTM_PER_ML: 'NaN' is not a "
                   "number (decimal point '.'); ask the laboratory to correct it and send the file again"]


def test_a_ticked_box_of_an_undeclared_missing_data_code_is_named(tmp_path):
    # REDCap adds a box per missing-data code (race___nd); not declared, it was skipped and the
    # message said "no box is ticked", which the EDC's screen contradicts
    lines = X.records_text().splitlines()
    lines = [lines[0] + ",race___nd"] + [x + (",1" if k == 0 else ",0") for k, x in enumerate(lines[1:])]
    lines[1] = lines[1].replace("61,1,0,0", "61,0,0,0")
    got = errors(tmp_path, records="\n".join(lines) + "\n")
    assert got == [f"ERROR EDC01: {DATA} row 2 (record 1), field race___nd: event enrollment_arm_1: box "
                   "race___nd is ticked, but its code is no choice of race in the dictionary (1, 2, -99) and no "
                   "declared missing-data code; if it is one of the project's missing-data codes, declare it "
                   "under edc.missing_codes, else correct the record in the EDC"]


def test_a_not_detected_word_that_starts_with_a_less_than_sign_is_not_a_limit(tmp_path):
    # '<LOD' listed under not_detected was still read as a limit: "'LOD' after '<' is not a number"
    lab = X.lab_text().replace("NOT DETECTED,ND,", "NOT DETECTED,<LOD,")
    got = errors(tmp_path, lab=lab)
    assert got == [f"ERROR EDC04: {X.LAB_NAME} row 2 (record HCR-001), field MTM_PER_ML: MTM/mL '<LOD': 'LOD' "
                   "after '<' is not a number; ask the laboratory, or list it under "
                   "lab.mtm_qualifiers.not_detected if it means not detected"]
    e, m = X.write_export(tmp_path / "declared", lab=lab, mapping=M.replace("not_detected: [ND]",
                                                                            'not_detected: [ND, "<LOD"]'))
    intake(e, m, CUT, tmp_path / "declared" / "raw")
    assert "HCR-001,S-0001,baseline,2024-05-02,NEGATIVE,0,0,16" in (
        tmp_path / "declared" / "raw" / "ctdna.csv").read_text(encoding="utf-8")


def test_an_event_of_the_mapping_that_the_export_does_not_have_is_one_error(tmp_path):
    # was an EDC12 'record N has no subject ID' for every record (and a REC01 for every sample
    # for a misspelt draws.event), none naming the mapping
    got = errors(tmp_path, mapping=M.replace("event: enrollment_arm_1", "event: enrolment_arm_1"))
    assert got == [f"ERROR MAP12: {MAP} line 9, field subjects.event: subjects.event 'enrolment_arm_1' is no "
                   f"event of the records export {DATA} (its events: enrollment_arm_1, end_of_study_arm_1); "
                   "correct it in the mapping"]
    got = errors(tmp_path, mapping=M.replace("  instrument: plasma_draw\n",
                                             "  instrument: plasma_draw\n  event: ctdna_arm_1\n"))
    assert got == [f"ERROR MAP12: {MAP} line 37, field draws.event: draws.event 'ctdna_arm_1' is no event of "
                   f"the records export {DATA} (its events: enrollment_arm_1, end_of_study_arm_1); correct it "
                   "in the mapping"]


def test_draws_in_a_repeating_event_are_read_and_are_no_duplicate_event(tmp_path):
    # REDCap exports the instances of a repeating event with an instance and no instrument; they
    # were EDC08 'event ... is given twice for record 1 ... delete the duplicate in the EDC'
    records = X.records_text().replace("enrollment_arm_1,plasma_draw,", "ctdna_arm_1,,")
    assert records.count("ctdna_arm_1,,") == 3
    e, m = X.write_export(tmp_path, records=records, mapping=M.replace(
        "  instrument: plasma_draw\n", "  instrument: plasma_draw\n  event: ctdna_arm_1\n"))
    intake(e, m, CUT, tmp_path / "raw")
    good = tmp_path / "good"
    intake(*X.write_export(good), CUT, good / "raw")
    for name in ("subjects.csv", "ctdna.csv", "sources.csv"):
        assert (tmp_path / "raw" / name).read_bytes() == (good / "raw" / name).read_bytes()


def test_a_contract_file_edited_after_the_intake_is_an_error_of_01(tmp_path):
    # an edit by hand was validated as if it came from the export: 'value ... (from HER2CR_DATA...,
    # row 2, record 1, field cohort)', a row of the export that holds another value
    from her2cr.data.validate import validate_cut

    e, m = X.write_export(tmp_path)
    raw = tmp_path / "raw"
    intake(e, m, CUT, raw)
    assert [i for i in validate_cut(raw, CUT).issues if i.severity == "error"] == []
    subjects = raw / "subjects.csv"
    subjects.write_text(subjects.read_text(encoding="utf-8").replace(",continuing,", ",contnuing,"),
                        encoding="utf-8")
    got = [i.message() for i in validate_cut(raw, CUT).issues if i.severity == "error"]
    assert got == [
        "ERROR: subjects.csv: was changed after `her2cr intake` wrote it (its SHA-256 is not the one intake.json "
        "records): the folder is no longer what the export and the mapping give, and the rows of the export "
        "named as the origins of its values may not hold them. Correct the value in the EDC (or the laboratory "
        "file, or the mapping) and run the intake again; do not edit the intake's output",
        "ERROR: subjects.csv, row 2, column cohort: value 'contnuing': is not an allowed value: continuing or "
        f"stopped (from {DATA}, row 2, record 1, field cohort)"]


CORRECTIONS = M.replace("  mtm_qualifiers:", "  corrections: {keep: newest, by: REPORT_DATE}\n  mtm_qualifiers:")


def test_a_resend_with_the_same_report_date_is_not_taken_as_the_correction(tmp_path):
    # the later row was kept, with a warning that it was 'newer'
    lab = X.lab_text() + "HCR-001,S-0001,2024-05-02,DETECTED,0.05,2,16,2024-05-20\n"
    assert errors(tmp_path, lab=lab, mapping=CORRECTIONS) == [
        f"ERROR LAB03: {X.LAB_NAME} row 5 (record HCR-001), field SPECIMEN_ID: sample S-0001 is given again with "
        "the same REPORT_DATE '2024-05-20' as row 2: which result is the correction cannot be told; ask the "
        "laboratory"]


def test_resends_are_ordered_by_the_value_of_a_version_number_and_never_by_a_date_in_another_form(tmp_path):
    # '9' was newer than '10' (text order); '20/05/2024' and '01/06/2024' were ordered as text
    lab = X.lab_text().replace(",2024-05-20", ",9") + "HCR-001,S-0001,2024-05-02,DETECTED,0.05,2,16,10\n"
    e, m = X.write_export(tmp_path, lab=lab, mapping=CORRECTIONS)
    intake(e, m, CUT, tmp_path / "raw")
    assert (tmp_path / "raw" / "ctdna.csv").read_text().splitlines()[1] == (
        "HCR-001,S-0001,baseline,2024-05-02,POSITIVE,0.05,2,16")
    lab = X.lab_text().replace(",2024-05-20", ",20/05/2024") + \
        "HCR-001,S-0001,2024-05-02,DETECTED,0.05,2,16,01/06/2024\n"
    assert errors(tmp_path / "bad", lab=lab, mapping=CORRECTIONS) == [
        f"ERROR LAB03: {X.LAB_NAME} row {r} (record HCR-001), field REPORT_DATE: sample S-0001 is given more than "
        f"once, and its REPORT_DATE {v!r} is neither a date written YYYY-MM-DD nor a number: which result is "
        "the correction cannot be told; ask the laboratory" for r, v in ((2, "20/05/2024"), (5, "01/06/2024"))]


def test_a_test_given_twice_in_a_one_row_per_test_file_without_corrections_is_lab03(tmp_path):
    # was 'ValueError: Index contains duplicate entries, cannot reshape' (a traceback; exit 2 by the CLI)
    rows = X.per_test_lab()
    rows.append("HCR-002,S-0002,2024-06-03,SIG_MTM,0.42,2024-07-01")
    assert errors(tmp_path, lab="\n".join(rows) + "\n", mapping=X.per_test_mapping(M)) == [
        f"ERROR LAB03: {X.LAB_NAME} row 14 (record HCR-002), field SPECIMEN_ID: sample and test S-0002 is given "
        "again (first at row 7); if the file resends corrected results, declare lab.corrections (keep: newest, "
        "by: <report date column>); otherwise ask the laboratory"]


def test_yes_and_no_unquoted_in_a_code_map_are_the_words_written(tmp_path):
    # YAML 1.1 read them as booleans: "code '1' maps to 'true', which the contract does not allow"
    mapping = M.replace('{"1": "yes", "0": "no"}', '{"1": yes, "0": no}')
    assert mapping.count('{"1": yes, "0": no}') == 2
    e, m = X.write_export(tmp_path, mapping=mapping)
    intake(e, m, CUT, tmp_path / "raw")
    good = tmp_path / "good"
    intake(*X.write_export(good), CUT, good / "raw")
    assert (tmp_path / "raw" / "subjects.csv").read_bytes() == (good / "raw" / "subjects.csv").read_bytes()
    assert errors(tmp_path / "bad", mapping=M.replace("{dag: true,", "{dag: yes,")) == [
        f"ERROR MAP03: {MAP} line 12, field subjects.columns.site.dag: subjects.columns.site.dag must be true or "
        "false"]


def test_a_spreadsheet_s_error_value_or_formula_is_named_as_such(tmp_path):
    # '#N/A' was 'not a declared missing-data code ... declare it under edc.missing_codes', and
    # '=B2+1' 'is not a whole number; correct it in the source'
    got = errors(tmp_path, records=X.records_text().replace("2024-05-01", "#N/A").replace(",61,", ",=B2+1,"))
    assert got == [
        f"ERROR EDC06: {DATA} row 2 (record 1), field consent_date: event enrollment_arm_1: '#N/A' is a "
        "spreadsheet's error value, not a date written YYYY-MM-DD: the file was opened and saved in a "
        "spreadsheet; export the records again from the EDC (a spreadsheet may read an export, never save it)",
        f"ERROR EDC06: {DATA} row 2 (record 1), field age: event enrollment_arm_1: '=B2+1' is a spreadsheet's "
        "formula, not a whole number: the file was opened and saved in a spreadsheet; export the records "
        "again from the EDC (a spreadsheet may read an export, never save it)"]


def test_an_out_that_is_a_file_is_named_not_a_traceback(tmp_path):
    # was 'her2cr intake: NotADirectoryError: [Errno 20] Not a directory' (exit 2)
    e, m = X.write_export(tmp_path)
    out = tmp_path / "cut.csv"
    out.write_text("kept\n")
    with pytest.raises(IntakeFailed) as info:
        intake(e, m, CUT, out)
    assert [i.line() for i in info.value.errors] == [
        f"ERROR FILE01: cut.csv: --out {out} is a file, not a folder; give the folder the cut is to be written "
        "into (a new or empty one)"]
    assert out.read_text() == "kept\n"


def test_a_repeat_instance_on_the_subjects_row_is_named_not_a_missing_subject_id(tmp_path):
    # read as a repeating event's row, the record had no row at the subjects' event: EDC12 'record 1
    # has no subject ID', which the EDC contradicts
    records = X.records_text().replace("1,enrollment_arm_1,,,ncu,", "1,enrollment_arm_1,,1,ncu,", 1)
    assert errors(tmp_path, records=records) == [
        f"ERROR EDC08: {DATA} row 2 (record 1), field redcap_repeat_instance: record 1's row at event "
        "enrollment_arm_1 has a repeat instance and no repeat instrument, as the rows of a repeating event have; "
        "the subject fields are read from the one row of a non-repeating event: if the instance was typed into "
        "the export, export it again; if the event repeats, read them from another event (subjects.event)"]


def test_draws_at_another_event_than_draws_event_are_named_not_dropped(tmp_path):
    # they were not read, and their samples were REC01 'has no plasma draw in the EDC'
    records = X.records_text().replace("1,enrollment_arm_1,plasma_draw,2,", "1,unscheduled_arm_1,plasma_draw,2,")
    mapping = M.replace("  instrument: plasma_draw\n", "  instrument: plasma_draw\n  event: enrollment_arm_1\n")
    assert errors(tmp_path, records=records, mapping=mapping) == [
        f"ERROR MAP12: {MAP} line 37, field draws.event: draws.event is 'enrollment_arm_1', but the records "
        f"export {DATA} also has plasma_draw instances at unscheduled_arm_1 (rows 8), which would not be read; "
        "delete draws.event to read the draws of every event"]


def test_a_record_without_a_row_at_a_column_s_event_is_named_by_01(tmp_path):
    # 01's message named only 'subjects.csv, row 3': the origin had no row, so no 'from ...' at all
    from her2cr.data.validate import validate_cut

    records = "".join(x + "\n" for x in X.records_text().splitlines() if not x.startswith("2,end_of_study_arm_1"))
    e, m = X.write_export(tmp_path, records=records)
    intake(e, m, CUT, tmp_path / "raw")
    got = sorted(i.message() for i in validate_cut(tmp_path / "raw", CUT).issues if i.severity == "error")
    assert got == [
        "ERROR: subjects.csv, row 3, column last_contact: a value is required (not before consent_date) (from "
        f"{DATA}, record 2, field last_contact: the record has no row at event end_of_study_arm_1)",
        "ERROR: subjects.csv, row 3, column status: a value is required (on_study, completed, withdrawn, "
        f"lost_to_follow_up or died) (from {DATA}, record 2, field eos_status: the record has no row at event "
        "end_of_study_arm_1)"]


def test_a_laboratory_row_without_its_sample_or_subject_id_is_named(tmp_path):
    # were REC01 'sample  (subject HCR-001) has no plasma draw' and REC03 'is subject 's in the
    # laboratory file'
    lab = X.lab_text().replace("HCR-001,S-0001,", "HCR-001,,").replace("HCR-002,S-0002,", ",S-0002,")
    assert errors(tmp_path, lab=lab) == [
        f"ERROR LAB09: {X.LAB_NAME} row 2 (record HCR-001), field SPECIMEN_ID: the row has no sample ID "
        "(SPECIMEN_ID); ask the laboratory to complete it and send the file again",
        f"ERROR LAB09: {X.LAB_NAME} row 3, field PATIENT_ID: the row has no subject ID (PATIENT_ID) (its sample "
        "S-0002); ask the laboratory to complete it and send the file again"]


def test_a_delimiter_or_encoding_the_intake_cannot_use_is_named_at_its_line(tmp_path):
    # '\t' in single quotes is two characters: 'TypeError: "delimiter" must be a 1-character string'
    # (exit 2); an unknown encoding was named at the dictionary, not at the mapping's line
    mapping = M.replace("  encoding: utf-8\n", "  encoding: latin-1\n  delimiter: '\\t'\n")
    assert errors(tmp_path, mapping=mapping) == [
        f"ERROR MAP03: {MAP} line 6, field edc.delimiter: edc.delimiter '\\\\t' is not one character (a tab is "
        "written \"\\t\" in double quotes: in single quotes YAML keeps the backslash); use one of , ; | ^ or a tab",
        f"ERROR MAP03: {MAP} line 5, field edc.encoding: edc.encoding 'latin-1' is not supported; use utf-8 or "
        "cp932"]


def test_the_draft_takes_a_tab_as_a_shell_passes_it(tmp_path, capsys):
    from her2cr.cli import main

    def tabbed(text: str) -> str:
        out = io.StringIO()
        csv.writer(out, delimiter="\t", lineterminator="\n").writerows(csv.reader(io.StringIO(text)))
        return out.getvalue()

    e, _ = X.write_export(tmp_path, records=tabbed(X.records_text()), dictionary=tabbed(X.dictionary_text()))
    out = tmp_path / "draft.yml"
    assert main(["intake", "--draft-mapping", "--export", str(e), "--out", str(out), "--delimiter", "\\t"]) == 0
    assert '  delimiter: "\\t"' in out.read_text(encoding="utf-8")


def test_sources_csv_cut_short_after_the_intake_is_an_error_of_01(tmp_path):
    # the issues lost their origins in the export without a word
    from her2cr.data.validate import validate_cut

    e, m = X.write_export(tmp_path)
    raw = tmp_path / "raw"
    intake(e, m, CUT, raw)
    sources = raw / "sources.csv"
    sources.write_text("".join(sources.read_text(encoding="utf-8").splitlines(keepends=True)[:3]), encoding="utf-8")
    assert [i.message() for i in validate_cut(raw, CUT).issues if i.severity == "error"] == [
        "ERROR: sources.csv: was changed after `her2cr intake` wrote it (its SHA-256 is not the one intake.json "
        "records): the folder is no longer what the export and the mapping give, and the rows of the export "
        "named as the origins of its values may not hold them. Correct the value in the EDC (or the laboratory "
        "file, or the mapping) and run the intake again; do not edit the intake's output"]


def test_intake_issues_csv_gone_from_an_intake_s_folder_is_named(tmp_path):
    # was 'FileNotFoundError: [Errno 2] No such file or directory: .../intake_issues.csv' (exit 2)
    from her2cr.data import write_cut_info
    from her2cr.data.issues import InputError

    e, m = X.write_export(tmp_path)
    raw = tmp_path / "raw"
    intake(e, m, CUT, raw)
    (raw / "intake_issues.csv").unlink()
    with pytest.raises(InputError) as info:
        write_cut_info(raw, CUT, tmp_path / "out")
    assert str(info.value) == ("ERROR: intake_issues.csv: is missing beside intake.json; this file is written by "
                               "`her2cr intake`: run the intake again to write this folder anew")


def _without_column(text: str, column: str) -> str:
    rows = list(csv.reader(io.StringIO(text)))
    i = rows[0].index(column)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(r[:i] + r[i + 1:] for r in rows)
    return out.getvalue()


def test_an_export_without_its_data_access_group_or_event_column_is_one_message(tmp_path):
    # every record was EDC01 'record N has no data access group; assign it to its site's group in the EDC'
    assert errors(tmp_path, records=_without_column(X.records_text(), "redcap_data_access_group")) == [
        f"ERROR FILE06: {DATA} row 1, field redcap_data_access_group: column redcap_data_access_group (mapped to "
        "site) is not in the export; export the records again with the data access group field (an option of "
        "REDCap's export)"]
    assert errors(tmp_path / "events", records=_without_column(X.records_text(), "redcap_event_name")) == [
        f"ERROR MAP12: {MAP} line 9, field subjects.event: subjects.event 'enrollment_arm_1' is no event of the "
        f"records export {DATA} (it has no redcap_event_name, as a classic project's export); delete "
        "subjects.event, or export the records again with their events"]
