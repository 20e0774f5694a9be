"""The QC's R methods (qc/methods.R) against published values.

The checks and the citation of every expected number live in qc/tests/test_methods.R; this test
runs that script with Rscript, asserts that it succeeded, and re-checks each printed value so that
a failure names the check.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
SCRIPT = PROJECT / "qc" / "tests" / "test_methods.R"

# Every check the R script must print; a check silently dropped from the script is a failure here.
EXPECTED_CHECKS = {
    *(f"newcombe_table2_{k}" for k in "abcdefgh"),
    "newcombe_empty_group",
    "newcombe_conf_90_narrower",
    *(f"mn_table2_{k}" for k in "abcdefgh"),
    "mn_sas_wuss2016_hiv",
    "mn_sas_rate0compare_z",
    "mn_sas_rate0compare_p",
    "mn_sas_rate0compare_ci",
    "mn_all_events_vs_none_mirrored",
    "mn_empty_group",
    "mn_restricted_mle_vs_numerical",
    "mn_p_equals_n_minus_1_chisq_56_70_48_80",
    "mn_interval_limits_are_5pct_tests",
    "mn_p_no_events_either_group",
    "mn_p_all_events_vs_none",
    "mn_p_empty_group",
    *(f"cp_newcombe1998a_{k}" for k in ("81_263", "15_148", "0_20", "1_29")),
    "cp_all_events_closed_form",
    "cp_empty",
    "boschloo_scipy_doc_fisher_statistic",
    "boschloo_scipy_doc_greater",
    "boschloo_two_sided_is_twice_smaller_side",
    "boschloo_all_vs_none_closed_form",
    "boschloo_no_events",
    "boschloo_empty_group",
    "boschloo_not_above_fisher",
    "firth_sex2_rows",
    "firth_sex2_converged",
    "firth_sex2_logistf_coef",
    "firth_sex2_logistf_ci_lower",
    "firth_sex2_logistf_ci_upper",
    "firth_sex2_logistf_p_value",
    "firth_sex2_logistf_ci90_lower",
    "firth_sex2_logistf_ci90_upper",
    "firth_sex2_ci_and_test_agree",
    "firth_endometrial_separated",
    "firth_endometrial_logistf_coef",
    "firth_endometrial_logistf_ci_lower",
    "firth_endometrial_logistf_ci_upper",
    "firth_complete_separation_coef",
    "firth_complete_separation_finite_ci",
    "firth_2x2_half_cell_correction",
    "firth_multimodal_profile_converged",
    "firth_multimodal_profile_coef",
    "firth_multimodal_profile_ci_lower_or",
    "firth_multimodal_profile_ci_upper_or",
    "firth_no_events_intercept",
    "firth_empty",
    "firth_100000_rows_under_20_seconds",
    "missing_n_is_not_estimable",
    "impossible_counts_stop_with_message",
}


def _number(text: str) -> float:
    return math.nan if text == "NA" else float(text)


@pytest.fixture(scope="module")
def r_checks() -> dict[str, tuple[list[float], list[float], float, str]]:
    rscript = shutil.which("Rscript")
    if rscript is None:
        pytest.skip("Rscript is not on PATH: the R QC methods cannot be checked without R")
    run = subprocess.run([rscript, str(SCRIPT)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"{SCRIPT.name} failed:\n{run.stdout}\n{run.stderr}"
    checks = {}
    for line in run.stdout.splitlines():
        if line.startswith("CHECK\t"):
            _, name, got, expected, tol, verdict = line.split("\t")
            checks[name] = (
                [_number(v) for v in got.split(",")],
                [_number(v) for v in expected.split(",")],
                float(tol),
                verdict,
            )
    return checks


def test_every_expected_check_ran(r_checks) -> None:
    missing = EXPECTED_CHECKS - set(r_checks)
    assert not missing, f"checks absent from the R script's output: {sorted(missing)}"


def test_every_check_agrees_with_its_published_value(r_checks) -> None:
    failed = []
    for name, (got, expected, tol, verdict) in r_checks.items():
        agree = len(got) == len(expected) and all(
            (math.isnan(g) and math.isnan(e)) or (not math.isnan(g) and not math.isnan(e) and abs(g - e) <= tol)
            for g, e in zip(got, expected)
        )
        if not agree or verdict != "PASS":
            failed.append(f"{name}: R {got}, expected {expected} (tol {tol})")
    assert not failed, "\n".join(failed)


# Tables for the cross-check with scipy: small, unbalanced, zero cells, all events, ties.
BOSCHLOO_TABLES = [
    (74, 117, 31, 63),
    (7, 25, 15, 25),
    (0, 10, 0, 10),
    (0, 10, 10, 10),
    (0, 5, 3, 20),
    (1, 3, 0, 4),
    (12, 12, 3, 30),
    (5, 11, 5, 11),
    (2, 38, 9, 17),
    (1, 500, 8, 500),
]


def test_boschloo_agrees_with_scipy_two_sided() -> None:
    """Not a published value: the pipeline uses scipy.stats.boschloo_exact, and the QC compares
    Boschloo p-values within 1e-4, so the R maximisation must find the same supremum."""
    scipy_stats = pytest.importorskip("scipy.stats")
    rscript = shutil.which("Rscript")
    if rscript is None:
        pytest.skip("Rscript is not on PATH: the R QC methods cannot be checked without R")
    calls = "; ".join(f"cat(p_boschloo({x1}, {n1}, {x2}, {n2}), '\\n')" for x1, n1, x2, n2 in BOSCHLOO_TABLES)
    methods = PROJECT / "qc" / "methods.R"
    run = subprocess.run(
        [rscript, "-e", f"source('{methods}'); options(digits = 15); {calls}"],
        capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stderr
    r_values = [float(v) for v in run.stdout.split()]
    assert len(r_values) == len(BOSCHLOO_TABLES)
    for (x1, n1, x2, n2), r_p in zip(BOSCHLOO_TABLES, r_values):
        scipy_p = scipy_stats.boschloo_exact([[x1, x2], [n1 - x1, n2 - x2]], alternative="two-sided").pvalue
        assert r_p == pytest.approx(scipy_p, abs=1e-6), (x1, n1, x2, n2, r_p, scipy_p)
