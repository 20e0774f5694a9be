"""The report (report/report.ipynb) and what it shows: context, display, rendering, changes.

`context` gathers one cut's outputs into the report's text, tables and figures; `display` holds
the objects the notebook shows; `consort` draws the flow diagram; `render` turns the executed
notebook into HTML, PDF and Word (the Word tables, reference document and finishing:
`docx_table`, `docx_reference`, `docx_finish`); `cutdiff` and `cutdiff_render` compare two cuts ("Changes since the
previous cut"); `subanalysis` is the helper of co-investigators' notebooks 9N, whose outputs the
report appends.

The public functions are imported on first use, not with the package: the runner's up-to-date
check asks `render` which Quarto there is, and must not pay for pandas (about a second) to do so.
"""

from importlib import import_module

_PUBLIC = {
    "load_report_inputs": "context", "outcome_blocks": "context", "save_report_outputs": "context",
    "compare_cuts": "cutdiff", "load_cut_outputs": "cutdiff", "render_report": "render",
    "SubAnalysis": "subanalysis", "load_analysis_set": "subanalysis", "select_subgroup": "subanalysis",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(import_module(f"her2cr.reporting.{_PUBLIC[name]}"), name)
    raise AttributeError(f"module 'her2cr.reporting' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
