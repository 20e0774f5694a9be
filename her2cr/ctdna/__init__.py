"""Stage 03, the ctDNA analyses (notebook 03_ctdna): estimates, tables and figures.

`analyses` computes the primary, sensitivity, time-to-event and subgroup analyses and writes
`estimates.csv`; `figures` draws them. The notebook uses `from her2cr import ctdna` and
`from her2cr.ctdna import figures`.
"""

from her2cr.ctdna.analyses import (
    all_results,
    estimates_long,
    estimates_table,
    notes,
    positive_draws,
    primary_analysis,
    summary_table,
    write_tables,
)

__all__ = [
    "all_results", "estimates_long", "estimates_table", "notes", "positive_draws",
    "primary_analysis", "summary_table", "write_tables",
]
