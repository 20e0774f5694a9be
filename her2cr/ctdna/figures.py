"""Figures of the ctDNA chapter (matplotlib/seaborn), readable in print.

Each plotting function returns a `Plot`: it unpacks as (figure, caption) and carries the figure's
alt text (what the picture shows, for readers who cannot see it). `save_figure` writes
figures/<name>.svg (what the report shows: vector, in the HTML, the PDF and Word), .png (300 dpi
at the size the report prints it: Word's fallback for the SVG, and for notebooks and slides), .txt
(the caption) and .alt.txt (the alt text), with metadata stripped so that the same inputs give
identical files.

Conventions shared by every figure: the continuing cohort comes first (left, top, first in the
legend) and is bluish green, the stopped cohort orange; ctDNA results use colours no cohort uses
(negative blue, positive reddish purple). Colours are Okabe-Ito (colour-blind safe); cohorts and
results also differ by marker and line style so the figures survive greyscale printing. Figures
are drawn at the size they are printed (at most `MAX_WIDTH_IN` wide, the PDF's text width), so
that their 9 pt text prints at 9 pt.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib
import matplotlib.patches
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd

from her2cr.settings import DAYS_PER_MONTH, MTM_BINS_PER_DECADE, MTM_MAX_POINTS, SWIMMER_MAX_ROWS
from her2cr.study import COHORT_SHORT, COHORTS

COHORT_COLORS = {"continuing": "#009E73", "stopped": "#E69F00"}  # bluish green, orange
COHORT_MARKERS = {"continuing": "o", "stopped": "s"}
COHORT_LINES = {"continuing": "-", "stopped": "--"}
STATUS_COLORS = {"negative": "#0072B2", "positive": "#CC79A7"}  # blue, reddish purple
STATUS_LINES = {"negative": "-", "positive": "--"}
RESULT_STYLE = {  # swimmer plot markers
    "POSITIVE": dict(marker="^", color=STATUS_COLORS["positive"], markerfacecolor=STATUS_COLORS["positive"],
                     label="ctDNA positive"),
    "NEGATIVE": dict(marker="o", color=STATUS_COLORS["negative"], markerfacecolor="white",
                     label="ctDNA negative"),
    "NOT_EVALUABLE": dict(marker="x", color="#777777", markerfacecolor="#777777",
                          label="not evaluable (QNS/failed)"),
}


# The PDF's text width (A4, 2 cm margins: 17 cm); a figure is never drawn wider, so it is never shrunk.
MAX_WIDTH_IN = 6.6


class Plot(tuple):
    """(figure, caption), with the figure's alt text as `.alt`: unpacks like the pair it was."""

    def __new__(cls, fig, caption: str, alt: str):
        made = super().__new__(cls, (fig, caption))
        made.alt = alt
        return made


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 participant', '2 participants' (never 'participant(s)')."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def setup_style() -> None:
    """Print-friendly defaults (>= 9 pt text) and deterministic SVG ids, drawn by Agg.

    The backend is chosen here, when a figure is about to be drawn, not when the module is
    imported: importing it (as a warm kernel does, see runner/kernels.py) changes nothing."""
    matplotlib.use("Agg")
    matplotlib.rcParams.update({
        "svg.hashsalt": "her2cr", "font.size": 10, "axes.titlesize": 10, "axes.labelsize": 10,
        "xtick.labelsize": 9, "ytick.labelsize": 9, "legend.fontsize": 9,
        "axes.spines.top": False, "axes.spines.right": False, "figure.dpi": 100,
    })


# the report prints a figure at the size it was drawn (display.Figure), so 300 dpi here is 300 dpi
# on the page, the resolution of print
PNG_DPI = 300


def save_figure(fig, out_dir, name: str, caption: str, alt: str = "") -> list[Path]:
    """Write figures/<name>.png, .svg, .txt (caption) and, given alt text, .alt.txt under out_dir;
    return the paths."""
    folder = Path(out_dir) / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    png, svg, txt = (folder / f"{name}.{ext}" for ext in ("png", "svg", "txt"))
    fig.savefig(png, dpi=PNG_DPI, bbox_inches="tight", metadata={"Software": None})
    # no figure draws a picture into its SVG (mtm_plot summarises large cuts); the dpi is the
    # one the SVGs were always written with, so their bytes do not change
    fig.savefig(svg, dpi=200, bbox_inches="tight", metadata={"Date": None, "Creator": None})
    txt.write_text(caption.strip() + "\n", encoding="utf-8")
    plt.close(fig)
    paths = [png, svg, txt]
    if alt.strip():
        paths.append(folder / f"{name}.alt.txt")
        paths[-1].write_text(alt.strip() + "\n", encoding="utf-8")
    return paths


