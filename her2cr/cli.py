"""Command line: `her2cr synth | intake | validate | run | verify | diff | bench`.

Bad input ends with a message naming the file, the row and the column and exit code 1, never
with a Python traceback. Heavy libraries are imported only by the command that needs them.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_BAD_INPUT, EXIT_FAILED = 0, 1, 2
EXIT_QC = 1  # values differ from the independent QC in R, or QC asked for without R
DEFAULT_CUT = "2025-12-31"


def _err(msg: str) -> None:
    try:
        print(msg, file=sys.stderr)
    except OSError:  # the terminal has gone (SIGHUP)
        pass


STOP_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")
_MAIN_PID = os.getpid()  # set again by main(), which installs _stop


def _stop(signum, frame) -> None:
    """Ctrl-C, `kill` (SIGTERM) and a closed terminal (SIGHUP) all stop a command the same way:
    KeyboardInterrupt, so that the run kills its kernels and removes its staging folder and lock.
    Once is enough: further signals do not interrupt that clean-up.

    A child forked to start a kernel runs Python (its preexec function) until it execs, and a
    signal to the process group reaches it there too: it ignores it (raising there printed an
    'Exception ignored' traceback); the run kills the kernel's group as it is tracked."""
    import signal

    if os.getpid() != _MAIN_PID:
        return
    for name in STOP_SIGNALS:
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    raise KeyboardInterrupt


def _check_cut(cut: str) -> str:
    """YYYY-MM-DD and a real calendar date (checked without pandas: `run` must start fast)."""
    import datetime
    import re

    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", cut):
        raise argparse.ArgumentTypeError(f"cut-off {cut!r} is not a date in the form YYYY-MM-DD")
    try:
        datetime.date.fromisoformat(cut)
    except ValueError:
        raise argparse.ArgumentTypeError(f"cut-off {cut!r} is not a valid calendar date") from None
    return cut


def _params(pairs: list[list[str]] | None) -> dict:
    """-p NAME VALUE pairs; values that look like JSON literals (true, 3, 0.5) are parsed."""
    import json

    out = {}
    for name, value in pairs or []:
        try:
            out[name] = json.loads(value)
        except ValueError:
            out[name] = value
    return out


def cmd_synth(a) -> int:
    from her2cr.data.synth import generate, write_cut

    from her2cr.data.cutinfo import write_synthetic_marker
    from her2cr.data.synth import as_of

    if a.out is None and a.export is None:
        _err("her2cr synth: give --out (the contract cut) or --export (the EDC export), or both")
        return EXIT_BAD_INPUT
    data = generate(n=a.n, seed=a.seed, cut=a.cut)
    if a.as_of:
        data = as_of(data, a.as_of)
    paths = []
    for folder, write in ((a.out, write_cut), (a.export, lambda d, f: _write_export(d, f, a.lab_format))):
        if folder is not None:
            paths += write(data, folder)
            # the marker travels with the export, so that a cut taken in from it is synthetic too
            paths.append(write_synthetic_marker(folder, n=a.n, seed=a.seed, cut=a.cut, as_of=a.as_of))
    for p in paths:
        print(p)
    return EXIT_OK


