"""Tests of the synthetic data-cut generator (her2cr.data.synth).

The contract checks here are written directly with pandas from spec/study-data.md, independently of
the project's validator: every rule must hold except for the imperfections the generator records
in `planted`, and every planted imperfection must be in the files exactly where it says.
"""

import time

import numpy as np
import pandas as pd
import pytest

from her2cr.data.synth import CTDNA_COLUMNS, SUBJECT_COLUMNS, generate, write_cut

CUT = "2025-12-31"
CUT_TS = pd.Timestamp(CUT)

# canonical spellings (spec/study-data.md)
CATEGORIES = {
    "site": {"NCU", "ACC", "JFCR"},
    "cohort": {"continuing", "stopped"},
    "sex": {"F", "M"},
    "race": {"American Indian or Alaska Native", "Asian",
             "Native Hawaiian or Other Pacific Islander", "Black or African American", "White",
             "More than one race", "Unknown or Not Reported", ""},
    "ethnicity": {"Hispanic or Latino", "Not Hispanic or Latino", "Unknown or Not Reported", ""},
    "menopausal_status": {"pre", "post"},
    "hr_status": {"positive", "negative"},
    "presentation": {"de_novo", "recurrent"},
    "visceral_mets": {"yes", "no"},
    "brain_mets": {"yes", "no"},
    "anti_her2": {"trastuzumab", "trastuzumab+pertuzumab", "T-DM1", "T-DXd"},
    "best_response": {"CR", "PR"},
    "status": {"on_study", "completed", "withdrawn", "lost_to_follow_up", "died"},
}
RESULTS = {"POSITIVE", "NEGATIVE", "QNS", "FAILED"}
SUBJECT_DATES = ["consent_date", "anti_her2_start", "response_date", "anti_her2_stop",
                 "last_contact", "progression_date", "death_date"]


def _read(paths):
    """Read the written files back as the pipeline would see the raw cells."""
    subjects, ctdna = (pd.read_csv(p, dtype=str, keep_default_na=False) for p in paths)
    return subjects, ctdna


def _canon(value: str, allowed: set) -> str | None:
    lookup = {a.casefold(): a for a in allowed}
    return lookup.get(value.strip().casefold())


def _planted_cells(cut, kind=None):
    return {(r["file"], r["row"], r["column"]) for k, recs in cut.planted.items()
            if kind is None or k == kind for r in recs}


def _clean(subjects, ctdna):
    """Typed copies: categories canonicalised, dates parsed (NaT for empty)."""
    s = subjects.copy()
    for col, allowed in CATEGORIES.items():
        s[col] = s[col].map(lambda v, a=allowed: _canon(v, a))
    for col in SUBJECT_DATES:
        s[col] = pd.to_datetime(s[col].replace("", None), format="%Y-%m-%d")
    for col in ["age", "ecog", "prior_lines"]:
        s[col] = s[col].astype(int)
    c = ctdna.copy()
    c["result"] = c["result"].map(lambda v: _canon(v, RESULTS))
    c["collection_date"] = pd.to_datetime(c["collection_date"], format="%Y-%m-%d")
    c["mtm"] = pd.to_numeric(c["mtm_per_ml"].replace("", None))
    c["nvar"] = pd.to_numeric(c["variants_detected"].replace("", None))
    c["panel"] = c["panel_size"].astype(int)
    c = c.merge(s[["subject_id", "consent_date", "last_contact"]], on="subject_id", how="left",
                validate="many_to_one")
    c["row"] = np.arange(len(c)) + 2
    return s, c


@pytest.fixture(scope="module")
def default_cut(tmp_path_factory):
    cut = generate()
    paths = write_cut(cut, tmp_path_factory.mktemp("cut"))
    return cut, paths


# ---- reproducibility and format ----------------------------------------------------------------

def test_same_seed_gives_identical_bytes(tmp_path):
    a = write_cut(generate(n=60, seed=7), tmp_path / "a")
    b = write_cut(generate(n=60, seed=7), tmp_path / "b")
    assert [p.name for p in a] == ["subjects.csv", "ctdna.csv"]
    for pa, pb in zip(a, b):
        assert pa.read_bytes() == pb.read_bytes()
    assert generate(n=60, seed=7).planted == generate(n=60, seed=7).planted


