"""One p-value rule for the report, notebooks, change report and posting files."""

import math

import pytest

from her2cr.formatting import p_phrase, p_text


@pytest.mark.parametrize("p,text", [(0.0123, "0.0123"), (0.05, "0.0500"), (1.0, "1.00"), (0.7246, "0.725"),
                                    (0.001, "0.00100"), (0.00099, "<0.001"), (0.0, "<0.001"),
                                    (math.nan, ""), (None, "")])
def test_p_text(p, text):
    assert p_text(p) == text


def test_p_phrase():
    assert p_phrase(0.7246) == "p = 0.725"
    assert p_phrase(0.0004) == "p < 0.001"
    assert p_phrase(math.nan) == "p not estimable"


def test_posting_files_use_the_same_rule():
    from her2cr.ctgov.formatting import fmt_p_value

    for p in (0.0123, 0.05, 1.0, 0.7246, 0.00099):
        assert fmt_p_value(p) == p_text(p)
