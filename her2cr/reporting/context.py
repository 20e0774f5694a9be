"""Report text made from the results, so that no number in the report is typed by hand."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from her2cr import study
from her2cr.data.issues import counts_by_rule, read_issues
from her2cr.data.contract import BASELINE_WINDOW_DAYS
from her2cr.data.dictionary import DECISIONS
from her2cr.study import POSITIVITY_MIN_VARIANTS, SYNTHETIC_WARNING
from her2cr.formatting import estimate_text, p_text


# -- numbers as words ---------------------------------------------------------------------------

def pct(x: float, digits: int = 1) -> str:
    return "not estimable" if x is None or not math.isfinite(x) else f"{100 * x:.{digits}f}%"


def num(x: float, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "not estimable"
    if math.isinf(x):
        return "infinity" if x > 0 else "minus infinity"
    return f"{x:.{digits}f}"


def pvalue(p: float) -> str:
    from her2cr.formatting import p_phrase

    return p_phrase(p)


def ci(lo: float, hi: float, fmt=num, level: float = 0.95) -> str:
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (lo, hi)):
        return f"{round(100 * level)}% CI not estimable"
    return f"{round(100 * level)}% CI {fmt(lo)} to {fmt(hi)}"


def pp(x: float) -> str:
    """A difference of proportions in percentage points."""
    return "not estimable" if x is None or not math.isfinite(x) else f"{100 * x:.1f}"


# -- estimates ----------------------------------------------------------------------------------

def estimate(estimates: pd.DataFrame, analysis: str, parameter: str, group: str) -> pd.Series | None:
    rows = estimates.loc[(estimates["analysis"] == analysis) & (estimates["parameter"] == parameter)
                         & (estimates["group"] == group)]
    return None if rows.empty else rows.iloc[0]


def _f(row, col) -> float:
    v = row[col] if row is not None else float("nan")
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def summary_sentences(estimates: pd.DataFrame, flow: pd.DataFrame) -> list[str]:
    """The key results in plain sentences; every number comes from estimates.csv or flow.csv."""
    counts = {(r.cohort, r.step): int(r.count) for r in flow.itertuples(index=False)}
    out = [
        f"By the data cut-off, {counts[('overall', 'enrolled')]} participants had consented "
        f"({counts[('continuing', 'enrolled')]} continuing and {counts[('stopped', 'enrolled')]} "
        f"stopped anti-HER2 treatment); {counts[('overall', 'eligible')]} were eligible and "
        f"{counts[('overall', 'primary_set')]} had an evaluable baseline ctDNA result (primary analysis set)."
    ]
    words = {"continuing": "continuing anti-HER2 treatment", "stopped": "who had stopped it"}
    parts, empty = [], []
    for cohort in ("continuing", "stopped"):
        r = estimate(estimates, "primary", "proportion", cohort)
        if r is None or not (_f(r, "N") > 0):
            empty.append(cohort)
            continue
        parts.append(f"{int(_f(r, 'n'))} of {int(_f(r, 'N'))} participants {words[cohort]} "
                     f"({pct(_f(r, 'estimate'))}, {ci(_f(r, 'ci_lower'), _f(r, 'ci_upper'), pct)})")
    if parts:
        out.append("Baseline ctDNA was positive in " + " and in ".join(parts) + ".")
    for cohort in empty:
        out.append(f"No participant in the {cohort} cohort had an evaluable baseline ctDNA result.")
    rd = estimate(estimates, "primary", "risk_difference", "stopped vs continuing")
    orow = estimate(estimates, "primary", "odds_ratio", "stopped vs continuing")
    if rd is not None and math.isfinite(_f(rd, "estimate")):
        s = (f"The difference in positivity, stopped minus continuing, was {pp(_f(rd, 'estimate'))} "
             f"percentage points ({ci(_f(rd, 'ci_lower'), _f(rd, 'ci_upper'), pp)}, Newcombe hybrid score; "
             f"Fisher's exact test {pvalue(_f(rd, 'p_value'))})")
        if orow is not None and not math.isnan(_f(orow, "estimate")):
            s += (f"; the conditional maximum-likelihood odds ratio was {num(_f(orow, 'estimate'))} "
                  f"({ci(_f(orow, 'ci_lower'), _f(orow, 'ci_upper'))}, exact)")
        out.append(s + ".")
    else:
        out.append("The cohorts cannot be compared at this cut-off: each needs at least one participant "
                   "with an evaluable baseline result.")
    wc = estimate(estimates, "sensitivity_worst_case", "risk_difference", "stopped vs continuing")
    bc = estimate(estimates, "sensitivity_best_case", "risk_difference", "stopped vs continuing")
    if wc is not None and bc is not None and all(math.isfinite(_f(x, "estimate")) for x in (wc, bc)):
        out.append(
            f"Counting eligible participants without an evaluable baseline result as positive, then as "
            f"negative, the difference was {pp(_f(wc, 'estimate'))} and {pp(_f(bc, 'estimate'))} "
            f"percentage points.")
    out.append("These analyses are descriptive: the cohorts were not randomised, and the study was not "
               "powered for a formal comparison.")
    return out


# -- methods ------------------------------------------------------------------------------------

METHOD_WORDS = {
    "clopper": "exact Clopper-Pearson 95% confidence intervals for each cohort's proportion",
    "newcombe": "the difference in proportions (stopped minus continuing) with the Newcombe hybrid "
                "score interval (Newcombe 1998, method 10)",
    "fisher": "Fisher's exact test, two-sided",
    "conditional": "the conditional maximum-likelihood odds ratio with its exact conditional interval",
    "miettinen": "the Miettinen-Nurminen score interval for the difference (sensitivity)",
    "boschloo": "Boschloo's exact unconditional test (sensitivity)",
    "firth": "Firth penalised logistic regression (exploratory)",
    "kaplan": "Kaplan-Meier estimates with the log-rank test (exploratory)",
    "log-rank": "Kaplan-Meier estimates with the log-rank test (exploratory)",
}


def methods_used(estimates: pd.DataFrame) -> list[str]:
    """Statistical methods named in estimates.csv, in words, in the order they first appear."""
    seen: list[str] = []
    for m in estimates["method"].dropna().astype(str):
        low = m.lower()
        for key, words in METHOD_WORDS.items():
            if key in low and words not in seen:
                seen.append(words)
    return seen


def methods_markdown(estimates: pd.DataFrame, packages: dict[str, str]) -> str:
    lines = [
        "**Design.** Prospective observational cohort study in women with HER2-positive metastatic "
        "breast cancer whose complete or partial response to anti-HER2 therapy has lasted more than "
        "two years; two cohorts: continuing anti-HER2 treatment, and stopped (follow-up only).",
        "",
        "**Analysis sets.** *Enrolled*: consent on or before the data cut-off (baseline "
        "characteristics, participant flow). *Eligible*: enrolled and eligibility criteria E1-E5 hold "
        "(E1 age >= 20 years; E2 female; E3 response lasted at least 2 years at consent; E4 at least "
        "2 years of anti-HER2 therapy; E5 a stop date for the stopped cohort and none for the "
        "continuing one). *Primary analysis set*: eligible with an evaluable baseline ctDNA result.",
        "",
        "**Assay.** Signatera (Natera), a personalised tumour-informed assay tracking about 16 "
        f"patient-specific variants; a sample is ctDNA-positive when at least {POSITIVITY_MIN_VARIANTS} are detected, and the "
        "laboratory's call is used. The level is reported as mean tumour molecules per mL of plasma "
        "(MTM/mL). QNS (quantity not sufficient) and FAILED samples are not evaluable; the first "
        "evaluable sample of a visit is analysed. The baseline result is the first evaluable draw "
        f"within {BASELINE_WINDOW_DAYS} days after consent.",
        "",
        "**Statistical methods used in this run.**",
        "",
    ]
    lines += [f"- {m[0].upper() + m[1:]}." for m in methods_used(estimates)]
    lines += ["", "**Choices where the study specification is silent.**", ""]
    lines += [f"- {d}" for d in DECISIONS]
    lines += ["", "**Software.** " + ", ".join(f"{k} {v}" for k, v in packages.items()) + "."]
    return "\n".join(lines)


# -- title block and provenance -----------------------------------------------------------------

def title_block(cut_info: dict, version: str, git: dict, rendered: datetime | None = None) -> pd.DataFrame:
    rendered = rendered or datetime.now(timezone.utc)
    code = git.get("commit", "unknown")[:12] + (" (modified)" if git.get("dirty") else "")
    rows = [
        ("Study", study.BRIEF_TITLE),
        ("Registry", f"{study.NCT_ID} (ClinicalTrials.gov); {study.ORG_STUDY_ID}, {study.SECONDARY_ID}"),
        ("Sponsor", study.SPONSOR),
        ("Data cut-off", cut_info["cut"]),
        ("Data", "SYNTHETIC (not study data)" if cut_info.get("synthetic") else "Study data exports"),
        ("Report version", version),
        ("Code version", f"her2cr git {code}"),
        ("Rendered", rendered.strftime("%Y-%m-%d %H:%M UTC")),
    ]
    return pd.DataFrame(rows, columns=["Item", "Value"])


def provenance_table(out_dir: Path | str, cut_info: dict, packages: dict[str, str], lock_sha: str,
                     params: dict, intake: dict | None = None) -> pd.DataFrame:
    """intake: the record of `her2cr intake` (intake/intake.json) when the cut came through it."""
    rows = [(f"Input {name} (SHA-256)", sha) for name, sha in cut_info["inputs"].items()]
    if intake:
        rows.append(("Raw cut written by", f"her2cr intake from the export folder {intake['export']}"))
        rows += [(f"Export file {s['file']} ({s['role']}; SHA-256)", s["sha256"]) for s in intake["sources"]]
        rows.append((f"Mapping file {Path(intake['mapping']['file']).name} (SHA-256)", intake["mapping"]["sha256"]))
    rows.append(("requirements.lock (SHA-256)", lock_sha))
    rows += [(f"Parameter {k}", str(v)) for k, v in params.items()]
    rows += [(f"Package {k}", v) for k, v in packages.items()]
    return pd.DataFrame(rows, columns=["Item", "Value"])


# -- the report's inputs ------------------------------------------------------------------------

def baseline_display(tables: Path):
    """Table 1 as notebook 02 wrote it: its great_tables HTML, and a PDF table from its Markdown."""
    from her2cr.baseline.display import read_markdown
    from her2cr.reporting.display import Table
    from her2cr.reporting.typst_table import TableLayout

    frame, bold, notes = read_markdown((tables / "baseline.md").read_text(encoding="utf-8"))
    return Table(frame, notes, html_override=(tables / "baseline.html").read_text(encoding="utf-8"),
                 layout=TableLayout(bold_rows=bold))


def synthetic_banner():
    from her2cr.reporting.display import Text

    return Text(f"**{SYNTHETIC_WARNING}**",
                f'<div style="background:#b00020;color:#fff;font-weight:700;padding:0.6em 1em;'
                f'text-align:center;font-size:1.1em">{SYNTHETIC_WARNING.replace("`", "")}</div>')


def ci_level_label(estimates: pd.DataFrame) -> str:
    """ "95% CI" from the estimates' own ci_level ("CI" if they use several levels or none)."""
    levels = estimates["ci_level"].dropna().unique() if "ci_level" in estimates else []
    return f"{100 * float(levels[0]):g}% CI" if len(levels) == 1 else "CI"


