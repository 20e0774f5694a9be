"""The draft mapping (`her2cr intake --draft-mapping`): it never fills in a wrong answer, reads
the vocabulary as data, and finds on its own how an export it was not built for is written
(tests/intake/designed_export.py): after only the TODOs it leaves are filled in, the intake gives
the known cut."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import resources

import pandas as pd
import pytest

from her2cr.data import contract as C
from her2cr.data.synth import generate
from her2cr.intake import vocabulary as V
from her2cr.intake.draft import make_draft
from her2cr.intake.run import intake
from tests.intake import designed_export as D

CUT = "2025-12-31"
REGIMENS = C.field_map(C.SUBJECTS)["anti_her2"].allowed

# (column, label, field's label, the value it must map to; None: it must stay TODO)
LABELS = [
    # regimens: a label naming two is their combination, never one of the two
    ("anti_her2", "Trastuzumab", "", "trastuzumab"),
    ("anti_her2", "Herceptin", "", "trastuzumab"),
    ("anti_her2", "トラスツズマブ", "", "trastuzumab"),
    ("anti_her2", "Trastuzumab, Pertuzumab", "", "trastuzumab+pertuzumab"),
    ("anti_her2", "Trastuzumab + Pertuzumab", "", "trastuzumab+pertuzumab"),
    ("anti_her2", "H+P", "", "trastuzumab+pertuzumab"),
    ("anti_her2", "HP", "", "trastuzumab+pertuzumab"),
    ("anti_her2", "トラスツズマブ＋ペルツズマブ", "", "trastuzumab+pertuzumab"),
    ("anti_her2", "T-DM1 (Kadcyla)", "", "T-DM1"),
    ("anti_her2", "trastuzumab emtansine", "", "T-DM1"),
    ("anti_her2", "Trastuzumab deruxtecan (T-DXd)", "", "T-DXd"),
    ("anti_her2", "エンハーツ", "", "T-DXd"),
    ("anti_her2", "Pertuzumab", "", None),
    ("anti_her2", "Trastuzumab or T-DM1", "", None),
    ("anti_her2", "Trastuzumab, T-DM1", "", None),
    ("anti_her2", "Lapatinib", "", None),
    ("anti_her2", "Other", "", None),
    # Japanese and English words of every kind of column
    ("sex", "女性", "", "F"), ("sex", "男性", "", "M"), ("sex", "Female", "", "F"), ("sex", "Male", "", "M"),
    ("menopausal_status", "閉経前", "", "pre"), ("menopausal_status", "閉経後", "", "post"),
    ("menopausal_status", "未閉経", "", "pre"), ("menopausal_status", "Postmenopausal", "", "post"),
    ("menopausal_status", "不明", "", None), ("menopausal_status", "閉経前, 閉経後", "", None),
    ("hr_status", "陽性", "", "positive"), ("hr_status", "陰性 (negative)", "", "negative"),
    ("cohort", "継続", "", "continuing"), ("cohort", "中止, stopped", "", "stopped"),
    ("cohort", "抗HER2療法継続", "", "continuing"), ("cohort", "継続または中止", "", None),
    ("best_response", "完全奏効 (CR)", "", "CR"), ("best_response", "部分奏効", "", "PR"),
    ("best_response", "CR/PR", "", None), ("best_response", "SD", "", None),
    ("presentation", "de novo", "", "de_novo"), ("presentation", "初発", "", "de_novo"),
    ("presentation", "Stage IV at diagnosis", "", "de_novo"), ("presentation", "再発", "", "recurrent"),
    ("presentation", "再発なし", "", None), ("presentation", "初発/再発", "", None),
    ("status", "死亡", "", "died"), ("status", "追跡不能", "", "lost_to_follow_up"),
    ("status", "同意撤回", "", "withdrawn"), ("status", "完了", "", "completed"), ("status", "追跡中", "", "on_study"),
    ("status", "Lost to follow-up", "", "lost_to_follow_up"), ("status", "Other", "", None),
    ("visceral_mets", "あり", "", "yes"), ("visceral_mets", "なし", "", "no"), ("visceral_mets", "はい", "", "yes"),
    ("visceral_mets", "いいえ", "", "no"), ("visceral_mets", "N/A", "", None), ("visceral_mets", "該当なし", "", None),
    ("visceral_mets", "不明", "", None),
    ("race", "アジア人 (Asian)", "", "Asian"), ("race", "不明, 未回答", "", "Unknown or Not Reported"),
    ("race", "その他 (other)", "", None), ("race", "Asian, White", "", None),
    ("ethnicity", "Not Hispanic or Latino", "", "Not Hispanic or Latino"),
    ("ethnicity", "Hispanic or Latino", "", "Hispanic or Latino"),
    # a yes/no choice means what the field's label names, and nothing when the label names neither
    ("hr_status", "Yes", "HR positive", "positive"), ("hr_status", "No", "HR positive", "negative"),
    ("hr_status", "はい", "ホルモン受容体陽性", "positive"), ("hr_status", "いいえ", "ER陰性", "positive"),
    ("hr_status", "Yes", "ホルモン受容体", None), ("hr_status", "Yes", "ER陽性/陰性", None),
    ("cohort", "はい", "抗HER2療法を継続", "continuing"),
    # numbers (ECOG) and visits
    ("ecog", "PS 0", "", "0"), ("ecog", "2", "", "2"), ("ecog", "0-1", "", None), ("ecog", "PS 5", "", None),
    ("ecog", "HER2", "", None),
    ("visit", "ベースライン", "", "baseline"), ("visit", "Baseline (Day 0)", "", "baseline"),
    ("visit", "3ヶ月", "", "month_3"), ("visit", "Month 6", "", "month_6"), ("visit", "M12", "", "month_12"),
    ("visit", "Month 4", "", None), ("visit", "Week 12", "", None), ("visit", "Screening", "", None),
    # laboratory words
    ("lab.result", "DETECTED", "", "POSITIVE"), ("lab.result", "NOT DETECTED", "", "NEGATIVE"),
    ("lab.result", "Not  detected", "", "NEGATIVE"), ("lab.result", "陽性", "", "POSITIVE"),
    ("lab.result", "QNS", "", "QNS"), ("lab.result", "TEST FAILED", "", "FAILED"),
    ("lab.result", "PENDING", "", None),
]


def _suggest(column: str, label: str, field_label: str):
    from her2cr.intake.dictionary import Field
    from her2cr.intake.draft_fields import choice_value

    if column.startswith("lab."):
        return V.resolve(label, column, C.RESULTS)
    part, cf = ("draws", C.field_map(C.CTDNA)[column]) if column == "visit" else \
        ("subjects", C.field_map(C.SUBJECTS)[column])
    f = Field("f", "form", "radio", field_label, {"1": label}, "", False, 2)
    return choice_value(f, label, f"{part}.{column}", cf)


@pytest.mark.parametrize("column,label,field_label,value", LABELS)
def test_a_label_maps_only_when_it_names_one_contract_value(column, label, field_label, value):
    s = _suggest(column, label, field_label)
    assert s.value == value, s.evidence
    assert repr(label) in s.evidence  # the evidence quotes the label
    if field_label and value is not None:
        assert repr(field_label) in s.evidence


def test_the_vocabulary_is_data_that_names_every_contract_column_and_value():
    text = resources.files("her2cr.intake").joinpath("vocabulary.csv").read_text(encoding="utf-8")
    assert "閉経前" in text and "被験者id" in text.lower()
    columns = {e.column for e in V.entries()}
    for part, fields in (("subjects", C.SUBJECTS), ("draws", C.CTDNA)):
        for f in fields:
            if part == "draws" and f.name not in ("sample_id", "visit", "collection_date"):
                assert f"lab.{f.name}" in columns or f.name == "subject_id" and "lab.subject_id" in columns
                continue
            assert f"{part}.{f.name}" in columns, f"no words name {part}.{f.name}"
            for value in f.allowed or ():
                words = [e for e in V.entries() if e.column in (f"{part}.{f.name}", V.ANY) and e.value == value]
                assert words, f"no words name {value} of {f.name}"
    for value in C.RESULTS:
        assert any(e.column == "lab.result" and e.value == value for e in V.entries())


def _flat_todos(text: str) -> list[str]:
    """The keys (with their parent) of the draft's TODO lines."""
    out, parents = [], {}
    for line in text.splitlines():
        body = line.split("#")[0]
        m = re.match(r"(\s*)([^:]+):", body)
        if not m:
            continue
        depth, k = len(m.group(1)), m.group(2).strip().strip('"')
        parents[depth] = k
        if "TODO" in body:
            out.append(".".join(parents[d] for d in sorted(parents) if d < depth)[-40:] + "." + k
                       if depth else k)
    return out


