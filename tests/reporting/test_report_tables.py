"""Report tables for Quarto: raw Typst for the PDF, raw HTML for the HTML report, readable names
for the estimates. No Quarto needed."""

from __future__ import annotations

import pandas as pd
import pytest

from her2cr.ctdna.labels import analysis_title
from her2cr.reporting.context import estimates_display
from her2cr.reporting.display import Table, grouped
from her2cr.reporting.typst_table import (INSET_PT, NOTE_SIZE_PT, TEXT_WIDTH_PT, TableLayout, column_widths,
                                          font_size, header_string, numeric_columns, token_pieces,
                                          typst_string, typst_table)


def test_cells_are_typst_string_literals_so_no_value_is_read_as_markup():
    nasty = 'a "quoted" #let x = [b] \\ *c* $d$ // e'
    lit = typst_string(nasty, breakable=False)
    assert lit == '"a \\"quoted\\" #let x = [b] \\\\ *c* $d$ // e"'
    code = typst_table(pd.DataFrame({"v": [nasty]}))
    assert typst_string(nasty) in code


def test_long_tokens_break_between_boxes_and_no_invisible_character_enters_the_text():
    code = typst_string("subjects.csv/last_contact_date")
    assert code == 'box("subjects.csv/last_") + box("contact_") + box("date")'
    assert "\u200b" not in code and "\u00ad" not in code
    # short tokens, words with a slash (Typst breaks after it by itself) and numbers stay whole
    assert typst_string("NIH/OMB a_b") == '"NIH/OMB a_b"'
    code = typst_table(pd.DataFrame({"label": ["a_b"], "n/N": ["4/22"]}))
    assert '"4/22"' in code and '"a_b"' in code
    # a checksum breaks, if it must, into even pieces
    sha = "f31f338a7ffbed395360b02abcbdf83b8aba79a475b140fa79ce44eab11066d3"
    assert typst_string(sha).count("box(") == 4 and "".join(token_pieces(sha)) == sha


def test_header_cells_break_between_words_never_inside_a_parenthesis_or_at_an_underscore():
    assert header_string("Continuing (N = 25)") == '"Continuing " + box("(N = 25)")'
    assert header_string("Subject_id") == '"Subject_id"'
    widths = column_widths(pd.DataFrame({"Continuing (N = 25)": ["4 (18.2%)"]}), [True])
    assert float(widths[0].split("em")[0]) >= 0.62 * len("(N = 25)")


def test_a_checksum_column_is_as_wide_as_the_checksum_where_the_page_has_room():
    sha = "f31f338a7ffbed395360b02abcbdf83b8aba79a475b140fa79ce44eab11066d3"
    df = pd.DataFrame({"Item": ["Input ctdna.csv (SHA-256)"] + ["Package numpy"] * 18,
                       "Value": [sha] + ["2.3.5"] * 18})
    widths = column_widths(df, numeric_columns(df))
    assert widths[1].startswith(f"{0.55 * len(sha):.1f}em"), widths


def test_notes_and_the_last_rows_of_a_long_table_form_its_footer_and_a_short_table_never_breaks():
    long = pd.DataFrame({"a": [f"row {i}" for i in range(40)]})
    code = typst_table(long, notes=["A note."])
    assert "breakable: true" in code
    footer = code[code.index("table.footer(repeat: false,"):]
    assert '"row 38"' in footer and '"row 39"' in footer and '"A note."' in footer
    assert '"row 37"' not in footer
    # the first two rows go with the caption and header: a sub-header that is not repeated
    lead = code[code.index("table.header(repeat: false, level: 2,"):code.index('"row 2"')]
    assert '"row 0"' in lead and '"row 1"' in lead
    short = typst_table(pd.DataFrame({"a": ["x"] * 3}), notes=["A note."])
    assert "breakable: false" in short and short.index('"x"') < short.index('"A note."')


def test_table_type_and_notes_are_at_least_8_5_pt():
    assert min(font_size(n) for n in range(1, 12)) >= 8.5 and NOTE_SIZE_PT >= 8.5
    assert "size: 7.5pt" not in typst_table(pd.DataFrame({f"c{i}": ["x"] for i in range(9)}), notes=["n"])


def test_number_columns_are_right_aligned_and_text_columns_left():
    df = pd.DataFrame({"Characteristic": ["Age", "Sex"], "n (%)": ["4 (18.2%)", "—"],
                       "CI": ["-17.3% to 29.5%", "NA [Not applicable to this group]"], "p": ["<0.001", ""]})
    assert numeric_columns(df) == [False, True, True, True]
    assert "align: (left, right, right, right,)" in typst_table(df)


def test_header_repeats_on_every_page_and_nothing_is_hyphenated():
    code = typst_table(pd.DataFrame({"a": ["x"] * 3}), notes=["A note."])
    assert "table.header(repeat: true," in code
    assert "hyphenate: false" in code and "justify: false" in code
    assert code.index("#table(") < code.index('"A note."')


