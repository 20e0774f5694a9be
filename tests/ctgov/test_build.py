"""The results model built from the sample inputs: structure, ClinicalTrials.gov terms, and checks.

The sample inputs (tests/ctgov_samples.py) follow the project's interface formats; their
estimates come from statsmodels/scipy on the stated 2x2 tables (see that module). Here we check
that the builders carry them over and reject what ClinicalTrials.gov would not accept.
"""

import pandas as pd
import pytest
from tests.ctgov.ctgov_samples import (
    FLOW_COUNTS,
    FLOW_STEPS,
    sample_baseline_tidy,
    sample_estimates,
    sample_flow,
)

from her2cr import study
from her2cr.ctgov import model as m
from her2cr.ctgov.build import (
    build_baseline,
    build_outcome_measures,
    build_participant_flow,
    build_results,
)


def _flow_count(cohort, step):
    return FLOW_COUNTS[cohort][FLOW_STEPS.index(step)]


# ---- participant flow ---------------------------------------------------------------------------
def test_flow_started_completed_and_reasons():
    f = build_participant_flow(sample_flow())
    assert [g.key for g in f.groups] == list(study.COHORTS)
    assert [g.title for g in f.groups] == [study.COHORT_TITLES[k] for k in study.COHORTS]
    assert f.period_title == "Overall Study"
    for k in study.COHORTS:
        assert f.started[k] == _flow_count(k, "enrolled")
        assert f.completed[k] == _flow_count(k, "completed")
        assert f.not_completed[k] == sum(r.counts[k] for r in f.reasons)
    reasons = {(r.reason_type, r.other_name): r.counts for r in f.reasons}
    expected = {
        ("Withdrawal by Subject", None): "withdrawn",
        ("Lost to Follow-up", None): "lost_to_follow_up",
        ("Death", None): "died",
        ("Other", "On study at data cut-off"): "on_study",
    }
    assert set(reasons) == set(expected)
    for key, step in expected.items():
        assert reasons[key] == {k: _flow_count(k, step) for k in study.COHORTS}


def test_flow_texts_keep_analysis_sets_out_and_fit_limits():
    f = build_participant_flow(sample_flow())
    # Pre-assignment Details are for events between enrolment and assignment: there are none, and
    # the analysis sets are explained in the baseline and outcome population descriptions.
    assert f.pre_assignment_details is None
    assert "eligib" not in f.recruitment_details
    # no one consented after the cut-off: nothing to explain about enrolment
    assert "consented after" not in f.recruitment_details
    # ClinicalTrials.gov limit: 500 characters
    assert len(f.recruitment_details) <= 500


@pytest.mark.parametrize("after, expected", [
    (1, "51 participants consented; 1 consented after the data cut-off and is not analysed, so the "
        "flow starts with 50."),
    (2, "52 participants consented; 2 consented after the data cut-off and are not analysed, so "
        "the flow starts with 50."),
])
def test_recruitment_details_explain_consents_after_the_cutoff(after, expected):
    # sample flow: 50 enrolled (26 + 24)
    f = build_participant_flow(sample_flow(), consented_after_cutoff=after)
    assert f.recruitment_details.endswith(" " + expected)
    assert len(f.recruitment_details) <= 500


def test_flow_reason_without_participants_is_left_out():
    flow = sample_flow()
    flow.loc[flow["step"] == "died", "count"] = 0
    flow.loc[(flow["step"] == "on_study") & (flow["cohort"] == "continuing"), "count"] += 1
    flow.loc[(flow["step"] == "on_study") & (flow["cohort"] == "overall"), "count"] += 1
    f = build_participant_flow(flow)
    assert "Death" not in [r.reason_type for r in f.reasons]


def test_flow_that_does_not_add_up_is_rejected():
    flow = sample_flow()
    flow.loc[(flow["step"] == "completed") & (flow["cohort"] == "stopped"), "count"] += 1
    with pytest.raises(ValueError, match="stopped"):
        build_participant_flow(flow)


def test_flow_without_enrolled_is_rejected():
    flow = sample_flow()
    with pytest.raises(ValueError, match="enrolled"):
        build_participant_flow(flow[flow["step"] != "enrolled"])


