"""The pipeline of a cut: notebooks run by papermill, each in a fresh kernel, in dependency order.

Why it is built this way:
- Atomic: every run builds a new version folder under a temporary name and publishes it by an
  atomic rename and a symlink swap, so a failed or interrupted run leaves the last good outputs
  exactly as they were; earlier versions are never replaced.
- Incremental: each step has a key (hash of its notebook, the her2cr code, the lock file, its
  parameters, its upstream keys and, for the first step, the raw files). A step whose key matches
  the current version's is not run again: its outputs are linked from there.
- Parallel: steps whose inputs are ready run at the same time (02 and 03 after 01), each in its
  own kernel; every step writes into its own scratch folder so its outputs are known exactly.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from her2cr.provenance import git_state, lock_hash, package_versions, sha256_file
from her2cr.settings import PACKAGE, PROJECT

KERNEL = "her2cr"


@dataclass(frozen=True)
class Step:
    name: str
    notebook: Path | None
    needs: tuple[str, ...] = ()
    optional: bool = False  # a failing optional step (a sub-analysis) does not block the report
    kind: str = "notebook"  # notebook, posting (results files, in-process) or report


@dataclass
class StepResult:
    name: str
    status: str  # "ran", "reused", "failed", "skipped"
    seconds: float = 0.0
    outputs: dict[str, str] = field(default_factory=dict)  # relative path -> sha256
    error: str = ""
    key: str = ""


def core_steps(notebooks_dir: Path | None = None) -> list[Step]:
    nb = notebooks_dir or PROJECT / "notebooks"
    return [
        Step("01_clean", nb / "01_clean.ipynb"),
        Step("02_baseline", nb / "02_baseline.ipynb", needs=("01_clean",)),
        Step("03_ctdna", nb / "03_ctdna.ipynb", needs=("01_clean",)),
    ]


def subanalysis_steps(notebooks_dir: Path | None = None) -> list[Step]:
    """Co-investigators' notebooks: notebooks/9N_<topic>.ipynb, run after the core ones."""
    nb = notebooks_dir or PROJECT / "notebooks"
    core = tuple(s.name for s in core_steps(nb))
    return [Step(p.stem, p, needs=core, optional=True) for p in sorted(nb.glob("9[0-9]_*.ipynb"))]


# -- hashing ------------------------------------------------------------------------------------