def _flag(series: pd.Series) -> pd.Series:
    """Nullable boolean column as plain bool (missing = False)."""
    return series.astype("boolean").fillna(False).astype(bool)


def positivity_plot(estimates: pd.DataFrame):
    """Percentage positive by cohort with 95% Clopper-Pearson intervals, at baseline and at any
    draw up to the cut-off."""
    setup_style()
    panels = [("primary", "Baseline draw\n(primary analysis)"),
              ("exploratory_any_draw", "Any draw up to\nthe cut-off")]
    fig, ax = plt.subplots(figsize=(5.2, 3.6))
    offsets = {"continuing": -0.12, "stopped": 0.12}
    for i, (analysis, _) in enumerate(panels):
        part = estimates[(estimates["analysis"] == analysis)
                         & (estimates["parameter"] == "proportion")].set_index("group")
        for cohort in COHORTS:
            if cohort not in part.index:
                continue
            r = part.loc[cohort]
            x = i + offsets[cohort]
            if r["N"] == 0 or pd.isna(r["estimate"]):
                ax.text(x, 2, "no\ndata", ha="center", va="bottom", fontsize=9)
                continue
            ax.errorbar(x, 100 * r["estimate"],
                        yerr=[[100 * (r["estimate"] - r["ci_lower"])],
                              [100 * (r["ci_upper"] - r["estimate"])]],
                        fmt=COHORT_MARKERS[cohort], color=COHORT_COLORS[cohort], capsize=4,
                        markersize=7, markeredgecolor="black", linewidth=1.5,
                        label=COHORT_SHORT[cohort] if i == 0 else None)
            ax.text(x, -9, f"{r['n']}/{r['N']}", ha="center", va="top", fontsize=9)
    ax.set_xticks(range(len(panels)), [t for _, t in panels])
    ax.set_xlim(-0.5, len(panels) - 0.5)
    ax.set_ylim(-20, 104)
    ax.set_yticks(range(0, 101, 20))
    ax.set_ylabel("ctDNA positive (%)")
    ax.axhline(0, color="#BBBBBB", linewidth=0.8)
    ax.legend(title="Cohort", frameon=False, loc="upper left")
    caption = (
        "ctDNA positivity by cohort. Points are the percentage of participants with a positive "
        "Signatera result and bars their exact 95% (Clopper-Pearson) confidence intervals; the "
        "numbers under the points are positive/evaluable participants. Left: the baseline draw "
        "in the primary analysis set (eligible participants with an evaluable baseline result). "
        "Right: any evaluable draw up to the data cut-off, in eligible participants with at least "
        "one evaluable draw (exploratory)."
    )
    alt = ("Dot plot with error bars: percentage of participants ctDNA-positive, continuing cohort "
           "then stopped cohort, at the baseline draw and at any draw up to the cut-off, with 95% "
           "confidence intervals and positive/evaluable counts under each point.")
    fig.tight_layout()
    return Plot(fig, caption, alt)


def _log_histogram(values: np.ndarray, per_decade: int) -> tuple[np.ndarray, np.ndarray]:
    """Counts of positive values in bins of 1/per_decade of a power of ten, and the bins' edges
    (MTM/mL). A value's bin is floor(log10(value) x per_decade), so no value falls outside."""
    idx = np.floor(np.log10(values) * per_decade).astype(int)
    counts = np.bincount(idx - idx.min(), minlength=idx.max() - idx.min() + 1)
    return counts, 10.0 ** (np.arange(idx.min(), idx.max() + 2) / per_decade)