def estimates_display(estimates: pd.DataFrame) -> pd.DataFrame:
    """estimates.csv rounded for reading, with names a reviewer reads, ordered primary, sensitivity,
    subgroup, exploratory (Analysis is meant as the grouping column: `Table(..., group_by=...)`).
    Proportions and differences in %, others by formatting.plain_number."""
    from her2cr.ctdna.labels import analysis_rank, analysis_title, parameter_name

    rows = []
    for r in estimates.itertuples(index=False):
        nN = "" if pd.isna(r.N) else (f"{int(r.n)}/{int(r.N)}" if not pd.isna(r.n) else f"N = {int(r.N)}")
        est = estimate_text(r.parameter, r.estimate, missing="NE")
        lo, hi = float(r.ci_lower), float(r.ci_upper)
        ci_txt = "" if math.isnan(lo) and math.isnan(hi) else (
            f"{estimate_text(r.parameter, lo, 'NE')} to {estimate_text(r.parameter, hi, 'NE')}")
        p = p_text(r.p_value)
        rows.append((analysis_rank(r.analysis), analysis_title(r.analysis), parameter_name(r.parameter),
                     r.group, nN, est, ci_txt, p, r.method))
    frame = pd.DataFrame(rows, columns=["rank", "Analysis", "Parameter", "Group", "n/N", "Estimate",
                                        ci_level_label(estimates), "p-value", "Method"])
    # stable: within a rank, analyses keep the order of estimates.csv
    return frame.sort_values("rank", kind="stable").drop(columns="rank").reset_index(drop=True)


