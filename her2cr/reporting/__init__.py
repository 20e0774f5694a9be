"""The report (report/report.ipynb) and what it shows: context, display, rendering, changes.

`context` gathers one cut's outputs into the report's text, tables and figures; `display` holds
the objects the notebook shows; `consort` draws the flow diagram; `render` turns the executed
notebook into HTML and PDF; `cutdiff` and `cutdiff_render` compare two cuts ("Changes since the
previous cut"); `subanalysis` is the helper of co-investigators' notebooks 9N, whose outputs the
report appends.
"""

from her2cr.reporting.context import load_report_inputs, outcome_blocks, save_report_outputs
from her2cr.reporting.cutdiff import compare_cuts, load_cut_outputs
from her2cr.reporting.render import render_report
from her2cr.reporting.subanalysis import SubAnalysis, load_analysis_set, select_subgroup

__all__ = [
    "SubAnalysis", "compare_cuts", "load_analysis_set", "load_cut_outputs", "load_report_inputs",
    "outcome_blocks", "render_report", "save_report_outputs", "select_subgroup",
]
