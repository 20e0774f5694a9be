"""Report text made from the results, so that no number in the report is typed by hand."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from her2cr import study
from her2cr.data.issues import counts_by_rule, read_issues
from her2cr.data.contract import BASELINE_WINDOW_DAYS, MIN_AGE, TWO_YEARS_DAYS
from her2cr.data.cutinfo import EXPORTED_KEY
from her2cr.data.dictionary import DECISIONS
from her2cr.settings import DAYS_PER_MONTH
from her2cr.study import POSITIVITY_MIN_VARIANTS, SYNTHETIC_WARNING
from her2cr.formatting import NE, PARAMETER_KINDS, is_missing, p_phrase, p_text
from her2cr.data.issues import ISSUES_FILE, SOURCE
from her2cr.trace import Num, Traced, quote, tjoin, traced_markdown


# -- numbers as words ---------------------------------------------------------------------------
# Every number comes from an output file through her2cr.formatting's one rule for its kind, and
# carries its source (her2cr.trace) for the HTML report.

ESTIMATES_FILE = "results/estimates.csv"
FLOW_FILE = "data/flow.csv"


def est_num(row, column: str, kind: str | None = None) -> Num:
    """A number of an estimates.csv row, traced to the file, the row key and the column."""
    kind = kind or ("count" if column in ("n", "N") else
                    "p" if column == "p_value" else PARAMETER_KINDS.get(row["parameter"], "measure"))
    value = row[column]
    if kind == "count" and not is_missing(value):
        value = int(value)
    return Num(value, kind, ESTIMATES_FILE,
               f"{row['analysis']} | {row['parameter']} | {row['group']} | {column}")


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


def _p_phrase(row) -> Traced:
    """"p = 0.725" with the p-value traced; "p not estimable" when there is none."""
    text = p_phrase(row["p_value"])
    if is_missing(row["p_value"]) or p_text(row["p_value"]).startswith("<"):
        # below the floor the sentence says "p < 0.001": the floor, a constant of the rule
        return Traced(text)
    return Traced(text[: text.index(p_text(row["p_value"]))], est_num(row, "p_value"))


def summary_sentences(estimates: pd.DataFrame, flow: pd.DataFrame) -> list[Traced]:
    """The key results in plain sentences; every number comes from estimates.csv or flow.csv and
    carries its source."""
    counts = {(r.cohort, r.step): int(r.count) for r in flow.itertuples(index=False)}

    def c(cohort, step):
        return Num(counts[(cohort, step)], "count", FLOW_FILE, f"{cohort} | {step} | count")

    out = [Traced(
        "By the data cut-off, ", c("overall", "enrolled"), " participants had consented (",
        c("continuing", "enrolled"), " continuing and ", c("stopped", "enrolled"),
        " stopped anti-HER2 treatment); ", c("overall", "eligible"), " were eligible and ",
        c("overall", "primary_set"), " had an evaluable baseline ctDNA result (primary analysis set).")]
    words = {"continuing": "continuing anti-HER2 treatment", "stopped": "who had stopped it"}
    parts, empty = [], []
    for cohort in ("continuing", "stopped"):
        r = estimate(estimates, "primary", "proportion", cohort)
        if r is None or not (_f(r, "N") > 0):
            empty.append(cohort)
            continue
        parts.append(Traced(est_num(r, "n"), " of ", est_num(r, "N"), f" participants {words[cohort]} (",
                            est_num(r, "estimate"), "%, ", _ci(r, "%"), ")"))
    if parts:
        out.append(Traced("Baseline ctDNA was positive in ", tjoin(" and in ", parts), "."))
    for cohort in empty:
        out.append(Traced(f"No participant in the {cohort} cohort had an evaluable baseline ctDNA result."))
    rd = estimate(estimates, "primary", "risk_difference", "stopped vs continuing")
    orow = estimate(estimates, "primary", "odds_ratio", "stopped vs continuing")
    if rd is not None and math.isfinite(_f(rd, "estimate")):
        s = Traced("The difference in positivity, stopped minus continuing, was ", est_num(rd, "estimate"),
                   " percentage points (", _ci(rd), ", Newcombe hybrid score; Fisher's exact test ",
                   _p_phrase(rd), ")")
        if orow is not None and not math.isnan(_f(orow, "estimate")):
            s = Traced(s, "; the conditional maximum-likelihood odds ratio was ", est_num(orow, "estimate"),
                       " (", _ci(orow), ", exact)")
        out.append(Traced(s, "."))
    else:
        out.append(Traced("The cohorts cannot be compared at this cut-off: each needs at least one "
                          "participant with an evaluable baseline result."))
    wc = estimate(estimates, "sensitivity_worst_case", "risk_difference", "stopped vs continuing")
    bc = estimate(estimates, "sensitivity_best_case", "risk_difference", "stopped vs continuing")
    if wc is not None and bc is not None and all(math.isfinite(_f(x, "estimate")) for x in (wc, bc)):
        out.append(Traced(
            "Counting eligible participants without an evaluable baseline result as positive, then as "
            "negative, the difference was ", est_num(wc, "estimate"), " and ", est_num(bc, "estimate"),
            " percentage points."))
    out.append(Traced("These analyses are descriptive: the cohorts were not randomised, and the study "
                      "was not powered for a formal comparison."))
    return out


def _ci(row, unit: str = "") -> Traced:
    """"95% CI 5.2% to 40.3%" for an estimates.csv row, limits traced; "95% CI not estimable"."""
    level = _f(row, "ci_level")
    label = f"{100 * level:g}% CI" if not math.isnan(level) else "CI"
    if is_missing(row["ci_lower"]) or is_missing(row["ci_upper"]):
        return Traced(f"{label} not estimable")
    return Traced(f"{label} ", est_num(row, "ci_lower"), unit, " to ", est_num(row, "ci_upper"), unit)


def summary_markdown(ctx) -> str:
    """The summary as Markdown; each number a span with its source (only the HTML shows it)."""
    return "\n\n".join(traced_markdown(s) for s in ctx.summary)


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


def methods_markdown(estimates: pd.DataFrame) -> str:
    lines = [
        "**Design.** Prospective observational cohort study in women with HER2-positive metastatic "
        "breast cancer whose complete or partial response to anti-HER2 therapy has lasted more than "
        "two years (operationally: criterion E3 below); two cohorts: continuing anti-HER2 treatment, "
        "and stopped (follow-up only).",
        "",
        "**Analysis sets.** *Enrolled*: consent on or before the data cut-off (baseline "
        "characteristics, participant flow). *Eligible*: enrolled and eligibility criteria E1–E5 hold "
        f"(E1 age \u2265 {MIN_AGE} years; E2 female; E3 the response had lasted {TWO_YEARS_DAYS} days "
        f"(2 years) or more at consent: date of response + {TWO_YEARS_DAYS} days \u2264 date of "
        f"consent; E4 \u2265 {TWO_YEARS_DAYS} days of anti-HER2 "
        "therapy, from its start to its stop (stopped cohort) or to consent (continuing cohort); E5 a "
        "stop date for the stopped cohort and none for the continuing one). *Primary analysis set*: "
        "eligible with an evaluable baseline ctDNA result.",
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
    # the software is listed once, with its versions, in the provenance appendix
    lines += ["", "**Software.** Python and the packages that Appendix C lists with their versions."]
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
        if EXPORTED_KEY in intake:  # intake.json written before the intake recorded it: not shown
            rows.append(("EDC records exported on", intake[EXPORTED_KEY]
                         or "not known (the records file does not carry REDCap's date in its name)"))
        rows += [(f"Export file {s['file']} ({s['role']}; SHA-256)", s["sha256"]) for s in intake["sources"]]
        rows.append((f"Mapping file {Path(intake['mapping']['file']).name} (SHA-256)", intake["mapping"]["sha256"]))
    rows.append(("requirements.lock (SHA-256)", lock_sha))
    from her2cr.qc.report import PROVENANCE_ITEM, PROVENANCE_TOKEN

    rows.append((PROVENANCE_ITEM, PROVENANCE_TOKEN))  # filled in by the run once QC has finished
    rows += [(f"Parameter {k}", str(v)) for k, v in params.items()]
    rows += [(f"Package {k}", v) for k, v in packages.items()]
    return pd.DataFrame(rows, columns=["Item", "Value"])


# -- the report's inputs ------------------------------------------------------------------------

def baseline_display(tables: Path):
    """Table 1 from the tidy table notebook 02 wrote (tables/baseline_tidy.csv), laid out by the
    same code as notebook 02's (baseline.display), so that each number carries its row of the tidy
    table in the HTML; the notes are those notebook 02 wrote (baseline.md)."""
    from her2cr.baseline.characteristics import BASELINE_ROWS
    from her2cr.baseline.display import display_frame, read_markdown
    from her2cr.baseline.table1 import BaselineTable
    from her2cr.reporting.display import Table
    from her2cr.reporting.typst_table import TableLayout
    from her2cr.study import COHORTS

    md_frame, bold, notes = read_markdown((tables / "baseline.md").read_text(encoding="utf-8"))
    tidy = pd.read_csv(tables / "baseline_tidy.csv", keep_default_na=True, float_precision="round_trip")
    for col in ("applicable", "collected"):
        tidy[col] = tidy[col].astype(str).str.lower().eq("true")
    table = BaselineTable(tidy, tuple(notes), tuple(COHORTS), overall=True,
                          p_values="p-value" in md_frame.columns,
                          digits={r.variable: r.digits for r in BASELINE_ROWS})
    frame = display_frame(table)
    if [str(c) for c in frame.columns] != list(md_frame.columns) or len(frame) != len(md_frame):
        # notebook 02 laid its table out otherwise (another version): show what it wrote
        return Table(md_frame, notes, layout=TableLayout(bold_rows=bold))
    return Table(frame, notes, layout=TableLayout(bold_rows=bold))


def qc_first_page():
    """The first page's line on the independent QC: a placeholder the run fills in once QC in R
    has finished (her2cr.qc.report), as the report notebook executes while QC runs."""
    from her2cr.qc.report import FIRST_PAGE_TOKEN
    from her2cr.reporting.display import Text

    return Text(FIRST_PAGE_TOKEN, FIRST_PAGE_TOKEN)


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
    """estimates.csv for reading: names a reviewer reads (her2cr.ctdna.labels), each quantity by
    the one rule of its kind (her2cr.formatting), ordered primary, sensitivity, subgroup,
    exploratory (Analysis is meant as the grouping column: `Table(..., group_by=...)`).

    "Counts" says what n and N count in each row; log-rank chi-square statistics have their own
    column; medians of times are in months. Every number carries its source (trace.Num)."""
    from her2cr.ctdna.labels import analysis_rank, analysis_title, count_words, method_text, parameter_name

    rows = []
    for _, r in estimates.iterrows():
        counts = ""
        if not is_missing(r["N"]):
            words = count_words(r["parameter"], None if is_missing(r["n"]) else int(r["n"]), int(r["N"]))
            if is_missing(r["n"]):
                counts = Traced("N = ", est_num(r, "N"))
            else:
                before, rest = words.split("{n}", 1)
                middle, after = rest.split("{N}", 1)
                counts = Traced(before, est_num(r, "n"), middle, est_num(r, "N"), after)
        test = r["parameter"] == "logrank"
        est = "" if test else Traced(est_num(r, "estimate"))
        lo, hi = r["ci_lower"], r["ci_upper"]
        # non-breaking spaces: an interval is read as one, never split over lines
        ci_txt = "" if test or (is_missing(lo) and is_missing(hi)) else Traced(
            est_num(r, "ci_lower"), "\u00a0to\u00a0", est_num(r, "ci_upper"))
        if r["parameter"] == "median" and is_missing(lo) and is_missing(hi):
            ci_txt = ""
        stat = Traced(est_num(r, "estimate")) if test else ""
        p = "" if is_missing(r["p_value"]) else Traced(est_num(r, "p_value"))
        rows.append((analysis_rank(r["analysis"]), analysis_title(r["analysis"]),
                     parameter_name(r["parameter"], unit=True), r["group"], counts, est, ci_txt, stat, p,
                     method_text(r["method"])))
    frame = pd.DataFrame(rows, columns=["rank", "Analysis", "Estimate of", "Group", "Counts", "Estimate",
                                        ci_level_label(estimates), "Chi-square", "p-value", "Method"])
    if not (frame["Chi-square"] != "").any():
        frame = frame.drop(columns="Chi-square")
    # stable: within a rank, analyses keep the order of estimates.csv
    return frame.sort_values("rank", kind="stable").drop(columns="rank").reset_index(drop=True)


def estimates_notes(estimates: pd.DataFrame) -> list[str]:
    """The estimates table's notes: units, NE and ∞, and what the method column leaves out."""
    from her2cr.ctdna.labels import METHOD_SAID_ONCE

    methods = " ".join(estimates["method"].dropna().astype(str))
    said = [words for part, words in METHOD_SAID_ONCE.items() if words and part in methods]
    return [
        "Counts: for a comparison of the cohorts, both cohorts together. "
        "Proportions in percent; differences in proportions (stopped minus continuing) in percentage "
        "points; odds ratios stopped vs continuing (2 decimals); medians of times from consent in "
        f"months (days / {DAYS_PER_MONTH:g}); MTM/mL and chi-square statistics to 3 significant digits. "
        f"{NE}: not estimable (no participants, median or limit not reached); ∞: no finite upper "
        "limit. Unrounded values: results/estimates.csv.",
        f"CI: {ci_level_label(estimates).replace('CI', 'confidence interval').strip()}; the method "
        "column names the interval and the test. " + " ".join(said),
    ] + not_estimable_notes(estimates)


