"""Synthetic HER2 CR data cut: raw `subjects.csv` and `ctdna.csv` exports for building and testing
the pipeline before (and instead of) real data.

The two files follow the raw-data contract (spec/study-data.md) exactly, except for a short list of
deliberate imperfections of the kind real EDC and laboratory exports have. Each is planted
deterministically and recorded in `SynthCut.planted`, so tests can check that the pipeline finds
every one of them and nothing else.

Reproducibility: everything is drawn from `numpy.random.default_rng(seed)` in a fixed order, dates
are whole days, and no value depends on the current date or the machine, so the same (n, seed, cut)
gives byte-identical files. The generator is vectorised (one array per variable, one row per visit
in an n x visits matrix), so n = 100,000 takes a few seconds.

Model, in brief (chosen to look like the registered population, not estimated from data): women
with HER2-positive metastatic breast cancer in CR/PR for more than two years; cohorts of equal
size; consent uniform between study start and 30 days before the cut; subject ids in consent order.
A latent ctDNA process: positive at baseline with probability 10% (continuing) / 20% (stopped),
otherwise converting at 6% per year; positivity mostly persists. Progression follows conversion
(mean lead time about 10 months) with a small background rate; deaths follow progression;
small withdrawal and loss-to-follow-up rates. Planned follow-up: draws at consent and every
3 months to month 18, then "completed".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from her2cr.study import STUDY_START

DEFAULT_SEED = 20251231
DEFAULT_N = 50
DEFAULT_CUT = "2025-12-31"
MIN_N = 20  # enough distinct participants to carry each planted imperfection on its own

SUBJECT_COLUMNS = (
    "subject_id", "site", "cohort", "consent_date", "age", "sex", "race", "ethnicity",
    "menopausal_status", "ecog", "hr_status", "presentation", "visceral_mets", "brain_mets",
    "prior_lines", "anti_her2", "best_response", "anti_her2_start", "response_date",
    "anti_her2_stop", "status", "last_contact", "progression_date", "death_date",
    "comment",  # extra free-text column, as EDC exports have; allowed by the contract
)
CTDNA_COLUMNS = (
    "subject_id", "sample_id", "visit", "collection_date", "result", "mtm_per_ml",
    "variants_detected", "panel_size",
)

FOLLOW_UP_MONTHS = 18   # planned: baseline and draws every 3 months to month 18
VISIT_INTERVAL = 3      # months
DAYS_PER_MONTH = 365.25 / 12
BASELINE_WINDOW = 28    # contract: baseline draw within 28 days after consent
ENROL_END_GAP = 30      # consent closes 30 days before the cut, so baselines fall before it
T_DXD_EARLIEST = "2020-05-25"  # T-DXd marketed in Japan from 2020; no earlier start dates

REGIMENS = ("trastuzumab", "trastuzumab+pertuzumab", "T-DM1", "T-DXd")
_TERMINAL = np.array(["died", "withdrawn", "lost_to_follow_up"])
_MISSING = 0  # placeholder day number for empty date cells (masked before formatting)


@dataclass(frozen=True)
class SynthCut:
    """A synthetic data cut: the raw exports as strings, and the planted imperfections.

    `subjects` and `ctdna` hold exactly the cells `write_cut` writes ("" = empty cell).
    `planted` maps each kind of imperfection to a list of records with keys file, row
    (spreadsheet row, header = 1), subject_id, sample_id ("" for subject records), column,
    value (as written) and note.
    """

    subjects: pd.DataFrame
    ctdna: pd.DataFrame
    planted: dict
    n: int
    seed: int
    cut: str

    def planted_frame(self) -> pd.DataFrame:
        """One row per planted record, with its kind."""
        rows = [{"kind": kind, **rec} for kind, recs in self.planted.items() for rec in recs]
        return pd.DataFrame(rows, columns=["kind", "file", "row", "subject_id", "sample_id",
                                           "column", "value", "note"])


def _day(date: str) -> int:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        raise ValueError(f"date must be YYYY-MM-DD, got {date!r}")
    return int(np.datetime64(date, "D").astype(np.int64))


def _fmt_dates(days: np.ndarray, present: np.ndarray | None = None) -> np.ndarray:
    days = np.asarray(days, dtype=np.int64)
    if present is not None:
        days = np.where(present, days, _MISSING)
    out = np.datetime_as_string(days.astype("datetime64[D]"), unit="D").astype(object)
    if present is not None:
        out[~present] = ""
    return out


def _choice(rng, values, probs, size) -> np.ndarray:
    return np.asarray(values)[rng.choice(len(values), size=size, p=probs)]


def _yes_no(flag: np.ndarray) -> np.ndarray:
    return np.where(flag, "yes", "no")


class _Roles:
    """Hands out distinct participants for the planted roles, in a seeded random order."""

    def __init__(self, order: np.ndarray, n: int, reserved: int):
        self.order = order
        self.taken = np.zeros(n, dtype=bool)
        self.taken[reserved] = True

    def pick(self, role: str, *masks: np.ndarray) -> int:
        # masks from most to least preferred; the first that has a free participant wins
        for mask in masks:
            free = self.order[mask[self.order] & ~self.taken[self.order]]
            if free.size:
                self.taken[free[0]] = True
                return int(free[0])
        raise ValueError(f"cannot plant {role!r}: n too small or cut-off too close to study start")


def generate(n: int = DEFAULT_N, seed: int = DEFAULT_SEED, cut: str = DEFAULT_CUT) -> SynthCut:
    """Generate a synthetic data cut of n consented participants as of cut-off `cut`."""
    n, seed = int(n), int(seed)
    if n < MIN_N:
        raise ValueError(f"n must be at least {MIN_N} to carry the planted imperfections")
    cut_day, start_day = _day(cut), _day(STUDY_START)
    span = cut_day - ENROL_END_GAP - start_day
    if span < 60:
        raise ValueError(f"cut-off {cut} is too close to the study start {STUDY_START}")
    rng = np.random.default_rng(seed)
    last = n - 1  # the last participant consents after the cut-off (planted)

    # ---- participants: characteristics ---------------------------------------------------------
    stopped = np.zeros(n, dtype=bool)
    stopped[rng.permutation(n)[: n // 2]] = True
    consent = start_day + np.sort(rng.integers(0, span + 1, n))  # ids are given in consent order
    consent[last] = cut_day + rng.integers(1, 15)
    site = _choice(rng, ["NCU", "ACC", "JFCR"], [0.45, 0.35, 0.20], n)
    age = np.clip(np.rint(rng.normal(60, 9, n)), 38, 84).astype(np.int64)
    post = rng.random(n) < 1 / (1 + np.exp(-(age - 51) / 2.5))  # menopause around 50
    race = _choice(rng, ["Asian", "Unknown or Not Reported", ""], [0.97, 0.02, 0.01], n)
    ethnicity = _choice(rng, ["Not Hispanic or Latino", "Unknown or Not Reported", ""],
                        [0.97, 0.02, 0.01], n)
    ecog = _choice(rng, [0, 1, 2], [0.78, 0.20, 0.02], n)
    hr_pos = rng.random(n) < 0.5
    de_novo = rng.random(n) < 0.45
    visceral = rng.random(n) < 0.40
    brain = rng.random(n) < 0.07
    regimen = _choice(rng, REGIMENS, [0.13, 0.65, 0.10, 0.12], n)
    later_line = np.isin(regimen, ["T-DM1", "T-DXd"])  # ADCs are mostly given after first line
    u = rng.random(n)
    prior_lines = np.where(later_line, 1 + (u > 0.6) + (u > 0.88),
                           (u > 0.75).astype(int) + (u > 0.93) + (u > 0.98))
    cr = rng.random(n) < 0.55

    # ---- treatment dates: E3 and E4 hold by construction ---------------------------------------
    ttr = 45 + np.rint(rng.gamma(2.0, 60.0, n)).astype(np.int64)  # start to first CR/PR
    lasted = 760 + np.rint(rng.exponential(np.where(stopped, 1000.0, 700.0))).astype(np.int64)
    lasted = np.minimum(lasted, 10 * 365)  # pertuzumab since 2013 in Japan
    # T-DXd responses too long for its launch are redrawn uniformly over the feasible range
    t_dxd_room = np.maximum(760, consent - _day(T_DXD_EARLIEST) - ttr)
    redraw = 760 + np.floor(rng.random(n) * (t_dxd_room - 760 + 1)).astype(np.int64)
    lasted = np.where((regimen == "T-DXd") & (lasted > t_dxd_room), redraw, lasted)
    response = consent - lasted
    rx_start = response - ttr
    lo = rx_start + 730  # E4: at least two years on therapy before stopping
    rx_stop = lo + np.floor(rng.beta(2, 2, n) * (consent - lo + 1)).astype(np.int64)

    # ---- latent disease and ctDNA course (days from consent) -----------------------------------
    base_pos = rng.random(n) < np.where(stopped, 0.20, 0.10)
    t_conv = np.where(base_pos, 0.0, rng.exponential(365.25 / 0.06, n))
    t_prog = np.minimum(t_conv + rng.exponential(300.0, n), rng.exponential(365.25 / 0.02, n))
    t_death = t_prog + rng.exponential(365.25 / 0.25, n)
    t_wd = rng.exponential(365.25 / 0.02, n)
    t_ltfu = rng.exponential(365.25 / 0.01, n)
    mu = rng.normal(np.log(0.5), 1.3, n)    # log MTM/mL at conversion: median 0.5, wide
    growth = rng.normal(0.8, 0.5, n)        # log MTM/mL per year after conversion
    panel = np.where(rng.random(n) < 0.92, 16, rng.integers(12, 16, n))
    contact_lag = rng.integers(0, 31, n)    # last clinic contact before the cut (on study)

    n_vis = FOLLOW_UP_MONTHS // VISIT_INTERVAL + 1
    vis_month = np.arange(n_vis) * VISIT_INTERVAL
    tv = np.rint(vis_month * DAYS_PER_MONTH).astype(np.int64) + rng.integers(-7, 8, (n, n_vis))
    tv[:, 0] = np.where(rng.random(n) < 0.5, 0, rng.integers(1, 22, n))
    missed = rng.random((n, n_vis)) < 0.04
    missed[:, 0] = False
    vis_date = consent[:, None] + tv

    can_complete = vis_date[:, -1] <= cut_day
    admin_end = np.where(can_complete, vis_date[:, -1], cut_day)
    fu = admin_end - consent
    enrolled = np.arange(n) != last

    # ---- planted roles that change the follow-up ----------------------------------------------
    roles = _Roles(rng.permutation(n), n, last)
    i_inel = roles.pick("ineligible", enrolled & ~stopped)
    lasted_i = int(rng.integers(540, 700))  # response < 2 years at consent: fails E3 only
    response[i_inel] = consent[i_inel] - lasted_i
    # still two years on therapy (E4): the response came late, 2-13 months after the start
    rx_start[i_inel] = min(response[i_inel] - 60, consent[i_inel] - 730 - int(rng.integers(20, 200)))
    i_wd = roles.pick("withdrawn", enrolled & (fu >= 120), enrolled & (fu >= 45))
    t_wd[i_wd] = np.floor(rng.uniform(0.25, 0.75) * fu[i_wd])
    t_death[i_wd] = t_ltfu[i_wd] = np.inf
    i_ltfu = roles.pick("lost_to_follow_up", enrolled & (fu >= 120), enrolled & (fu >= 45))
    t_ltfu[i_ltfu] = np.floor(rng.uniform(0.4, 0.9) * fu[i_ltfu])
    t_death[i_ltfu] = t_wd[i_ltfu] = np.inf
    i_died = roles.pick("died", enrolled & (fu >= 150) & (t_conv < fu / 2),
                        enrolled & (fu >= 150), enrolled & (fu >= 45))
    t_prog[i_died] = min(t_prog[i_died], rng.uniform(0.2, 0.5) * fu[i_died])
    t_death[i_died] = t_prog[i_died] + rng.uniform(0.3, 0.9) * (fu[i_died] - t_prog[i_died])
    t_wd[i_died] = t_ltfu[i_died] = np.inf
    t_prog[last] = t_death[last] = t_wd[last] = t_ltfu[last] = np.inf

    # ---- status and end of follow-up ----------------------------------------------------------
    t_ends = np.stack([t_death, t_wd, t_ltfu])
    kind = np.argmin(t_ends, axis=0)
    t_term = np.ceil(t_ends.min(axis=0))
    terminal = consent + t_term < admin_end
    status = np.where(terminal, _TERMINAL[kind], np.where(can_complete, "completed", "on_study"))
    end = np.where(terminal, consent + np.where(terminal, t_term, 0), admin_end).astype(np.int64)
    status[last], end[last] = "on_study", vis_date[last, 0]
    draw_end = end - terminal  # draws strictly before a death, withdrawal or loss
    inc = (vis_date <= draw_end[:, None]) & ~missed

    # a sample collected after the cut-off: the next scheduled draw of an on-study participant
    on_study = (status == "on_study") & enrolled
    after = vis_date > cut_day
    next_k = np.argmax(after, axis=1)
    next_date = vis_date[np.arange(n), next_k]
    cand = on_study & after.any(axis=1) & ~roles.taken
    if not cand.any():
        raise ValueError("cannot plant 'sample_after_cut': no participant on study at the cut-off")
    i_late = int(np.flatnonzero(cand)[np.argmin(next_date[cand])])  # the soonest after the cut
    roles.taken[i_late] = True
    inc[i_late, next_k[i_late]] = True
    end[i_late] = next_date[i_late]

    # ---- samples: one per included visit, plus repeats after QNS -------------------------------
    si, sk = np.nonzero(inc)
    m = si.size
    s_date = vis_date[si, sk]
    latent = tv[si, sk] >= t_conv[si]
    latent &= ~((sk > 0) & (rng.random(m) < 0.08))  # positivity mostly persists
    u_qc = rng.random(m)
    result = np.where(latent, "POSITIVE", "NEGATIVE").astype(object)
    result[u_qc < 0.016] = "FAILED"
    result[u_qc < 0.012] = "QNS"
    rep_gap = rng.integers(3, 15, m)

    base_idx = np.full(n, -1)
    base_idx[si[sk == 0]] = np.flatnonzero(sk == 0)
    base_ok = (base_idx >= 0) & np.isin(result[np.maximum(base_idx, 0)], ["POSITIVE", "NEGATIVE"])
    i_qns = roles.pick("qns_repeat", enrolled & base_ok & (tv[:, 0] <= 14)
                       & (draw_end - consent >= tv[:, 0] + 14))
    i_fail = roles.pick("failed_sample", enrolled & base_ok)
    b_qns, b_fail = base_idx[i_qns], base_idx[i_fail]
    result[b_qns], result[b_fail] = "QNS", "FAILED"
    rep_gap[b_qns] = rng.integers(5, 15)
    # a QNS draw is often repeated within days (the baseline repeat inside the 28-day window)
    rep = (result == "QNS") & ((rng.random(m) < 0.6) | (np.arange(m) == b_qns))
    rep_date = s_date + rep_gap
    rep &= (rep_date <= draw_end[si]) & ((sk > 0) | (rep_date - consent[si] <= BASELINE_WINDOW))
    r = np.flatnonzero(rep)
    si = np.concatenate([si, si[r]])
    sk = np.concatenate([sk, sk[r]])
    s_date = np.concatenate([s_date, rep_date[r]])
    s_rep = np.concatenate([np.zeros(m, dtype=np.int64), np.ones(r.size, dtype=np.int64)])
    latent = np.concatenate([latent, latent[r]])
    result = np.concatenate([result, np.where(latent[m:], "POSITIVE", "NEGATIVE").astype(object)])
    b_rep = m + int(np.flatnonzero(r == b_qns)[0])
    m = si.size

    t = (s_date - consent[si]).astype(float)
    log_mtm = (mu[si] + growth[si] * np.maximum(t - t_conv[si], 0) / 365.25
               + rng.normal(0, 0.4, m))
    cents = np.clip(np.rint(np.exp(log_mtm) * 100), 1, 500_000).astype(np.int64)
    p_var = cents / (cents + 300.0)  # more tumour molecules, more of the panel detected
    n_var_pos = 2 + rng.binomial(panel[si] - 2, p_var)
    n_var_neg = (rng.random(m) < 0.07).astype(np.int64)  # a single variant: still NEGATIVE
    # one lab call that disagrees with its variant count: the weakest positive, with 1 variant
    # (in a small cut without any positive draw, a negative draw is called a borderline positive)
    free_draw = ~roles.taken[si]
    cand = np.flatnonzero((result == "POSITIVE") & free_draw)
    if cand.size == 0:
        cand = np.flatnonzero((result == "NEGATIVE") & free_draw)
    s_query = int(cand[np.argmin(cents[cand])])
    result[s_query] = "POSITIVE"
    roles.taken[si[s_query]] = True
    is_pos = result == "POSITIVE"
    evaluable = is_pos | (result == "NEGATIVE")
    cents = np.where(is_pos, cents, 0)
    n_var = np.where(is_pos, n_var_pos, n_var_neg)
    n_var[s_query] = 1

    # ---- last contact and events ---------------------------------------------------------------
    last_draw = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(last_draw, si, s_date)
    last_contact = end.copy()
    lc_on = np.maximum(np.maximum(cut_day - contact_lag, last_draw), consent)
    last_contact = np.where(status == "on_study", lc_on, last_contact)
    last_contact = np.where(status == "lost_to_follow_up", np.maximum(last_draw, consent),
                            last_contact)
    last_contact[[last, i_late]] = end[[last, i_late]]
    prog_day = consent + np.where(np.isfinite(t_prog), np.ceil(t_prog), 0).astype(np.int64)
    # a progression is known if reported by the last contact; none is dated after the cut-off
    has_prog = np.isfinite(t_prog) & (prog_day <= last_contact) & (prog_day <= cut_day)
    died = status == "died"

    # ---- raw strings --------------------------------------------------------------------------
    width = max(3, len(str(n)))
    subject_id = np.strings.add("HCR-", np.strings.zfill(np.arange(1, n + 1).astype(str), width))
    comment = np.where(status == "withdrawn", "consent withdrawn",
                       np.where(status == "lost_to_follow_up", "no contact after last visit", ""))
    subjects = pd.DataFrame({
        "subject_id": subject_id.astype(object),
        "site": site.astype(object),
        "cohort": np.where(stopped, "stopped", "continuing").astype(object),
        "consent_date": _fmt_dates(consent),
        "age": age.astype(str).astype(object),
        "sex": np.full(n, "F", dtype=object),
        "race": race.astype(object),
        "ethnicity": ethnicity.astype(object),
        "menopausal_status": np.where(post, "post", "pre").astype(object),
        "ecog": ecog.astype(str).astype(object),
        "hr_status": np.where(hr_pos, "positive", "negative").astype(object),
        "presentation": np.where(de_novo, "de_novo", "recurrent").astype(object),
        "visceral_mets": _yes_no(visceral).astype(object),
        "brain_mets": _yes_no(brain).astype(object),
        "prior_lines": prior_lines.astype(str).astype(object),
        "anti_her2": regimen.astype(object),
        "best_response": np.where(cr, "CR", "PR").astype(object),
        "anti_her2_start": _fmt_dates(rx_start),
        "response_date": _fmt_dates(response),
        "anti_her2_stop": _fmt_dates(rx_stop, stopped),
        "status": status.astype(object),
        "last_contact": _fmt_dates(last_contact),
        "progression_date": _fmt_dates(prog_day, has_prog),
        "death_date": _fmt_dates(end, died),
        "comment": comment.astype(object),
    }, columns=list(SUBJECT_COLUMNS))

    # sample ids are lab accession numbers, in order of collection
    accession = np.empty(m, dtype=np.int64)
    accession[np.lexsort((s_rep, sk, si, s_date))] = np.arange(1, m + 1)
    out = np.lexsort((accession, si))  # export sorted by participant, then accession
    out_row = np.empty(m, dtype=np.int64)
    out_row[out] = np.arange(2, m + 2)
    sample_id = np.strings.add(
        "SIG-", np.strings.zfill(accession.astype(str), max(6, len(str(m)))))
    visit = np.where(sk == 0, "baseline",
                     np.strings.add("month_", (sk * VISIT_INTERVAL).astype(str)))
    mtm = np.strings.add(np.strings.add((cents // 100).astype(str), "."),
                         np.strings.zfill((cents % 100).astype(str), 2))
    ctdna_cols = {
        "subject_id": subject_id[si],
        "sample_id": sample_id,
        "visit": visit,
        "collection_date": _fmt_dates(s_date),
        "result": result,
        "mtm_per_ml": np.where(evaluable, mtm, ""),
        "variants_detected": np.where(evaluable, n_var.astype(str), ""),
        "panel_size": panel[si].astype(str),
    }
    ctdna_cols = {k: np.asarray(v, dtype=object) for k, v in ctdna_cols.items()}

    # ---- categorical cells in other letter cases and with stray spaces ------------------------
    free = enrolled & ~roles.taken
    i_coh = roles.pick("case_cohort", free & ~stopped)
    i_meno = roles.pick("case_menopausal", free & post, free)
    i_reg = roles.pick("case_regimen", free & (regimen == "T-DXd"), free)
    neg_free = np.flatnonzero((result == "NEGATIVE") & ~roles.taken[si])
    s_case = int(neg_free[int(rng.integers(neg_free.size))])
    case_cells = [
        ("subjects.csv", i_coh, -1, "cohort", " Continuing"),
        ("subjects.csv", i_meno, -1, "menopausal_status",
         subjects.at[i_meno, "menopausal_status"].upper()),
        ("subjects.csv", i_reg, -1, "anti_her2", subjects.at[i_reg, "anti_her2"].lower() + " "),
        ("ctdna.csv", si[s_case], s_case, "result", "Negative"),
    ]
    for file, i, s, column, value in case_cells:
        if file == "subjects.csv":
            subjects.at[i, column] = value
        else:
            ctdna_cols[column][s] = value

    ctdna = pd.DataFrame({k: v[out] for k, v in ctdna_cols.items()}, columns=list(CTDNA_COLUMNS))

    # ---- the record of what was planted --------------------------------------------------------
    def subj(i, column, note):
        return {"file": "subjects.csv", "row": int(i) + 2, "subject_id": str(subject_id[i]),
                "sample_id": "", "column": column, "value": str(subjects.at[i, column]),
                "note": note}

    def samp(s, column, note):
        return {"file": "ctdna.csv", "row": int(out_row[s]), "subject_id": str(subject_id[si[s]]),
                "sample_id": str(sample_id[s]), "column": column,
                "value": str(ctdna_cols[column][s]), "note": note}

    planted = {
        "consent_after_cut": [subj(last, "consent_date", "consented after the cut-off: not enrolled")]
        + [samp(s, "collection_date", "sample of a participant consented after the cut-off")
           for s in np.flatnonzero(si == last)],
        "sample_after_cut": [samp(s, "collection_date", "collected after the cut-off")
                             for s in np.flatnonzero((si == i_late) & (s_date > cut_day))],
        "qns_repeat": [samp(b_qns, "result", "QNS at baseline, repeated at the same visit"),
                       samp(b_rep, "result", "evaluable repeat of the QNS baseline draw")],
        "failed_sample": [samp(b_fail, "result", "assay failure at baseline, not repeated")],
        "ineligible": [subj(i_inel, "response_date",
                            f"E3: response lasted {lasted_i} days (< 730) at consent")],
        "lab_call_query": [samp(s_query, "variants_detected",
                                "POSITIVE with 1 variant detected (rule needs >= 2)")],
        "case_variants": [subj(i, c, "non-canonical case/spaces") if f == "subjects.csv"
                          else samp(s, c, "non-canonical case/spaces")
                          for f, i, s, c, _ in case_cells],
        "withdrawn": [subj(i_wd, "status", "withdrew consent")],
        "lost_to_follow_up": [subj(i_ltfu, "status", "lost to follow-up")],
        "died": [subj(i_died, "status", "died after progression")],
    }
    return SynthCut(subjects=subjects, ctdna=ctdna, planted=planted, n=n, seed=seed, cut=cut)


def write_cut(cut_data: SynthCut, out_dir) -> list[Path]:
    """Write subjects.csv and ctdna.csv (UTF-8, no BOM, "\\n" line ends) into out_dir."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in (("subjects.csv", cut_data.subjects), ("ctdna.csv", cut_data.ctdna)):
        path = out_dir / name
        frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
        paths.append(path)
    return paths


