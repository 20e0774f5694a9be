"""Stage 02, baseline characteristics (notebook 02_baseline): Table 1.

`characteristics` says which variables Table 1 shows and writes its files; `table1` is the
generic builder (one call from a DataFrame and a list of rows), with its display (`display`),
footnotes (`notes`), p-values (`pvalues`) and standardised mean differences (`smd`) behind it.
"""

from her2cr.baseline.characteristics import baseline_table, write_outputs
from her2cr.baseline.table1 import BaselineTable, Row, summarise

__all__ = ["BaselineTable", "Row", "baseline_table", "summarise", "write_outputs"]