def test_different_seed_differs(tmp_path):
    a = write_cut(generate(seed=1), tmp_path / "a")
    b = write_cut(generate(seed=2), tmp_path / "b")
    assert a[0].read_bytes() != b[0].read_bytes()
    assert a[1].read_bytes() != b[1].read_bytes()


@pytest.mark.parametrize("n, width", [(20, 3), (50, 3), (999, 3), (1000, 4), (1234, 4)])
def test_n_and_subject_ids(n, width):
    cut = generate(n=n, seed=n)
    ids = cut.subjects["subject_id"]
    assert len(cut.subjects) == n
    assert ids.tolist() == [f"HCR-{i:0{width}d}" for i in range(1, n + 1)]
    assert set(cut.ctdna["subject_id"]) <= set(ids)


def test_file_format_and_round_trip(default_cut):
    cut, paths = default_cut
    for path, frame, columns in zip(paths, (cut.subjects, cut.ctdna),
                                    (SUBJECT_COLUMNS, CTDNA_COLUMNS)):
        raw = path.read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        assert b"\r" not in raw and raw.endswith(b"\n")
        raw.decode("utf-8")
        assert raw.split(b"\n", 1)[0].decode() == ",".join(columns)
        assert list(frame.columns) == list(columns)
        assert all(isinstance(v, str) for v in frame.to_numpy().ravel())
    subjects, ctdna = _read(paths)
    pd.testing.assert_frame_equal(subjects, cut.subjects, check_dtype=False)
    pd.testing.assert_frame_equal(ctdna, cut.ctdna, check_dtype=False)


def test_invalid_arguments():
    with pytest.raises(ValueError):
        generate(n=5)
    with pytest.raises(ValueError):
        generate(cut="31/12/2025")
    with pytest.raises(ValueError):
        generate(cut="2024-04-15")  # before any follow-up is possible


# ---- planted imperfections ---------------------------------------------------------------------

EXPECTED_KINDS = ["consent_after_cut", "sample_after_cut", "qns_repeat", "failed_sample",
                  "ineligible", "lab_call_query", "case_variants", "withdrawn",
                  "lost_to_follow_up", "died"]


@pytest.mark.parametrize("n, seed, cut_date", [(50, 20251231, CUT), (50, 3, CUT),
                                               (200, 11, "2025-06-30")])
def test_planted_records_point_at_the_cells(tmp_path, n, seed, cut_date):
    cut = generate(n=n, seed=seed, cut=cut_date)
    subjects, ctdna = _read(write_cut(cut, tmp_path))
    assert list(cut.planted) == EXPECTED_KINDS
    frames = {"subjects.csv": subjects, "ctdna.csv": ctdna}
    for kind, recs in cut.planted.items():
        assert recs, kind
        for r in recs:
            row = frames[r["file"]].iloc[r["row"] - 2]
            assert row["subject_id"] == r["subject_id"], (kind, r)
            assert row[r["column"]] == r["value"], (kind, r)
            if r["file"] == "ctdna.csv":
                assert row["sample_id"] == r["sample_id"], (kind, r)
    pf = cut.planted_frame()
    assert len(pf) == sum(len(v) for v in cut.planted.values())