def as_of(cut_data: SynthCut, date: str) -> SynthCut:
    """The same synthetic study as its exports stood at an earlier date.

    Successive cuts of one study (`as_of(generate(cut="2025-12-31"), "2025-06-30")`, then the full
    cut) differ as real cuts do: participants consented later are absent, draws after the date
    are absent, and an end of participation, progression or death dated after it had not
    happened yet (status on_study, last contact at the latest draw before the date). Planted
    imperfections that lie after the date disappear with the records that carry them.
    """
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date) or date > cut_data.cut:
        raise ValueError(f"as_of date {date!r} must be YYYY-MM-DD, not after the cut {cut_data.cut}")
    s = cut_data.subjects.copy()
    d = cut_data.ctdna.copy()
    # ISO dates compare as strings; "" (missing) sorts first, so "" <= date holds.
    s = s.loc[s["consent_date"] <= date].reset_index(drop=True)
    d = d.loc[d["subject_id"].isin(s["subject_id"]) & (d["collection_date"] <= date)].reset_index(drop=True)
    for col in ("progression_date", "death_date"):
        s[col] = s[col].where(s[col] <= date, "")
    ended_later = s["last_contact"] > date
    latest_draw = d.groupby("subject_id")["collection_date"].max()
    last_seen = s["subject_id"].map(latest_draw).fillna("")
    last_seen = last_seen.where(last_seen > s["consent_date"], s["consent_date"])
    progressed = s["progression_date"].where(s["progression_date"] > last_seen, last_seen)
    s.loc[ended_later, "last_contact"] = progressed[ended_later]
    s.loc[ended_later, "status"] = "on_study"
    subject_row = {sid: i + 2 for i, sid in enumerate(s["subject_id"])}
    sample_row = {sid: i + 2 for i, sid in enumerate(d["sample_id"])}

    def still_there(r: dict) -> dict | None:
        if r.get("sample_id"):
            row = sample_row.get(r["sample_id"]) if r.get("file") == "ctdna.csv" else subject_row.get(r["subject_id"])
            return None if r["sample_id"] not in sample_row or row is None else {**r, "row": row}
        row = subject_row.get(r["subject_id"])
        return None if row is None else {**r, "row": row}

    planted = {kind: [x for x in map(still_there, recs) if x] for kind, recs in cut_data.planted.items()}
    return SynthCut(subjects=s, ctdna=d, planted={k: v for k, v in planted.items() if v},
                    n=cut_data.n, seed=cut_data.seed, cut=date)