def _mtm_histograms(ax, shown: pd.DataFrame) -> None:
    """Each cohort's draws as a mirrored histogram around the cohort's centre line: baseline draws
    to the left (filled), follow-up draws to the right (open), bar widths on one scale for both
    cohorts. A few hundred vector edges, whatever the number of draws."""
    if shown.empty:
        return
    halves = []
    for i, cohort in enumerate(COHORTS):
        part = shown[shown["cohort"] == cohort]
        baseline = (part["visit_month"] == 0).to_numpy()
        y = part["mtm_per_ml"].to_numpy(dtype=float)
        for side, values in ((-1, y[baseline]), (1, y[~baseline])):
            if len(values):
                halves.append((i, cohort, side, *_log_histogram(values, MTM_BINS_PER_DECADE)))
    widest = max(int(counts.max()) for *_, counts, _ in halves)
    for i, cohort, side, counts, edges in halves:
        style = (dict(facecolor=COHORT_COLORS[cohort], edgecolor="black", linewidth=0.6) if side < 0
                 else dict(facecolor="white", edgecolor=COHORT_COLORS[cohort], linewidth=1.2))
        ax.stairs(i + side * 0.3 * counts / widest, edges, baseline=i, orientation="horizontal",
                  fill=True, zorder=3, **style)


def mtm_plot(draws: pd.DataFrame):
    """MTM/mL of positive draws by cohort on a log scale: one point per draw, or, above
    MTM_MAX_POINTS draws, a histogram per cohort (vector either way)."""
    setup_style()
    fig, ax = plt.subplots(figsize=(4.6, 3.3))
    rng = np.random.default_rng(1)  # fixed jitter so the figure is reproducible
    shown = draws[draws["mtm_per_ml"] > 0]
    hidden = int((draws["mtm_per_ml"] <= 0).sum())
    # 01 requires a level for every evaluable result; should one be missing, it is said apart
    unmeasured = int(draws["mtm_per_ml"].isna().sum())
    summarised = len(shown) > MTM_MAX_POINTS
    if summarised:
        _mtm_histograms(ax, shown)
    for i, cohort in enumerate(COHORTS):
        part = shown[shown["cohort"] == cohort].sort_values(["subject_id", "visit_month"])
        y = part["mtm_per_ml"].to_numpy(dtype=float)
        if not summarised:
            baseline = (part["visit_month"] == 0).to_numpy()
            x = i + rng.uniform(-0.15, 0.15, len(y))
            ax.scatter(x[baseline], y[baseline], marker=COHORT_MARKERS[cohort], s=36,
                       color=COHORT_COLORS[cohort], edgecolor="black", linewidth=0.6, zorder=3)
            ax.scatter(x[~baseline], y[~baseline], marker=COHORT_MARKERS[cohort], s=36,
                       facecolor="white", edgecolor=COHORT_COLORS[cohort], linewidth=1.2, zorder=3)
        if len(y):
            med = float(np.median(y))
            ax.hlines(med, i - 0.3, i + 0.3, color="black", linewidth=1.5, zorder=4)
        ax.text(i, 1.02, f"{len(y)} draws,\n{part['subject_id'].nunique()} participants",
                transform=ax.get_xaxis_transform(), ha="center", va="bottom", fontsize=9)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_xticks(range(len(COHORTS)), [COHORT_SHORT[c] for c in COHORTS])
    ax.set_xlim(-0.6, len(COHORTS) - 0.4)
    ax.set_ylabel("ctDNA level (MTM/mL, log scale)")
    if shown.empty:
        ax.set_ylim(0.01, 100)
        ax.text(0.5, 0.5, "no positive draws", transform=ax.transAxes, ha="center")
    if summarised:
        handles = [matplotlib.patches.Patch(facecolor="#777777", edgecolor="black", linewidth=0.6),
                   matplotlib.patches.Patch(facecolor="white", edgecolor="#777777", linewidth=1.2)]
        labels = ["baseline draws", "follow-up draws"]
    else:
        handles = [plt.Line2D([], [], linestyle="none", marker="o", markersize=6, color="#777777",
                              markeredgecolor="black"),
                   plt.Line2D([], [], linestyle="none", marker="o", markersize=6,
                              markerfacecolor="white", markeredgecolor="#777777")]
        labels = ["baseline draw", "follow-up draw"]
    ax.legend(handles + [plt.Line2D([], [], color="black", linewidth=1.5)], labels + ["median"],
              frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3)
    zeros = (f" {plural(hidden, 'positive draw')} with 0 MTM/mL cannot be shown on the log scale."
             if hidden else "") + (f" {plural(unmeasured, 'positive draw')} without an MTM/mL value "
                                   f"{'is' if unmeasured == 1 else 'are'} not shown." if unmeasured else "")
    if summarised:
        participants = shown["subject_id"].nunique()
        caption = (
            "ctDNA level of positive draws by cohort, in mean tumour molecules per mL of plasma "
            f"(MTM/mL, logarithmic scale). The figure summarises {plural(len(shown), 'analysed positive draw')} "
            f"of {plural(participants, 'eligible participant')}, too many to show one point each "
            f"(more than {MTM_MAX_POINTS}): each cohort's draws are drawn as a histogram in bins of "
            f"1/{MTM_BINS_PER_DECADE} of a power of ten, the width of a bar proportional to the "
            "number of draws in its bin, on one scale for both cohorts (left of the cohort's centre "
            "line, filled: baseline draws; right, open: follow-up draws); the horizontal line is "
            "the median of the cohort's draws, baseline and follow-up. A participant can contribute "
            "several draws." + zeros
        )
        alt = (f"Mirrored histograms on a logarithmic axis summarising {len(shown)} positive draws of "
               f"{participants} participants: ctDNA level in MTM/mL, continuing cohort on the left "
               "and stopped cohort on the right, baseline draws as filled bars to the left of each "
               "cohort's centre line and follow-up draws as open bars to the right, with a "
               "horizontal line at each cohort's median.")
    else:
        caption = (
            "ctDNA level of positive draws by cohort, in mean tumour molecules per mL of plasma "
            "(MTM/mL, logarithmic scale). Each point is one analysed positive draw of an eligible "
            "participant (filled: baseline; open: follow-up); the horizontal line is the median. "
            "A participant can contribute several draws." + zeros
        )
        alt = ("Strip plot on a logarithmic axis: ctDNA level in MTM/mL of each positive draw, continuing "
               "cohort on the left and stopped cohort on the right, baseline draws filled and follow-up "
               "draws open, with a horizontal line at each cohort's median.")
    fig.tight_layout()
    return Plot(fig, caption, alt)