def test_each_planted_imperfection_is_present(default_cut):
    cut, paths = default_cut
    raw_s, raw_c = _read(paths)
    s, c = _clean(raw_s, raw_c)
    p = cut.planted
    by_sid = s.set_index("subject_id")

    # a participant consented after the cut-off, with only samples after it
    (consent_rec, *late_samples) = p["consent_after_cut"]
    late_sid = consent_rec["subject_id"]
    assert by_sid.loc[late_sid, "consent_date"] > CUT_TS
    assert late_samples and all(r["subject_id"] == late_sid for r in late_samples)
    assert (c.loc[c.subject_id == late_sid, "collection_date"] > CUT_TS).all()

    # exactly one sample of an enrolled participant collected after the cut-off
    (rec,) = p["sample_after_cut"]
    after = c[(c.collection_date > CUT_TS) & (c.subject_id != late_sid)]
    assert after["sample_id"].tolist() == [rec["sample_id"]]

    # QNS then an evaluable repeat at the same visit
    qns, repeat = p["qns_repeat"]
    q = c.set_index("sample_id").loc[[qns["sample_id"], repeat["sample_id"]]]
    assert q["result"].tolist()[0] == "QNS"
    assert q["result"].tolist()[1] in {"POSITIVE", "NEGATIVE"}
    assert q["subject_id"].nunique() == 1 and q["visit"].nunique() == 1
    assert q["collection_date"].iloc[0] < q["collection_date"].iloc[1]

    # a FAILED sample, not repeated
    (fail,) = p["failed_sample"]
    f = c[c.sample_id == fail["sample_id"]].iloc[0]
    assert f["result"] == "FAILED"
    assert ((c.subject_id == f.subject_id) & (c.visit == f.visit)).sum() == 1

    # exactly one ineligible participant, failing E3 only
    (inel,) = p["ineligible"]
    elig = _eligibility(s)
    assert elig.index[~elig.all(axis=1)].tolist() == [inel["subject_id"]]
    assert not elig.loc[inel["subject_id"], "e3"]
    assert elig.drop(columns="e3").loc[inel["subject_id"]].all()

    # one POSITIVE call with 1 variant detected, and no other disagreement
    (query,) = p["lab_call_query"]
    disagree = c[((c.result == "POSITIVE") & (c.nvar < 2)) | ((c.result == "NEGATIVE") & (c.nvar >= 2))]
    assert disagree["sample_id"].tolist() == [query["sample_id"]]
    assert disagree["nvar"].iloc[0] == 1

    # categorical values in other letter cases / with stray spaces, and nowhere else
    variants = p["case_variants"]
    assert {r["value"] for r in variants} >= {" Continuing", "Negative"}
    assert any(r["value"] != r["value"].strip() for r in variants)
    assert any(r["column"] == "menopausal_status" and r["value"].isupper() for r in variants)
    assert any(r["column"] == "anti_her2" and r["value"] != r["value"].strip() for r in variants)
    noncanonical = set()
    for col, allowed in CATEGORIES.items():
        bad = raw_s.index[~raw_s[col].isin(allowed)]
        noncanonical |= {("subjects.csv", i + 2, col) for i in bad}
    bad = raw_c.index[~raw_c["result"].isin(RESULTS)]
    noncanonical |= {("ctdna.csv", i + 2, "result") for i in bad}
    assert noncanonical == _planted_cells(cut, "case_variants")

    # withdrawn, lost to follow-up and died participants
    for kind in ["withdrawn", "lost_to_follow_up", "died"]:
        (r,) = p[kind]
        assert by_sid.loc[r["subject_id"], "status"] == kind


# ---- the contract holds everywhere else -------------------------------------------------------

def _eligibility(s: pd.DataFrame) -> pd.DataFrame:
    days = pd.Timedelta(days=730)
    stopped = s.cohort == "stopped"
    end_rx = s.anti_her2_stop.where(stopped, s.consent_date)
    return pd.DataFrame({
        "e1": s.age >= 20,
        "e2": s.sex == "F",
        "e3": s.response_date + days <= s.consent_date,
        "e4": s.anti_her2_start + days <= end_rx,
        "e5": s.anti_her2_stop.notna() == stopped,
    }).set_axis(s.subject_id)


@pytest.mark.parametrize("n, seed, cut_date", [(50, 20251231, CUT), (3000, 42, CUT),
                                               (400, 5, "2025-03-31")])