def test_number_columns_never_take_more_than_half_the_page():
    df = pd.DataFrame({"Measure": ["Years since response [Median (Inter-Quartile Range), years]"],
                       **{f"c{i}": ["16.54 (9.265 to 22.33)"] for i in range(3)}})
    widths = column_widths(df, numeric_columns(df))
    assert widths[0].endswith("fr")
    ems = [float(w.split("em")[0]) for w in widths[1:]]
    # half the text width left after the cell insets, in em of the table's type
    half = 0.5 * (TEXT_WIDTH_PT - 2 * INSET_PT * len(df.columns)) / font_size(len(df.columns))
    assert sum(ems) <= half + 0.1 and all(e >= 0.55 * len("(9.265") for e in ems)


def test_grouped_table_has_a_heading_row_where_the_group_changes():
    df = pd.DataFrame({"Analysis": ["A", "A", "B"], "x": ["1", "2", "3"]})
    shown, layout = grouped(df, "Analysis")
    assert list(shown.columns) == ["x"] and layout.group_rows == {0: "A", 2: "B"}
    bundle = Table(df, group_by="Analysis")._repr_mimebundle_()
    assert bundle["text/html"].count('<tr class="group">') == 2
    assert bundle["text/markdown"].count("table.cell(colspan: 1") == 2


def test_quarto_markdown_holds_the_table_as_raw_html_and_raw_typst():
    md = Table(pd.DataFrame({"a": ["1"]}), notes=["n"], layout=TableLayout(bold_rows=[True]))._repr_mimebundle_()["text/markdown"]
    assert md.startswith("```{=html}\n<table") and "\n```{=typst}\n" in md
    assert 'strong("1")' in md


ESTIMATES = pd.DataFrame({
    "analysis": ["subgroup_best_response=CR", "exploratory_mtm", "primary", "sensitivity_miettinen_nurminen"],
    "parameter": ["risk_difference", "median", "proportion", "risk_difference"],
    "group": ["stopped vs continuing", "stopped", "stopped", "stopped vs continuing"],
    "n": [5, 6, 6, 10], "N": [16, 6, 24, 46], "estimate": [0.2, 0.25, 0.25, 0.068],
    "ci_lower": [float("nan")] * 4, "ci_upper": [float("nan")] * 4, "p_value": [float("nan")] * 4,
    "method": ["m"] * 4,
})


def test_estimates_read_as_a_report_table_grouped_by_analysis_in_order():
    shown = estimates_display(ESTIMATES)
    assert shown["Analysis"].tolist() == [
        "Primary: baseline ctDNA positivity", "Sensitivity: Miettinen-Nurminen interval",
        "Subgroup: best response = CR",
        # the MTM medians are of every positive draw, baseline and follow-up (study-data.md)
        "Exploratory: ctDNA level (MTM/mL) of positive draws, baseline and follow-up"]
    assert shown["Estimate of"].tolist() == [
        "Proportion positive, %", "Difference in proportions, percentage points",
        "Difference in proportions, percentage points", "Median MTM/mL"]
    # each row says what its n and N count: no bare "6/6" (draws / participants)
    assert shown["Counts"].tolist() == ["6 of 24 positive", "10 of 46 positive",
                                        "5 of 16 positive", "6 draws from 6 participants"]
    assert shown["Estimate"].tolist() == ["25.0", "6.8", "20.0", "0.250"]
    assert not shown["Analysis"].str.contains("_").any()


@pytest.mark.slow
def test_every_analysis_key_of_a_real_run_has_a_readable_name(pipeline_run):
    estimates = pd.read_csv(pipeline_run.version_dir / "results" / "estimates.csv")
    for key in estimates["analysis"].unique():
        title = analysis_title(key)
        assert title != key and "_" not in title, key
    assert_every_estimate_has_its_label(estimates)


def assert_every_estimate_has_its_label(estimates):
    """Every analysis and parameter of estimates.csv has its reader's name, its unit (kind) and
    the words for its n and N, from the definitions the estimates are made with."""
    from her2cr.ctdna.labels import COUNT_WORDS, PARAMETER_NAMES, parameter_name
    from her2cr.formatting import PARAMETER_KINDS

    for key in estimates["analysis"].unique():
        assert analysis_title(key) != key, key
    for parameter in estimates["parameter"].unique():
        assert parameter in PARAMETER_NAMES and parameter in PARAMETER_KINDS, parameter
        assert parameter in COUNT_WORDS, parameter
    assert set(estimates["status"]) <= {"estimated", "not estimable"}
    # a blank estimate is never "estimated": "not estimable" and "not applicable" read apart
    assert not (estimates["estimate"].isna() & (estimates["status"] == "estimated")).any()