class ReportContext:
    """Everything the report shows, loaded from one cut's outputs."""


def load_report_inputs(out: Path, *, version: str, previous_dir: str = "", failed_steps: dict | None = None):
    from her2cr.ctgov import build_results
    from her2cr.ctgov.cut_facts import read_cut_facts
    from her2cr.ctgov.display import baseline_ctgov_table, flow_table
    from her2cr.data.cutinfo import read_cut_info
    from her2cr.provenance import git_state, lock_hash, package_versions
    from her2cr.ctgov.posting import load_posting_inputs

    out = Path(out)
    ctx = ReportContext()
    ctx.out = out
    ctx.cut_info = read_cut_info(out)
    ctx.synthetic = bool(ctx.cut_info.get("synthetic"))
    ctx.version = version
    ctx.failed_steps = failed_steps or {}
    ctx.flow, ctx.baseline_tidy, ctx.estimates = load_posting_inputs(out)
    issues = read_issues(out)
    ctx.facts = read_cut_facts(out, ctx.cut_info, issues)
    ctx.study_config = ctx.facts["config"]
    ctx.results = build_results(ctx.flow, ctx.baseline_tidy, ctx.estimates, **ctx.facts)
    ctx.packages = package_versions()
    ctx.title_block = title_block(ctx.cut_info, version, git_state())
    ctx.summary = summary_sentences(ctx.estimates, ctx.flow)
    if ctx.synthetic:
        ctx.summary.insert(0, f"**{SYNTHETIC_WARNING}**")
    ctx.methods = methods_markdown(ctx.estimates, ctx.packages)
    ctx.flow_table = flow_table(ctx.results.participant_flow)
    ctx.flow_notes = [n for n in (ctx.results.participant_flow.recruitment_details,
                                  ctx.results.participant_flow.pre_assignment_details) if n]
    adsl = pd.read_parquet(out / "data" / "adsl.parquet",
                           columns=["subject_id", "cohort", "eligible", "ineligible_reasons"])
    inel = adsl.loc[~adsl["eligible"], ["subject_id", "cohort", "ineligible_reasons"]]
    ctx.ineligible = inel.rename(columns={"subject_id": "Participant", "cohort": "Cohort",
                                          "ineligible_reasons": "Criteria not met"}).reset_index(drop=True)
    if ctx.ineligible.empty:
        ctx.ineligible = pd.DataFrame([("none", "", "every enrolled participant is eligible")],
                                      columns=ctx.ineligible.columns)
    tables = out / "tables"
    ctx.baseline_display = baseline_display(tables)
    ctx.baseline_ctgov = baseline_ctgov_table(ctx.results.baseline)
    ctx.estimates_display = estimates_display(ctx.estimates)
    ctx.estimates_notes = [
        "Proportions and differences in percent (differences: stopped minus continuing, in percentage "
        "points); odds ratios stopped vs continuing; NE = not estimable; inf = unbounded limit.",
        f"CI: {ci_level_label(ctx.estimates).replace('CI', 'confidence interval').strip()}; the method "
        "column names the interval and the test.",
    ]
    ctx.issue_counts = counts_by_rule(issues)
    ctx.issues = issues.rename(columns=str.capitalize)
    if ctx.issues.empty:
        ctx.issues = pd.DataFrame([["no data issues were found"] + [""] * 7], columns=ctx.issues.columns)
    ctx.intake, ctx.intake_issues = intake_record(out)
    ctx.changes, ctx.diff = changes_since(out, previous_dir, version)
    ctx.provenance = provenance_table(out, ctx.cut_info, ctx.packages, lock_hash(),
                                      {"cut": ctx.cut_info["cut"], "version": version,
                                       "compared with": previous_dir or "none",
                                       "report executed": ctx.title_block.iloc[-1]["Value"]},
                                      intake=ctx.intake)
    return ctx


