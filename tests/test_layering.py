"""The package follows the pipeline: no import cycles, and each stage imports only from below.

Stages, lowest first: the foundation (settings, study, formatting, trace, provenance, stats), data
(notebook 01), baseline (02), ctdna (03), ctgov, reporting (the report), runner, and the command
line. Every `import` counts, also those inside functions (a lazy import is still a dependency);
only `if TYPE_CHECKING:` blocks, which never run, are left out.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
PACKAGE = PROJECT / "her2cr"

RANK = {  # a module may import modules of the same or a lower rank only
    "foundation": 0, "stats": 0, "data": 1, "intake": 1, "baseline": 2, "ctdna": 3, "ctgov": 4,
    "reporting": 5, "qc": 5, "runner": 6, "cli": 7,
}
FOUNDATION = {"her2cr", "her2cr.settings", "her2cr.study", "her2cr.formatting", "her2cr.trace",
              "her2cr.provenance", "her2cr.processes"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "__pycache__" not in p.parts}


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _import_nodes(tree: ast.AST):
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The her2cr modules `name` imports; `from pkg import sub` counts as importing pkg.sub."""
    return imports_in(path.read_text(encoding="utf-8"), name, known, is_package=path.name == "__init__.py")


def imports_in(source: str, name: str, known: set[str], is_package: bool = False) -> set[str]:
    out = set()
    for node in _import_nodes(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        out |= {t for t in targets if t in known and t != name}
    return out


def import_graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: imports_of(name, path, known) for name, path in mods.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def stage(module: str) -> str:
    if module in FOUNDATION:
        return "foundation"
    if module in ("her2cr.cli", "her2cr.__main__"):
        return "cli"
    parts = module.split(".")
    if len(parts) >= 2 and parts[1] in RANK:
        return parts[1]
    raise AssertionError(f"{module}: not in a stage; add it to a subpackage or to FOUNDATION")


# -- the checker itself ----------------------------------------------------------------------------

def test_cycle_finder_finds_a_cycle_and_only_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_import_reader_sees_lazy_relative_and_submodule_imports(tmp_path):
    known = {"her2cr", "her2cr.data", "her2cr.data.contract", "her2cr.study", "her2cr.runner.pipeline"}
    src = tmp_path / "mod.py"
    src.write_text(
        "from typing import TYPE_CHECKING\n"
        "from her2cr.data import contract as C\n"
        "from . import study\n"
        "if TYPE_CHECKING:\n    from her2cr.runner.pipeline import Step\n"
        "def f():\n    import her2cr.data\n", encoding="utf-8")
    assert imports_of("her2cr.x", src, known) == {"her2cr.data.contract", "her2cr.study", "her2cr.data"}


def test_graph_has_the_known_edges():
    g = import_graph()
    assert "her2cr.baseline.table1" in g["her2cr.baseline.characteristics"]
    assert "her2cr.data.contract" in g["her2cr.data.derive"]
    assert "her2cr.reporting.cutdiff" in g["her2cr.reporting.cutdiff_render"]
    assert "her2cr.runner.pipeline" in g["her2cr.cli"]  # lazy, inside a function


# -- the package --------------------------------------------------------------------------------

def test_no_import_cycles():
    assert cycles(import_graph()) == []


def test_every_module_belongs_to_a_stage():
    for name in modules():
        stage(name)


def test_each_stage_imports_only_from_the_stages_below():
    wrong = sorted(
        f"{a} ({stage(a)}) imports {b} ({stage(b)})"
        for a, targets in import_graph().items() for b in targets
        if RANK[stage(b)] > RANK[stage(a)]
    )
    assert wrong == []


def test_data_imports_nothing_of_ours_but_settings_study_and_stats():
    for a, targets in import_graph().items():
        if stage(a) == "data":
            assert {stage(b) for b in targets} <= {"data", "stats", "foundation"}, a
            assert not {b for b in targets if stage(b) == "foundation"} - {"her2cr", "her2cr.settings", "her2cr.study"}, a


def test_only_the_command_line_imports_the_runner():
    importers = {a for a, targets in import_graph().items() for b in targets
                 if stage(b) == "runner" and stage(a) != "runner"}
    assert importers <= {"her2cr.cli"}


def test_every_module_says_what_it_is_for():
    missing = [name for name, path in modules().items() if ast.get_docstring(ast.parse(path.read_text())) is None]
    assert missing == []


# -- notebooks import from their own stage -----------------------------------------------------------

NOTEBOOK_STAGES = {
    "notebooks/01_clean.ipynb": {"data", "foundation"},
    "notebooks/02_baseline.ipynb": {"baseline", "foundation"},
    "notebooks/03_ctdna.ipynb": {"ctdna", "stats", "foundation"},
    "notebooks/templates/9N_subanalysis_template.ipynb": {"reporting", "stats", "foundation"},
    "report/report.ipynb": {"reporting", "foundation"},
}


@pytest.mark.parametrize("notebook", sorted(NOTEBOOK_STAGES))
def test_notebook_imports_from_its_stage(notebook):
    nb = json.loads((PROJECT / notebook).read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    code = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!")))
    used = imports_in(code, "notebook", set(modules()))
    assert used, f"{notebook} imports nothing from her2cr"
    assert {stage(m) for m in used} <= NOTEBOOK_STAGES[notebook], sorted(used)


# -- every import of ours resolves (lazy imports run only on some paths, so check them all) -------

def _our_from_imports(source: str, name: str, is_package: bool = False):
    for node in _import_nodes(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            if base == "her2cr" or base.startswith("her2cr."):
                yield node.lineno, base, [a.name for a in node.names]
        else:
            for a in node.names:
                if a.name == "her2cr" or a.name.startswith("her2cr."):
                    yield node.lineno, a.name, []


def _sources():
    for name, path in modules().items():
        yield str(path.relative_to(PROJECT)), name, path.read_text(encoding="utf-8"), path.name == "__init__.py"
    for notebook in NOTEBOOK_STAGES:
        nb = json.loads((PROJECT / notebook).read_text(encoding="utf-8"))
        code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        yield notebook, "notebook", "\n".join(
            line for line in code.splitlines() if not line.lstrip().startswith(("%", "!"))), False


def test_every_import_of_ours_resolves():
    import importlib
    import importlib.util

    broken = []
    for where, name, source, is_package in _sources():
        for line, module, names in _our_from_imports(source, name, is_package):
            try:
                mod = importlib.import_module(module)
            except ImportError as exc:
                broken.append(f"{where}:{line}: {module}: {exc}")
                continue
            for n in names:
                if not hasattr(mod, n) and importlib.util.find_spec(f"{module}.{n}") is None:
                    broken.append(f"{where}:{line}: {module} has no {n}")
    assert broken == []
