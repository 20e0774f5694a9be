"""What changed since the last cut (issue 6): her2cr.reporting.cutdiff and her2cr.reporting.cutdiff_render.

Expected rows are counted independently from the raw exports (or written by hand), never from
the code under test. No statistics are computed here: estimates are hand-made numbers.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from her2cr.data.clean import clean_cut, write_clean_outputs
from her2cr.reporting.cutdiff import (
    SUBJECT_FIELDS,
    TABLE_COLUMNS,
    CutOutputs,
    compare_cuts,
    diff_paths,
    load_cut_outputs,
    previous_version_dir,
    resolve_version_dir,
)
from her2cr.reporting.cutdiff_render import summary_lines, to_markdown, write_diff
from her2cr.reporting.cuts import previous_cut_dir

OLD_CUT, NEW_CUT = "2025-06-30", "2025-12-31"


# -- helpers --------------------------------------------------------------------------------------

def outputs(clean, cut: str, version: str = "v1", estimates=None) -> CutOutputs:
    return CutOutputs(clean.adsl, clean.adctdna, {"cut": cut, "synthetic": True}, estimates,
                      clean.flow, clean.data_issues, version)


def raw_frames(raw: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    read = lambda n: pd.read_csv(raw / n, dtype=str, keep_default_na=False)  # noqa: E731
    return read("subjects.csv"), read("ctdna.csv")


def copy_raw(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def set_cells(raw: Path, name: str, where: tuple[str, str], values: dict[str, str]) -> None:
    df = pd.read_csv(raw / name, dtype=str, keep_default_na=False)
    rows = df[where[0]] == where[1]
    assert rows.sum() == 1
    for col, v in values.items():
        df.loc[rows, col] = v
    df.to_csv(raw / name, index=False, lineterminator="\n")


def subject(sid: str, **kw) -> dict:
    """One hand-made adsl row: raw contract fields plus the derived columns the diff reads."""
    row = {
        "subject_id": sid, "site": "NCU", "cohort": "continuing",
        "consent_date": pd.Timestamp("2024-06-01"), "age": 60, "sex": "F", "race": "Asian",
        "ethnicity": "Not Hispanic or Latino", "menopausal_status": "post", "ecog": 0,
        "hr_status": "positive", "presentation": "recurrent", "visceral_mets": "no",
        "brain_mets": "no", "prior_lines": 1, "anti_her2": "trastuzumab", "best_response": "CR",
        "anti_her2_start": pd.Timestamp("2019-01-01"), "response_date": pd.Timestamp("2019-06-01"),
        "anti_her2_stop": pd.NaT, "status": "on_study", "last_contact": pd.Timestamp("2025-05-01"),
        "progression_date": pd.NaT, "death_date": pd.NaT, "status_at_cutoff": "on_study",
        "eligible": True, "ineligible_reasons": "", "baseline_result": "NEGATIVE", "primary_set": True,
    }
    row.update(kw)
    return row


def adsl(*rows: dict) -> pd.DataFrame:
    df = pd.DataFrame(list(rows))
    for c in ("age", "ecog", "prior_lines"):
        df[c] = df[c].astype("Int64")
    for c in ("consent_date", "anti_her2_start", "response_date", "anti_her2_stop", "last_contact",
              "progression_date", "death_date"):
        df[c] = pd.to_datetime(df[c])
    return df


def sample(sid: str, subj: str, result: str = "NEGATIVE", date: str = "2024-06-02",
           visit: str = "baseline", mtm: float = 0.0) -> dict:
    return {"subject_id": subj, "sample_id": sid, "visit": visit,
            "collection_date": pd.Timestamp(date), "result": result, "mtm_per_ml": mtm,
            "variants_detected": 0 if result == "NEGATIVE" else 5, "panel_size": 16}


def adctdna(*rows: dict) -> pd.DataFrame:
    df = pd.DataFrame(list(rows))
    for c in ("variants_detected", "panel_size"):
        df[c] = df[c].astype("Int64")
    return df


def rows(df: pd.DataFrame) -> list[list]:
    """Table rows as lists, missing values as None (pd.NA does not compare)."""
    return df.astype(object).where(df.notna(), None).values.tolist()


EST_COLS = ["analysis", "parameter", "group", "n", "N", "estimate", "ci_lower", "ci_upper",
            "ci_level", "p_value", "method"]


def estimates(rows: list[tuple]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=EST_COLS)
    df[["n", "N"]] = df[["n", "N"]].astype("Int64")
    return df


# -- fixtures -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def two_cuts(synthetic_raw):
    """The default synthetic raw cut analysed at 2025-06-30 and at 2025-12-31."""
    return clean_cut(synthetic_raw, OLD_CUT), clean_cut(synthetic_raw, NEW_CUT)


# -- tests ----------------------------------------------------------------------------------------

def test_later_cut_of_the_same_data_adds_participants_samples_and_follow_up(synthetic_raw, two_cuts):
    """Same raw data at two cut-offs: what is new is exactly what is dated between them."""
    old, new = two_cuts
    d = compare_cuts(outputs(old, OLD_CUT), outputs(new, NEW_CUT))
    subj, ct = raw_frames(synthetic_raw)
    a, b = pd.Timestamp(OLD_CUT), pd.Timestamp(NEW_CUT)
    consent = pd.to_datetime(subj["consent_date"])
    new_ids = subj.loc[(consent > a) & (consent <= b), "subject_id"].tolist()
    assert d.participants_added["subject_id"].tolist() == new_ids
    assert len(new_ids) == 9  # HCR-041..HCR-049 consented in the second half of 2025
    assert d.participants_added["cohort"].value_counts().to_dict() == \
        subj.loc[(consent > a) & (consent <= b), "cohort"].str.strip().str.lower().value_counts().to_dict()

    # samples: collected in (a, b] by participants consented by b
    coll = pd.to_datetime(ct["collection_date"])
    enrolled_b = set(subj.loc[consent <= b, "subject_id"])
    exp = ct.loc[(coll > a) & (coll <= b) & ct["subject_id"].isin(enrolled_b)]
    assert sorted(d.samples_added["sample_id"]) == sorted(exp["sample_id"])
    old_ids = set(subj.loc[consent <= a, "subject_id"])
    assert (~d.samples_added["new_participant"]).sum() == exp["subject_id"].isin(old_ids).sum()

    # status at the cut-off: an end (death, or last contact for other ends) dated in (a, b]
    died = subj["status"] == "died"
    end = pd.to_datetime(subj["death_date"].where(died, subj["last_contact"]))
    moved = subj.loc[(consent <= a) & (subj["status"] != "on_study") & (end > a) & (end <= b)]
    assert d.status_changes[["subject_id", "new_status"]].values.tolist() == \
        moved[["subject_id", "status"]].values.tolist()
    assert (d.status_changes["old_status"] == "on_study").all()

    # field changes: only progression/death dates in (a, b], hidden at the earlier cut-off
    exp_rows = []
    for col in ("progression_date", "death_date"):
        when = pd.to_datetime(subj[col])
        hit = subj.loc[(consent <= a) & (when > a) & (when <= b)]
        exp_rows += [(s, col, v) for s, v in zip(hit["subject_id"], hit[col])]
    got = d.field_changes
    assert sorted(zip(got["subject_id"], got["column"], got["new"])) == sorted(exp_rows)
    assert got["old"].isna().all() and (got["kind"] == "follow-up").all()
    assert d.corrections.empty

    for t in ("participants_removed", "eligibility_changes", "samples_removed", "sample_changes"):
        assert getattr(d, t).empty, t
    flow = d.flow_changes.set_index(["step", "cohort"])
    assert flow.loc[("enrolled", "overall"), ["old_count", "new_count"]].tolist() == \
        [int((consent <= a).sum()), int((consent <= b).sum())]

    lines = summary_lines(d)
    assert lines[0] == f"Changes from cut {OLD_CUT} (v1) to cut {NEW_CUT} (v1)."
    fresh = subj.loc[(consent > a) & (consent <= b)]
    fresh_end = end[fresh.index]
    fresh_died = fresh.loc[(fresh["status"] == "died") & (fresh_end <= b), "subject_id"].tolist()
    assert fresh_died == ["HCR-047"]
    assert not ((fresh["status"] != "on_study") & (fresh["status"] != "died") & (fresh_end <= b)).any()
    assert "9 participants added (4 continuing, 5 stopped; of whom 1 died by the cut-off (HCR-047))." in lines
    assert lines[-1] == ("No changes to: participants removed, field-level corrections, "
                         "eligibility, ctDNA samples removed, existing ctDNA results.")


def test_corrections_are_listed_cell_by_cell(synthetic_raw, two_cuts, tmp_path):
    """An age corrected 61 -> 62 and a baseline result POSITIVE -> NEGATIVE, in the raw files."""
    _, new = two_cuts
    subj, ct = raw_frames(synthetic_raw)
    sid = subj["subject_id"].iloc[4]
    # a baseline positive that the analysis uses (its subject is in the primary set)
    used = new.adctdna.loc[new.adctdna["used"] & (new.adctdna["visit"] == "baseline")
                           & (new.adctdna["result"] == "POSITIVE")]
    used = used.loc[used["subject_id"].isin(new.adsl.loc[new.adsl["primary_set"], "subject_id"])]
    smp, smp_subj = used["sample_id"].iloc[0], used["subject_id"].iloc[0]
    old_row = ct.loc[ct["sample_id"] == smp].iloc[0]

    old_raw = copy_raw(synthetic_raw, tmp_path / "old")
    new_raw = copy_raw(synthetic_raw, tmp_path / "new")
    set_cells(old_raw, "subjects.csv", ("subject_id", sid), {"age": "61"})
    set_cells(new_raw, "subjects.csv", ("subject_id", sid), {"age": "62"})
    set_cells(new_raw, "ctdna.csv", ("sample_id", smp),
              {"result": "NEGATIVE", "mtm_per_ml": "0.00", "variants_detected": "0"})
    d = compare_cuts(outputs(clean_cut(old_raw, NEW_CUT), NEW_CUT, "v1"),
                     outputs(clean_cut(new_raw, NEW_CUT), NEW_CUT, "v2"))

    assert rows(d.field_changes) == [[sid, "age", "61", "62", "correction"]]
    assert rows(d.sample_changes) == [
        [smp, smp_subj, "result", "POSITIVE", "NEGATIVE"],
        [smp, smp_subj, "mtm_per_ml", str(float(old_row["mtm_per_ml"])), "0.0"],
        [smp, smp_subj, "variants_detected", old_row["variants_detected"], "0"],
    ]
    assert d.primary_set_changes.values.tolist()[0][2:] == [True, True, "POSITIVE", "NEGATIVE"]
    assert len(d.primary_set_changes) == 1
    for t in ("participants_added", "participants_removed", "status_changes",
              "eligibility_changes", "samples_added", "samples_removed"):
        assert getattr(d, t).empty, t
    lines = summary_lines(d)
    assert f"1 field-level correction to existing records (1 participant): {sid} age 61 → 62." in lines
    assert any(line.startswith(f"3 changes to existing ctDNA samples (1 sample): {smp} ({smp_subj}) "
                               "result positive → negative; ") for line in lines)
    assert (f"Primary analysis set: baseline result changed for 1 ({smp_subj} positive → negative)."
            in lines)
    log = d.to_frame()
    assert log.loc[log["change"] == "field_correction", ["subject_id", "column", "old", "new"]] \
        .values.tolist() == [[sid, "age", "61", "62"]]


def test_participant_removed_status_and_eligibility_changes():
    """Hand-made: one consent date corrected past the cut-off, one withdrawal, one E3 failure."""
    old = adsl(subject("HCR-001"), subject("HCR-012", cohort="stopped"),
               subject("HCR-020", last_contact=pd.Timestamp("2025-05-01")),
               subject("HCR-035", status="withdrawn", last_contact=pd.Timestamp("2025-03-01")),
               subject("HCR-040", death_date=pd.Timestamp("2025-04-01"), status="died",
                       status_at_cutoff="died"),
               subject("HCR-050", baseline_result="POSITIVE"))
    new = adsl(subject("HCR-001", response_date=pd.Timestamp("2023-01-01"), eligible=False,
                       ineligible_reasons="E3: response lasted < 2 years at consent",
                       primary_set=False),
               subject("HCR-020", last_contact=pd.Timestamp("2025-04-01")),
               subject("HCR-035", status="withdrawn", last_contact=pd.Timestamp("2025-09-01"),
                       status_at_cutoff="withdrawn"),
               subject("HCR-040", death_date=pd.NaT, status="died", status_at_cutoff="died"))
    issues = pd.DataFrame([{"file": "subjects.csv", "row": "13", "subject_id": "HCR-012",
                            "column": "consent_date", "value": "2026-01-15",
                            "rule": "consented after the cut-off", "severity": "info",
                            "action": "after cut-off: not analysed"}])
    s_old = adctdna(sample("SIG-000001", "HCR-001"), sample("SIG-000002", "HCR-012"))
    s_new = adctdna(sample("SIG-000001", "HCR-001"))
    d = compare_cuts(CutOutputs(old, s_old, {"cut": OLD_CUT}, version="v1"),
                     CutOutputs(new, s_new, {"cut": NEW_CUT}, data_issues=issues, version="v1"))

    assert d.participants_removed[["subject_id", "cohort", "reason"]].values.tolist() == [
        ["HCR-012", "stopped", "consent date now after the cut-off (2026-01-15)"],
        ["HCR-050", "continuing", "no longer in the subjects export"]]
    assert d.samples_removed[["sample_id", "reason"]].values.tolist() == [
        ["SIG-000002", "participant no longer in the analysis"]]
    assert rows(d.status_changes) == [["HCR-035", "continuing", "on_study", "withdrawn"]]
    assert rows(d.eligibility_changes) == [
        ["HCR-001", "continuing", True, False, "", "E3: response lasted < 2 years at consent"]]
    # a later last contact is follow-up; an earlier one, a changed response date or an erased
    # death date correct what was reported
    assert rows(d.field_changes) == [
        ["HCR-001", "response_date", "2019-06-01", "2023-01-01", "correction"],
        ["HCR-020", "last_contact", "2025-05-01", "2025-04-01", "correction"],
        ["HCR-035", "last_contact", "2025-03-01", "2025-09-01", "follow-up"],
        ["HCR-040", "death_date", "2025-04-01", None, "correction"],
    ]
    assert d.primary_set_changes[["subject_id", "old_primary_set", "new_primary_set"]] \
        .values.tolist() == [["HCR-001", True, False], ["HCR-012", True, False],
                             ["HCR-050", True, False]]
    lines = summary_lines(d)
    assert ("2 participants of the last cut no longer in the analysis (HCR-012: consent date now "
            "after the cut-off (2026-01-15); HCR-050: no longer in the subjects export).") in lines
    assert "1 withdrawn since the last cut (HCR-035)." in lines
    assert ("3 field-level corrections to existing records (3 participants): HCR-001 response date "
            "2019-06-01 → 2023-01-01; HCR-020 last contact 2025-05-01 → 2025-04-01; HCR-040 "
            "death date 2025-04-01 → (empty).") in lines
    assert ("Eligibility changed for 1 existing participant: HCR-001 eligible → not eligible "
            "(E3: response lasted < 2 years at consent).") in lines
    assert "Primary analysis set: 3 left (HCR-001, HCR-012, HCR-050)." in lines


def test_estimate_movement():
    """Hand-made estimates: a changed, an unchanged, an added and a removed key."""
    inf = float("inf")
    old = estimates([
        ("primary", "proportion", "continuing", 2, 20, 0.1, 0.0123, 0.317, 0.95, np.nan, "Clopper-Pearson exact"),
        ("primary", "proportion", "stopped", 4, 20, 0.2, 0.0573, 0.437, 0.95, np.nan, "Clopper-Pearson exact"),
        ("primary", "odds_ratio", "stopped vs continuing", 6, 40, 2.2, 0.28, inf, 0.95, 0.661, "conditional MLE"),
        ("exploratory_mtm", "median", "stopped", 4, 4, 1.5, np.nan, np.nan, np.nan, np.nan, "median"),
    ])
    new = estimates([
        ("primary", "proportion", "continuing", 3, 24, 0.125, 0.0266, 0.324, 0.95, np.nan, "Clopper-Pearson exact"),
        ("primary", "proportion", "stopped", 4, 20, 0.2, 0.0573, 0.437, 0.95, np.nan, "Clopper-Pearson exact"),
        ("primary", "odds_ratio", "stopped vs continuing", 7, 44, 1.75, 0.25, inf, 0.95, 0.683, "conditional MLE"),
        ("exploratory_pfs", "logrank", "positive vs negative", 6, 46, 31.3, np.nan, np.nan, np.nan, 2.2e-8, "log-rank"),
    ])
    people = adsl(subject("HCR-001"))
    samples = adctdna(sample("SIG-000001", "HCR-001"))
    d = compare_cuts(CutOutputs(people, samples, {"cut": OLD_CUT}, old, version="v1"),
                     CutOutputs(people, samples, {"cut": NEW_CUT}, new, version="v1"))
    e = d.estimate_changes
    assert list(e.columns) == TABLE_COLUMNS["estimate_changes"]
    assert e[["analysis", "group", "status"]].values.tolist() == [
        ["primary", "continuing", "changed"], ["primary", "stopped", "unchanged"],
        ["primary", "stopped vs continuing", "changed"],
        ["exploratory_pfs", "positive vs negative", "added"],
        ["exploratory_mtm", "stopped", "removed"]]
    assert e["estimate_change"].iloc[0] == pytest.approx(0.025)
    assert e["estimate_change"].iloc[2] == pytest.approx(-0.45)
    assert e[["old_n", "old_N", "new_n", "new_N"]].iloc[0].tolist() == [2, 20, 3, 24]
    assert np.isnan(e["estimate_change"].iloc[3]) and np.isnan(e["estimate_change"].iloc[4])
    assert summary_lines(d) == [
        f"Changes from cut {OLD_CUT} (v1) to cut {NEW_CUT} (v1).",
        "Primary: baseline ctDNA positivity, proportion positive (continuing): 10.0% (2 of 20 positive; "
        "95% CI 1.2% to 31.7%) at the last cut, now 12.5% (3 of 24 positive; 95% CI 2.7% to 32.4%); "
        "change +2.5 percentage points.",
        "Primary: baseline ctDNA positivity, proportion positive (stopped): unchanged, 20.0% (4 of 20 "
        "positive; 95% CI 5.7% to 43.7%).",
        # ratios at 2 decimals, an unbounded limit as the infinity sign; no difference of two odds
        # ratios (it has no meaning on their scale)
        "Primary: baseline ctDNA positivity, odds ratio (stopped vs continuing): 2.20 (6 of 40 positive; "
        "95% CI 0.28 to \u221e; p = 0.661) at the last cut, now 1.75 (7 of 44 positive; 95% CI 0.25 to "
        "\u221e; p = 0.683).",
        "Other estimates (2): 1 added, 1 removed.",
        "No changes to: participants added, participants removed, status at the cut-off, "
        "field-level corrections, eligibility, ctDNA samples added, ctDNA samples removed, "
        "existing ctDNA results.",
    ]
    md = to_markdown(d)
    assert ("| Primary: baseline ctDNA positivity | Proportion positive | continuing | 10.0% (2 of 20 positive; "
            "95% CI 1.2% to 31.7%) | 12.5% (3 of 24 positive; 95% CI 2.7% to 32.4%) | +2.5 percentage points |") in md
    assert ("| Exploratory: ctDNA level (MTM/mL) of positive draws, baseline and follow-up | Median MTM/mL | "
            "stopped | 1.50 (4 draws from 4 participants) |  | not in this cut |") in md
    # the change of a proportion of zero is written without a sign
    assert "−0.45" not in md


def test_identical_cuts_give_no_changes(two_cuts):
    _, new = two_cuts
    est = estimates([("primary", "proportion", "stopped", 4, 20, 0.2, 0.0573, 0.437, 0.95,
                      np.nan, "Clopper-Pearson exact")])
    a = CutOutputs(new.adsl.copy(), new.adctdna.copy(), {"cut": NEW_CUT}, est.copy(),
                   new.flow.copy(), version="v1")
    b = CutOutputs(new.adsl.copy(), new.adctdna.copy(), {"cut": NEW_CUT}, est.copy(),
                   new.flow.copy(), version="v2")
    d = compare_cuts(a, b)
    assert not d.has_changes
    for t in TABLE_COLUMNS:
        if t not in ("estimate_changes", "flow_changes"):
            assert getattr(d, t).empty, t
    assert (d.estimate_changes["status"] == "unchanged").all()
    assert (d.flow_changes["change"] == 0).all()
    assert d.to_frame().empty
    assert summary_lines(d) == [
        f"Changes from cut {NEW_CUT} (v1) to cut {NEW_CUT} (v2).",
        "No changes: the same participants, records, ctDNA results and estimates."]
    assert "No changes" in to_markdown(d)


def test_deterministic_tables_and_files(two_cuts, tmp_path):
    old, new = two_cuts
    d1 = compare_cuts(outputs(old, OLD_CUT), outputs(new, NEW_CUT))
    d2 = compare_cuts(outputs(old, OLD_CUT), outputs(new, NEW_CUT))
    for t in TABLE_COLUMNS:
        pd.testing.assert_frame_equal(getattr(d1, t), getattr(d2, t))
        assert list(getattr(d1, t).columns) == TABLE_COLUMNS[t]
    w1, w2 = write_diff(d1, tmp_path / "a"), write_diff(d2, tmp_path / "b")
    names = sorted(p.name for p in w1)
    assert names == sorted([f"{t}.csv" for t in TABLE_COLUMNS] + ["summary.md", "diff_info.json"])
    for p1, p2 in zip(w1, w2):
        assert p1.read_bytes() == p2.read_bytes(), p1.name
    assert all(p.parent == tmp_path / "a" / "diff" for p in w1)
    md = (tmp_path / "a" / "diff" / "summary.md").read_text(encoding="utf-8")
    assert md.startswith("# What changed since the last cut\n\n"
                         f"- Changes from cut {OLD_CUT} (v1) to cut {NEW_CUT} (v1).\n")
    # the tables the report shows: names and words, not column keys and codes
    assert "| Participant | Site | Cohort | Consent date | Eligible | Baseline ctDNA | Status at the cut-off |" in md
    assert "| HCR-041 | NCU | stopped | 2025-08-07 | yes | negative | on study |" in md
    added = pd.read_csv(tmp_path / "a" / "diff" / "participants_added.csv")
    assert added["subject_id"].tolist() == d1.participants_added["subject_id"].tolist()
    assert b"\r\n" not in (tmp_path / "a" / "diff" / "field_changes.csv").read_bytes()


def _version(cut_root: Path, version: str, clean, cut: str, est: pd.DataFrame | None) -> Path:
    v = cut_root / version
    write_clean_outputs(clean, v)
    (v / "data" / "cut_info.json").write_text(json.dumps({"cut": cut, "synthetic": True, "inputs": {}}))
    if est is not None:
        (v / "results").mkdir()
        est.to_csv(v / "results" / "estimates.csv", index=False, lineterminator="\n")
    (v / "manifest.json").write_text(json.dumps({"cut": cut, "version": version}))
    return v


def _point_current(cut_root: Path, version: str) -> None:
    link = cut_root / "current"
    if link.is_symlink():
        link.unlink()
    os.symlink(version, link)


def test_folders_resolve_load_and_find_previous(two_cuts, tmp_path):
    old, new = two_cuts
    root = tmp_path / "reports"
    est = estimates([("primary", "odds_ratio", "stopped vs continuing", 6, 40, 2.2, 0.28,
                      float("inf"), 0.95, 0.661, "conditional MLE")])
    a1 = _version(root / "first", "v1", old, OLD_CUT, est)
    _point_current(root / "first", "v1")
    b1 = _version(root / "synthetic-late", "v1", new, NEW_CUT, None)
    b2 = _version(root / "synthetic-late", "v2", new, NEW_CUT, est)
    _point_current(root / "synthetic-late", "v2")
    (root / "not-a-cut").mkdir()

    assert resolve_version_dir(root / "synthetic-late") == b2.resolve()
    assert resolve_version_dir(b1) == b1.resolve()
    with pytest.raises(ValueError, match="not-a-cut"):
        resolve_version_dir(root / "not-a-cut")
    with pytest.raises(ValueError, match="missing-folder"):
        resolve_version_dir(root / "missing-folder")

    loaded = load_cut_outputs(root / "first")
    assert loaded.cut == OLD_CUT and loaded.version == "v1"
    assert loaded.estimates["ci_upper"].iloc[0] == float("inf")
    assert load_cut_outputs(b1).estimates is None

    d = diff_paths(root / "first", root / "synthetic-late")
    mem = compare_cuts(outputs(old, OLD_CUT), outputs(new, NEW_CUT, "v2"))
    for t in TABLE_COLUMNS:
        if t != "estimate_changes":
            pd.testing.assert_frame_equal(getattr(d, t), getattr(mem, t), check_dtype=False)
    assert d.estimate_changes["status"].tolist() == ["unchanged"]

    assert previous_cut_dir(root, NEW_CUT) == a1.resolve()
    assert previous_cut_dir(root, "2026-06-30") == b2.resolve()
    assert previous_cut_dir(root, OLD_CUT) is None
    assert previous_cut_dir(root, NEW_CUT, synthetic=False) is None
    assert previous_version_dir(root / "synthetic-late", "v2") == b1.resolve()
    assert previous_version_dir(root / "synthetic-late", b1) is None
    assert previous_version_dir(root / "synthetic-late", "scratch") == b2.resolve()
    d_same = diff_paths(previous_version_dir(root / "synthetic-late", "v2"), b2)
    assert summary_lines(d_same) == [
        f"Changes from cut {NEW_CUT} (v1) to cut {NEW_CUT} (v2).",
        f"No estimates (results/estimates.csv) for cut {NEW_CUT} (v1): estimates not compared.",
        "No changes: the same participants, records, ctDNA results and estimates."]
    assert d_same.estimate_changes["status"].tolist() == ["not compared"]


def test_large_cut_is_compared_without_per_record_loops():
    """100,000 participants, 300,000 samples: three planted changes are found exactly."""
    n = 100_000
    rng = np.random.default_rng(1)
    ids = np.char.add("HCR-", np.char.zfill(np.arange(1, n + 1).astype(str), 6))
    base = subject("x")
    people = pd.DataFrame({k: np.repeat(np.array([v], dtype=object), n) for k, v in base.items()})
    people["subject_id"] = ids
    people["age"] = pd.array(rng.integers(30, 80, n), dtype="Int64")
    for c in ("consent_date", "anti_her2_start", "response_date", "anti_her2_stop", "last_contact",
              "progression_date", "death_date"):
        people[c] = pd.to_datetime(people[c])
    m = 3 * n
    samples = pd.DataFrame({
        "subject_id": np.repeat(ids, 3), "sample_id": np.char.add("SIG-", np.char.zfill(np.arange(m).astype(str), 7)),
        "visit": "baseline", "collection_date": pd.Timestamp("2024-06-02"), "result": "NEGATIVE",
        "mtm_per_ml": 0.0, "variants_detected": pd.array(np.zeros(m, dtype=int), dtype="Int64"),
        "panel_size": pd.array(np.full(m, 16), dtype="Int64")})
    new_people, new_samples = people.copy(), samples.copy()
    new_people.loc[99_998, "age"] = new_people.loc[99_998, "age"] + 1
    new_people.loc[5, "ecog"] = 1
    new_samples.loc[250_000, "result"] = "POSITIVE"
    d = compare_cuts(CutOutputs(people, samples, {"cut": OLD_CUT}),
                     CutOutputs(new_people, new_samples, {"cut": NEW_CUT}))
    assert d.field_changes[["subject_id", "column"]].values.tolist() == [
        ["HCR-000006", "ecog"], ["HCR-099999", "age"]]
    assert d.sample_changes[["sample_id", "column", "old", "new"]].values.tolist() == [
        ["SIG-0250000", "result", "NEGATIVE", "POSITIVE"]]


def test_only_contract_columns_are_compared_field_by_field():
    """Derived columns (here years_since_response) move with their raw inputs; only raw fields
    are listed, so a correction shows once, where it was made."""
    old = adsl(subject("HCR-001", years_since_response=5.0))
    new = adsl(subject("HCR-001", years_since_response=6.0, comment="note"))
    s = adctdna(sample("SIG-000001", "HCR-001"))
    d = compare_cuts(CutOutputs(old, s, {"cut": OLD_CUT}), CutOutputs(new, s, {"cut": NEW_CUT}))
    assert d.field_changes.empty
    assert "years_since_response" not in SUBJECT_FIELDS and "comment" not in SUBJECT_FIELDS