def _write_export(data, folder, lab_format="csv"):
    from her2cr.intake.synthetic import build_export, write_export

    return write_export(build_export(data, lab_format), folder)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def cmd_intake(a) -> int:
    from her2cr.intake.issues import ERROR, IntakeFailed

    if a.draft_mapping:
        from her2cr.intake.draft import write_draft

        try:
            # a shell passes '\t' as two characters: take it (and the word tab) as a tab
            delimiter = "\t" if a.delimiter in ("\\t", "tab") else a.delimiter
            draft = write_draft(a.export, a.out or Path("mapping.draft.yml"), a.encoding, delimiter)
        except IntakeFailed as exc:
            for i in exc.errors:
                _err(i.line())
            return EXIT_BAD_INPUT
        print(f"her2cr intake: draft mapping written to {draft.path}; fill in every TODO, then run the intake "
              "with --mapping")
        print(draft.summary())
        return EXIT_OK
    missing = [f"--{n}" for n in ("mapping", "cut", "out") if getattr(a, n) is None]
    if missing:
        _err(f"her2cr intake: give {' and '.join(missing)} (or --draft-mapping to write a first mapping)")
        return EXIT_BAD_INPUT
    from her2cr.intake.run import ISSUES_CSV, intake

    try:
        record = intake(a.export, a.mapping, a.cut, a.out)
    except IntakeFailed as exc:
        for i in exc.errors:
            _err(i.line())
        n_warn = sum(i.severity != ERROR for i in exc.issues)
        also = f" (and {_count(n_warn, 'warning')})" if n_warn else ""
        _err(f"her2cr intake: {_count(len(exc.errors), 'error')}{also}; nothing was written.")
        return EXIT_BAD_INPUT
    c = record["counts"]
    print(f"her2cr intake: {c['subjects']} subjects, {c['samples']} samples written to {a.out}; "
          f"{_count(c['warnings'], 'warning')} in {Path(a.out) / ISSUES_CSV}")
    return EXIT_OK


def cmd_validate(a) -> int:
    from her2cr.data.validate import validate_cut

    v = validate_cut(a.raw, a.cut)
    v.issues.sort(key=lambda i: (i.file, i.row or 0, i.column))
    errors = [i for i in v.issues if i.severity == "error"]
    warnings = [i for i in v.issues if i.severity == "warning"]
    notes = [i for i in v.issues if i.severity == "info"]
    for i in errors + warnings:
        (_err if i.severity == "error" else print)(i.message())
    if a.verbose:
        for i in notes:
            print(i.message())
    summary = f"{len(errors)} errors, {len(warnings)} warnings, {len(notes)} notes"
    if errors:
        _err(f"{a.raw}: NOT usable for cut-off {a.cut}: {summary}.")
        return EXIT_BAD_INPUT
    print(f"{a.raw}: usable for cut-off {a.cut}: {summary}" + ("" if a.verbose else " (--verbose lists the notes)") + ".")
    return EXIT_OK


def _print_failure(message: str) -> None:
    _err(message)


def cmd_run(a) -> int:
    from her2cr.runner.pipeline import run_cut

    step_params = {}
    extra = _params(a.param)
    if extra:
        for name in (a.only or ["02_baseline", "03_ctdna"]):
            step_params[name] = extra
    from her2cr.ctgov.study_config import StudyConfigError

    print(f"her2cr: cut-off {a.cut}, raw data {a.raw}")
    try:
        outcome = run_cut(a.raw, a.cut, a.out, only=a.only, step_params=step_params, jobs=a.jobs,
                          force=a.force, render=not a.no_render, study_config=a.study)
    except StudyConfigError as exc:
        _err(f"her2cr: the run failed; no output was written and earlier reports are unchanged.\n{exc}")
        return EXIT_BAD_INPUT
    if outcome.status == "up to date":
        print(outcome.message)
        return EXIT_OK
    if outcome.status == "failed":
        _err(f"her2cr: the run failed; no output was written and earlier reports are unchanged.\n{outcome.message}")
        return EXIT_BAD_INPUT if "InputError" in outcome.message else EXIT_FAILED
    failed = [r for r in outcome.results if r.status == "failed"]
    for r in failed:
        _err(f"her2cr: sub-analysis {r.name} failed ({r.error}); the core report was built without it.")
    print(f"her2cr: outputs in {outcome.version_dir}")
    from her2cr.reporting.render import summary_lines

    for line in summary_lines(outcome.version_dir):
        print(line)
    from her2cr.qc.run import read_result

    qc = read_result(outcome.version_dir)
    if qc is not None:
        _print_qc(qc, outcome.version_dir)
        if qc.status == "differ":
            return EXIT_QC
    return EXIT_OK


def _print_qc(result, version_dir) -> None:
    """The QC's summary line and, when values differ, each of them (key, pipeline, R)."""
    if result.status == "differ":
        _err(f"her2cr: QC: values differ in {', '.join(result.tables)}; {version_dir / 'qc' / 'qc_values.csv'} has every value:")
        for line in result.differences[:50]:
            _err(f"  {line}")
        if len(result.differences) > 50:
            _err(f"  ... and {len(result.differences) - 50} more")
    (_err if result.status == "differ" else print)(result.summary)