def test_a_flow_step_missing_for_a_cohort_is_an_error_not_a_zero():
    from her2cr.ctgov.common import step_counts

    flow = sample_flow()
    short = flow[~((flow["step"] == "primary_set") & (flow["cohort"] == "stopped"))]
    with pytest.raises(ValueError, match=r"data/flow.csv: no row for step 'primary_set' of cohort\(s\) stopped"):
        step_counts(short, "primary_set")
    assert step_counts(flow, "primary_set") == {"continuing": 23, "stopped": 21}


def test_a_bad_flow_count_is_named_by_file_row_and_column():
    from her2cr.ctgov.common import flow_counts

    flow = sample_flow().astype({"count": object})
    flow.loc[3, "count"] = "x"
    with pytest.raises(ValueError, match=r"data/flow.csv, row 5, column count"):
        flow_counts(flow)
    with pytest.raises(ValueError, match=r"data/flow.csv, row 3[0-9]: a second row"):
        flow_counts(pd.concat([sample_flow(), sample_flow().iloc[[0]]], ignore_index=True))


# ---- baseline -----------------------------------------------------------------------------------
def test_baseline_groups_and_measure_order():
    b = build_baseline(sample_baseline_tidy())
    assert [g.key for g in b.groups] == ["continuing", "stopped", "total"]
    assert b.groups[-1].title == "Total"
    assert b.denoms == {"continuing": 26, "stopped": 24, "total": 50}
    assert [x.display_title for x in b.measures] == [
        "Age, Continuous",
        "Age, Categorical",
        "Sex: Female, Male",
        "Race and Ethnicity Not Collected",
        "Region of Enrollment",
        "Menopausal status",
        "Hormone-receptor status",
        "Prior lines of therapy",
        "Years since response",
        "Months since stopping anti-HER2 therapy",
    ]
    specific = [x for x in b.measures if x.other_title]
    assert all(x.title == m.BASELINE_STUDY_SPECIFIC for x in specific)


def test_baseline_param_and_dispersion_types():
    b = {x.display_title: x for x in build_baseline(sample_baseline_tidy()).measures}
    # age: Mean (SD) even though the table's statistic is "all"
    assert (b["Age, Continuous"].param_type, b["Age, Continuous"].dispersion_type) == (
        "Mean", "Standard Deviation")
    assert (b["Years since response"].param_type, b["Years since response"].dispersion_type) == (
        "Mean", "Standard Deviation")
    assert (b["Prior lines of therapy"].param_type,
            b["Prior lines of therapy"].dispersion_type) == ("Median", "Inter-Quartile Range")
    for title in ("Age, Categorical", "Sex: Female, Male", "Region of Enrollment",
                  "Menopausal status"):
        assert b[title].param_type == "Count of Participants"
        assert b[title].unit == "Participants"
        assert b[title].calculate_pct


def test_baseline_standard_categories_complete_with_zeros():
    b = {x.display_title: x for x in build_baseline(sample_baseline_tidy()).measures}
    age_cat = b["Age, Categorical"].classes[0].categories
    assert [c.title for c in age_cat] == ["<=18 years", "Between 18 and 65 years", ">=65 years"]
    assert [x.value for x in age_cat[0].measurements] == ["0", "0", "0"]
    sex = b["Sex: Female, Male"].classes[0].categories
    assert [c.title for c in sex] == ["Female", "Male"]
    assert [x.value for x in sex[1].measurements] == ["1", "0", "1"]
    # Region of Enrollment: one class per country
    region = b["Region of Enrollment"].classes
    assert [c.title for c in region] == ["Japan"]
    assert [x.value for x in region[0].categories[0].measurements] == ["26", "24", "50"]


def test_baseline_race_collected_uses_all_nih_categories():
    b = {x.display_title: x for x in build_baseline(sample_baseline_tidy(True)).measures}
    assert "Race and Ethnicity Not Collected" not in b
    race = b["Race (NIH/OMB)"].classes[0].categories
    assert [c.title for c in race] == list(m.STANDARD_CATEGORIES["Race (NIH/OMB)"])
    asian = next(c for c in race if c.title == "Asian")
    assert [x.value for x in asian.measurements] == ["26", "24", "50"]
    eth = b["Ethnicity (NIH/OMB)"].classes[0].categories
    assert [c.title for c in eth] == list(m.STANDARD_CATEGORIES["Ethnicity (NIH/OMB)"])


