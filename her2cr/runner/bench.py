"""`make bench`: what the pipeline costs on this machine, against plain papermill and the floor.

(1) pipeline: `her2cr run --force --no-render` on the synthetic cut (every step runs; document
    conversion is timed apart); (1b) the same with plain pre-started kernels, none preloaded (what
    the in-kernel preload of kernels.py gains);
(2) plain papermill: the same notebooks one after another with the papermill command, as a team
    without this project's runner would run them;
(3) floor: the same analysis functions called in one plain Python process (imports included).
Then the re-run of an unchanged cut, the document conversions (each Quarto format alone, and both
at once as the run does), `make report` end to end with Quarto on a changed cut, and the pipeline
at 50, 5,000 and 100,000 synthetic participants with peak memory (and, with R, the pipeline
without its independent QC at n = 50 and `her2cr qc` at 100,000), and `her2cr intake` of the
synthetic EDC export at 50 and 100,000 participants (`intake_rows`). Medians of several runs, all
in one run of `make bench`; it ends with the targets, measured against each other. No test asserts
a timing: machines differ.
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CUT = "2025-12-31"
PY = sys.executable


def floor(raw: Path, cut: str, out: Path) -> None:
    """Every analysis step of the pipeline, in this process, without kernels or papermill."""
    import pandas as pd

    from her2cr.ctdna import analyses as ctdna
    from her2cr.ctdna import figures
    from her2cr.baseline.characteristics import baseline_table, write_outputs
    from her2cr.data.clean import clean_cut, write_clean_outputs
    from her2cr.data.cutinfo import write_cut_info
    from her2cr.ctgov.posting import write_posting_files
    from her2cr.reporting.context import load_report_inputs, outcome_blocks, save_report_outputs

    cleaned = clean_cut(raw, cut)
    write_clean_outputs(cleaned, out)
    write_cut_info(raw, cut, out)
    adsl = pd.read_parquet(out / "data" / "adsl.parquet")
    adctdna = pd.read_parquet(out / "data" / "adctdna.parquet")
    table = baseline_table(adsl, analysis_set="enrolled", p_values=False, cut=cut)
    table.to_great_table().as_raw_html()
    write_outputs(table, out)
    results = ctdna.all_results(adsl, adctdna)
    estimates = ctdna.estimates_long(results)
    for name, made in (
        ("ctdna_positivity", figures.positivity_plot(estimates)),
        ("ctdna_km_time_to_positive", figures.km_ttpos_plot(results["ttpos"])),
        ("ctdna_km_pfs", figures.km_pfs_plot(results["pfs"])),
        ("ctdna_mtm", figures.mtm_plot(ctdna.positive_draws(adsl, adctdna))),
        ("ctdna_swimmer", figures.swimmer_plot(adsl, adctdna, cut)),
        ("ctdna_forest", figures.forest_plot(results["subgroups"], estimates)),
    ):
        figures.save_figure(made[0], out, name, made[1])
    ctdna.write_tables(results, estimates, out)
    write_posting_files(out)
    ctx = load_report_inputs(out, version="v1")
    save_report_outputs(ctx)
    outcome_blocks(ctx)


def plain_papermill(raw: Path, cut: str, out: Path) -> None:
    """The notebooks one after another with the papermill command line."""
    project = Path(__file__).resolve().parents[2]
    papermill = str(Path(PY).with_name("papermill"))
    nbs = out / "notebooks"
    nbs.mkdir(parents=True, exist_ok=True)

    def pm(src: Path, name: str, *params: str) -> None:
        subprocess.run([papermill, "-k", "her2cr", "--no-progress-bar", str(src), str(nbs / name),
                        "-p", "cut", cut, "-p", "out_dir", str(out), *params],
                       check=True, cwd=project, capture_output=True)

    pm(project / "notebooks" / "01_clean.ipynb", "01_clean.ipynb", "-p", "raw_dir", str(raw))
    pm(project / "notebooks" / "02_baseline.ipynb", "02_baseline.ipynb")
    pm(project / "notebooks" / "03_ctdna.ipynb", "03_ctdna.ipynb")
    subprocess.run([PY, "-c", f"from her2cr.ctgov.posting import write_posting_files; write_posting_files({str(out)!r})"],
                   check=True, cwd=project, capture_output=True)
    pm(project / "report" / "report.ipynb", "report.ipynb", "-p", "version", "v1")


def intake_rows(work: Path, repeats: int) -> list[tuple[str, str, str, str]]:
    """The intake (issue 17): `her2cr intake` of the synthetic EDC export, a fresh process with
    its imports, at 50 participants (median of `repeats` runs) and at 100,000 (one run), each
    against its target."""
    rows = []
    for n, target in ((50, 1.0), (100_000, 30.0)):
        export = work / f"export-{n}"
        subprocess.run([PY, "-m", "her2cr", "synth", "--export", str(export), "--n", str(n), "--cut", CUT],
                       check=True, capture_output=True)
        t, r, p, _ = median_of(repeats if n <= 50 else 1, lambda i: [
            PY, "-m", "her2cr", "intake", "--export", str(export), "--mapping", str(export / "mapping.yml"),
            "--cut", CUT, "--out", str(work / f"intake-{n}-{i}")])
        rows.append((f"intake, n = {n:,} (target: under {target:g} s)", f"{t:.2f}", f"{r:.0f}", f"{p:.0f}"))
    return rows


# -- measuring ----------------------------------------------------------------------------------

def measure(argv: list[str]) -> tuple[float, float, float]:
    """Wall time and peak memory (MB) of a command and everything it starts.

    Memory is the largest sum, over the command's whole process tree (the runner and every kernel
    alive at the same moment), sampled every 50 ms, of two measures: RSS counts a page shared by
    several processes once in each of them; PSS divides it among them, so that the sum is what
    the run takes from the machine."""
    import psutil

    t = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    root = psutil.Process(proc.pid)
    peak_rss = peak_pss = 0
    while proc.poll() is None:
        rss = pss = 0
        try:
            for p in [root, *root.children(recursive=True)]:
                try:
                    info = p.memory_full_info()
                    rss, pss = rss + info.rss, pss + getattr(info, "pss", info.rss)
                except psutil.Error:
                    pass
        except psutil.Error:
            pass
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        time.sleep(0.05)
    dt = time.perf_counter() - t
    err = proc.stderr.read()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{err[-3000:]}")
    return dt, peak_rss / 2**20, peak_pss / 2**20


def median_of(repeats: int, make_argv) -> tuple[float, float, float, list[float]]:
    times, rss, pss = [], [], []
    for i in range(repeats):
        t, r, p = measure(make_argv(i))
        times.append(t)
        rss.append(r)
        pss.append(p)
    return statistics.median(times), max(rss), max(pss), times


def without_preload(raw: Path, cut: str, out: Path) -> None:
    """The pipeline (as `her2cr run --force --no-render`) with plain pre-started kernels."""
    from her2cr.runner import kernels
    from her2cr.runner.pipeline import run_cut

    prestart = kernels.KernelPool.prestart
    kernels.KernelPool.prestart = lambda self, names, warm=None: prestart(self, names, warm=set())
    outcome = run_cut(raw, cut, out, force=True, render=False, echo=lambda *_: None)
    if outcome.status != "built":
        raise SystemExit(outcome.message)


def quarto_one(executed: Path, out: Path, fmt: str) -> None:
    """One Quarto conversion alone (html or typst), as the report step runs it."""
    from her2cr.reporting import render

    render.FORMATS = tuple(f for f in render.FORMATS if f[0] == fmt)
    render.quarto_render(executed, out)


def make_report(raw: Path, out: Path) -> list[str]:
    project = Path(__file__).resolve().parents[2]
    return ["make", "--no-print-directory", "-C", str(project), "report", f"RAW={raw}", f"CUT={CUT}", f"OUT={out}"]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "nopreload":
        without_preload(Path(argv[1]), argv[2], Path(argv[3]))
        return 0
    if argv and argv[0] == "quarto":
        quarto_one(Path(argv[1]), Path(argv[2]), argv[3])
        return 0
    if argv and argv[0] == "floor":
        floor(Path(argv[1]), argv[2], Path(argv[3]))
        return 0
    if argv and argv[0] == "plain":
        plain_papermill(Path(argv[1]), argv[2], Path(argv[3]))
        return 0
    repeats = int(os.environ.get("HER2CR_BENCH_REPEATS", "3"))
    sizes = [int(x) for x in os.environ.get("HER2CR_BENCH_SIZES", "50,5000,100000").split(",")]
    her2cr = [PY, "-m", "her2cr"]
    rows: list[tuple[str, str, str, str]] = []
    by_size: dict[int, float] = {}
    work = Path(tempfile.mkdtemp(prefix="her2cr-bench-"))
    try:
        raw = work / "raw-50"
        subprocess.run(her2cr + ["synth", "--out", str(raw), "--n", "50", "--cut", CUT], check=True, capture_output=True)
        print(f"her2cr bench: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
              f"Python {platform.python_version()}, {repeats} runs each", flush=True)

        pipe, pipe_rss, pipe_pss, _ = median_of(repeats, lambda i: her2cr + [
            "run", "--raw", str(raw), "--cut", CUT, "--out", str(work / f"pipe-{i}"), "--force", "--no-render"])
        rows.append(("(1) pipeline, n = 50 (no document conversion)", f"{pipe:.2f}", f"{pipe_rss:.0f}",
                     f"{pipe_pss:.0f}"))
        # the same without the independent QC in R (which runs while the report notebook executes)
        from her2cr.qc.run import find_rscript

        has_r = bool(find_rscript())
        os.environ["HER2CR_RSCRIPT"] = str(work / "no-Rscript")
        try:
            noqc, noqc_rss, noqc_pss, _ = median_of(repeats, lambda i: her2cr + [
                "run", "--raw", str(raw), "--cut", CUT, "--out", str(work / f"noqc-{i}"), "--force", "--no-render"])
        finally:
            del os.environ["HER2CR_RSCRIPT"]
        rows.append(("(1c) pipeline, n = 50, without the QC in R", f"{noqc:.2f}", f"{noqc_rss:.0f}",
                     f"{noqc_pss:.0f}"))
        nopre, nopre_rss, nopre_pss, _ = median_of(repeats, lambda i: [PY, "-m", "her2cr.runner.bench", "nopreload", str(raw),
                                                             CUT, str(work / f"nopre-{i}")])
        rows.append(("(1b) pipeline, kernels not preloaded", f"{nopre:.2f}", f"{nopre_rss:.0f}", f"{nopre_pss:.0f}"))
        plain, plain_rss, plain_pss, _ = median_of(repeats, lambda i: [PY, "-m", "her2cr.runner.bench", "plain", str(raw), CUT,
                                                             str(work / f"plain-{i}")])
        rows.append(("(2) plain papermill, one after another", f"{plain:.2f}", f"{plain_rss:.0f}",
                     f"{plain_pss:.0f}"))
        flo, flo_rss, flo_pss, _ = median_of(repeats, lambda i: [PY, "-m", "her2cr.runner.bench", "floor", str(raw), CUT,
                                                         str(work / f"floor-{i}")])
        rows.append(("(3) floor: same functions, one process", f"{flo:.2f}", f"{flo_rss:.0f}", f"{flo_pss:.0f}"))

        # incremental: a full build with documents, then nothing changed, then one notebook changed
        out = work / "incr"
        measure(her2cr + ["run", "--raw", str(raw), "--cut", CUT, "--out", str(out)])
        same, _, _, _ = median_of(repeats, lambda i: her2cr + ["run", "--raw", str(raw), "--cut", CUT, "--out", str(out)])
        rows.append(("re-run, nothing changed", f"{same:.2f}", "", ""))
        version = (out / "current").resolve()
        executed = str(version / "notebooks" / "report.ipynb")
        conv = measure([PY, "-c", "import sys; from pathlib import Path; from her2cr.reporting.render import preview_html; "
                        "preview_html(Path(sys.argv[1]), Path(sys.argv[2]))", executed,
                        str(version / "report-preview.html")])
        rows.append(("document conversion: nbconvert preview", f"{conv[0]:.2f}", "", ""))
        from her2cr.reporting.render import find_quarto

        slower = None
        if find_quarto():
            for fmt, label in (("html", "HTML"), ("typst", "PDF (Typst)"), ("docx", "Word")):
                t, _, _, _ = median_of(repeats, lambda i: [PY, "-m", "her2cr.runner.bench", "quarto", executed,
                                                           str(version), fmt])
                rows.append((f"document conversion: Quarto {label} alone", f"{t:.2f}", "", ""))
                slower = max(slower or 0.0, t)
            conv = measure([PY, "-c", "import sys; from pathlib import Path; from her2cr.reporting.render import quarto_render; "
                            "quarto_render(Path(sys.argv[1]), Path(sys.argv[2]))", executed, str(version)])
            rows.append(("document conversion: Quarto HTML + PDF + Word (three processes at once)",
                         f"{conv[0]:.2f}", f"{conv[1]:.0f}", f"{conv[2]:.0f}"))
            # end to end: `make report` on a changed cut (inputs that differ from the current
            # version's each time: every step runs, and Quarto renders)
            changed = [raw, work / "raw-changed"]  # another synthetic study of the same size
            subprocess.run(her2cr + ["synth", "--out", str(changed[1]), "--n", "50", "--seed", "7", "--cut", CUT],
                           check=True, capture_output=True)
            e2e_out = work / "e2e"
            measure(make_report(raw, e2e_out))
            e2e, e2e_rss, e2e_pss, _ = median_of(repeats, lambda i: make_report(changed[(i + 1) % 2], e2e_out))
            rows.append(("make report with Quarto, changed cut (end to end)", f"{e2e:.2f}", f"{e2e_rss:.0f}",
                         f"{e2e_pss:.0f}"))
        else:
            rows.append(("document conversion: Quarto", "not installed", "", ""))

        for n in sizes:
            raw_n = raw if n == 50 else work / f"raw-{n}"
            if n != 50:
                subprocess.run(her2cr + ["synth", "--out", str(raw_n), "--n", str(n), "--cut", CUT],
                               check=True, capture_output=True)
            t, r, p = measure(her2cr + ["run", "--raw", str(raw_n), "--cut", CUT, "--out", str(work / f"n-{n}"),
                                        "--force", "--no-render"])
            rows.append((f"pipeline, n = {n:,}", f"{t:.2f}", f"{r:.0f}", f"{p:.0f}"))
            by_size[n] = t
            if has_r and n >= 100_000:
                t, r, p = measure(her2cr + ["qc", "--out", str(work / f"n-{n}")])
                rows.append((f"independent QC in R (her2cr qc), n = {n:,} (target: under 60 s)", f"{t:.2f}",
                             f"{r:.0f}", f"{p:.0f}"))
        rows += intake_rows(work, repeats)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    width = max(len(r[0]) for r in rows)
    print(f"{'':<{width}}  {'seconds':>8}  {'RSS MB':>8}  {'PSS MB':>8}   (peaks, all processes of the run together)")
    for name, t, r, p in rows:
        print(f"{name:<{width}}  {t:>8}  {r:>8}  {p:>8}")
    for n in sorted(by_size):
        if n != 50 and 50 in by_size:
            print(f"pipeline n = {n:,} / n = 50: {by_size[n] / by_size[50]:.2f}")
    print(f"preload: kernels not preloaded / preloaded: {nopre / pipe:.2f}")
    print("targets (n = 50, this run):")
    print(f"  pipeline / floor: {pipe / flo:.2f}  (target: at most 1.8)")
    print(f"  plain papermill / pipeline: {plain / pipe:.2f}  (target: at least 1.8)")
    print(f"  re-run, nothing changed: {same:.2f} s  (target: under 0.2 s)")
    if has_r:
        print(f"  pipeline with the QC in R - without: {pipe - noqc:.2f} s  (target: at most 3 s)")
    if slower is not None:
        print(f"  make report end to end / (floor + slower Quarto conversion): {e2e / (flo + slower):.2f}"
              f"  ({e2e:.2f} s against {flo:.2f} + {slower:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
