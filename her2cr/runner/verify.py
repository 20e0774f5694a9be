"""Reproducing a stored cut: re-run it from scratch and compare every output with its manifest."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from her2cr.runner.pipeline import raw_inputs, run_cut

# Files that legitimately differ between runs: executed notebooks (timings), rendered documents
# (render date), the manifest itself (times), and the change report (depends on earlier cuts).
VOLATILE_PREFIXES = ("notebooks/", "diff/", "report", "render.json", "manifest.json")


def is_reproducible_output(rel: str) -> bool:
    # tables/*.docx are rendered documents too: their page header names the report version
    return not rel.startswith(VOLATILE_PREFIXES) and not rel.endswith(".docx")


@dataclass
class Verification:
    version_dir: Path
    inputs_changed: dict[str, tuple[str, str]] = field(default_factory=dict)
    differ: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    compared: int = 0
    message: str = ""
    intake: list[str] = field(default_factory=list)  # differences found re-running the intake
    intake_note: str = ""  # ", the intake re-run from the export" when it was

    @property
    def ok(self) -> bool:
        return not (self.inputs_changed or self.differ or self.missing or self.extra or self.message
                    or self.intake)

    def lines(self) -> list[str]:
        if self.message:
            return [self.message]
        out = list(self.intake)
        out += [f"{n}: input changed since the run ({a[:12]} -> {b[:12]})" for n, (a, b) in self.inputs_changed.items()]
        out += [f"differs: {f}" for f in self.differ]
        out += [f"not reproduced: {f}" for f in self.missing]
        out += [f"new in the re-run: {f}" for f in self.extra]
        if self.ok:
            out.append(f"{self.version_dir}: all {self.compared} data, table, result and figure files "
                       "reproduced byte for byte" + (self.intake_note or "") + ".")
        return out


def compare_manifests(stored: dict, rerun: dict) -> tuple[list[str], list[str], list[str], int]:
    a = {f: h for f, h in stored.get("files", {}).items() if is_reproducible_output(f)}
    b = {f: h for f, h in rerun.get("files", {}).items() if is_reproducible_output(f)}
    differ = sorted(f for f in a.keys() & b.keys() if a[f] != b[f])
    return differ, sorted(a.keys() - b.keys()), sorted(b.keys() - a.keys()), len(a)


def verify(out: Path | str, jobs: int = 2) -> Verification:
    """Re-run the current version of a cut in a scratch folder and compare with its manifest."""
    out = Path(out)
    version_dir = (out / "current").resolve() if (out / "current").exists() else out
    manifest_path = version_dir / "manifest.json"
    if not manifest_path.is_file():
        return Verification(version_dir, message=f"{version_dir}: no manifest.json; run the cut first")
    stored = json.loads(manifest_path.read_text())
    raw_dir = Path(stored["raw_dir"])
    v = Verification(version_dir)
    if stored.get("intake"):  # the raw cut came through the intake: run it again from the export
        from her2cr.intake.run import verify_intake

        v.intake = verify_intake(stored["intake"])
        if v.intake:
            return v
        v.intake_note = f" (the raw cut re-made from the export {stored['intake']['export']} first)"
    now = raw_inputs(raw_dir)
    v.inputs_changed = {n: (h, now.get(n, "")) for n, h in stored["inputs"].items() if now.get(n, "") != h}
    if v.inputs_changed:
        return v
    with tempfile.TemporaryDirectory(prefix="her2cr-verify-") as tmp:
        outcome = run_cut(raw_dir, stored["cut"], Path(tmp) / "cut", jobs=jobs, force=True, echo=lambda *_: None)
        if outcome.status != "built":
            v.message = f"the re-run failed: {outcome.message}"
            return v
        rerun = json.loads((outcome.version_dir / "manifest.json").read_text())
    v.differ, v.missing, v.extra, v.compared = compare_manifests(stored, rerun)
    return v