def test_on_the_synthetic_export_the_draft_leaves_no_todo(tmp_path, capsys):
    from her2cr.cli import main
    from her2cr.intake.synthetic import build_export, write_export

    export = tmp_path / "export"
    write_export(build_export(generate(n=50, cut=CUT)), export)
    d = make_draft(export)
    assert d.todos == 0 and _flat_todos(d.text) == [], d.text
    assert (d.filled, d.total) == (34, 34)
    assert main(["intake", "--draft-mapping", "--export", str(export), "--out", str(tmp_path / "d.yml")]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "draft: 34 of 34 contract columns filled in, 0 TODOs"


# what a data manager answers to the TODOs the draft leaves on the designed export: race 'その他'
# (no participant has it) is no value; a qualified MTM/mL is written as its limit
ANSWERS = {"codes.8": '""', "below_limit": "limit", "above_limit": "limit"}


def _fill(text: str) -> str:
    out = []
    for line in text.splitlines():
        body = line.split("#")[0]
        if "TODO" in body:
            k = body.split(":")[0].strip().strip('"')
            answer = next(v for key, v in ANSWERS.items() if key.split(".")[-1] == k)
            line = body.replace("TODO", answer).rstrip()
        out.append(line)
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("lab_format,classic", [("xlsx", False), ("tsv", False), ("tsv", True)])
def test_an_export_designed_differently_gives_the_known_cut_after_only_the_todos_are_filled(tmp_path, lab_format,
                                                                                            classic):
    """classic: the same without events (the draws a repeating instrument), records and dictionary
    tab-separated."""
    cut = generate(n=30, cut=CUT)
    export = D.write(cut, tmp_path / "export", lab_format, classic)
    d = make_draft(export)
    todos = [line.split("#")[0].split(":")[0].strip() for line in d.text.splitlines() if "TODO" in line.split("#")[0]]
    assert d.todos == len(todos) <= 3
    assert todos == ['"8"', "below_limit", "above_limit"], d.text
    assert '"2": "trastuzumab+pertuzumab"   # \'Trastuzumab, Pertuzumab\' names trastuzumab and pertuzumab' in d.text
    assert "  encoding: cp932" in d.text and "  instrument: blood_draw" in d.text
    if classic:
        assert '  delimiter: "\\t"   # found from the header\n  record_id' in d.text
        assert "  # a classic project (no events): no subjects.event" in d.text and "  event:" not in d.text
        assert "  instrument: blood_draw   # the repeating instrument" in d.text
    else:
        assert "  event: blood_draw_arm_1   # a repeating event" in d.text
        assert "      event: followup_arm_1   # the event where form follow_up is filled in" in d.text
    assert "  layout: sample_test" in d.text and '    by: "Report Date"' in d.text
    assert (f'  file: "{D.LAB}.{lab_format}"' in d.text) and (('  sheet: "Results"' in d.text) == (lab_format == "xlsx"))
    assert "  not_used: [pt_initials, dob]" in d.text
    assert d.summary() == "draft: 32 of 34 contract columns filled in, 3 TODOs (optional, no field found: ethnicity)"
    mapping = tmp_path / "mapping.yml"
    mapping.write_text(_fill(d.text), encoding="utf-8")
    intake(export, mapping, CUT, tmp_path / "raw")
    subjects, ctdna = D.expected(cut)
    got_s = pd.read_csv(tmp_path / "raw" / "subjects.csv", dtype=str, keep_default_na=False)
    got_c = pd.read_csv(tmp_path / "raw" / "ctdna.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(got_s, subjects.drop(columns=["ethnicity"]).reset_index(drop=True))
    # MTM/mL: a not-detected 'ND' is written 0 (the contract cut writes 0.00): the same number
    num = pd.to_numeric
    pd.testing.assert_series_equal(num(got_c.pop("mtm_per_ml")), num(ctdna["mtm_per_ml"]).reset_index(drop=True))
    pd.testing.assert_frame_equal(got_c, ctdna.drop(columns=["mtm_per_ml"]).reset_index(drop=True))
    # a qualified MTM/mL is named at its own test row and by the value column (it was the sample's
    # first row, its CTDNA_STATUS, and the contract's column name)
    issues = pd.read_csv(tmp_path / "raw" / "intake_issues.csv", dtype=str, keep_default_na=False)
    lab = D._lab(cut)
    qualified = issues[issues["rule"] == "LAB02"]
    assert len(qualified) == 2 and set(qualified["field"]) == {"Result (test MTM)"}
    for r in qualified.itertuples():
        assert lab["Result"].iat[int(r.row) - 2] == r.value and lab["Test Code"].iat[int(r.row) - 2] == "MTM"


def test_the_draft_takes_a_cp932_export_without_being_told(tmp_path):
    # it was refused until --encoding cp932 was given, although the error said it reads as CP932
    export = D.write(generate(n=20, cut=CUT), tmp_path / "export")
    p = subprocess.run([sys.executable, "-m", "her2cr", "intake", "--draft-mapping", "--export", str(export),
                        "--out", str(tmp_path / "draft.yml")], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[-1].startswith("draft: ") and p.stdout.splitlines()[-1].endswith("3 TODOs (optional, "
                                                                                                  "no field found: ethnicity)")
    assert "  encoding: cp932" in (tmp_path / "draft.yml").read_text(encoding="utf-8")


def test_two_fields_that_fit_a_column_equally_leave_it_todo_naming_both(tmp_path):
    export = D.write(generate(n=20, cut=CUT), tmp_path / "export")
    meta = export / D.DICTIONARY
    rows = meta.read_text(encoding="cp932").splitlines()
    extra = [r for r in rows if r.startswith("pd_dt,")][0].replace("pd_dt,", "pd_dt2,")
    meta.write_text("\r\n".join(rows + [extra]) + "\r\n", encoding="cp932")
    d = make_draft(export)
    lines = d.text.splitlines()
    k = next(i for i, x in enumerate(lines) if x.strip().startswith("progression_date:"))
    assert "pd_dt and pd_dt2 fit equally" in lines[k]
    assert lines[k + 1].strip().startswith("field: TODO")


def test_a_dictionary_in_neither_encoding_is_named_at_its_lines(tmp_path):
    from her2cr.intake.issues import IntakeFailed

    export = D.write(generate(n=20, cut=CUT), tmp_path / "export")
    with (export / D.DICTIONARY).open("ab") as f:
        f.write(b"\x81\xff\r\n")  # a byte pair CP932 does not have, after Japanese UTF-8 cannot read
    with pytest.raises(IntakeFailed) as info:
        make_draft(export)
    lines = [i.line() for i in info.value.errors]
    assert lines[0].startswith("ERROR FILE01: export: no data dictionary in ")
    assert lines[1] == ("ERROR FILE02: metadata.csv: the file is neither UTF-8 (line 2 is not) nor CP932, Shift_JIS "
                        f"(line {len(D.FIELDS) + 2} is not): it was damaged or saved in another encoding; save it "
                        "again as UTF-8 (in Excel: CSV UTF-8)")


def test_a_delimiter_given_on_the_command_line_that_does_not_cut_the_files_says_to_leave_it_out(tmp_path, capsys):
    from her2cr.cli import main

    export = D.write(generate(n=20, cut=CUT), tmp_path / "export")
    assert main(["intake", "--draft-mapping", "--export", str(export), "--out", str(tmp_path / "d.yml"),
                 "--delimiter", "tab"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "ERROR FILE03: metadata.csv row 1: the header is comma-separated, but the mapping declares tab (delimiter: "
        "'\\t'); set `delimiter: ','` in the mapping or export the file again with commas (--delimiter given on the "
        "command line: leave it out, and the draft finds it)"]


def test_a_yes_no_field_whose_label_names_no_column_is_never_taken_for_one(tmp_path):
    # any yes/no field's choices name yes and no: alone they would fill brain_mets with the first
    # unused yes/no field (a wrong answer no later check can catch)
    export = D.write(generate(n=20, cut=CUT), tmp_path / "export")
    meta = export / D.DICTIONARY
    meta.write_text(meta.read_text(encoding="cp932").replace("cns,registration,,radio,脳転移",
                                                             "her2_low,registration,,radio,HER2低発現"), encoding="cp932")
    lines = make_draft(export).text.splitlines()
    k = next(i for i, x in enumerate(lines) if x.strip().startswith("brain_mets:"))
    assert lines[k + 1].strip().startswith("field: TODO"), lines[k:k + 2]
    assert next(x for x in lines if x.strip().startswith("visceral_mets:")).split("'")[1] == "内臓転移"


def test_the_laboratory_s_visit_column_is_mapped_when_every_word_names_a_visit(tmp_path):
    import tests.intake.export as X

    e, _ = X.write_export(tmp_path / "a", lab=X.visit_lab())
    text = make_draft(e).text
    assert '    visit: "VISIT"   # its name names the visit: compared with the EDC draw\'s (REC06), never copied' in text
    assert text.split("  visit_codes:", 1)[1].splitlines()[1:4] == [
        '    "BASELINE": baseline   # \'BASELINE\' names baseline',
        '    "Baseline": baseline   # \'Baseline\' names baseline',
        '    "month 3": month_3   # \'month 3\' names month_3']
    mapping = tmp_path / "m.yml"
    mapping.write_text(text.replace("below_limit: TODO", "below_limit: limit"), encoding="utf-8")
    assert intake(e, mapping, CUT, tmp_path / "raw")["counts"] == {"subjects": 2, "samples": 3, "warnings": 1}
    e, _ = X.write_export(tmp_path / "b", lab=X.visit_lab({"S-0003": "UNSCHEDULED"}))
    text = make_draft(e).text
    assert "  visit_codes:" not in text and "    visit: \"VISIT\"" not in text
    assert ("  # the file's visit column 'VISIT' is left out: 'UNSCHEDULED' names no contract visit; to compare the "
            "visits with the EDC's, add lab.columns.visit and lab.visit_codes") in text