_REASON_PREFIXES = ("log-rank test not estimable: ", "not estimable: ")


def not_estimable_notes(estimates: pd.DataFrame) -> list[Traced]:
    """Why each NE of the estimates table is NE, from estimates.csv's status and note: one
    sentence per reason, naming the rows it applies to, the reason quoted from the file (traced)
    (empty when everything was estimated)."""
    from her2cr.ctdna.labels import analysis_title, parameter_name

    if "status" not in estimates:
        return []
    rows = estimates[(estimates["status"] == "not estimable")
                     & estimates["note"].fillna("").astype(str).ne("")]
    by_reason: dict[str, list[str]] = {}
    keys: dict[str, str] = {}
    for _, r in rows.iterrows():
        reason = str(r["note"])
        for prefix in _REASON_PREFIXES:
            reason = reason.removeprefix(prefix)
        where = f"{analysis_title(r['analysis'])}, {parameter_name(r['parameter'])}, {r['group']}"
        by_reason.setdefault(reason, []).append(where)
        keys.setdefault(reason, f"{r['analysis']} | {r['parameter']} | {r['group']} | note")
    if not by_reason:
        return []
    parts: list = [f"{NE} on this cut:"]
    for reason, where in by_reason.items():
        parts += [f" {'; '.join(where)}: ", quote(reason, ESTIMATES_FILE, keys[reason]), "."]
    return [Traced(*parts)]


