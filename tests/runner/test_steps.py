"""A step that fails says which step and why, as a message, not a traceback."""

from __future__ import annotations

import pytest

from her2cr.runner.pipeline import Step, StepFailed, _Run


def test_a_posting_step_that_meets_a_bad_file_fails_as_that_step(tmp_path, monkeypatch):
    import her2cr.ctgov.posting as posting

    def bad(work, config=None):
        raise ValueError("data/flow.csv, row 5, column count: a count of participants must be a whole "
                         "number >= 0, got 'x'")

    monkeypatch.setattr(posting, "write_posting_files", bad)
    run = _Run(tmp_path / "staging", {"cut": "2025-12-31", "raw_dir": str(tmp_path)}, {},
               {"posting": "key"}, None, force=True)
    with pytest.raises(StepFailed) as failed:
        step = Step("posting", None, kind="posting")
        run.do(step, {"posting": step})
    assert failed.value.step == "posting"
    assert failed.value.message.startswith("ValueError: data/flow.csv, row 5, column count:")
