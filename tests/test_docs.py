"""The guide (README.md and docs/*.md) as a reader follows it: every relative link leads somewhere,
every command a page shows exists, and `make help` and `her2cr --help` send each command to a page
that explains it."""

from __future__ import annotations

import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```.*?^```[ \t]*$", re.M | re.S)
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def rel(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def prose(text: str) -> str:
    """The page without its code blocks and inline code, where a link is not a link."""
    return re.sub(r"`[^`]*`", "", FENCE.sub("", text))


def code(text: str) -> list[str]:
    """What the page shows as code: each line of its code blocks, and each inline code span."""
    blocks = [line for block in FENCE.findall(text) for line in block.splitlines()[1:-1]]
    spans = re.findall(r"`([^`]+)`", FENCE.sub("", text))
    return blocks + [" ".join(s.split()) for s in spans]


def github_anchor(heading: str) -> str:
    """The id GitHub gives a heading: its text as rendered (no code marks, emphasis or link
    targets), lower-cased, punctuation other than '-' and '_' dropped, spaces made '-'."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"[`*]", "", text).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for m in re.finditer(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", FENCE.sub("", page.read_text(encoding="utf-8")), re.M):
        slug = github_anchor(m.group(1))
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def test_github_anchor_is_the_id_github_gives_a_heading():
    # ids as GitHub renders them for headings of this kind (punctuation, code, parentheses, colon)
    assert github_anchor("Taking in an EDC export (`her2cr intake`)") == "taking-in-an-edc-export-her2cr-intake"
    assert github_anchor("The mapping file (YAML, format 1): every key") == "the-mapping-file-yaml-format-1-every-key"
    assert github_anchor("A run is atomic; stopping a run") == "a-run-is-atomic-stopping-a-run"
    assert github_anchor("What `make report` does") == "what-make-report-does"


def test_the_guide_has_its_pages():
    names = {rel(p) for p in PAGES}
    assert {"README.md", "docs/running-a-cut.md", "docs/intake.md", "docs/data-contract.md",
            "docs/report-and-posting.md", "docs/subanalyses.md", "docs/performance.md",
            "docs/development.md"} <= names
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 150
    for page in PAGES[1:]:  # the README names every page of the guide
        assert f"]({rel(page)})" in readme, f"README.md does not link to {rel(page)}"


@pytest.mark.parametrize("page", PAGES, ids=rel)
def test_every_relative_link_resolves(page):
    links = LINK.findall(prose(page.read_text(encoding="utf-8")))
    broken = []
    for link in links:
        if re.match(r"[a-z][a-z+.-]*:", link):  # https:, mailto: ...
            continue
        path, _, anchor = link.partition("#")
        target = (page.parent / unquote(path)).resolve() if path else page
        if ROOT not in target.parents and target != ROOT:
            broken.append(f"{link}: outside the repository")
        elif not target.exists():
            broken.append(f"{link}: no such file")
        elif anchor and (target.suffix != ".md" or anchor not in anchors(target)):
            broken.append(f"{link}: no heading #{anchor} in {rel(target)}")
    assert not broken, f"{rel(page)}: " + "; ".join(broken)


@cache
def make_help() -> str:
    r = subprocess.run(["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


@cache
def her2cr_help(*command: str) -> str:
    r = subprocess.run([sys.executable, "-m", "her2cr", *command, "--help"], cwd=ROOT, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout


def subcommands() -> list[str]:
    usage = re.search(r"\{([\w,-]+)\}", her2cr_help()).group(1)
    return usage.split(",")


def options(command: str) -> list[list[str]]:
    """Each option of `her2cr COMMAND --help` as the flags it may be written with."""
    out = []
    for line in her2cr_help(command).splitlines():
        if re.match(r"\s+-", line):
            flags = re.findall(r"(?:^|, )(--?[\w-]+)", line.strip())
            if flags and "--help" not in flags:
                out.append(flags)
    return out


START = r"(?:^|[;&]\s*)\s*(?:\.venv/bin/)?"


@pytest.mark.parametrize("page", PAGES, ids=rel)
def test_every_command_a_page_shows_exists(page):
    targets = set(re.findall(r"^  make (\S+)", make_help(), re.M))
    assert {"report", "test", "help"} <= targets
    commands = set(subcommands())
    assert {"synth", "intake", "validate", "run", "verify", "diff"} <= commands
    wrong = []
    for snippet in code(page.read_text(encoding="utf-8")):
        # a command is what a line or span starts with (or what follows ';' or '&&'), not a name in prose
        for target in re.findall(rf"{START}make ([a-z][\w-]*)", snippet):
            if target not in targets:
                wrong.append(f"`make {target}`: not a target of make help")
        for m in re.finditer(rf"{START}her2cr ([a-z][\w-]*)((?:\s+[^\s#]+)*)", snippet):
            command, rest = m.groups()
            if command not in commands:
                wrong.append(f"`her2cr {command}`: not a command of her2cr --help")
                continue
            known = {flag for flags in options(command) for flag in flags}
            for flag in re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", rest):
                if flag not in known:
                    wrong.append(f"`her2cr {command} {flag}`: not an option of her2cr {command} --help")
    assert not wrong, f"{rel(page)}: " + "; ".join(wrong)


def test_make_help_lists_every_target_under_a_page_that_shows_it():
    page, listed, wrong = None, [], []
    for line in make_help().splitlines():
        if m := re.search(r"\((docs/[\w-]+\.md)\)$", line):
            page = ROOT / m.group(1)
            assert page.exists(), line
        elif m := re.match(r"  make (\S+)", line):
            listed.append(m.group(1))
            if page is None:
                wrong.append(f"{m.group(1)}: under no guide page")
            elif f"make {m.group(1)}" not in " ".join(code(page.read_text(encoding="utf-8"))):
                wrong.append(f"{m.group(1)}: {rel(page)} does not show `make {m.group(1)}`")
        elif line.strip() and not line.startswith(" "):
            page = None  # a heading with no page: "Not yet in the guide"
    makefile_targets = re.findall(r"^([a-z][\w-]*):.*## ", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M)
    assert sorted(listed) == sorted(makefile_targets)
    assert not wrong, "; ".join(wrong)


def test_her2cr_help_points_every_command_to_a_page_that_shows_it():
    guide = her2cr_help().split("the guide", 1)[1]
    for command in subcommands():
        line = next((ln for ln in guide.splitlines() if re.search(rf"(?<![\w-]){command}\b", ln)), None)
        assert line, f"her2cr --help names no guide page for {command}"
        page = re.search(r"docs/[\w-]+\.md", line).group(0)
        text = (ROOT / page).read_text(encoding="utf-8")
        assert f"her2cr {command}" in " ".join(code(text)), f"{page} does not show `her2cr {command}`"
        assert f"guide: {page}" in her2cr_help(command), f"her2cr {command} --help does not name {page}"


def test_the_command_line_block_lists_every_command_and_option():
    text = (ROOT / "docs" / "running-a-cut.md").read_text(encoding="utf-8")
    section = text[text.index("## Command line"):]
    block = FENCE.search(section).group(0)
    missing = []
    for command in subcommands():
        lines = " ".join(ln for ln in block.splitlines() if re.match(rf"her2cr {command}\b", ln))
        if not lines:
            missing.append(f"her2cr {command}")
        for flags in options(command):
            if not any(re.search(rf"(?<![\w-]){re.escape(f)}(?![\w-])", lines) for f in flags):
                missing.append(f"her2cr {command} {flags[-1]}")
    assert not missing, "docs/running-a-cut.md's command line lacks: " + ", ".join(missing)