class ReportContext:
    """Everything the report shows, loaded from one cut's outputs."""


def load_report_inputs(out: Path, *, version: str, previous_dir: str = "", failed_steps: dict | None = None):
    from her2cr.ctgov import build_results
    from her2cr.ctgov.cut_facts import read_cut_facts
    from her2cr.ctgov.display import baseline_ctgov_notes, baseline_ctgov_table, flow_table
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
    # the synthetic-data notice is said once in the body, above the title block (the banner of the
    # HTML and the header and footer of every PDF page repeat it)
    ctx.summary = summary_sentences(ctx.estimates, ctx.flow)
    ctx.methods = methods_markdown(ctx.estimates)
    ctx.flow_table = flow_table(ctx.results.participant_flow)
    from her2cr.ctgov.display import posted

    pf = ctx.results.participant_flow
    ctx.flow_notes = [Traced(posted(n, f"participant flow | {what}")) for n, what in
                      ((pf.recruitment_details, "recruitment details"),
                       (pf.pre_assignment_details, "pre-assignment details")) if n]
    adsl = pd.read_parquet(out / "data" / "adsl.parquet",
                           columns=["subject_id", "cohort", "eligible", "ineligible_reasons"])
    inel = adsl.loc[~adsl["eligible"], ["subject_id", "cohort", "ineligible_reasons"]]
    ctx.ineligible = inel.rename(columns={"subject_id": "Participant", "cohort": "Cohort",
                                          "ineligible_reasons": "Criteria not met"}).reset_index(drop=True)
    ctx.ineligible["Criteria not met"] = [
        quote(v, "data/adsl.parquet", f"subject_id={s} | ineligible_reasons")
        for s, v in zip(ctx.ineligible["Participant"], ctx.ineligible["Criteria not met"])]
    if ctx.ineligible.empty:
        ctx.ineligible = pd.DataFrame([("none", "", "every enrolled participant is eligible")],
                                      columns=ctx.ineligible.columns)
    tables = out / "tables"
    ctx.baseline_display = baseline_display(tables)
    ctx.baseline_ctgov = baseline_ctgov_table(ctx.results.baseline)
    ctx.baseline_ctgov_notes = baseline_ctgov_notes(ctx.results.baseline)
    ctx.estimates_display = estimates_display(ctx.estimates)
    ctx.estimates_notes = estimates_notes(ctx.estimates)
    ctx.issue_counts = counts_by_rule(issues)
    for col in ("Severity", "File", "Rule", "Action"):
        ctx.issue_counts[col] = [quote(v, ISSUES_FILE, f"{col.lower()} column") for v in ctx.issue_counts[col]]
    ctx.issue_counts["Count"] = [
        Traced(Num(int(c), "count", ISSUES_FILE, f"rows with rule={r} and file={f} (counted)"))
        for c, r, f in zip(ctx.issue_counts["Count"], ctx.issue_counts["Rule"], ctx.issue_counts["File"])]
    ctx.issues = issues_listing(issues)
    ctx.intake, ctx.intake_issues = intake_record(out)
    ctx.changes, ctx.diff = changes_since(out, previous_dir, version)
    ctx.provenance = provenance_table(out, ctx.cut_info, ctx.packages, lock_hash(),
                                      {"cut": ctx.cut_info["cut"], "version": version,
                                       "compared with": previous_dir or "none",
                                       "report executed": ctx.title_block.iloc[-1]["Value"]},
                                      intake=ctx.intake)
    return ctx