def cmd_qc(a) -> int:
    from her2cr.qc.run import R_MISSING, QCFailed, find_rscript, qc_version

    if not find_rscript():
        _err(f"her2cr qc: {R_MISSING}.")
        return EXIT_QC
    try:
        version_dir, result = qc_version(a.out)
    except ValueError as exc:
        _err(f"her2cr qc: {exc}")
        return EXIT_BAD_INPUT
    except QCFailed as exc:
        _err(f"her2cr qc: {exc}")
        return EXIT_QC
    except FileNotFoundError as exc:
        _err(f"her2cr qc: {exc.filename} is missing: the version was changed by hand after the run; "
             "build it again from its raw cut (her2cr run ... --force, or make report after make clean)")
        return EXIT_BAD_INPUT
    _print_qc(result, version_dir)
    return EXIT_OK if result.status == "agree" else EXIT_QC


def cmd_verify(a) -> int:
    from her2cr.runner.verify import verify

    v = verify(a.out, jobs=a.jobs)
    for line in v.lines():
        (print if v.ok else _err)(line)
    return EXIT_OK if v.ok else EXIT_FAILED


def cmd_diff(a) -> int:
    from her2cr.reporting.cutdiff import compare_cuts, load_cut_outputs, resolve_version_dir
    from her2cr.reporting.cutdiff_render import summary_lines, write_diff

    try:
        old, new = resolve_version_dir(a.from_), resolve_version_dir(a.to)
    except ValueError as exc:
        _err(str(exc))
        return EXIT_BAD_INPUT
    diff = compare_cuts(load_cut_outputs(old), load_cut_outputs(new))
    print(f"Changes from {old} to {new}:")
    for line in summary_lines(diff):
        print(f"- {line}")
    if a.out:
        for p in write_diff(diff, a.out):
            print(p)
    return EXIT_OK


# The guide page (in the project folder) that explains each command; `her2cr --help` lists them and
# each command's --help names its own. tests/test_docs.py checks that each page exists and shows it.
GUIDE = {
    "synth": "docs/intake.md",
    "intake": "docs/intake.md",
    "validate": "docs/data-contract.md",
    "run": "docs/running-a-cut.md",
    "verify": "docs/running-a-cut.md",
    "diff": "docs/running-a-cut.md",
    "qc": "docs/qc.md",
}