def test_contract_rules_hold_outside_planted(n, seed, cut_date, tmp_path):
    cut = generate(n=n, seed=seed, cut=cut_date)
    cut_ts = pd.Timestamp(cut_date)
    raw_s, raw_c = _read(write_cut(cut, tmp_path))
    s, c = _clean(raw_s, raw_c)
    p = cut.planted

    # subjects.csv
    assert s.subject_id.str.fullmatch(r"HCR-\d{3,}").all() and s.subject_id.is_unique
    for col in CATEGORIES:
        assert s[col].notna().all(), col
    for col in ["consent_date", "anti_her2_start", "response_date", "last_contact"]:
        assert s[col].notna().all(), col
    assert s.age.between(18, 110).all() and s.ecog.between(0, 4).all()
    assert (s.prior_lines >= 0).all()
    assert (s.response_date >= s.anti_her2_start).all()
    stopped = s.cohort == "stopped"
    assert (s.anti_her2_stop.notna() == stopped).all()
    assert (s.anti_her2_stop[stopped] > s.anti_her2_start[stopped]).all()
    assert (s.anti_her2_stop[stopped] <= s.consent_date[stopped]).all()
    assert (s.last_contact >= s.consent_date).all()
    prog = s.progression_date.notna()
    assert (s.progression_date[prog] >= s.consent_date[prog]).all()
    assert (s.progression_date[prog] <= s.last_contact[prog]).all()
    assert (s.death_date.notna() == (s.status == "died")).all()
    dead = s.status == "died"
    assert (s.death_date[dead] == s.last_contact[dead]).all()
    assert (s.death_date[dead] >= s.progression_date[dead].fillna(s.consent_date[dead])).all()
    # eligibility: only the planted participant fails, and only E3
    elig = _eligibility(s)
    assert elig.index[~elig.all(axis=1)].tolist() == [p["ineligible"][0]["subject_id"]]
    # dated after the cut-off: only the planted participants
    late_consent = s.subject_id[s.consent_date > cut_ts].tolist()
    assert late_consent == [p["consent_after_cut"][0]["subject_id"]] == [s.subject_id.iloc[-1]]
    late_contact = set(s.subject_id[s.last_contact > cut_ts])
    assert late_contact == {p["consent_after_cut"][0]["subject_id"],
                            p["sample_after_cut"][0]["subject_id"]}
    assert not (s.progression_date > cut_ts).any() and not (s.death_date > cut_ts).any()
    assert s.consent_date.is_monotonic_increasing  # ids are given in consent order
    assert (s.consent_date >= pd.Timestamp("2024-04-01")).all()

    # ctdna.csv
    assert c.sample_id.is_unique and c.sample_id.str.fullmatch(r"SIG-\d{6,}").all()
    assert c.consent_date.notna().all()  # every sample's subject is in subjects.csv
    assert c.result.notna().all()
    assert c.visit.str.fullmatch(r"baseline|month_[1-9]\d*").all()
    month = c.visit.str.extract(r"month_(\d+)")[0].astype(float).fillna(0)
    assert (month % 3 == 0).all()
    days = (c.collection_date - c.consent_date).dt.days
    assert (days >= 0).all()
    base = c.visit == "baseline"
    assert (days[base] <= 28).all()
    first = ~c.duplicated(["subject_id", "visit"])
    # scheduled draws: N months after consent, within a week or so
    assert ((days - month * 365.25 / 12).abs()[first & ~base] <= 8).all()
    assert (c.collection_date <= c.last_contact).all()
    evaluable = c.result.isin(["POSITIVE", "NEGATIVE"])
    assert (c.mtm.notna() == evaluable).all() and (c.nvar.notna() == evaluable).all()
    assert (c.mtm[evaluable] >= 0).all()
    assert (c.mtm[c.result == "NEGATIVE"] == 0).all()
    assert (c.mtm[c.result == "POSITIVE"] > 0).all()
    assert c.panel.between(1, 16).all()
    assert (c.nvar[evaluable] >= 0).all() and (c.nvar[evaluable] <= c.panel[evaluable]).all()
    assert (c.nvar[c.result == "NEGATIVE"] <= 1).all()
    query = c.sample_id[(c.result == "POSITIVE") & (c.nvar < 2)].tolist()
    assert query == [p["lab_call_query"][0]["sample_id"]]
    assert c.groupby("subject_id").panel.nunique().eq(1).all()  # one panel per patient
    # a visit has more than one sample only as a repeat after QNS, and at most one evaluable
    assert c[evaluable].duplicated(["subject_id", "visit"]).sum() == 0
    dup = c.duplicated(["subject_id", "visit"], keep="last")
    assert (c.result[dup] == "QNS").all()
    # samples in date order within participant, visits in schedule order
    assert c.groupby("subject_id").collection_date.apply(lambda d: d.is_monotonic_increasing).all()
    assert c.groupby("subject_id").apply(lambda g: (month[g.index].diff().dropna() >= 0).all(),
                                         include_groups=False).all()
    # dated after the cut-off: only the planted samples
    late = set(c.sample_id[c.collection_date > cut_ts])
    planted_late = {r["sample_id"] for k in ["consent_after_cut", "sample_after_cut"]
                    for r in p[k] if r["sample_id"]}
    assert late == planted_late
    # every participant has a baseline draw unless follow-up ended before it
    no_base = s[~s.subject_id.isin(c.subject_id[base])]
    assert no_base.status.isin(["withdrawn", "lost_to_follow_up", "died"]).all()


# ---- realism ----------------------------------------------------------------------------------

