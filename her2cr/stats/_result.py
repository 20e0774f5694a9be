"""The result row shared by every estimate in the ctDNA analysis.

One `Estimate` is one line of `results/estimates.csv` (plus `estimable` and `note`, which say in
words why a value is missing). Keeping one row type means every analysis can be stacked into the
machine-readable table without reshaping.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

NAN = float("nan")


@dataclass(frozen=True, kw_only=True)
class Estimate:
    """One reported estimate: a point value, its interval and/or a p-value."""

    parameter: str
    group: str
    n: int | None
    N: int | None
    estimate: float
    ci_lower: float = NAN
    ci_upper: float = NAN
    ci_level: float = NAN
    p_value: float = NAN
    method: str = ""
    estimable: bool = True
    note: str = ""

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(self)])


def stack(results) -> pd.DataFrame:
    """Stack results (anything with `to_frame()`) into one frame, in the order given."""
    frames = [r.to_frame() for r in results]
    if not frames:
        return pd.DataFrame(columns=list(Estimate.__dataclass_fields__))
    return pd.concat(frames, ignore_index=True)