def intake_record(out: Path) -> tuple[dict | None, pd.DataFrame | None]:
    """The intake's record and warnings (copied into <out>/intake/ by notebook 01), or (None, None)
    when the cut was given as the contract's CSV files."""
    import json

    folder = Path(out) / "intake"
    if not (folder / "intake.json").is_file():
        return None, None
    record = json.loads((folder / "intake.json").read_text(encoding="utf-8"))
    issues = pd.read_csv(folder / "intake_issues.csv", dtype=str, keep_default_na=False)
    # three columns, the rule leading its message: the file and field names are long, and a
    # narrow PDF page must still show every message in full
    shown = pd.DataFrame({
        "Where": (issues["file"] + issues["row"].map(lambda r: f", row {r}" if r else "")
                  + issues["field"].map(lambda f: f", {f}" if f else "")),
        "Record": issues["record"],
        "Warning": issues["rule"] + ": " + issues["message"]})
    if shown.empty:
        shown = pd.DataFrame([["", "", "the intake found no warnings"]], columns=shown.columns)
    return record, shown


def changes_since(out: Path, previous_dir: str, version: str):
    """Markdown of what changed since the previous cut or version, and the diff object."""
    if not previous_dir:
        return "This is the first report of this study in this output folder: nothing to compare with.", None
    from her2cr.reporting.cutdiff import compare_cuts, load_cut_outputs
    from her2cr.reporting.cutdiff_render import to_markdown

    diff = compare_cuts(load_cut_outputs(Path(previous_dir)), load_cut_outputs(out, version=version))
    return to_markdown(diff), diff