def test_an_analysis_without_a_label_cannot_be_written():
    from her2cr.ctdna.analyses import _tag
    from her2cr.stats import Estimate

    with pytest.raises(ValueError, match="no title"):
        _tag("exploratory_new_thing", [Estimate(parameter="proportion", group="stopped", n=1, N=2,
                                                estimate=0.5)])


def test_page_width_of_the_table_layout_is_the_quarto_project_s():
    import yaml

    from her2cr.reporting import typst_table
    from her2cr.settings import PROJECT

    typst = yaml.safe_load((PROJECT / "report" / "_quarto.yml").read_text())["format"]["typst"]
    assert typst["papersize"] == "a4"
    assert typst["margin"]["x"] == f"{typst_table.MARGIN_X_CM:g}cm"


def _edge_cuts():
    """The degenerate datasets of tests/ctdna (constructed cuts): normal, zero positives, one
    cohort all positive, an empty cohort, one evaluable participant, nobody eligible."""
    from tests.ctdna.fixtures_ctdna import make_datasets

    adsl, adct = make_datasets(40)
    zero = adsl.copy()
    zero.loc[zero["baseline_evaluable"], "baseline_positive"] = False
    allpos = adsl.copy()
    allpos.loc[allpos["baseline_evaluable"] & (allpos["cohort"] == "stopped"), "baseline_positive"] = True
    one = adsl[adsl["primary_set"]].iloc[:1]["subject_id"]
    return {
        "normal": (adsl, adct),
        "zero positives": (zero, adct),
        "one cohort all positive": (allpos, adct),
        "empty cohort": (adsl[adsl["cohort"] == "continuing"], adct[adct["cohort"] == "continuing"]),
        "one evaluable participant": (adsl[adsl["subject_id"].isin(one)], adct[adct["subject_id"].isin(one)]),
        "nobody eligible": (adsl.assign(eligible=False, primary_set=False), adct),
    }


@pytest.mark.parametrize("cut", list(_edge_cuts()))
def test_every_cut_gets_labelled_traced_estimates_by_the_one_rule(cut, tmp_path):
    """On every cut, normal or degenerate: each estimate has its label, each number of the
    estimates table is traced to estimates.csv and reads as the one rule writes its value, the
    status column tells not estimable from not applicable, and no bare n/N is shown."""
    import re

    from her2cr.ctdna import analyses as ctdna
    from her2cr.formatting import number
    from her2cr.reporting.context import estimates_notes

    adsl, adct = _edge_cuts()[cut]
    table = ctdna.estimates_table(adsl.copy(), adct.copy())
    path = tmp_path / "estimates.csv"
    ctdna.write_csv(table, path)
    estimates = pd.read_csv(path, float_precision="round_trip")
    assert_every_estimate_has_its_label(estimates)
    shown = estimates_display(estimates)
    for column in shown.columns.drop(["Analysis", "Estimate of", "Group", "Method"]):
        for cell in shown[column]:
            text = str(cell)
            assert "-" not in re.sub(r"[A-Za-z]-[A-Za-z]", "", text), (cut, text)  # U+2212 only
            assert not re.fullmatch(r"\d+/\d+", text), (cut, text)  # counts say what they count
            for n in getattr(cell, "sources", []):
                assert n.file == "results/estimates.csv" and n.text == number(n.kind, n.value)
            if text and text not in ("NE", "\u221e"):
                assert cell.sources, (cut, column, text)
    notes = " ".join(estimates_notes(estimates))
    assert "NE: not estimable" in notes and "percentage points" in notes


def test_the_estimates_table_says_why_each_ne_is_ne():
    """Issue 18: an analysis that cannot be estimated shows NE with the reason (estimates.csv's
    status and note), e.g. the log-rank test of the small cut n = 20, seed 7."""
    from her2cr.reporting.context import estimates_notes, not_estimable_notes

    reason = ("log-rank test not estimable: no event while both groups were at risk (the test has "
              "no information)")
    estimates = pd.DataFrame([
        {"analysis": "exploratory_pfs", "parameter": "logrank", "group": "positive vs negative",
         "n": 1, "N": 17, "estimate": float("nan"), "ci_lower": float("nan"),
         "ci_upper": float("nan"), "ci_level": float("nan"), "p_value": float("nan"),
         "method": "log-rank test (chi-square, 1 df); estimate = chi-square statistic",
         "status": "not estimable", "note": reason},
        {"analysis": "primary", "parameter": "proportion", "group": "stopped", "n": 1, "N": 9,
         "estimate": 1 / 9, "ci_lower": 0.0028, "ci_upper": 0.48, "ci_level": 0.95,
         "p_value": float("nan"), "method": "Clopper-Pearson exact", "status": "estimated",
         "note": ""},
    ])
    (note,) = not_estimable_notes(estimates)
    assert note == ("NE on this cut: Exploratory: progression-free survival by baseline ctDNA, "
                    "Log-rank test, positive vs negative: no event while both groups were at risk "
                    "(the test has no information).")
    # the reason is quoted from estimates.csv, traced to its row (numbers in it read as there)
    (src,) = note.sources
    assert (src.file, src.key) == ("results/estimates.csv",
                                   "exploratory_pfs | logrank | positive vs negative | note")
    assert src.value in reason
    assert not_estimable_notes(estimates.iloc[[1]]) == []
    assert estimates_notes(estimates)[-1] == not_estimable_notes(estimates)[0]