def test_population_looks_like_the_study():
    cut = generate(n=6000, seed=99)
    s, c = _clean(cut.subjects, cut.ctdna)
    assert (s.cohort == "stopped").sum() == 3000
    assert 57 <= s.age.median() <= 63 and s.age.between(35, 85).all()
    assert (s.menopausal_status == "post").mean() > 0.7
    assert 0.42 <= (s.hr_status == "positive").mean() <= 0.58
    regimen = s.anti_her2.value_counts(normalize=True)
    assert regimen.idxmax() == "trastuzumab+pertuzumab" and regimen.max() > 0.5
    assert set(regimen.index) == CATEGORIES["anti_her2"]
    assert (s.brain_mets == "yes").mean() < 0.15
    assert s.prior_lines.le(3).all() and s.prior_lines.le(1).mean() > 0.75
    assert (s.race == "Asian").mean() > 0.9 and set(s.site) == {"NCU", "ACC", "JFCR"}
    assert (s.status == "on_study").mean() > 0.5 and (s.status == "completed").any()
    assert s.status.isin(["withdrawn", "lost_to_follow_up", "died"]).mean() < 0.1
    # response > 2 years before consent; stopped: >= 2 years on therapy
    assert ((s.consent_date - s.response_date).dt.days[s.subject_id != cut.planted["ineligible"][0]["subject_id"]] > 730).all()
    # baseline positivity ~10% continuing, ~20% stopped (first evaluable baseline draw)
    b = c[(c.visit == "baseline") & c.result.isin(["POSITIVE", "NEGATIVE"])]
    b = b.drop_duplicates("subject_id").merge(s[["subject_id", "cohort"]], on="subject_id")
    rate = (b.result == "POSITIVE").groupby(b.cohort).mean()
    assert 0.07 <= rate["continuing"] <= 0.13 and 0.16 <= rate["stopped"] <= 0.24
    # MTM/mL among positives: log-normal, median about 0.5 at baseline, wide
    mtm = b.mtm[b.result == "POSITIVE"]
    assert 0.3 <= mtm.median() <= 0.9 and mtm.quantile(0.9) / mtm.quantile(0.1) > 10
    # positivity persists once positive, mostly
    pos_subjects = b.subject_id[b.result == "POSITIVE"]
    later = c[c.subject_id.isin(pos_subjects) & (c.visit != "baseline")
              & c.result.isin(["POSITIVE", "NEGATIVE"])]
    assert (later.result == "POSITIVE").mean() > 0.85
    # progression more frequent after a positive baseline
    prog = s.set_index("subject_id").progression_date.notna()
    pos = prog[prog.index.isin(pos_subjects)].mean()
    neg = prog[prog.index.isin(b.subject_id[b.result == "NEGATIVE"])].mean()
    assert pos > 3 * neg
    assert (c.panel == 16).mean() > 0.85
    assert c.result.isin(["QNS", "FAILED"]).mean() < 0.03


def test_large_n_is_fast(tmp_path):
    t0 = time.perf_counter()
    cut = generate(n=20_000, seed=1)
    write_cut(cut, tmp_path)
    elapsed = time.perf_counter() - t0
    assert len(cut.subjects) == 20_000 and len(cut.ctdna) > 50_000
    assert elapsed < 10, f"generate+write of 20,000 participants took {elapsed:.1f} s"


def test_as_of_gives_an_earlier_export_of_the_same_study():
    """Successive cuts of one study: the earlier export is the later one as it stood then."""
    from her2cr.data.synth import as_of

    full = generate(n=60, seed=11, cut="2025-12-31")
    early = as_of(full, "2025-06-30")
    s, d = early.subjects, early.ctdna
    assert (s["consent_date"] <= "2025-06-30").all() and (d["collection_date"] <= "2025-06-30").all()
    assert set(s["subject_id"]) == set(full.subjects.loc[full.subjects["consent_date"] <= "2025-06-30", "subject_id"])
    assert (s["last_contact"] <= "2025-06-30").all()
    assert (s.loc[s["death_date"] != "", "death_date"] <= "2025-06-30").all()
    # baseline characteristics are those of the later export, unchanged
    later = full.subjects.set_index("subject_id").loc[s["subject_id"]]
    for col in ("age", "cohort", "response_date", "anti_her2_start", "consent_date"):
        assert s[col].tolist() == later[col].tolist()
    # every planted record that survives points at its row in the earlier files
    for recs in early.planted.values():
        for r in recs:
            frame = s if r["file"] == "subjects.csv" else d
            assert frame.iloc[r["row"] - 2]["subject_id"] == r["subject_id"]