ISSUE_COLUMNS = {"subject_id": "Participant", "column": "Column", "value": "Value", "rule": "Rule",
                 "severity": "Severity", "action": "Action"}


def issues_listing(issues: pd.DataFrame) -> pd.DataFrame:
    """Appendix A's listing of data/data_issues.csv, every cell quoted from the file (traced).

    "Where" joins the contract file and its row and, for a cut written by the intake, where the
    value came from in the export (the file's `source` column): one column, so that the listing
    stays readable on an A4 page."""
    def cell(i: int, column: str):
        return quote(issues[column].iloc[i], ISSUES_FILE, f"row {i + 2} | {column}")

    rows = []
    for i in range(len(issues)):
        where = Traced(cell(i, "file"), ", row ", cell(i, "row"))
        if SOURCE in issues and str(issues[SOURCE].iloc[i]):
            where = Traced(where, " (from ", cell(i, SOURCE), ")")
        rows.append([where] + [cell(i, c) for c in ISSUE_COLUMNS])
    listing = pd.DataFrame(rows, columns=["Where", *ISSUE_COLUMNS.values()])
    if listing.empty:
        listing = pd.DataFrame([["no data issues were found"] + [""] * len(ISSUE_COLUMNS)],
                               columns=listing.columns)
    return listing


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
    """What changed since the previous cut or version, as the report shows it (the sentences,
    then one numbered table per kind of change, each number traced to diff/*.csv), and the diff."""
    from her2cr.reporting.display import Table, Text

    if not previous_dir:
        return [Text("This is the first report of this study in this output folder: nothing to "
                     "compare with.")], None
    from her2cr.reporting.cutdiff import compare_cuts, load_cut_outputs
    from her2cr.reporting.cutdiff_render import summary_lines
    from her2cr.reporting.cutdiff_tables import change_tables

    diff = compare_cuts(load_cut_outputs(Path(previous_dir)), load_cut_outputs(out, version=version))
    blocks = [Text("\n".join(f"- {line}" for line in summary_lines(diff)) + "\n")]
    if diff.has_changes:
        blocks += [Table(t.frame, notes=t.notes, group_by=t.group_by,
                         label=f"tbl-changes-{t.name.replace('_', '-')}", caption=t.title)
                   for t in change_tables(diff)]
    return blocks, diff