def save_report_outputs(ctx) -> list[Path]:
    """Files the report step adds to the cut's folder: the flow diagram and the change report."""
    from her2cr.reporting.consort import save_consort
    from her2cr.reporting.cutdiff_render import write_diff

    written = save_consort(ctx.flow, ctx.out / "figures", after_cutoff=ctx.facts["consented_after_cutoff"])
    if ctx.diff is not None:
        written += list(write_diff(ctx.diff, ctx.out))
    return written


def outcome_blocks(ctx):
    """Each outcome measure: header, data and statistical analyses, as display objects."""
    from her2cr.ctgov.display import analysis_table, measure_table, outcome_header
    from her2cr.reporting.display import Table, Text

    blocks = []
    for i, om in enumerate(ctx.results.outcome_measures, start=1):
        blocks.append(Text(f"## {om.measure_type} outcome: {om.title}"))
        blocks.append(Table(outcome_header(om), label=f"tbl-outcome-{i}",
                            caption=f"{om.measure_type} outcome measure: {om.title}"))
        blocks.append(Table(measure_table(om, om.groups), label=f"tbl-outcome-{i}-data",
                            caption=f"{om.title}: participants analysed and counts by cohort"))
        for j, a in enumerate(om.analyses, start=1):
            blocks.append(Table(analysis_table(a, om.groups), label=f"tbl-outcome-{i}-analysis-{j}",
                                caption=f"{om.title}: statistical analysis {j}, {a.param_type}"))
    return blocks


