"""What produced a cut's outputs: the git commit, the lock file and the package versions.

The manifest (runner) and the report's provenance table (reporting) both need them; they live
here, below both, so that the report never imports the runner.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from her2cr.settings import PROJECT


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def lock_hash() -> str:
    lock = PROJECT / "requirements.lock"
    return sha256_file(lock) if lock.exists() else ""


def git_state() -> dict:
    import subprocess

    def git(*args):
        try:
            r = subprocess.run(["git", *args], cwd=PROJECT, capture_output=True, text=True, timeout=30)
            return r.stdout.strip() if r.returncode == 0 else ""
        except (OSError, subprocess.SubprocessError):
            return ""

    commit = git("rev-parse", "HEAD")
    dirty = bool(git("status", "--porcelain", "--untracked-files=no")) if commit else False
    return {"commit": commit or "unknown", "dirty": dirty}


def package_versions() -> dict[str, str]:
    from importlib import metadata

    names = ["her2cr", "numpy", "pandas", "pyarrow", "scipy", "statsmodels", "matplotlib", "seaborn",
             "pandera", "great-tables", "papermill", "ipykernel", "nbformat", "nbconvert"]
    out = {}
    for n in names:
        try:
            out[n] = metadata.version(n)
        except metadata.PackageNotFoundError:
            out[n] = "not installed"
    out["python"] = sys.version.split()[0]
    return out