def save_report_outputs(ctx) -> list[Path]:
    """Files the report step adds to the cut's folder: the flow diagram and the change report."""
    from her2cr.reporting.consort import save_consort
    from her2cr.reporting.cutdiff_render import write_diff

    written = save_consort(ctx.flow, ctx.out / "figures", after_cutoff=ctx.facts["consented_after_cutoff"])
    if ctx.diff is not None:
        written += list(write_diff(ctx.diff, ctx.out))
    return written


def _outcome_keys():
    from her2cr.ctgov import model as m
    from her2cr.ctgov.outcomes import ANY_DRAW_TITLE, PRIMARY_TITLE

    return ({PRIMARY_TITLE: "primary", ANY_DRAW_TITLE: "exploratory_any_draw"},
            {m.EST_RISK_DIFFERENCE: "risk_difference", m.EST_ODDS_RATIO: "odds_ratio"})


def outcome_blocks(ctx):
    """Each outcome measure: header, data and statistical analyses, as display objects."""
    from her2cr.ctgov.display import (POSTED_PERCENT_NOTE, POSTED_PRECISION_NOTE, analysis_table,
                                      measure_table, outcome_header)
    from her2cr.reporting.display import Table, Text

    OUTCOME_ANALYSES, POSTED_PARAMETERS = _outcome_keys()
    blocks = []
    for i, om in enumerate(ctx.results.outcome_measures, start=1):
        blocks.append(Text(f"## {om.measure_type} outcome: {om.title}"))
        blocks.append(Table(outcome_header(om), label=f"tbl-outcome-{i}",
                            caption=f"{om.measure_type} outcome measure: {om.title}"))
        blocks.append(Table(measure_table(om, om.groups), label=f"tbl-outcome-{i}-data",
                            caption=f"{om.title}: participants analysed and counts by cohort",
                            notes=[POSTED_PERCENT_NOTE] if om.calculate_pct else [POSTED_PRECISION_NOTE]))
        for j, a in enumerate(om.analyses, start=1):
            raw = estimate(ctx.estimates, OUTCOME_ANALYSES.get(om.title, ""),
                           POSTED_PARAMETERS.get(a.param_type, ""), "stopped vs continuing")
            blocks.append(Table(analysis_table(a, om.groups, raw), label=f"tbl-outcome-{i}-analysis-{j}",
                                caption=f"{om.title}: statistical analysis {j}, {a.param_type}",
                                notes=[POSTED_PRECISION_NOTE]))
    return blocks


