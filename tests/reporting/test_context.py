"""Summary sentences are made from the results, and say plainly what is not estimable."""

from __future__ import annotations

import math

import pandas as pd

from her2cr.reporting.context import summary_sentences

NAN = math.nan
COLS = ["analysis", "parameter", "group", "n", "N", "estimate", "ci_lower", "ci_upper", "ci_level", "p_value", "method"]


def flow(enrolled=(25, 24), eligible=(24, 24), primary=(22, 24)):
    rows = []
    for step, vals in (("enrolled", enrolled), ("eligible", eligible), ("primary_set", primary)):
        rows += [("continuing", step, "", vals[0]), ("stopped", step, "", vals[1]),
                 ("overall", step, "", vals[0] + vals[1])]
    return pd.DataFrame(rows, columns=["cohort", "step", "label", "count"])


def test_sentences_quote_the_estimates():
    est = pd.DataFrame([
        ("primary", "proportion", "continuing", 4, 22, 4 / 22, 0.0519, 0.4028, 0.95, NAN, "Clopper-Pearson exact"),
        ("primary", "proportion", "stopped", 6, 24, 0.25, 0.0977, 0.4671, 0.95, NAN, "Clopper-Pearson exact"),
        ("primary", "risk_difference", "stopped vs continuing", 10, 46, 0.06818, -0.1732, 0.2950, 0.95, 0.7246, "Newcombe"),
        ("primary", "odds_ratio", "stopped vs continuing", 10, 46, 1.487, 0.2934, 8.452, 0.95, 0.7246, "conditional"),
    ], columns=COLS)
    text = " ".join(summary_sentences(est, flow()))
    assert "4 of 22 participants continuing anti-HER2 treatment (18.2%, 95% CI 5.2% to 40.3%)" in text
    # one minus sign (U+2212), as in every table of the report
    assert "was 6.8 percentage points (95% CI \u221217.3 to 29.5" in text
    assert "Fisher's exact test p = 0.725" in text and "odds ratio was 1.49 (95% CI 0.29 to 8.45" in text


def test_every_number_of_the_summary_carries_its_source():
    """Each number of the summary is a traced Num whose value, by the one rule, is the text."""
    import re

    from her2cr.formatting import number
    from her2cr.trace import Num

    est = pd.DataFrame([
        ("primary", "proportion", "continuing", 4, 22, 4 / 22, 0.0519, 0.4028, 0.95, NAN, "Clopper-Pearson exact"),
        ("primary", "proportion", "stopped", 6, 24, 0.25, 0.0977, 0.4671, 0.95, NAN, "Clopper-Pearson exact"),
        ("primary", "risk_difference", "stopped vs continuing", 10, 46, 0.06818, -0.1732, 0.2950, 0.95, 0.7246, "Newcombe"),
        ("primary", "odds_ratio", "stopped vs continuing", 10, 46, 1.487, 0.2934, 8.452, 0.95, 0.7246, "conditional"),
    ], columns=COLS)
    for sentence in summary_sentences(est, flow()):
        plain = "".join(p for p in sentence.parts if not isinstance(p, Num))
        # numbers outside the traced parts are only the CI level ("95% CI")
        assert re.findall(r"(?<![\w-])\d+(?:\.\d+)?", plain.replace("95% CI", "")) == [], plain
        for n in sentence.sources:
            assert n.text == number(n.kind, n.value) and n.file in ("results/estimates.csv", "data/flow.csv")


def test_an_empty_cohort_is_said_plainly():
    est = pd.DataFrame([
        ("primary", "proportion", "continuing", 0, 0, NAN, NAN, NAN, 0.95, NAN, "Clopper-Pearson exact"),
        ("primary", "proportion", "stopped", 1, 2, 0.5, 0.0126, 0.9874, 0.95, NAN, "Clopper-Pearson exact"),
        ("primary", "risk_difference", "stopped vs continuing", 1, 2, NAN, NAN, NAN, 0.95, NAN, "Newcombe"),
        ("primary", "odds_ratio", "stopped vs continuing", 1, 2, NAN, NAN, NAN, 0.95, NAN, "conditional"),
        ("sensitivity_worst_case", "risk_difference", "stopped vs continuing", 1, 2, NAN, NAN, NAN, 0.95, NAN, "x"),
        ("sensitivity_best_case", "risk_difference", "stopped vs continuing", 1, 2, NAN, NAN, NAN, 0.95, NAN, "x"),
    ], columns=COLS)
    text = " ".join(summary_sentences(est, flow((0, 2), (0, 2), (0, 2))))
    assert "Baseline ctDNA was positive in 1 of 2 participants who had stopped it" in text
    assert "No participant in the continuing cohort had an evaluable baseline ctDNA result." in text
    assert "cannot be compared" in text
    assert "not estimable percentage points" not in text


def test_a_p_value_below_the_floor_reads_p_less_than_0_001():
    """A cut whose Fisher p is below 0.001 (large cuts) once failed the report step (the sentence
    looked for "<0.001" in "p < 0.001")."""
    est = pd.DataFrame([
        ("primary", "proportion", "continuing", 400, 2200, 400 / 2200, 0.166, 0.198, 0.95, NAN, "Clopper-Pearson exact"),
        ("primary", "proportion", "stopped", 600, 2400, 0.25, 0.233, 0.268, 0.95, NAN, "Clopper-Pearson exact"),
        ("primary", "risk_difference", "stopped vs continuing", 1000, 4600, 0.0682, 0.0446, 0.0916, 0.95, 2.3e-8, "Newcombe"),
        ("primary", "odds_ratio", "stopped vs continuing", 1000, 4600, 1.50, 1.30, 1.73, 0.95, 2.3e-8, "conditional"),
    ], columns=COLS)
    text = " ".join(summary_sentences(est, flow((2300, 2500), (2250, 2450), (2200, 2400))))
    assert "Fisher's exact test p < 0.001)" in text