def _guide_epilog() -> str:
    pages: dict[str, list[str]] = {}
    for command, page in GUIDE.items():
        pages.setdefault(page, []).append(command)
    lines = [f"  {', '.join(commands):<22}{page}" for page, commands in pages.items()]
    return "the guide (README.md and docs/ in the project folder):\n" + "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="her2cr", description="HER2 CR (NCT06663787) study report pipeline.",
                                epilog=_guide_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("synth", help="write a synthetic raw data cut, or the same study as an EDC export")
    s.add_argument("--out", type=Path, default=None, help="folder to write subjects.csv and ctdna.csv into")
    s.add_argument("--export", type=Path, default=None,
                   help="folder to write the same study into as the EDC export (REDCap records and data "
                        "dictionary), the laboratory's result file and the mapping.yml that takes them in")
    s.add_argument("--seed", type=int, default=20251231)
    s.add_argument("--n", type=int, default=50, help="participants (default 50)")
    s.add_argument("--cut", type=_check_cut, default=DEFAULT_CUT, help="cut-off YYYY-MM-DD")
    s.add_argument("--as-of", type=_check_cut, default=None,
                   help="export the same study as it stood at this earlier date (successive cuts)")
    s.add_argument("--lab-format", choices=("csv", "xlsx"), default="csv",
                   help="with --export: the laboratory's result file as CSV (default) or as an Excel workbook")
    s.set_defaults(func=cmd_synth)

    it = sub.add_parser("intake", help="map an EDC export and the laboratory file to a raw cut")
    it.add_argument("--export", required=True, type=Path, help="the export folder (records, dictionary, lab file)")
    it.add_argument("--mapping", type=Path, help="the mapping file (YAML, format 1)")
    it.add_argument("--cut", type=_check_cut, help="cut-off YYYY-MM-DD")
    it.add_argument("--out", type=Path, help="the raw cut folder to write (with --draft-mapping: the draft's file)")
    it.add_argument("--draft-mapping", action="store_true", help="write a first mapping from the dictionary")
    it.add_argument("--encoding", default=None, help="with --draft-mapping: the export's encoding (utf-8, cp932); "
                    "found from the files when not given")
    it.add_argument("--delimiter", default=None, help="with --draft-mapping: the export's delimiter; found from "
                    "the files when not given")
    it.set_defaults(func=cmd_intake)

    v = sub.add_parser("validate", help="check a raw data cut against the contract")
    v.add_argument("--raw", required=True, type=Path)
    v.add_argument("--cut", required=True, type=_check_cut)
    v.add_argument("--verbose", action="store_true", help="also list notes (respelled values, after cut-off)")
    v.set_defaults(func=cmd_validate)

    r = sub.add_parser("run", help="run the pipeline for a cut")
    r.add_argument("--raw", required=True, type=Path)
    r.add_argument("--cut", required=True, type=_check_cut)
    r.add_argument("--out", type=Path, default=None, help="the cut's output folder (default reports/<CUT>)")
    r.add_argument("--only", nargs="+", metavar="NOTEBOOK", help="run only these notebooks and what they need (into <out>/scratch)")
    r.add_argument("-p", "--param", nargs=2, action="append", metavar=("NAME", "VALUE"), help="notebook parameter")
    r.add_argument("--jobs", type=int, default=2, help="notebooks run at the same time (default 2)")
    r.add_argument("--force", action="store_true", help="re-run every step even if up to date")
    r.add_argument("--study", type=Path, default=None,
                   help="study configuration for results posting (default report/study.yml)")
    r.add_argument("--no-render", action="store_true",
                   help="skip converting the report into HTML/PDF (benchmarks; the notebook still runs)")
    r.set_defaults(func=cmd_run)

    q = sub.add_parser("qc", help="independent QC: recompute the posted numbers in R and compare, value by value")
    q.add_argument("--out", required=True, type=Path, help="the cut's output folder (its current version is checked)")
    q.set_defaults(func=cmd_qc)

    ve = sub.add_parser("verify", help="re-run a cut in a scratch folder and compare with its manifest")
    ve.add_argument("--out", required=True, type=Path, help="the cut's output folder (or one version of it)")
    ve.add_argument("--jobs", type=int, default=2)
    ve.set_defaults(func=cmd_verify)

    d = sub.add_parser("diff", help="what changed between two cuts (or two versions of a cut)")
    d.add_argument("--from", dest="from_", required=True, type=Path, help="earlier cut folder or version folder")
    d.add_argument("--to", required=True, type=Path, help="later cut folder or version folder")
    d.add_argument("--out", type=Path, default=None, help="also write the tables of changes into this folder")
    d.set_defaults(func=cmd_diff)
    for name, parser in sub.choices.items():
        parser.epilog = f"guide: {GUIDE[name]} in the project folder"
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    a = parser.parse_args(argv)
    import signal

    global _MAIN_PID
    _MAIN_PID = os.getpid()
    previous = {}
    for name in STOP_SIGNALS:
        if hasattr(signal, name):
            previous[name] = signal.signal(getattr(signal, name), _stop)
    try:
        return a.func(a)
    except KeyboardInterrupt:
        _err("her2cr: interrupted; earlier reports are unchanged.")
        return EXIT_FAILED
    except Exception as exc:  # the last guard: a message, not a traceback
        from her2cr.data.issues import InputError

        if isinstance(exc, InputError):
            _err(str(exc))
            return EXIT_BAD_INPUT
        _err(f"her2cr {a.command}: {type(exc).__name__}: {exc}")
        return EXIT_FAILED
    finally:
        for name, handler in previous.items():
            signal.signal(getattr(signal, name), handler)


if __name__ == "__main__":
    sys.exit(main())