def posting_blocks(ctx):
    """The results-posting section: modules in the upload file, adverse events, more information
    and what is still to fill in, as display objects (texts from her2cr.ctgov.posting_summary)."""
    from her2cr.ctgov import posting_summary as P
    from her2cr.reporting.display import Table, Text

    from her2cr.ctgov.display import groups_table

    r = ctx.results
    blocks = [Table(P.modules_table(r), label="tbl-posting-modules",
                    caption="ClinicalTrials.gov modules in the PRS upload file"),
              Text(P.PARTIAL_UPLOAD_NOTE),
              Table(groups_table(r.participant_flow.groups), label="tbl-posting-groups",
                    caption="Reporting groups as posted (participant flow, baseline, outcome "
                            "measures and adverse events)")]
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


# Figures of notebook 03, where the report shows them: with the outcome measures (the figures of
# positivity) or with the exploratory analyses; each with the sentence that cites it there.
OUTCOME_FIGURES = {
    "ctdna_positivity": "{ref} shows both outcome measures by cohort: the percentage of participants "
                        "with a positive result and its exact 95% confidence interval.",
    "ctdna_swimmer": "{ref} shows every enrolled participant's plasma draws and their results over "
                     "time since consent, with progression and death.",
}
EXPLORATORY_FIGURES = {
    "ctdna_forest": "{ref} shows the difference in baseline positivity, stopped minus continuing, "
                    "overall and within each subgroup (the subgroup rows of @tbl-estimates).",
    "ctdna_mtm": "{ref} shows the ctDNA level of every positive draw by cohort.",
    "ctdna_km_time_to_positive": "{ref} shows the cumulative percentage of participants with a first "
                                 "positive draw, by cohort.",
    "ctdna_km_pfs": "{ref} shows progression-free survival by baseline ctDNA status.",
}


