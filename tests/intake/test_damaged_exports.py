"""Damaged exports and mappings as a data manager meets them (the intake's QA pass): each gets the
exact message that names the file, the row and the field and says what to do, never a traceback,
and nothing is written.
"""

from __future__ import annotations

from tests.intake import export as X
from tests.intake.test_intake import DATA, MAP, M, errors


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
