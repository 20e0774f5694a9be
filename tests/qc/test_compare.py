"""The comparison of issue 23 without R: tolerances by kind, one-sided values, the summary, and
the report's placeholders."""

from __future__ import annotations

from her2cr.qc import compare as cmp
from her2cr.qc.report import FIRST_PAGE_TOKEN, PROVENANCE_TOKEN, fill_notebook
from her2cr.qc.run import NOT_RUN, QCResult


def test_kinds_of_values():
    assert cmp.kind_of("participant", "HCR-001", "", "pfs_days") == "count"
    assert cmp.kind_of("flow", "enrolled", "stopped", "count") == "count"
    assert cmp.kind_of("estimates", "primary", "risk_difference|stopped vs continuing", "ci_lower") == "estimate"
    assert cmp.kind_of("estimates", "exploratory_firth", "odds_ratio|PR vs CR", "ci_upper") == "iterative"
    assert cmp.kind_of("estimates", "exploratory_firth", "odds_ratio|PR vs CR", "estimate") == "estimate"
    assert cmp.kind_of("estimates", "sensitivity_boschloo", "risk_difference|stopped vs continuing", "p_value") == "iterative"
    assert cmp.kind_of("estimates", "primary", "odds_ratio|stopped vs continuing", "estimate") == "iterative"
    assert cmp.kind_of("prs-results.xml", "x", "stopped", "pValue") == "posted"


def test_tolerances():
    assert cmp.agree("0.1234567", "0.1234572", "estimate")[0]          # 5e-7 apart
    assert not cmp.agree("0.123456", "0.123458", "estimate")[0]         # 2e-6 apart
    assert cmp.agree("0.12345", "0.12349", "iterative")[0]
    assert not cmp.agree("0.1234", "0.1236", "iterative")[0]
    assert cmp.agree("31.2951494", "31.2951500", "estimate")[0]          # relative above 1
    assert not cmp.agree("4", "5", "count")[0] and cmp.agree("4", "4.0", "count")[0]
    assert cmp.agree("true", "true", "count")[0] and not cmp.agree("true", "false", "count")[0]
    # posted: within half a unit of the last digit shown
    assert cmp.agree("0.725", "0.7254160657", "posted")[0]
    assert not cmp.agree("0.726", "0.7254160657", "posted")[0]
    assert cmp.agree("1.487", "1.4869051161", "posted")[0]
    assert cmp.agree("17", "17", "posted")[0] and not cmp.agree("17", "18", "posted")[0]
    assert cmp.agree("<0.001", "0.0004", "posted")[0] and not cmp.agree("<0.001", "0.002", "posted")[0]


def test_whole_columns_decide_as_agree_does_value_by_value():
    """compare() decides the bulk with whole columns: the same answers as agree(), one by one."""
    pairs = [("4", "4"), ("4", "4.0"), ("4", "5"), ("true", "true"), ("true", "false"), ("", ""),
             ("", "0.5"), ("0.5", ""), ("0.1234567", "0.1234572"), ("0.123456", "0.123458"),
             ("31.2951494", "31.29515"), ("inf", "inf"), ("inf", "1e308"), ("HCR-001", "HCR-001"),
             ("not estimable", "estimated"), ("0.12345", "0.12349"), ("0.1234", "0.1236")]
    for table, row, column, field in [("flow", "x", "stopped", "count"), ("participant", "HCR-001", "", "pfs_days"),
                                      ("table1", "age", "stopped", "mean"),
                                      ("estimates", "exploratory_firth", "odds_ratio|PR vs CR", "ci_lower")]:
        kind = cmp.kind_of(table, row, column, field)
        for p, r in pairs:
            one = cmp.compare([(table, row, column, field, p)], [(table, row, column, field, r)])
            assert (bool(one["agree"][0]), one["tolerance"][0]) == cmp.agree(p, r, kind), (kind, p, r)


def test_not_estimable_agrees_only_with_not_estimable():
    assert cmp.agree("", "", "estimate")[0]
    assert not cmp.agree("", "0.5", "estimate")[0]
    assert not cmp.agree("0.5", "", "estimate")[0]