def test_baseline_missing_race_counts_as_unknown_or_not_reported():
    tidy = sample_baseline_tidy(True)
    # one stopped participant without a recorded race: Asian 23 of 23 analysed
    race = tidy["variable"] == "race"
    for group, n in (("stopped", 23), ("overall", 49)):
        tidy.loc[race & (tidy["group"] == group), ["n", "denominator", "n_missing"]] = [n, n, 1]
    b = {x.display_title: x for x in build_baseline(tidy).measures}
    measure = b["Race (NIH/OMB)"]
    assert measure.denoms is None  # everybody reported
    cats = {c.title: [x.value for x in c.measurements] for c in measure.classes[0].categories}
    assert cats["Asian"] == ["26", "23", "49"]
    assert cats["Unknown or Not Reported"] == ["0", "1", "1"]
    assert "Unknown or Not Reported" in measure.description


def test_baseline_analysed_numbers_when_values_missing():
    b = {x.display_title: x for x in build_baseline(sample_baseline_tidy()).measures}
    assert b["Menopausal status"].denoms is None  # nobody missing: the overall N applies
    assert b["Hormone-receptor status"].denoms == {"continuing": 26, "stopped": 23, "total": 49}
    months = b["Months since stopping anti-HER2 therapy"]
    assert months.denoms == {"continuing": 0, "stopped": 24, "total": 24}
    cont = months.classes[0].categories[0].measurements[0]
    # NA always carries its comment; here the characteristic does not apply to the cohort
    assert (cont.value, cont.na_comment) == ("NA", "Not applicable to this group.")
    assert "applies" in months.population_description


def test_baseline_without_applicable_column_says_no_recorded_value():
    tidy = sample_baseline_tidy().drop(columns="applicable")
    b = {x.display_title: x for x in build_baseline(tidy).measures}
    cont = b["Months since stopping anti-HER2 therapy"].classes[0].categories[0].measurements[0]
    assert cont.value == "NA" and "recorded value" in cont.na_comment


def test_baseline_categorical_not_applicable_group_is_na():
    tidy = sample_baseline_tidy()
    rows = (tidy["variable"] == "menopausal_status") & (tidy["group"] == "continuing")
    tidy.loc[rows, ["n", "denominator", "applicable"]] = [0, 0, False]
    b = {x.display_title: x for x in build_baseline(tidy).measures}
    meno = b["Menopausal status"]
    assert [c.measurements[0].value for c in meno.classes[0].categories] == ["NA", "NA"]
    assert meno.denoms["continuing"] == 0


def test_baseline_rejects_non_ctgov_category():
    tidy = sample_baseline_tidy(True)
    tidy.loc[tidy["variable"] == "race", "level"] = "East Asian"
    with pytest.raises(ValueError, match="East Asian"):
        build_baseline(tidy)


def test_baseline_rejects_inconsistent_group_n():
    tidy = sample_baseline_tidy()
    tidy.loc[(tidy["variable"] == "sex") & (tidy["group"] == "stopped"), "group_N"] = 23
    with pytest.raises(ValueError, match="group_N"):
        build_baseline(tidy)


# ---- outcome measures ---------------------------------------------------------------------------
def test_primary_outcome_counts_and_analyses():
    om = build_outcome_measures(sample_estimates("finite"))
    primary = om[0]
    assert (primary.measure_type, primary.title) == ("Primary", "Baseline ctDNA Positivity")
    assert primary.time_frame == "At baseline (within 28 days after consent)"
    assert primary.param_type == "Count of Participants"
    assert primary.denoms == {"continuing": 23, "stopped": 21}
    assert [x.value for x in primary.classes[0].categories[0].measurements] == ["3", "8"]
    rd, odds = primary.analyses
    assert (rd.param_type, odds.param_type) == ("Risk Difference (RD)", "Odds Ratio (OR)")
    assert rd.method == odds.method == "Fisher Exact"
    assert rd.ci_pct == "95" and rd.ci_sides == "2-Sided"
    assert (rd.estimate, rd.ci_lower, rd.ci_upper) == ("0.2505", "-0.007362", "0.4773")
    assert (odds.estimate, odds.ci_lower, odds.ci_upper) == ("3.969", "0.77", "27.57")
    assert rd.p_value == odds.p_value == "0.0835"
    assert "Newcombe" in rd.estimate_comment
    assert "conditional maximum likelihood" in odds.estimate_comment


