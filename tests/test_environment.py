"""pyproject.toml, environment.yml and requirements.lock agree on the direct dependencies."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[1]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


LAB_EXTRAS = ("lab",)  # in requirements-lab.lock only: make report, make test and CI do without


def pyproject_pins(extras: str = "all") -> dict[str, str]:
    """Exact pins of pyproject.toml: "all", "locked" (dependencies and the extras in
    requirements.lock) or "lab" (the extras only in requirements-lab.lock)."""
    meta = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]
    optional = meta["optional-dependencies"]
    reqs = [] if extras == "lab" else list(meta["dependencies"])
    reqs += [r for name, extra in optional.items() for r in extra
             if extras == "all" or (name in LAB_EXTRAS) == (extras == "lab")]
    pins = {}
    for r in reqs:
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^;\s]+)", r.strip())
        assert m, f"pyproject.toml: {r!r} is not pinned exactly (name==version)"
        pins[_norm(m.group(1))] = m.group(2)
    return pins


def conda_pins() -> dict[str, str]:
    env = yaml.safe_load((PROJECT / "environment.yml").read_text())
    pins = {}
    for d in env["dependencies"]:
        if isinstance(d, str):
            m = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(?:=+\s*(\S+))?.*", d.split("#")[0].strip())
            pins[_norm(m.group(1))] = m.group(2) or ""
    return pins


def test_every_direct_dependency_is_pinned_identically_in_environment_yml():
    py, conda = pyproject_pins(), conda_pins()
    missing = sorted(set(py) - set(conda))
    assert not missing, f"in pyproject.toml but not environment.yml: {missing}"
    differ = {n: (py[n], conda[n]) for n in py if conda[n] != py[n]}
    assert not differ, f"versions differ (pyproject, environment.yml): {differ}"


def test_environment_yml_has_quarto_and_no_unknown_packages():
    conda = conda_pins()
    assert "quarto" in conda
    # R and survival: the independent QC (qc/*.R), not Python packages
    assert {"r-base", "r-survival"} <= set(conda)
    extra = set(conda) - set(pyproject_pins()) - {"quarto", "python", "pip", "r-base", "r-survival"}
    assert not extra, f"in environment.yml but not pyproject.toml: {sorted(extra)}"


def lock_pins(name: str) -> dict[str, str]:
    lock = (PROJECT / name).read_text()
    return {_norm(m.group(1)): m.group(2) for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==(\S+)", lock, re.M)}


def test_lock_file_pins_the_same_direct_versions():
    locked = lock_pins("requirements.lock")
    py = pyproject_pins("locked")
    assert py and set(pyproject_pins()) - set(py) == set(pyproject_pins("lab"))
    differ = {n: (py[n], locked.get(n)) for n in py if locked.get(n) != py[n]}
    assert not differ, f"requirements.lock is stale (run `make lock`): {differ}"
    assert not set(pyproject_pins("lab")) & set(locked), "JupyterLab belongs in requirements-lab.lock only"


def test_lab_lock_is_the_same_environment_plus_the_lab_extra():
    # `make lab` syncs .venv to requirements-lab.lock: every package the pipeline runs with keeps
    # its locked version, so results do not depend on whether JupyterLab was installed.
    lab, locked = lock_pins("requirements-lab.lock"), lock_pins("requirements.lock")
    py = pyproject_pins()
    differ = {n: (py[n], lab.get(n)) for n in py if lab.get(n) != py[n]}
    assert not differ, f"requirements-lab.lock is stale (run `make lock`): {differ}"
    moved = {n: (v, lab.get(n)) for n, v in locked.items() if lab.get(n) != v}
    assert not moved, f"requirements-lab.lock changes locked versions (run `make lock`): {moved}"