def test_a_value_only_one_side_has_is_a_difference():
    pipeline = [("flow", "enrolled", "stopped", "count", "24"), ("flow", "died", "stopped", "count", "2")]
    r = [("flow", "enrolled", "stopped", "count", "24"), ("flow", "completed", "stopped", "count", "2")]
    res = cmp.compare(pipeline, r)
    assert list(zip(res["row"], res["agree"])) == [("enrolled", True), ("died", False), ("completed", False)]
    assert res["r"][1] == "(no R value)" and res["pipeline"][2] == "(no pipeline value)"
    assert cmp.differences(res) == ["flow / died / stopped / count: pipeline 2, R (no R value)",
                                    "flow / completed / stopped / count: pipeline (no pipeline value), R 2"]
    line = cmp.summary_line(res, "4.2.2")
    assert line.startswith("QC (R 4.2.2): 3 values compared, 1 agree, 2 differ; not double-programmed: ")
    assert cmp.tables_that_differ(res) == ["participant flow (flow.csv)"]


def test_a_posted_value_is_compared_with_the_r_value_it_posts():
    pipeline = [("prs-results.xml", "outcome", "stopped", "pValue", "0.725",
                 ("estimates", "primary", "risk_difference|stopped vs continuing", "p_value"))]
    r = [("estimates", "primary", "risk_difference|stopped vs continuing", "p_value", "0.7254160657450503")]
    res = cmp.compare(pipeline, r)
    assert len(res) == 2  # the R value is also unmatched by an estimates.csv value
    assert res["agree"].tolist() == [True, False] and res["kind"][0] == "posted"


def _nb(*texts):
    return {"cells": [{"cell_type": "code", "outputs": [{"output_type": "display_data", "data": {
        "text/markdown": t, "text/html": t}}]} for t in texts]}


def test_the_report_placeholders_are_filled_in():
    ok = QCResult("agree", "QC (R 4.2.2): 10 values compared, 10 agree, 0 differ; not double-programmed: none", "4.2.2")
    nb = fill_notebook(_nb(FIRST_PAGE_TOKEN, f"| Independent QC (R) | {PROVENANCE_TOKEN} |"), ok)
    assert nb["cells"][0]["outputs"][0]["data"]["text/markdown"].startswith("**QC: values agree.**")
    assert ok.summary in nb["cells"][1]["outputs"][0]["data"]["text/markdown"]
    bad = QCResult("differ", "QC (R 4.2.2): 10 values compared, 9 agree, 1 differ; ...", "4.2.2",
                   ["estimates / primary / ...: pipeline 1, R 2"], ["estimates (estimates.csv)"])
    nb = fill_notebook(_nb(FIRST_PAGE_TOKEN), bad)
    md = nb["cells"][0]["outputs"][0]["data"]["text/markdown"]
    # a red block in the HTML and in the PDF (Typst), the tables named
    assert "```{=html}" in md and "<strong>QC: values differ in estimates (estimates.csv).</strong>" in md
    assert '```{=typst}\n#block(fill: rgb("#b00020")' in md
    assert "#strong[QC: values differ in estimates (estimates.csv).]" in md
    nb = fill_notebook(_nb(f'"Independent QC (R)", box("independent-") + box("QC-") + box("provenance-") + box("pending"),'),
                       QCResult("not run", NOT_RUN))
    assert nb["cells"][0]["outputs"][0]["data"]["text/markdown"] == \
        '"Independent QC (R)", "independent QC not run: R not found",'


def test_without_r_qc_is_not_run_and_says_how_to_get_r(tmp_path, monkeypatch):
    import subprocess
    import sys

    from her2cr.qc.run import check

    monkeypatch.setenv("HER2CR_RSCRIPT", str(tmp_path / "no-such-Rscript"))
    res = check(tmp_path, tmp_path, "2025-12-31", tmp_path / "qc")
    assert res.status == "not run" and res.summary == NOT_RUN == "independent QC not run: R not found"
    assert (tmp_path / "qc" / "summary.txt").read_text() == NOT_RUN + "\n"
    r = subprocess.run([sys.executable, "-m", "her2cr", "qc", "--out", str(tmp_path)], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "r-base-core r-cran-survival" in r.stderr and "environment.yml" in r.stderr