def test_infinite_odds_ratio_and_upper_limit_are_na_with_comment():
    odds = build_outcome_measures(sample_estimates("zero_cell"))[0].analyses[1]
    assert odds.estimate == "NA" and "infinite" in odds.estimate_comment
    assert odds.ci_lower == "1.509"
    assert odds.ci_upper == "NA" and "infinite" in odds.ci_upper_comment
    assert odds.p_value == "0.00769"


def test_any_draw_outcome_is_other_prespecified():
    om = build_outcome_measures(sample_estimates())
    assert len(om) == 2
    any_draw = om[1]
    assert any_draw.measure_type == "Other Pre-specified"
    assert any_draw.title == "ctDNA Positivity at Any Draw up to the Data Cut-off"
    assert any_draw.denoms == {"continuing": 24, "stopped": 23}
    (rd,) = any_draw.analyses
    assert (rd.estimate, rd.p_value, rd.method) == ("0.3949", "0.00335", "Fisher Exact")


def test_not_estimable_difference_is_na_without_test():
    (rd,) = build_outcome_measures(sample_estimates("not_estimable"))[1].analyses
    assert rd.estimate == rd.ci_lower == rd.ci_upper == "NA"
    assert "Not estimable" in rd.estimate_comment
    assert rd.ci_lower_comment and rd.ci_upper_comment
    assert rd.p_value is None and rd.method is None  # no test of hypothesis reported


def test_any_draw_absent_gives_primary_only():
    est = sample_estimates()
    om = build_outcome_measures(est[est["analysis"] != "exploratory_any_draw"])
    assert [o.title for o in om] == ["Baseline ctDNA Positivity"]


@pytest.mark.parametrize("parameter", ["risk_difference", "odds_ratio"])
def test_missing_primary_estimate_is_rejected(parameter):
    est = sample_estimates()
    est = est[~((est["analysis"] == "primary") & (est["parameter"] == parameter))]
    with pytest.raises(ValueError, match=parameter):
        build_outcome_measures(est)


def test_text_fields_within_ctgov_limits():
    # Conservative limits from the Results Data Element Definitions (characters).
    r = build_results(sample_flow(), sample_baseline_tidy(), sample_estimates("not_estimable"))
    for om in r.outcome_measures:
        assert len(om.title) <= 255 and len(om.time_frame) <= 255
        assert len(om.description) <= 999 and len(om.population_description) <= 350
        for a in om.analyses:
            for text in (a.estimate_comment, a.p_value_comment, a.method_comment,
                         a.group_description, a.ci_upper_comment, a.ci_lower_comment):
                assert text is None or len(text) <= 250, text
            assert a.test_type_comment is None or len(a.test_type_comment) <= 500
    for g in r.participant_flow.groups:
        assert len(g.title) <= 100 and len(g.description) <= 999
    assert len(r.baseline.population_description) <= 350


def test_to_frame_lists_every_number():
    r = build_results(sample_flow(), sample_baseline_tidy(), sample_estimates("finite"))
    df = r.to_frame()
    assert list(df.columns) == ["section", "measure", "row", "group", "field", "value"]
    started = df[(df["row"] == "STARTED")].set_index("group")["value"].to_dict()
    assert started == {"continuing": "26", "stopped": "24"}
    est = df[(df["measure"] == "Baseline ctDNA Positivity") & (df["field"] == "estimate")]
    assert list(est["value"]) == ["0.2505", "3.969"]
    assert df["value"].map(lambda v: isinstance(v, str) and v != "").all()


def test_exploratory_test_other_than_fisher_is_named():
    est = sample_estimates()
    row = (est["analysis"] == "exploratory_any_draw") & (est["parameter"] == "risk_difference")
    est.loc[row, "method"] = "Newcombe hybrid score CI; p: Boschloo exact test (two-sided)"
    (rd,) = build_outcome_measures(est)[1].analyses
    assert rd.method == "Other"
    assert rd.other_method_name == "Newcombe hybrid score CI; p: Boschloo exact test (two-sided)"


def test_a_text_longer_than_prs_allows_is_an_error_naming_the_field():
    from her2cr.ctgov.common import within_limit

    assert within_limit("Limitations and Caveats", "x" * 500, 500) == "x" * 500
    with pytest.raises(ValueError, match="Limitations and Caveats has 501 characters; PRS allows 500"):
        within_limit("Limitations and Caveats", "x" * 501, 500)
