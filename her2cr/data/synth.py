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
from types import SimpleNamespace

import numpy as np
import pandas as pd

from her2cr.data import contract as C
from her2cr.settings import DAYS_PER_MONTH
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
    """Generate a synthetic data cut of n consented participants as of cut-off `cut`.

    The steps draw from one random generator in a fixed order, and that order is part of the
    output (reordering them changes every file); each step says what it adds. A planted
    imperfection that changes follow-up is planted where the follow-up is drawn.
    """
    n, seed = int(n), int(seed)
    if n < MIN_N:
        raise ValueError(f"n must be at least {MIN_N} to carry the planted imperfections")
    cut_day, start_day = _day(cut), _day(STUDY_START)
    span = cut_day - ENROL_END_GAP - start_day
    if span < 60:
        raise ValueError(f"cut-off {cut} is too close to the study start {STUDY_START}")
    rng = np.random.default_rng(seed)

    p = _enrolment(rng, n, cut_day, start_day, span)
    _characteristics(rng, p)
    _treatment_history(rng, p)
    _disease_course_and_visits(rng, p)
    roles = _Roles(rng.permutation(n), n, p.last)
    _follow_up_and_events(rng, p, roles)
    d = _plasma_draws(rng, p, roles)
    _last_contact_and_progression(p, d)
    subjects, ctdna_cols = _raw_exports(p, d)
    case_cells = _plant_case_variants(rng, p, d, roles, subjects, ctdna_cols)
    ctdna = pd.DataFrame({k: v[d.out] for k, v in ctdna_cols.items()}, columns=list(CTDNA_COLUMNS))
    planted = _planted_data_issues(p, d, subjects, ctdna_cols, case_cells)
    return SynthCut(subjects=subjects, ctdna=ctdna, planted=planted, n=n, seed=seed, cut=cut)


