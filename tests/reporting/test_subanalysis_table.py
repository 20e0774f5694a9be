"""Appendix B: a co-investigator's table is written by the report's rules, with readable headers,
and each number carries its row of the sub-analysis CSV (issue 18)."""

from __future__ import annotations

import pandas as pd
import pytest

from her2cr.formatting import MINUS, number
from her2cr.reporting.subanalysis import SubAnalysis, read_display_table
from her2cr.trace import Num


def _by_site() -> pd.DataFrame:
    # the template's example: 5 of 18 at NCU, 0 of 4 at ACC (Clopper-Pearson limits from R:
    # binom.test(5, 18)$conf.int and binom.test(0, 4)$conf.int)
    return pd.DataFrame({"site": ["NCU", "ACC"], "n": [5, 0], "N": [18, 4],
                         "estimate": [0.2777777777777778, 0.0],
                         "ci_lower": [0.0969492125255594, 0.0], "ci_upper": [0.53480196558, 0.6023646356],
                         "method": ["Clopper-Pearson exact"] * 2})


def test_the_table_is_formatted_by_the_report_rules(tmp_path):
    sub = SubAnalysis(tmp_path, "90_site", "Positivity by site").start()
    shown = sub.table(_by_site(), "by_site", "Positivity by site", kinds={"estimate": "percent"},
                      labels={"site": "Site"})
    assert list(shown.columns) == ["Site", "n/N", "Estimate, % (95% CI)", "Method"]
    assert shown.iloc[0].tolist() == ["NCU", "5/18", "27.8 (9.7 to 53.5)", "Clopper-Pearson exact"]
    assert shown.iloc[1, 2] == "0.0 (0.0 to 60.2)"
    # the CSV keeps the unrounded numbers, and the report reads the same display back
    raw = pd.read_csv(tmp_path / "additional" / "90_site" / "tables" / "by_site.csv")
    assert raw["estimate"].iloc[0] == pytest.approx(5 / 18)
    again = read_display_table(tmp_path / "additional" / "90_site" / "tables" / "by_site.csv")
    assert again.equals(shown)
    # no raw float and no machine header reaches the reader
    text = " ".join(map(str, shown.columns)) + " " + " ".join(shown.astype(str).to_numpy().ravel())
    assert "0.2777" not in text and "ci_lower" not in text and "estimate" not in text
    for cell in shown["Estimate, % (95% CI)"]:
        for n in cell.sources:
            assert isinstance(n, Num) and n.file == "additional/90_site/tables/by_site.csv"
            assert n.text == number(n.kind, n.value)


def test_defaults_and_unknown_kinds(tmp_path):
    sub = SubAnalysis(tmp_path, "91_x", "x").start()
    shown = sub.table(pd.DataFrame({"group": ["a"], "estimate": [-1.234], "p_value": [0.0412]}), "t", "t")
    assert shown.iloc[0].tolist() == ["a", MINUS + "1.23", "0.0412"]
    assert list(shown.columns) == ["Group", "Estimate", "p-value"]
    with pytest.raises(ValueError, match="not kinds of quantity"):
        sub.table(pd.DataFrame({"a": [1]}), "u", "u", kinds={"a": "dollars"})