def test_counts_of_one_read_in_the_singular():
    from her2cr.ctdna.labels import count_words

    assert count_words("logrank", 1, 16) == "{n} event among {N}"
    assert count_words("median_days", 2, 16) == "{n} events among {N}"
    assert count_words("median", 1, 1) == "{n} draw from {N} participant"
    assert count_words("proportion", 1, 9) == "{n} of {N} positive"


def test_html_header_keeps_n_equals_number_together():
    """Issue 18: "(N = 25)" broke over lines in the HTML report's header cells."""
    from her2cr.reporting.display import html_table
    from her2cr.trace import Num, Traced

    header = Traced("Stopped (N = ", Num(24, "count", "tables/baseline_tidy.csv", "k"), ")")
    html = html_table(pd.DataFrame({header: ["1"], "Overall (N = 49)": ["2"]}))
    assert "(N\u00a0=\u00a0<span" in html and "(N\u00a0=\u00a049)" in html
    assert "(N = " not in html


def test_html_banner_says_synthetic_without_naming_the_tool():
    from her2cr.reporting.render import synthetic_html_banner

    banner = synthetic_html_banner()
    assert "SYNTHETIC DATA: not study results" in banner
    assert "her2cr" not in banner.lower() and "synth " not in banner


def test_a_many_column_table_fits_the_text_width():
    # the estimates table's shape: eight columns whose text is held at its longest pieces; the
    # number columns give up their room so that the table stays within the page (it ran 20 pt
    # past the right edge before)
    df = pd.DataFrame({
        "Estimate of": ["Difference in proportions, percentage points"],
        "Group": ["stopped vs continuing"],
        "Counts": ["14 draws from 4 participants"],
        "Estimate": ["−12.5"], "95% CI": ["−17.3 to 29.5"], "Chi-square": ["0.551"],
        "p-value": ["<0.001"],
        "Method": ["Firth penalised likelihood; profile penalised-likelihood interval"],
    })
    widths = column_widths(df, numeric_columns(df))
    ems = [float(w.split("em")[0]) for w in widths if "em" in w]
    assert len(ems) == len(widths)  # every column is held: none left to share the rest
    room = (TEXT_WIDTH_PT - 2 * INSET_PT * len(df.columns)) / font_size(len(df.columns))
    assert sum(ems) <= room + 0.1


def test_a_long_hyphenated_word_may_break_after_its_hyphen_only():
    from her2cr.reporting.typst_table import token_pieces
    assert token_pieces("penalised-likelihood") == ["penalised-", "likelihood"]
    assert token_pieces("-999999999999999") == ["-999999999999999"]  # a leading minus stays


def test_data_issues_listing_says_where_the_intake_took_a_value_from():
    """Appendix A: file and row in one column, with the export's file, row, record and field when
    the cut came from the intake (data_issues.csv's `source`); every cell quoted from the file."""
    from her2cr.reporting.context import issues_listing

    issues = pd.DataFrame([
        ["subjects.csv", "5", "HCR-004", "cohort", "Continuing", "respelled to canonical form", "info",
         "value normalised", "HER2CR_DATA.csv, row 27, record 4, field cohort"],
        ["ctdna.csv", "9", "HCR-002", "result", "Negative", "respelled to canonical form", "info",
         "value normalised", ""],
    ], columns=["file", "row", "subject_id", "column", "value", "rule", "severity", "action", "source"])
    shown = issues_listing(issues)
    assert list(shown.columns) == ["Where", "Participant", "Column", "Value", "Rule", "Severity", "Action"]
    assert shown["Where"].tolist() == [
        "subjects.csv, row 5 (from HER2CR_DATA.csv, row 27, record 4, field cohort)", "ctdna.csv, row 9"]
    assert [s.key for s in shown.loc[0, "Where"].sources] == ["row 2 | file", "row 2 | row", "row 2 | source"]
    # a contract cut has no source column; no issue at all still shows one row that says so
    assert issues_listing(issues.drop(columns="source"))["Where"].tolist()[0] == "subjects.csv, row 5"
    assert issues_listing(issues.iloc[:0]).iloc[0, 0] == "no data issues were found"