def _enrolment(rng, n: int, cut_day: int, start_day: int, span: int) -> SimpleNamespace:
    """Participants (one array entry each, in consent order): cohort and consent date.

    The last participant consents after the cut-off (planted: not enrolled)."""
    p = SimpleNamespace(n=n, cut_day=cut_day, last=n - 1)
    p.stopped = np.zeros(n, dtype=bool)
    p.stopped[rng.permutation(n)[: n // 2]] = True
    p.consent = start_day + np.sort(rng.integers(0, span + 1, n))  # ids are given in consent order
    p.consent[p.last] = cut_day + rng.integers(1, 15)
    return p


def _characteristics(rng, p: SimpleNamespace) -> None:
    """Baseline characteristics: site, age, menopause, race, ethnicity, ECOG, disease, regimen."""
    n = p.n
    p.site = _choice(rng, ["NCU", "ACC", "JFCR"], [0.45, 0.35, 0.20], n)
    p.age = np.clip(np.rint(rng.normal(60, 9, n)), 38, 84).astype(np.int64)
    p.post = rng.random(n) < 1 / (1 + np.exp(-(p.age - 51) / 2.5))  # menopause around 50
    p.race = _choice(rng, ["Asian", "Unknown or Not Reported", ""], [0.97, 0.02, 0.01], n)
    p.ethnicity = _choice(rng, ["Not Hispanic or Latino", "Unknown or Not Reported", ""],
                          [0.97, 0.02, 0.01], n)
    p.ecog = _choice(rng, [0, 1, 2], [0.78, 0.20, 0.02], n)
    p.hr_pos = rng.random(n) < 0.5
    p.de_novo = rng.random(n) < 0.45
    p.visceral = rng.random(n) < 0.40
    p.brain = rng.random(n) < 0.07
    p.regimen = _choice(rng, REGIMENS, [0.13, 0.65, 0.10, 0.12], n)
    later_line = np.isin(p.regimen, ["T-DM1", "T-DXd"])  # ADCs are mostly given after first line
    u = rng.random(n)
    p.prior_lines = np.where(later_line, 1 + (u > 0.6) + (u > 0.88),
                             (u > 0.75).astype(int) + (u > 0.93) + (u > 0.98))
    p.cr = rng.random(n) < 0.55


def _treatment_history(rng, p: SimpleNamespace) -> None:
    """Anti-HER2 start, response and stop dates: eligibility criteria E3 and E4 hold by construction."""
    n, consent = p.n, p.consent
    ttr = 45 + np.rint(rng.gamma(2.0, 60.0, n)).astype(np.int64)  # start to first CR/PR
    lasted = 760 + np.rint(rng.exponential(np.where(p.stopped, 1000.0, 700.0))).astype(np.int64)
    lasted = np.minimum(lasted, 10 * 365)  # pertuzumab since 2013 in Japan
    # T-DXd responses too long for its launch are redrawn uniformly over the feasible range
    t_dxd_room = np.maximum(760, consent - _day(T_DXD_EARLIEST) - ttr)
    redraw = 760 + np.floor(rng.random(n) * (t_dxd_room - 760 + 1)).astype(np.int64)
    lasted = np.where((p.regimen == "T-DXd") & (lasted > t_dxd_room), redraw, lasted)
    p.response = consent - lasted
    p.rx_start = p.response - ttr
    lo = p.rx_start + 730  # E4: at least two years on therapy before stopping
    p.rx_stop = lo + np.floor(rng.beta(2, 2, n) * (consent - lo + 1)).astype(np.int64)


def _disease_course_and_visits(rng, p: SimpleNamespace) -> None:
    """The latent disease and ctDNA course (days from consent) and the planned draw visits."""
    n = p.n
    base_pos = rng.random(n) < np.where(p.stopped, 0.20, 0.10)
    p.t_conv = np.where(base_pos, 0.0, rng.exponential(365.25 / 0.06, n))
    p.t_prog = np.minimum(p.t_conv + rng.exponential(300.0, n), rng.exponential(365.25 / 0.02, n))
    p.t_death = p.t_prog + rng.exponential(365.25 / 0.25, n)
    p.t_wd = rng.exponential(365.25 / 0.02, n)
    p.t_ltfu = rng.exponential(365.25 / 0.01, n)
    p.mu = rng.normal(np.log(0.5), 1.3, n)    # log MTM/mL at conversion: median 0.5, wide
    p.growth = rng.normal(0.8, 0.5, n)        # log MTM/mL per year after conversion
    p.panel = np.where(rng.random(n) < 0.92, 16, rng.integers(12, 16, n))
    p.contact_lag = rng.integers(0, 31, n)    # last clinic contact before the cut (on study)

    n_vis = FOLLOW_UP_MONTHS // VISIT_INTERVAL + 1
    vis_month = np.arange(n_vis) * VISIT_INTERVAL
    p.tv = np.rint(vis_month * DAYS_PER_MONTH).astype(np.int64) + rng.integers(-7, 8, (n, n_vis))
    p.tv[:, 0] = np.where(rng.random(n) < 0.5, 0, rng.integers(1, 22, n))
    p.missed = rng.random((n, n_vis)) < 0.04
    p.missed[:, 0] = False
    p.vis_date = p.consent[:, None] + p.tv

    p.can_complete = p.vis_date[:, -1] <= p.cut_day
    p.admin_end = np.where(p.can_complete, p.vis_date[:, -1], p.cut_day)
    p.fu = p.admin_end - p.consent
    p.enrolled = np.arange(n) != p.last


def _follow_up_and_events(rng, p: SimpleNamespace, roles: _Roles) -> None:
    """Status at the cut-off and end of follow-up, with the planted roles that change them
    (ineligible, withdrawn, lost to follow-up, died, a draw after the cut-off)."""
    _plant_follow_up_roles(rng, p, roles)
    n, last, cut_day = p.n, p.last, p.cut_day
    t_ends = np.stack([p.t_death, p.t_wd, p.t_ltfu])
    kind = np.argmin(t_ends, axis=0)
    t_term = np.ceil(t_ends.min(axis=0))
    terminal = p.consent + t_term < p.admin_end
    p.status = np.where(terminal, _TERMINAL[kind], np.where(p.can_complete, "completed", "on_study"))
    p.end = np.where(terminal, p.consent + np.where(terminal, t_term, 0), p.admin_end).astype(np.int64)
    p.status[last], p.end[last] = "on_study", p.vis_date[last, 0]
    p.draw_end = p.end - terminal  # draws strictly before a death, withdrawal or loss
    p.inc = (p.vis_date <= p.draw_end[:, None]) & ~p.missed

    # a sample collected after the cut-off: the next scheduled draw of an on-study participant
    on_study = (p.status == "on_study") & p.enrolled
    after = p.vis_date > cut_day
    next_k = np.argmax(after, axis=1)
    next_date = p.vis_date[np.arange(n), next_k]
    cand = on_study & after.any(axis=1) & ~roles.taken
    if not cand.any():
        raise ValueError("cannot plant 'sample_after_cut': no participant on study at the cut-off")
    p.i_late = int(np.flatnonzero(cand)[np.argmin(next_date[cand])])  # the soonest after the cut
    roles.taken[p.i_late] = True
    p.inc[p.i_late, next_k[p.i_late]] = True
    p.end[p.i_late] = next_date[p.i_late]


def _plant_follow_up_roles(rng, p: SimpleNamespace, roles: _Roles) -> None:
    """One ineligible participant (fails E3 only), one withdrawn, one lost, one died."""
    enrolled, stopped, consent, fu = p.enrolled, p.stopped, p.consent, p.fu
    t_wd, t_ltfu, t_death, t_prog = p.t_wd, p.t_ltfu, p.t_death, p.t_prog
    p.i_inel = i_inel = roles.pick("ineligible", enrolled & ~stopped)
    p.lasted_i = int(rng.integers(540, 700))  # response < 2 years at consent: fails E3 only
    p.response[i_inel] = consent[i_inel] - p.lasted_i
    # still two years on therapy (E4): the response came late, 2-13 months after the start
    p.rx_start[i_inel] = min(p.response[i_inel] - 60, consent[i_inel] - 730 - int(rng.integers(20, 200)))
    p.i_wd = i_wd = roles.pick("withdrawn", enrolled & (fu >= 120), enrolled & (fu >= 45))
    t_wd[i_wd] = np.floor(rng.uniform(0.25, 0.75) * fu[i_wd])
    t_death[i_wd] = t_ltfu[i_wd] = np.inf
    p.i_ltfu = i_ltfu = roles.pick("lost_to_follow_up", enrolled & (fu >= 120), enrolled & (fu >= 45))
    t_ltfu[i_ltfu] = np.floor(rng.uniform(0.4, 0.9) * fu[i_ltfu])
    t_death[i_ltfu] = t_wd[i_ltfu] = np.inf
    p.i_died = i_died = roles.pick("died", enrolled & (fu >= 150) & (p.t_conv < fu / 2),
                                   enrolled & (fu >= 150), enrolled & (fu >= 45))
    t_prog[i_died] = min(t_prog[i_died], rng.uniform(0.2, 0.5) * fu[i_died])
    t_death[i_died] = t_prog[i_died] + rng.uniform(0.3, 0.9) * (fu[i_died] - t_prog[i_died])
    t_wd[i_died] = t_ltfu[i_died] = np.inf
    t_prog[p.last] = t_death[p.last] = t_wd[p.last] = t_ltfu[p.last] = np.inf


def _plasma_draws(rng, p: SimpleNamespace, roles: _Roles) -> SimpleNamespace:
    """Samples (one entry per draw): one per attended visit plus repeats after QNS, with the
    laboratory result, MTM/mL and variants detected; plants a QNS baseline that is repeated, a
    failed baseline, and one laboratory call that disagrees with its variant count."""
    n, consent, enrolled, tv, draw_end = p.n, p.consent, p.enrolled, p.tv, p.draw_end
    si, sk = np.nonzero(p.inc)
    m = si.size
    s_date = p.vis_date[si, sk]
    latent = tv[si, sk] >= p.t_conv[si]
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
    rep &= (rep_date <= draw_end[si]) & ((sk > 0) | (rep_date - consent[si] <= C.BASELINE_WINDOW_DAYS))
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
    log_mtm = (p.mu[si] + p.growth[si] * np.maximum(t - p.t_conv[si], 0) / 365.25
               + rng.normal(0, 0.4, m))
    cents = np.clip(np.rint(np.exp(log_mtm) * 100), 1, 500_000).astype(np.int64)
    p_var = cents / (cents + 300.0)  # more tumour molecules, more of the panel detected
    n_var_pos = 2 + rng.binomial(p.panel[si] - 2, p_var)
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
    return SimpleNamespace(si=si, sk=sk, m=m, s_date=s_date, s_rep=s_rep, result=result,
                           evaluable=evaluable, cents=cents, n_var=n_var, b_qns=b_qns,
                           b_rep=b_rep, b_fail=b_fail, s_query=s_query)


def _last_contact_and_progression(p: SimpleNamespace, d: SimpleNamespace) -> None:
    """Last contact (on study: shortly before the cut, never before the latest draw) and the
    progressions known by then."""
    n, consent, status, end = p.n, p.consent, p.status, p.end
    last_draw = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(last_draw, d.si, d.s_date)
    last_contact = end.copy()
    lc_on = np.maximum(np.maximum(p.cut_day - p.contact_lag, last_draw), consent)
    last_contact = np.where(status == "on_study", lc_on, last_contact)
    last_contact = np.where(status == "lost_to_follow_up", np.maximum(last_draw, consent),
                            last_contact)
    last_contact[[p.last, p.i_late]] = end[[p.last, p.i_late]]
    p.last_contact = last_contact
    t_prog = p.t_prog
    p.prog_day = consent + np.where(np.isfinite(t_prog), np.ceil(t_prog), 0).astype(np.int64)
    # a progression is known if reported by the last contact; none is dated after the cut-off
    p.has_prog = np.isfinite(t_prog) & (p.prog_day <= last_contact) & (p.prog_day <= p.cut_day)
    p.died = status == "died"


def _raw_exports(p: SimpleNamespace, d: SimpleNamespace) -> tuple[pd.DataFrame, dict]:
    """The cells of subjects.csv (a DataFrame) and of ctdna.csv (columns in lab accession order,
    before the export sort); sets subject_id, sample_id and the export order on p and d."""
    n, m, si, sk, status = p.n, d.m, d.si, d.sk, p.status
    width = max(3, len(str(n)))
    p.subject_id = subject_id = np.strings.add("HCR-", np.strings.zfill(np.arange(1, n + 1).astype(str), width))
    comment = np.where(status == "withdrawn", "consent withdrawn",
                       np.where(status == "lost_to_follow_up", "no contact after last visit", ""))
    subjects = pd.DataFrame({
        "subject_id": subject_id.astype(object),
        "site": p.site.astype(object),
        "cohort": np.where(p.stopped, "stopped", "continuing").astype(object),
        "consent_date": _fmt_dates(p.consent),
        "age": p.age.astype(str).astype(object),
        "sex": np.full(n, "F", dtype=object),
        "race": p.race.astype(object),
        "ethnicity": p.ethnicity.astype(object),
        "menopausal_status": np.where(p.post, "post", "pre").astype(object),
        "ecog": p.ecog.astype(str).astype(object),
        "hr_status": np.where(p.hr_pos, "positive", "negative").astype(object),
        "presentation": np.where(p.de_novo, "de_novo", "recurrent").astype(object),
        "visceral_mets": _yes_no(p.visceral).astype(object),
        "brain_mets": _yes_no(p.brain).astype(object),
        "prior_lines": p.prior_lines.astype(str).astype(object),
        "anti_her2": p.regimen.astype(object),
        "best_response": np.where(p.cr, "CR", "PR").astype(object),
        "anti_her2_start": _fmt_dates(p.rx_start),
        "response_date": _fmt_dates(p.response),
        "anti_her2_stop": _fmt_dates(p.rx_stop, p.stopped),
        "status": status.astype(object),
        "last_contact": _fmt_dates(p.last_contact),
        "progression_date": _fmt_dates(p.prog_day, p.has_prog),
        "death_date": _fmt_dates(p.end, p.died),
        "comment": comment.astype(object),
    }, columns=list(SUBJECT_COLUMNS))

    # sample ids are lab accession numbers, in order of collection
    accession = np.empty(m, dtype=np.int64)
    accession[np.lexsort((d.s_rep, sk, si, d.s_date))] = np.arange(1, m + 1)
    d.out = np.lexsort((accession, si))  # export sorted by participant, then accession
    d.out_row = np.empty(m, dtype=np.int64)
    d.out_row[d.out] = np.arange(2, m + 2)
    d.sample_id = np.strings.add(
        "SIG-", np.strings.zfill(accession.astype(str), max(6, len(str(m)))))
    visit = np.where(sk == 0, "baseline",
                     np.strings.add("month_", (sk * VISIT_INTERVAL).astype(str)))
    cents = d.cents
    mtm = np.strings.add(np.strings.add((cents // 100).astype(str), "."),
                         np.strings.zfill((cents % 100).astype(str), 2))
    ctdna_cols = {
        "subject_id": subject_id[si],
        "sample_id": d.sample_id,
        "visit": visit,
        "collection_date": _fmt_dates(d.s_date),
        "result": d.result,
        "mtm_per_ml": np.where(d.evaluable, mtm, ""),
        "variants_detected": np.where(d.evaluable, d.n_var.astype(str), ""),
        "panel_size": p.panel[si].astype(str),
    }
    return subjects, {k: np.asarray(v, dtype=object) for k, v in ctdna_cols.items()}


def _plant_case_variants(rng, p, d, roles: _Roles, subjects: pd.DataFrame, ctdna_cols: dict) -> list:
    """Categorical cells in other letter cases and with stray spaces, written into the exports;
    returns them as (file, participant, sample, column, value)."""
    free = p.enrolled & ~roles.taken
    i_coh = roles.pick("case_cohort", free & ~p.stopped)
    i_meno = roles.pick("case_menopausal", free & p.post, free)
    i_reg = roles.pick("case_regimen", free & (p.regimen == "T-DXd"), free)
    neg_free = np.flatnonzero((d.result == "NEGATIVE") & ~roles.taken[d.si])
    s_case = int(neg_free[int(rng.integers(neg_free.size))])
    case_cells = [
        ("subjects.csv", i_coh, -1, "cohort", " Continuing"),
        ("subjects.csv", i_meno, -1, "menopausal_status",
         subjects.at[i_meno, "menopausal_status"].upper()),
        ("subjects.csv", i_reg, -1, "anti_her2", subjects.at[i_reg, "anti_her2"].lower() + " "),
        ("ctdna.csv", d.si[s_case], s_case, "result", "Negative"),
    ]
    for file, i, s, column, value in case_cells:
        if file == "subjects.csv":
            subjects.at[i, column] = value
        else:
            ctdna_cols[column][s] = value
    return case_cells


def _planted_data_issues(p, d, subjects: pd.DataFrame, ctdna_cols: dict, case_cells: list) -> dict:
    """The record of what was planted: kind -> records (file, row, ids, column, value, note)."""
    subject_id, si, sample_id, out_row = p.subject_id, d.si, d.sample_id, d.out_row

    def subj(i, column, note):
        return {"file": "subjects.csv", "row": int(i) + 2, "subject_id": str(subject_id[i]),
                "sample_id": "", "column": column, "value": str(subjects.at[i, column]),
                "note": note}

    def samp(s, column, note):
        return {"file": "ctdna.csv", "row": int(out_row[s]), "subject_id": str(subject_id[si[s]]),
                "sample_id": str(sample_id[s]), "column": column,
                "value": str(ctdna_cols[column][s]), "note": note}

    return {
        "consent_after_cut": [subj(p.last, "consent_date", "consented after the cut-off: not enrolled")]
        + [samp(s, "collection_date", "sample of a participant consented after the cut-off")
           for s in np.flatnonzero(si == p.last)],
        "sample_after_cut": [samp(s, "collection_date", "collected after the cut-off")
                             for s in np.flatnonzero((si == p.i_late) & (d.s_date > p.cut_day))],
        "qns_repeat": [samp(d.b_qns, "result", "QNS at baseline, repeated at the same visit"),
                       samp(d.b_rep, "result", "evaluable repeat of the QNS baseline draw")],
        "failed_sample": [samp(d.b_fail, "result", "assay failure at baseline, not repeated")],
        "ineligible": [subj(p.i_inel, "response_date",
                            f"E3: response lasted {p.lasted_i} days (< 730) at consent")],
        "lab_call_query": [samp(d.s_query, "variants_detected",
                                "POSITIVE with 1 variant detected (rule needs >= 2)")],
        "case_variants": [subj(i, c, "non-canonical case/spaces") if f == "subjects.csv"
                          else samp(s, c, "non-canonical case/spaces")
                          for f, i, s, c, _ in case_cells],
        "withdrawn": [subj(p.i_wd, "status", "withdrew consent")],
        "lost_to_follow_up": [subj(p.i_ltfu, "status", "lost to follow-up")],
        "died": [subj(p.i_died, "status", "died after progression")],
    }


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