def figure_blocks(out: Path, figures: dict[str, str], heading: str = "", alone: bool = False):
    """A paragraph that cites each figure (@fig-...), under the heading when one is given, then the
    figures; a figure that was not made is said to be missing, and is not cited. alone: each
    figure on a page of its own in the PDF, with the section's flow under it (Figure.alone)."""
    from her2cr.reporting.display import Figure, figure_from_files, Text

    made = {name: figure_from_files(Path(out) / "figures", name) for name in figures}
    shown = [f for f in made.values() if isinstance(f, Figure)]
    for i, f in enumerate(shown):
        f.alone, f.first = alone, alone and i == 0
    cited = [figures[n].format(ref=f"@{f.label}") for n, f in made.items() if isinstance(f, Figure)]
    lead = (f"## {heading}\n\n" if heading else "") + " ".join(cited)
    return ([Text(lead)] if lead.strip() else []) + list(made.values())


def outcome_figures(out: Path):
    return figure_blocks(out, OUTCOME_FIGURES)


def exploratory_figures(out: Path):
    """The exploratory figures, which share their section with the long table of all estimates:
    in the PDF each takes a page's top with the table running on below it, rather than two
    figures to a page with a row or two of the table between them."""
    return figure_blocks(out, EXPLORATORY_FIGURES, alone=True)


def additional_analyses(ctx):
    """Tables and figures of the co-investigators' sub-analyses (folder additional/<notebook>/)."""
    from her2cr.reporting.display import Table, Text, figure_from_files
    from her2cr.reporting.subanalysis import read_display_table

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
            blocks.append(Table(read_display_table(csv), label=f"tbl-{sub.name}-{csv.stem}".replace("_", "-"),
                                caption=caption))
        for svg in sorted((sub / "figures").glob("*.svg")) if (sub / "figures").is_dir() else []:
            blocks.append(figure_from_files(sub / "figures", svg.stem, f"fig-{sub.name}-{svg.stem}".replace("_", "-"),
                                            rel_dir=f"additional/{sub.name}/figures"))
    return blocks
