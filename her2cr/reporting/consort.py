"""A CONSORT-style participant flow diagram drawn from the flow counts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from her2cr.study import COHORT_SHORT, COHORTS

_BOX = dict(boxstyle="round,pad=0.45", facecolor="white", edgecolor="#333333", linewidth=1.0)
_SIDE = dict(boxstyle="round,pad=0.4", facecolor="#f3f3f3", edgecolor="#777777", linewidth=0.8)


def _counts(flow: pd.DataFrame) -> dict[tuple[str, str], int]:
    return {(r.cohort, r.step): int(r.count) for r in flow.itertuples(index=False)}


def consort_figure(flow: pd.DataFrame, after_cutoff: int = 0):
    """The diagram as a matplotlib Figure (nothing saved, nothing shown)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    c = _counts(flow)
    from her2cr.ctdna.figures import MAX_WIDTH_IN

    # drawn at its printed size (the PDF's text width), so that its 9 pt text prints at 9 pt
    fig, ax = plt.subplots(figsize=(MAX_WIDTH_IN, 5.0))
    ax.set_xlim(0, 100)
    ax.set_ylim(8, 100)
    ax.axis("off")
    fs = 9

    def box(x, y, text, style=_BOX, ha="center"):
        return ax.text(x, y, text, ha=ha, va="center", fontsize=fs, bbox=style, wrap=True)

    def arrow(x0, y0, x1, y1):
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops=dict(arrowstyle="-|>", color="#333333", lw=1.0, shrinkA=0, shrinkB=0))

    top = f"Enrolled: consented by the data cut-off\nN = {c[('overall', 'enrolled')]}"
    if after_cutoff:
        top += f"\n({after_cutoff} consented after the cut-off: not analysed)"
    box(50, 93, top)
    xs = {"continuing": 25, "stopped": 75}
    for cohort in COHORTS:
        x = xs[cohort]
        arrow(50, 88, x, 81)
        box(x, 77, f"{COHORT_SHORT[cohort]} anti-HER2 treatment\nn = {c[(cohort, 'enrolled')]}")
        arrow(x, 73, x, 63)
        box(x + (12 if cohort == "continuing" else -12), 68,
            f"Not eligible (E1-E5): {c[(cohort, 'not_eligible')]}", _SIDE)
        box(x, 58, f"Eligible\nn = {c[(cohort, 'eligible')]}")
        arrow(x, 54, x, 44)
        box(x + (12 if cohort == "continuing" else -12), 49,
            f"No evaluable baseline\nctDNA result: {c[(cohort, 'baseline_not_evaluable')]}", _SIDE)
        box(x, 39, f"Primary analysis set\nn = {c[(cohort, 'primary_set')]}")
        status = (
            f"Status at the cut-off\n"
            f"on study {c[(cohort, 'on_study')]}, completed {c[(cohort, 'completed')]}\n"
            f"withdrawn {c[(cohort, 'withdrawn')]}, lost to follow-up {c[(cohort, 'lost_to_follow_up')]}\n"
            f"died {c[(cohort, 'died')]}  (of {c[(cohort, 'enrolled')]} enrolled)"
        )
        box(x, 23, status, _SIDE)
    fig.tight_layout()
    return fig


def save_consort(flow: pd.DataFrame, figures_dir: Path | str, after_cutoff: int = 0) -> list[Path]:
    """figures/consort.png, .svg, .txt (caption) and .alt.txt (alt text), byte-reproducible."""
    import matplotlib

    matplotlib.rcParams["svg.hashsalt"] = "her2cr"
    figures_dir = Path(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    fig = consort_figure(flow, after_cutoff)
    png, svg, txt = (figures_dir / f"consort.{e}" for e in ("png", "svg", "txt"))
    fig.savefig(png, dpi=300, metadata={"Software": None})  # ctdna.figures.PNG_DPI: print resolution
    fig.savefig(svg, metadata={"Date": None, "Creator": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    txt.write_text(
        "Participant flow by cohort: enrolment by the data cut-off, eligibility (E1-E5), evaluable "
        "baseline ctDNA result (primary analysis set), and each participant's status at the cut-off.\n",
        encoding="utf-8")
    alt = figures_dir / "consort.alt.txt"
    alt.write_text(
        "Flow diagram: the enrolled participants split into the continuing cohort (left) and the "
        "stopped cohort (right); in each, boxes step down from enrolled to eligible to the primary "
        "analysis set, with side boxes for those not eligible and those without an evaluable "
        "baseline result, and a last box with each participant's status at the cut-off.\n",
        encoding="utf-8")
    return [png, svg, txt, alt]
