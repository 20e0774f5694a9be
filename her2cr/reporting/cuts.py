"""Which cuts sit beside each other in a reports folder: what a new cut's change report compares with.

Read by the runner before every build, so it imports nothing heavy: dates are ISO dates, as the
command line and cut_info.json write them.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path


def _read_cut_info(version_dir: Path) -> dict | None:
    """A folder's cut_info.json, or None if it has none that can be read (not a cut's folder).
    Read here rather than by data.cutinfo.read_cut_info: importing her2cr.data imports pandas."""
    try:
        info = json.loads((version_dir / "data" / "cut_info.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def previous_cut_dir(reports_root: Path | str, this_cut: str, synthetic: bool | None = None) -> Path | None:
    """The `current` version of the latest cut under reports_root dated before this_cut.

    Cut folders may be named anything; each one's date is read from current/data/cut_info.json.
    With `synthetic` given, only cuts of that kind count: real data are never compared with
    synthetic data. Ties on the date go to the folder name that sorts last (deterministic).
    """
    this = datetime.date.fromisoformat(this_cut)
    best: tuple[datetime.date, str] | None = None
    found: Path | None = None
    root = Path(reports_root)
    if not root.is_dir():
        return None
    for d in sorted(root.iterdir()):
        cur = d / "current"
        if d.name.startswith(".") or not (cur / "manifest.json").is_file():
            continue
        info = _read_cut_info(cur)
        if not info or "cut" not in info:
            continue
        if synthetic is not None and bool(info.get("synthetic")) != synthetic:
            continue
        try:
            when = datetime.date.fromisoformat(str(info["cut"]))
        except (TypeError, ValueError):
            continue
        if when < this and (best is None or (when, d.name) > best):
            best, found = (when, d.name), cur.resolve()
    return found