def swimmer_plot(adsl: pd.DataFrame, adctdna: pd.DataFrame, cut: str):
    """Every enrolled participant's draws over time since consent, coloured by result."""
    setup_style()
    cut_date = pd.Timestamp(cut)
    end = adsl["last_contact"].where(adsl["last_contact"] <= cut_date, cut_date)
    follow = (end - adsl["consent_date"]).dt.days / DAYS_PER_MONTH
    full = adsl.assign(follow_months=follow)
    totals = {c: int((full["cohort"] == c).sum()) for c in COHORTS}
    data = (full.sort_values("subject_id").groupby("cohort", sort=False).head(SWIMMER_MAX_ROWS)
            if max(totals.values(), default=0) > SWIMMER_MAX_ROWS else full)
    follow = data["follow_months"]
    counts = {c: int((data["cohort"] == c).sum()) for c in COHORTS}
    height = 1.5 + 0.16 * max(max(counts.values()), 1)  # at most 7.9 in (SWIMMER_MAX_ROWS = 40)
    fig, axes = plt.subplots(1, 2, figsize=(MAX_WIDTH_IN, height), sharex=True)
    xmax = max(float(np.nanmax(follow)) if follow.notna().any() else 1.0, 1.0) + 0.5
    for ax, cohort in zip(axes, COHORTS):  # continuing on the left, as in every figure
        part = data[data["cohort"] == cohort].sort_values(["follow_months", "subject_id"])
        ids = part["subject_id"].tolist()
        pos = {sid: k for k, sid in enumerate(ids)}
        ax.barh(range(len(ids)), part["follow_months"], height=0.5, color="#E5E5E5",
                edgecolor="none", zorder=1)
        draws = adctdna[adctdna["subject_id"].isin(ids)]
        for kind, style in RESULT_STYLE.items():
            sel = (~_flag(draws["evaluable"]) if kind == "NOT_EVALUABLE"
                   else draws["result"] == kind)
            d = draws[sel]
            ax.plot(d["days_from_consent"].astype(float) / DAYS_PER_MONTH,
                    d["subject_id"].map(pos), linestyle="none", markersize=6,
                    markeredgewidth=1.2, zorder=3, **{k: v for k, v in style.items()
                                                      if k != "label"})
        prog = part[part["progression_date"].notna()]
        ax.plot((prog["progression_date"] - prog["consent_date"]).dt.days / DAYS_PER_MONTH,
                prog["subject_id"].map(pos), linestyle="none", marker="|", markersize=11,
                markeredgewidth=2, color="black", zorder=4)
        dead = part[part["death_date"].notna()]
        ax.plot((dead["death_date"] - dead["consent_date"]).dt.days / DAYS_PER_MONTH,
                dead["subject_id"].map(pos), linestyle="none", marker="D", markersize=5,
                color="black", zorder=4)
        eligible = _flag(part["eligible"])
        labels = [sid + ("" if e else "*") for sid, e in zip(ids, eligible)]
        ax.set_yticks(range(len(ids)), labels, fontsize=9)
        ax.set_ylim(-0.7, max(counts.values()) - 0.3)
        ax.set_xlim(-0.6, xmax)
        ax.set_xticks(np.arange(0, xmax, 3))
        ax.set_title(f"{COHORT_SHORT[cohort]} (n = {len(ids)})", loc="left")
        if not ids:
            ax.text(0.5, 0.5, "no participants", transform=ax.transAxes, ha="center")
        ax.set_xlabel("Months since consent")
        ax.tick_params(axis="y", length=0)
    handles = [plt.Line2D([], [], linestyle="none", markersize=6, markeredgewidth=1.2,
                          **{k: v for k, v in s.items() if k != "label"})
               for s in RESULT_STYLE.values()]
    handles += [plt.Line2D([], [], linestyle="none", marker="|", markersize=11, markeredgewidth=2,
                           color="black"),
                plt.Line2D([], [], linestyle="none", marker="D", markersize=5, color="black"),
                plt.Rectangle((0, 0), 1, 1, color="#E5E5E5")]
    names = [s["label"] for s in RESULT_STYLE.values()] + ["progression", "death", "follow-up"]
    legend_height = 0.55 / height  # two legend rows, in figure units
    fig.legend(handles, names, loc="lower center", ncol=3, frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    fig.tight_layout(rect=(0, legend_height, 1, 1))
    n_inel = int((~_flag(data["eligible"])).sum())
    caption = (
        f"Plasma draws of every enrolled participant over time since consent, up to the data "
        f"cut-off ({cut}). Each row is one participant (grey bar: follow-up to the last contact "
        f"or the cut-off); markers are draws coloured by Signatera result, including "
        f"non-evaluable samples and repeat draws. Black ticks mark progression and diamonds "
        f"death."
        + (f" * not eligible ({plural(n_inel, 'participant')}); shown but not analysed." if n_inel else "")
        + (f" Only the first {SWIMMER_MAX_ROWS} participants of each cohort by identifier are shown "
           f"(of {totals['continuing']} continuing and {totals['stopped']} stopped)."
           if counts != totals else "")
    )
    alt = ("Swimmer plot in two panels, continuing cohort on the left and stopped cohort on the right: "
           "one horizontal bar per participant for the months of follow-up since consent, with a "
           "marker at each plasma draw by result (negative, positive, not evaluable) and marks for "
           "progression and death.")
    return Plot(fig, caption, alt)


def km_plot(km, groups, labels: dict, colors: dict, lines: dict, ylabel: str,
            curve_of: str = "survival"):
    """Kaplan-Meier curves (months) with numbers at risk below; censoring marked with '+'."""
    setup_style()
    n_groups = len(groups)
    fig = plt.figure(figsize=(6.2, 3.4 + 0.25 * n_groups))
    ax = fig.add_axes((0.14, 0.22 + 0.04 * n_groups, 0.82, 0.70 - 0.04 * n_groups))
    table = km.table
    for g in groups:
        t = table[table["group"] == g]
        if t.empty:
            continue
        x = np.r_[0.0, t["time"].to_numpy() / DAYS_PER_MONTH]
        y = np.r_[1.0, t["survival"].to_numpy()]
        y = 1 - y if curve_of == "incidence" else y
        ax.step(x, 100 * y, where="post", color=colors[g], linestyle=lines[g], linewidth=1.8,
                label=labels[g])
        cens = t[t["n_censor"] > 0]
        cy = cens["survival"].to_numpy()
        cy = 1 - cy if curve_of == "incidence" else cy
        ax.plot(cens["time"] / DAYS_PER_MONTH, 100 * cy, linestyle="none", marker="+",
                markersize=8, color=colors[g])
    ax.set_ylim(-2, 102)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, loc="lower left" if curve_of == "survival" else "upper left")
    times = sorted(set(km.at_risk["time"])) if not km.at_risk.empty else [0.0]
    xmax = max(times[-1] / DAYS_PER_MONTH if times else 1.0, 1.0)
    if not table.empty:
        xmax = max(xmax, float(table["time"].max()) / DAYS_PER_MONTH)
    ax.set_xlim(0, xmax * 1.03)
    ticks = [t / DAYS_PER_MONTH for t in times]
    ax.set_xticks(ticks, [f"{t:.0f}" for t in ticks])
    ax.set_xlabel("Months since consent")
    # numbers at risk, aligned with the x ticks
    risk_ax = fig.add_axes((0.14, 0.02, 0.82, 0.06 + 0.035 * n_groups), sharex=ax)
    risk_ax.set_axis_off()
    risk_ax.text(0, 1.0, "Number at risk", transform=risk_ax.transAxes, fontsize=9,
                 fontweight="bold", va="bottom")
    for k, g in enumerate(groups):
        yk = 1 - (k + 1) / (n_groups + 0.5)
        part = km.at_risk[km.at_risk["group"] == g]
        risk_ax.text(-0.045, yk, labels[g], transform=risk_ax.transAxes, ha="right",
                     va="center", fontsize=9, color=colors[g])
        for _, r in part.iterrows():
            risk_ax.text(r["time"] / DAYS_PER_MONTH, yk, str(int(r["n_risk"])),
                         transform=risk_ax.get_xaxis_transform(), ha="center", va="center",
                         fontsize=9)
    return fig