def code_hash() -> str:
    """Hash of the her2cr package source: a change to the code re-runs every step."""
    h = hashlib.sha256()
    for p in sorted(PACKAGE.rglob("*")):
        if p.is_file() and p.suffix in (".py", ".json", ".txt", ".md", ".yml", ".html", ".css") and "__pycache__" not in p.parts:
            h.update(str(p.relative_to(PACKAGE)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def report_files_hash(report_dir: Path) -> str:
    """Hash of the report folder's files besides the notebook (styles.css, _page.typ,
    _quarto.yml, _banner.html, ...): a change to how the report looks renders it again."""
    h = hashlib.sha256()
    for p in sorted(report_dir.iterdir()) if report_dir.is_dir() else []:
        if p.is_file() and not p.name.startswith(".") and p.suffix != ".ipynb":
            h.update(p.name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def step_key(step: Step, params: dict, upstream: list[str], extra: str) -> str:
    h = hashlib.sha256()
    h.update(step.notebook.read_bytes() if step.notebook and step.notebook.is_file() else b"")
    h.update(json.dumps(params, sort_keys=True, default=str).encode())
    for u in upstream:
        h.update(u.encode())
    h.update(extra.encode())
    return h.hexdigest()


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): sha256_file(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def link_tree(src: Path, dst: Path, files) -> None:
    """Hard-link (or copy across devices) the given relative files from src into dst."""
    for rel in files:
        s, d = src / rel, dst / rel
        d.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(s, d)
        except OSError:
            shutil.copy2(s, d)


# -- running one notebook -----------------------------------------------------------------------

def run_notebook(step: Step, workdir: Path, params: dict, km=None, retire=None) -> None:
    """Execute one notebook with papermill in a fresh kernel; raise StepFailed with the cell error.

    km: a kernel started for this notebook alone (see kernels.py), with `retire`, what shuts it
    down afterwards; or None: papermill starts the kernel and shuts it down."""
    import papermill as pm

    from her2cr.runner.kernels import START_TIMEOUT, LocalKernelManager

    out_nb = workdir / "notebooks" / f"{step.name}.ipynb"
    out_nb.parent.mkdir(parents=True, exist_ok=True)
    try:
        pm.execute_notebook(
            str(step.notebook), str(out_nb), parameters=params, kernel_name=KERNEL,
            cwd=str(PROJECT), progress_bar=False, log_output=False, request_save_on_cell_execute=False,
            start_timeout=START_TIMEOUT,
            **({"km": km} if km is not None else {"kernel_manager_class": LocalKernelManager}),
        )
    except pm.PapermillExecutionError as exc:
        raise StepFailed(step.name, f"{exc.ename}: {exc.evalue}", out_nb) from None
    except Exception as exc:  # kernel died, notebook missing, ...
        raise StepFailed(step.name, f"{type(exc).__name__}: {exc}", out_nb) from None
    finally:
        if km is not None:
            retire(km)


def start_qc(work: Path, raw_dir, cut: str, started=None):
    """Independent QC in R (her2cr.qc) of the outputs linked into the report step's folder, in a
    thread while the report notebook executes. started: the R program, started with the run's
    first step (her2cr.qc.run.start_r); its process ends with the run."""
    from concurrent.futures import ThreadPoolExecutor

    from her2cr.qc.run import check

    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(check, work, Path(raw_dir), cut, work / "qc", started)
    pool.shutdown(wait=False)
    return future


def finish_qc(future, executed_notebook: Path) -> None:
    """Wait for QC and fill its result into the executed report notebook, before the render."""
    from her2cr.qc.report import fill_notebook

    try:
        result = future.result()
    except Exception as exc:  # the R program failed: the QC's failure, as a step's
        raise StepFailed("report", f"independent QC failed: {exc}") from None
    nb = json.loads(executed_notebook.read_text(encoding="utf-8"))
    executed_notebook.write_text(json.dumps(fill_notebook(nb, result), indent=1, ensure_ascii=False) + "\n",
                                 encoding="utf-8")


class StepFailed(Exception):
    def __init__(self, step: str, message: str, notebook: Path | None = None):
        self.step, self.message, self.notebook = step, message, notebook
        super().__init__(f"{step}: {message}")


# -- running a cut ------------------------------------------------------------------------------

@dataclass
class RunOutcome:
    status: str  # "up to date", "built", "failed"
    version_dir: Path | None
    results: list[StepResult]
    message: str = ""


def _topo(steps: list[Step]) -> list[Step]:
    done, order, pending = set(), [], list(steps)
    while pending:
        ready = [s for s in pending if all(n in done for n in s.needs)]
        if not ready:
            raise ValueError("notebook dependencies form a cycle: " + ", ".join(s.name for s in pending))
        for s in ready:
            order.append(s)
            done.add(s.name)
            pending.remove(s)
    return order


def _ancestors(name: str, by_name: dict[str, Step]) -> list[str]:
    seen: list[str] = []
    stack = list(by_name[name].needs)
    while stack:
        n = stack.pop()
        if n not in seen and n in by_name:
            seen.append(n)
            stack.extend(by_name[n].needs)
    return seen


def read_manifest(version_dir: Path | None) -> dict:
    if version_dir is None:
        return {}
    m = version_dir / "manifest.json"
    return json.loads(m.read_text()) if m.exists() else {}


def current_version(cut_root: Path) -> Path | None:
    cur = cut_root / "current"
    return cur.resolve() if cur.is_symlink() and cur.resolve().is_dir() else None


def next_version_name(cut_root: Path) -> str:
    nums = [int(p.name[1:]) for p in cut_root.glob("v*") if p.name[1:].isdigit()]
    return f"v{max(nums, default=0) + 1}"


def publish(staged: Path, cut_root: Path, link_name: str = "current") -> Path:
    """Move a finished version into place and point `current` at it, both atomically."""
    final = cut_root / staged.name
    os.replace(staged, final)
    tmp_link = cut_root / f".{link_name}.tmp"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    tmp_link.symlink_to(final.name)
    os.replace(tmp_link, cut_root / link_name)
    return final


def report_steps(steps: list[Step], report_dir: Path | None = None) -> list[Step]:
    core = tuple(s.name for s in steps if not s.optional)
    subs = tuple(s.name for s in steps if s.optional)
    return [
        Step("posting", None, needs=("02_baseline", "03_ctdna"), kind="posting"),
        Step("report", (report_dir or PROJECT / "report") / "report.ipynb",
             needs=core + ("posting",) + subs, kind="report"),
    ]


def all_steps(only: list[str] | None = None, notebooks_dir: Path | None = None,
              report_dir: Path | None = None) -> list[Step]:
    """Every step of a run (core notebooks, sub-analyses, results posting, report).

    notebooks_dir / report_dir: other folders of notebooks (tests use copies)."""
    steps = core_steps(notebooks_dir) + subanalysis_steps(notebooks_dir)
    steps = steps + report_steps(steps, report_dir)
    if only:
        by = {s.name: s for s in steps}
        unknown = [o for o in only if o not in by]
        if unknown:
            raise ValueError(f"unknown notebook(s): {', '.join(unknown)}; known: {', '.join(by)}")
        keep = set(only)
        for o in only:
            keep.update(_ancestors(o, by))
        steps = [s for s in steps if s.name in keep]
    return _topo(steps)


def raw_inputs(raw_dir: Path) -> dict[str, str]:
    """SHA-256 of each input file of the cut (missing files hash as ""); a cut written by
    `her2cr intake` adds its record, intake.json (which holds the export's and the mapping's),
    its warnings and sources.csv (where each row came from, named in 01's data issues;
    her2cr.data.sources.SOURCES_FILE, not imported: importing her2cr.data loads pandas)."""
    names = ["subjects.csv", "ctdna.csv", "synthetic.json"]
    names += [n for n in ("intake.json", "intake_issues.csv", "sources.csv") if (raw_dir / n).is_file()]
    return {n: (sha256_file(raw_dir / n) if (raw_dir / n).is_file() else "") for n in names}


def quarto_identity() -> str:
    """Which Quarto would render (its path, size and modification time), or "": part of the report
    step's key. Cheap on purpose: `quarto --version` takes about a second, too long for the
    up-to-date check of an unchanged cut; a Quarto installed or upgraded in place changes it."""
    from her2cr.reporting.render import find_quarto

    exe = find_quarto()
    if not exe:
        return ""
    path = Path(shutil.which(exe) or exe).resolve()
    try:
        st = path.stat()
    except OSError:
        return ""
    return f"{path}|{st.st_size}|{st.st_mtime_ns}"


def quarto_version() -> str:
    """`quarto --version` of the Quarto that renders (for the manifest), or ""."""
    from her2cr.reporting.render import find_quarto

    exe = find_quarto()
    if not exe:
        return ""
    import subprocess

    try:
        return subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def plan(steps: list[Step], params: dict, raw: dict[str, str], step_params: dict[str, dict],
         render: bool = True, study_config_sha: str = "") -> dict[str, str]:
    """Key of every step, in dependency order (the posting step's includes the study
    configuration, so that an edited report/study.yml makes new posting files and report)."""
    base = code_hash() + lock_hash()
    keys: dict[str, str] = {}
    for s in steps:
        p = {**params, **step_params.get(s.name, {})}
        p.pop("version", None)
        extra = base + (json.dumps(raw, sort_keys=True) if s.name == "01_clean" else "")
        if s.kind == "report":
            from her2cr.qc.run import r_identity

            extra += (quarto_identity() if render else "not rendered") + report_files_hash(s.notebook.parent)
            extra += r_identity()
        if s.kind == "posting":
            extra += study_config_sha
        keys[s.name] = step_key(s, p, [keys[n] for n in s.needs if n in keys], extra)
    return keys


def _file_state(root: Path, files) -> dict[str, tuple[int, int]]:
    return {f: ((root / f).stat().st_size, (root / f).stat().st_mtime_ns) for f in files}


class _Run:
    """One build of one cut: the state shared by its steps."""

    def __init__(self, staging: Path, params: dict, step_params: dict, keys: dict, previous: Path | None, force: bool):
        self.staging, self.params, self.step_params = staging, params, step_params
        self.keys, self.previous, self.force = keys, previous, force
        self.prev_steps = read_manifest(previous).get("steps", {})
        self.results: dict[str, StepResult] = {}
        self.where: dict[str, Path] = {}  # step -> its work folder
        self.render = True  # convert the report notebook into documents
        self.kernels = None  # KernelPool of kernels started ahead of their notebooks
        self.study_config: Path | None = None  # the sponsor's facts for the posting step
        self.qc_r = None  # the independent QC's R program, started with the first step

    def reusable(self, step: Step) -> bool:
        """The previous version has this step's outputs for the very same key."""
        prev = self.prev_steps.get(step.name, {})
        return (
            not self.force and prev.get("key") == self.keys[step.name]
            and prev.get("status") in ("ran", "reused")
            and all((self.previous / f).is_file() for f in prev.get("outputs", {}))
        )

    def inherited(self, step: Step, by: dict[str, Step]) -> dict[str, Path]:
        files: dict[str, Path] = {}
        for a in reversed(_ancestors(step.name, by)):
            r = self.results.get(a)
            if r and r.status in ("ran", "reused"):
                files.update({f: self.where[a] for f in r.outputs})
        return files

    def do(self, step: Step, by: dict[str, Step]) -> StepResult:
        t0 = time.perf_counter()
        work = self.staging / ".steps" / step.name
        work.mkdir(parents=True)
        self.where[step.name] = work
        inherited = self.inherited(step, by)
        for f, src in inherited.items():
            link_tree(src, work, [f])
        key = self.keys[step.name]
        prev = self.prev_steps.get(step.name, {})
        if self.reusable(step):
            link_tree(self.previous, work, prev["outputs"])
            return StepResult(step.name, "reused", time.perf_counter() - t0, dict(prev["outputs"]), key=key)
        before = _file_state(work, inherited)
        params = {"cut": self.params["cut"], "out_dir": str(work), **self.step_params.get(step.name, {})}
        if step.name == "01_clean":
            params["raw_dir"] = self.params["raw_dir"]
        if step.optional:
            params["name"] = step.name
        if step.kind == "report":
            params["version"] = self.params["version"]
        if step.kind == "posting":
            from her2cr.ctgov.posting import write_posting_files

            try:
                write_posting_files(work, self.study_config)
            except Exception as exc:  # a bad count in flow.csv, ...: the step's failure, as a notebook's
                raise StepFailed(step.name, f"{type(exc).__name__}: {exc}") from None
        else:
            if step.kind == "report":
                params["failed_steps"] = json.dumps(
                    {n: r.error for n, r in sorted(self.results.items()) if r.status == "failed"})
            from her2cr.runner.kernels import KernelFailed

            try:
                km = self.kernels.take(step.name) if self.kernels else None
            except KernelFailed as exc:  # died or hung as it started
                raise StepFailed(step.name, str(exc)) from None
            qc = (start_qc(work, self.params["raw_dir"], self.params["cut"], self.qc_r)
                  if step.kind == "report" else None)
            run_notebook(step, work, params, km=km, retire=self.kernels.retire if self.kernels else None)
            if qc is not None:
                finish_qc(qc, work / "notebooks" / f"{step.name}.ipynb")
            if step.kind == "report" and self.render:
                from her2cr.reporting.render import render_report

                try:
                    render_report(work)
                except RuntimeError as exc:  # Quarto failed: say so as the report step's failure
                    raise StepFailed(step.name, f"document conversion failed: {exc}") from None
        if _file_state(work, inherited) != before:
            raise StepFailed(step.name, "it modified a file written by an earlier step")
        outputs = {f: h for f, h in tree_hashes(work).items() if f not in inherited}
        return StepResult(step.name, "ran", time.perf_counter() - t0, outputs, key=key)


def _execute(run: _Run, steps: list[Step], jobs: int, echo) -> StepFailed | None:
    """Run steps as their inputs become ready, `jobs` at a time; stop at a core failure.

    Interrupted (Ctrl-C, or SIGTERM or SIGHUP turned into KeyboardInterrupt by her2cr.cli): every
    kernel and Quarto process of the run is killed at once, so the running steps fail at once,
    and no further step starts."""
    by = {s.name: s for s in steps}
    papermill_log = logging.getLogger("papermill")
    papermill_quiet = papermill_log.disabled
    pending = list(steps)
    running: dict = {}
    failure: StepFailed | None = None
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        while pending or running:
            finished = {n for n, r in run.results.items()}
            for s in list(pending):
                if failure:
                    break
                if len(running) >= max(1, jobs):
                    break
                if all(n in finished for n in s.needs):
                    # a sub-analysis that failed does not feed the report
                    pending.remove(s)
                    running[pool.submit(run.do, s, by)] = s
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                s = running.pop(fut)
                try:
                    res = fut.result()
                except StepFailed as exc:
                    res = StepResult(s.name, "failed", 0.0, {}, exc.message, run.keys[s.name])
                    if not s.optional:
                        failure = failure or exc
                run.results[s.name] = res
                echo(f"  {s.name:<16} {res.status:<7} {res.seconds:6.1f} s" + (f"  {res.error.splitlines()[0]}" if res.error else ""))
    except BaseException:
        from her2cr import processes

        # papermill would log each killed kernel ("Kernel died while waiting for execute reply.")
        # as if it had failed on its own; the run says it was interrupted
        papermill_log.disabled = True
        processes.kill_all()
        if run.kernels:
            run.kernels.stop()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        papermill_log.disabled = papermill_quiet
    return failure


def write_manifest(version_dir: Path, *, cut, version, raw_dir, raw, params, step_params, results,
                   started, ended) -> Path:
    import platform

    from her2cr.intake.run import read_intake_record

    # the export's files, their SHA-256 and the mapping, when the cut came through the intake
    intake = read_intake_record(raw_dir)
    outputs = tree_hashes(version_dir)
    manifest = {
        "study": "NCT06663787",
        "cut": cut,
        "version": version,
        "raw_dir": str(raw_dir),
        "inputs": raw,
        **({"intake": intake} if intake else {}),
        "lock_file_sha256": lock_hash(),
        "code_sha256": code_hash(),
        "git": git_state(),
        "parameters": params,
        "step_parameters": step_params,
        "packages": package_versions(),
        "quarto": quarto_version() or "not installed",
        "machine": {"platform": platform.platform(), "processor": platform.machine(), "cpus": os.cpu_count()},
        "started": started,
        "ended": ended,
        "qc": _qc_record(version_dir),
        "steps": {r.name: {"key": r.key, "status": r.status, "seconds": round(r.seconds, 3),
                           "error": r.error, "outputs": r.outputs} for r in results},
        "files": outputs,
    }
    path = version_dir / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path


def _qc_record(version_dir: Path) -> dict:
    """The independent QC's result and R's version (qc/qc.json), for the manifest."""
    p = version_dir / "qc" / "qc.json"
    if not p.is_file():
        return {"status": "not run"}
    d = json.loads(p.read_text(encoding="utf-8"))
    return {"status": d["status"], "summary": d["summary"], "r_version": d.get("r_version", "")}


def previous_cut(cut_root: Path, cut: str, synthetic: bool) -> Path | None:
    """The current version of the latest earlier cut beside this one, to report changes against."""
    from her2cr.reporting.cuts import previous_cut_dir

    if not cut_root.parent.is_dir():
        return None
    return previous_cut_dir(cut_root.parent, cut, synthetic=synthetic)


def _import_ahead(module: str) -> None:
    """Import a module a later step needs; an error is left for that step to meet and report."""
    import importlib

    try:
        importlib.import_module(module)
    except Exception:
        pass


def take_lock(path: Path):
    """An exclusive lock on a cut: (the open lock file, the pid its last holder wrote, or ""), or
    None while a live run holds it. The lock is the file's flock, which the system releases when
    its holder ends, however it ends."""
    import fcntl

    while True:
        f = open(path, "a+", encoding="utf-8")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.close()
            return None
        try:
            same = os.stat(path).st_ino == os.fstat(f.fileno()).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        f.close()  # its holder removed it as this run opened it: lock the new one
    f.seek(0)
    holder = f.read().strip()
    f.seek(0)
    f.truncate()
    f.write(f"{os.getpid()}\n")
    f.flush()
    return f, holder


def release_lock(f, path: Path) -> None:
    path.unlink(missing_ok=True)  # before the lock is released: see take_lock
    f.close()


def clean_stale(cut_root: Path, echo) -> bool:
    """Remove what a run of this cut that was killed left behind (its staging folder, with its
    kernels' connection files, and its lock), saying so in one line; False if a live run holds
    the lock (its files are its own)."""
    lock_path = cut_root.parent / f".{cut_root.name}.lock"
    staging = sorted(cut_root.parent.glob(f".{cut_root.name}.staging-*"))
    if not staging and not lock_path.exists():
        return True
    held = take_lock(lock_path)
    if held is None:
        return False
    lock, holder = held
    try:
        for folder in staging:
            shutil.rmtree(folder, ignore_errors=True)
    finally:
        release_lock(lock, lock_path)
    left = ", ".join(f.name for f in staging) or "no staging folder"
    echo(f"her2cr: cleaned up after an interrupted run{f' (process {holder})' if holder else ''}: "
         f"removed its lock and {left}")
    return True


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def run_cut(raw_dir: Path | str, cut: str, out: Path | str | None = None, *, only: list[str] | None = None,
            step_params: dict[str, dict] | None = None, jobs: int = 2, force: bool = False,
            echo=print, notebooks_dir: Path | None = None, report_dir: Path | None = None,
            render: bool = True, study_config: Path | str | None = None,
            warm_kernels: bool = True) -> RunOutcome:
    """Build (or reuse) the outputs of a cut; publish them as a new version only on success.

    warm_kernels: start each notebook's kernel ahead and, for a notebook that waits for another,
    import the libraries while it waits (kernels.py); False: plain papermill kernels.

    study_config: the sponsor's facts for results posting (default <report_dir>/study.yml); a bad
    file raises StudyConfigError, listing every problem, before anything is written."""
    from her2cr.ctgov.study_config import CONFIG_NAME, load_study_config

    config_path = Path(study_config) if study_config else (report_dir or PROJECT / "report") / CONFIG_NAME
    load_study_config(config_path)  # checked first: a bad file stops the run before any output
    config_path = config_path.resolve()
    config_sha = sha256_file(config_path)
    raw_dir = Path(raw_dir).resolve()
    cut_root = Path(out) if out else PROJECT / "reports" / cut
    cut_root = cut_root.resolve()
    step_params = step_params or {}
    steps = all_steps(only, notebooks_dir, report_dir)
    raw = raw_inputs(raw_dir)
    params = {"cut": cut, "raw_dir": str(raw_dir)}
    previous = current_version(cut_root) if cut_root.exists() else None
    lock_path = cut_root.parent / f".{cut_root.name}.lock"
    if cut_root.parent.is_dir() and not clean_stale(cut_root, echo):
        return RunOutcome("failed", None, [], f"another run of cut {cut} is in progress ({lock_path})")
    prev = read_manifest(previous)

    def with_previous(compare_with) -> dict[str, dict]:
        return {**step_params, "report": {**step_params.get("report", {}), "previous_dir": str(compare_with or "")}}

    # Up to date when every step's key equals the current version's, the report compared with
    # what it compared with when it was built.
    stored = prev.get("step_parameters", {}).get("report", {}).get("previous_dir", "")
    keys = plan(steps, params, raw, with_previous(stored), render, config_sha)
    if not force and not only and prev and all(
        prev.get("steps", {}).get(s.name, {}).get("key") == keys[s.name]
        and prev["steps"][s.name].get("status") in ("ran", "reused") for s in steps if not s.optional
    ) and set(prev.get("steps", {})) >= {s.name for s in steps}:
        return RunOutcome("up to date", previous, [], f"{cut_root / 'current'} is up to date ({previous.name})")

    # A new build reports what changed since this cut's current version, else since the latest
    # earlier cut beside it (of the same kind: synthetic data are never compared with real).
    compare_with = previous or previous_cut(cut_root, cut, synthetic=bool(raw["synthetic.json"]))
    step_params = with_previous(compare_with)
    keys = plan(steps, params, raw, step_params, render, config_sha)

    # Staging lives beside the cut's folder (same file system: the final move is a rename).
    cut_root.parent.mkdir(parents=True, exist_ok=True)
    held = take_lock(lock_path)
    if held is None:
        return RunOutcome("failed", None, [], f"another run of cut {cut} is in progress ({lock_path})")
    lock = held[0]
    staging_root = cut_root.parent / f".{cut_root.name}.staging-{os.getpid()}"
    try:
        version = (next_version_name(cut_root) if cut_root.exists() else "v1") if not only else "scratch"
        staged = staging_root / version
        staged.mkdir(parents=True)
        params_v = {**params, "version": version}
        started = _now()
        run = _Run(staging_root, params_v, step_params, keys, previous, force)
        run.render = render
        run.study_config = config_path
        from her2cr import processes
        from her2cr.runner.kernels import KernelPool

        processes.reset()
        if "report" in {s.name for s in steps if not run.reusable(s)}:
            # QC's R program reads only the raw cut: it runs beside the notebooks
            from her2cr.qc.run import start_r

            run.qc_r = start_r(raw_dir, cut, staging_root / ".qc")
        if warm_kernels:
            # the kernels' connection files go with the staging folder, also after a killed run
            run.kernels = KernelPool(KERNEL, PROJECT, staging_root / ".kernels", parallel=jobs)
            will_run = {s.name for s in steps if not run.reusable(s)}
            to_run = [s for s in steps if s.kind != "posting" and s.name in will_run]
            # A notebook that can start at once would only wait for the preload: its kernel
            # stays plain; the others import while the steps they wait for run.
            run.kernels.prestart([s.name for s in to_run],
                                 warm={s.name for s in to_run if will_run & set(s.needs)})
            if any(s.kind == "posting" and s.name in will_run for s in steps):
                # the posting step runs in this process: its imports (pandas) are done while the
                # notebooks run, not after them
                import threading

                threading.Thread(target=_import_ahead, args=("her2cr.ctgov.posting",), daemon=True).start()
        try:
            failure = _execute(run, steps, jobs, echo)
        finally:
            if run.kernels:
                run.kernels.close()
            if run.qc_r is not None:
                run.qc_r.stop()  # a run that failed before its report: R ends with it
        results = [run.results[s.name] for s in steps if s.name in run.results]
        if failure:
            return RunOutcome("failed", None, results, f"{failure.step} failed: {failure.message}")
        for r in results:
            if r.status in ("ran", "reused"):
                link_tree(run.where[r.name], staged, r.outputs)
        write_manifest(staged, cut=cut, version=version, raw_dir=raw_dir, raw=raw, params=params_v,
                       step_params=step_params, results=results, started=started, ended=_now())
        cut_root.mkdir(exist_ok=True)
        if only:
            old = cut_root / "scratch"
            if old.exists():
                shutil.rmtree(old)
            os.replace(staged, old)
            final = old
        else:
            final = publish(staged, cut_root)
        return RunOutcome("built", final, results, "")
    finally:
        shutil.rmtree(staging_root, ignore_errors=True)
        release_lock(lock, lock_path)
