"""pyproject.toml, environment.yml and requirements.lock agree on the direct dependencies."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[1]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject_pins() -> dict[str, str]:
    meta = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]
    reqs = list(meta["dependencies"]) + [r for extra in meta["optional-dependencies"].values() for r in extra]
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
    extra = set(conda) - set(pyproject_pins()) - {"quarto", "python", "pip"}
    assert not extra, f"in environment.yml but not pyproject.toml: {sorted(extra)}"


def test_lock_file_pins_the_same_direct_versions():
    lock = (PROJECT / "requirements.lock").read_text()
    locked = {_norm(m.group(1)): m.group(2) for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==(\S+)", lock, re.M)}
    py = pyproject_pins()
    differ = {n: (py[n], locked.get(n)) for n in py if locked.get(n) != py[n]}
    assert not differ, f"requirements.lock is stale (run `make lock`): {differ}"