def _logrank_text(p: float) -> str:
    from her2cr.formatting import p_phrase

    return "log-rank test not estimable" if math.isnan(p) else f"log-rank {p_phrase(p)}"


def km_pfs_plot(km):
    labels = {"negative": "ctDNA negative", "positive": "ctDNA positive"}
    fig = km_plot(km, ["negative", "positive"], labels, STATUS_COLORS, STATUS_LINES,
                  "Progression-free (%)")
    p = km.logrank_p
    ptxt = _logrank_text(p)
    caption = (
        "Progression-free survival from consent by baseline ctDNA status (Kaplan-Meier), primary "
        "analysis set. Progression or death up to the data cut-off are events; participants "
        "without an event are censored (+) at the last contact or the cut-off. Numbers at risk "
        f"are shown every 3 months below the plot; {ptxt} (exploratory)."
    )
    alt = ("Kaplan-Meier curves of the percentage progression-free over months since consent, one "
           "curve for participants ctDNA-negative at baseline and one for those ctDNA-positive, "
           "with censoring marks and the numbers at risk below the plot.")
    return Plot(fig, caption, alt)


def km_ttpos_plot(km):
    labels = {c: COHORT_SHORT[c] for c in COHORTS}
    fig = km_plot(km, list(COHORTS), labels, COHORT_COLORS, COHORT_LINES,
                  "ctDNA positive (%)", curve_of="incidence")
    p = km.logrank_p
    ptxt = _logrank_text(p)
    caption = (
        "Cumulative percentage of participants with a first positive ctDNA draw, by cohort "
        "(1 minus the Kaplan-Meier estimate), from consent. Participants who never tested "
        "positive are censored (+) at their last evaluable negative draw. Eligible participants "
        f"with at least one evaluable draw; numbers at risk every 3 months; {ptxt} (exploratory)."
    )
    alt = ("Cumulative incidence curves of a first positive ctDNA draw over months since consent, "
           "continuing cohort and stopped cohort, with censoring marks and the numbers at risk below "
           "the plot.")
    return Plot(fig, caption, alt)