def posting_blocks(ctx):
    """The results-posting section: modules in the upload file, adverse events, more information
    and what is still to fill in, as display objects (texts from her2cr.ctgov.posting_summary)."""
    from her2cr.ctgov import posting_summary as P
    from her2cr.reporting.display import Table, Text

    r = ctx.results
    blocks = [Table(P.modules_table(r), label="tbl-posting-modules",
                    caption="ClinicalTrials.gov modules in the PRS upload file"),
              Text(P.PARTIAL_UPLOAD_NOTE)]
    if r.adverse_events is not None:
        blocks.append(Text("## Adverse events"))
        blocks.append(Table(P.adverse_events_table(r.adverse_events), label="tbl-posting-ae",
                            caption="All-cause mortality and adverse events by cohort",
                            notes=P.adverse_events_notes(r.adverse_events)))
    if r.more_info is not None:
        blocks.append(Text("## More information"))
        blocks.append(Text(P.limitations_markdown(r.more_info)))
        blocks.append(Table(P.more_info_table(r.more_info, ctx.study_config),
                            label="tbl-posting-more-info",
                            caption="Results point of contact and certain agreements"))
        blocks.append(Text(P.missing_markdown(r.more_info)))
    return blocks


# Figures of notebook 03, in the order the report shows them.
CTDNA_FIGURES = ("ctdna_positivity", "ctdna_forest", "ctdna_mtm", "ctdna_swimmer",
                 "ctdna_km_time_to_positive", "ctdna_km_pfs")


def ctdna_figures(out: Path):
    from her2cr.reporting.display import figure_from_files

    figs = Path(out) / "figures"
    names = [n for n in CTDNA_FIGURES if (figs / f"{n}.png").exists()]
    return [figure_from_files(figs, n) for n in names]


def additional_analyses(ctx):
    """Tables and figures of the co-investigators' sub-analyses (folder additional/<notebook>/)."""
    from her2cr.reporting.display import Table, Text, figure_from_files

    blocks = []
    root = ctx.out / "additional"
    subs = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    for name, error in sorted(ctx.failed_steps.items()):
        blocks.append(Text(f"**{name} failed in this run** and is not shown: {error.splitlines()[0] if error else ''}"))
    if not subs and not ctx.failed_steps:
        return [Text("No additional analyses in this run.")]
    for sub in subs:
        title = (sub / "title.txt").read_text(encoding="utf-8").strip() if (sub / "title.txt").exists() else sub.name
        blocks.append(Text(f"## {title}\n\nFrom `notebooks/{sub.name}.ipynb`."))
        for csv in sorted((sub / "tables").glob("*.csv")) if (sub / "tables").is_dir() else []:
            cap = csv.with_suffix(".txt")
            caption = cap.read_text(encoding="utf-8").strip() if cap.exists() else csv.stem
            blocks.append(Table(pd.read_csv(csv), label=f"tbl-{sub.name}-{csv.stem}".replace("_", "-"),
                                caption=caption))
        for png in sorted((sub / "figures").glob("*.png")) if (sub / "figures").is_dir() else []:
            blocks.append(figure_from_files(sub / "figures", png.stem, f"fig-{sub.name}-{png.stem}".replace("_", "-"),
                                            rel_dir=f"additional/{sub.name}/figures"))
    return blocks