def forest_plot(subgroups: pd.DataFrame, estimates: pd.DataFrame):
    """Stopped minus continuing difference in baseline positivity, overall and by subgroup."""
    setup_style()
    from her2cr.ctdna.labels import LEVEL_LABELS, SUBGROUP_TITLES

    primary = estimates[estimates["analysis"] == "primary"]
    prop = primary[primary["parameter"] == "proportion"].set_index("group")
    rd = primary[primary["parameter"] == "risk_difference"].iloc[0]

    def counts(sn, sN, cn, cN):
        return f"{sn}/{sN} vs {cn}/{cN}"

    rows = [{"label": "All participants", "kind": "overall", "estimate": rd["estimate"],
             "ci_lower": rd["ci_lower"], "ci_upper": rd["ci_upper"],
             "counts": counts(prop.loc["stopped", "n"], prop.loc["stopped", "N"],
                              prop.loc["continuing", "n"], prop.loc["continuing", "N"])}]
    for variable, part in subgroups.groupby("variable", sort=False):
        rows.append({"label": SUBGROUP_TITLES.get(variable, variable), "kind": "header"})
        for _, r in part.iterrows():
            rows.append({"label": "   " + LEVEL_LABELS.get(r["level"], r["level"]),
                         "kind": "level", "estimate": r["estimate"], "ci_lower": r["ci_lower"],
                         "ci_upper": r["ci_upper"],
                         "counts": counts(r["stopped_n"], r["stopped_N"], r["continuing_n"],
                                          r["continuing_N"])})
    frame = pd.DataFrame(rows)
    n = len(frame)
    fig, ax = plt.subplots(figsize=(5.9, 1.0 + 0.22 * n))
    y = np.arange(n)[::-1]
    tx = ax.get_yaxis_transform()
    for yi, (_, r) in zip(y, frame.iterrows()):
        if r["kind"] == "header":
            continue
        ax.text(1.02, yi, r["counts"], transform=tx, fontsize=9, va="center")
        if pd.isna(r["estimate"]) or pd.isna(r["ci_lower"]):
            ax.text(0, yi, "not estimable", ha="center", va="center", fontsize=9,
                    color="#555555")
            continue
        overall = r["kind"] == "overall"
        ax.plot([100 * r["ci_lower"], 100 * r["ci_upper"]], [yi, yi], color="black",
                linewidth=1.4)
        ax.plot(100 * r["estimate"], yi, marker="D" if overall else "s", color="black",
                markersize=8 if overall else 6)
    ax.axvline(0, color="#777777", linewidth=0.8, linestyle=":")
    ax.set_yticks(y, frame["label"])
    for label, kind in zip(ax.get_yticklabels(), frame["kind"]):
        if kind != "level":
            label.set_fontweight("bold")
    ax.set_xlim(-105, 105)
    ax.set_xticks(range(-100, 101, 50))
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel("Stopped minus continuing, percentage points (95% CI)\n"
                  "\u2190 more often positive in continuing      more often positive in stopped \u2192")
    ax.tick_params(axis="y", length=0)
    ax.text(1.02, n - 0.4, "positive/evaluable,\nstopped vs continuing", transform=tx,
            fontsize=9, va="bottom")
    caption = (
        "Difference in baseline ctDNA positivity between the stopped and continuing cohorts "
        "(stopped minus continuing, percentage points) with 95% Newcombe hybrid score intervals, "
        "in the primary analysis set overall (diamond) and within subgroups (squares). The "
        "numbers at the right are positive/evaluable participants in each cohort. Subgroups are "
        "small and the analyses exploratory; 'not estimable' marks subgroups with no "
        "participants in a cohort."
    )
    alt = ("Forest plot: difference in baseline ctDNA positivity, stopped minus continuing, in "
           "percentage points with 95% confidence intervals, for all participants and within each "
           "subgroup, with a dotted line at no difference and the positive/evaluable counts of each "
           "cohort at the right.")
    fig.tight_layout()
    return Plot(fig, caption, alt)


def display_figure(made, out_dir, name: str, width: int = 640) -> None:
    """Save a (figure, caption) pair and show the PNG with its caption in a notebook."""
    from IPython.display import Image, Markdown, display

    fig, caption = made
    paths = save_figure(fig, out_dir, name, caption, getattr(made, "alt", ""))
    display(Image(filename=str(paths[0]), width=width))
    display(Markdown(f"*Figure ({name}).* {caption}"))
