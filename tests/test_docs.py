"""The documentation stays true to the code: one page per job, every option on it, no dead links.

Each public job ``ray_jobs/<name>.py`` has ``docs/jobs/<name>.md``, and every
``--option`` of its command line appears on that page; where an option has a
plain default (a number or a string), the page's line that names the option
also states that default, so a changed default cannot leave a stale page
behind. Every relative link in ``docs/`` and ``README.md`` points at a file
that exists.

The parser is read without running the job: ``parse_known_args`` is patched
to stop with the parser it was called on, and the job's ``main([])`` builds
its parser and calls it first thing. A job whose ``main`` does something else
before parsing falls back to ``python ray_jobs/<name>.py --help``.
"""

from __future__ import annotations

import argparse
import importlib
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
JOBS_DIR = ROOT / "ray_jobs"
DOCS = ROOT / "docs"
JOB_DOCS = DOCS / "jobs"

# Defaults that depend on the machine the parser is built on, so no page can state them
# (absolute paths, e.g. a default of the repository's own location, are skipped too).
MACHINE_DEFAULTS = {("evaluate", "--workers")}


def job_names() -> list[str]:
    return sorted(p.stem for p in JOBS_DIR.glob("*.py") if not p.stem.startswith("_"))


class _Parsed(BaseException):
    """Carries the parser out of a job's ``main`` before it parses anything.

    A ``BaseException``, so a job's own ``except Exception`` cannot swallow it.
    """

    def __init__(self, parser: argparse.ArgumentParser):
        super().__init__(parser.prog)
        self.parser = parser


def _raise_parser(self, args=None, namespace=None):
    raise _Parsed(self)


@cache
def job_options(name: str) -> dict[str, object]:
    """``{--option: default}`` of a job's command line (``None`` where unknown)."""
    if str(JOBS_DIR) not in sys.path:
        sys.path.insert(0, str(JOBS_DIR))
    try:
        module = importlib.import_module(name)
        main = module.main
        if Path(module.__file__).resolve().parent != JOBS_DIR:
            raise ImportError(f"{name} resolves to {module.__file__}, not the job")
    except Exception:  # a job that does not import here: read its --help instead
        return _options_from_help(name)
    original = argparse.ArgumentParser.parse_known_args
    argparse.ArgumentParser.parse_known_args = _raise_parser
    try:
        main([])
    except _Parsed as parsed:
        return _options_from_parser(parsed.parser)
    except (Exception, SystemExit):  # failed before parsing: fall back to --help
        pass
    finally:
        argparse.ArgumentParser.parse_known_args = original
    return _options_from_help(name)


def _options_from_parser(parser: argparse.ArgumentParser) -> dict[str, object]:
    options = {}
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        for option in action.option_strings:
            if option.startswith("--"):
                options[option] = action.default
    return options


def _options_from_help(name: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, str(JOBS_DIR / f"{name}.py"), "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, f"{name}.py --help failed:\n{result.stderr[-2000:]}"
    found = re.findall(r"(?<![\w-])(--[a-z0-9][a-z0-9-]*)", result.stdout)
    return {option: None for option in found if option != "--help"}


def _default_spellings(value: object) -> set[str] | None:
    """The ways a page may write a plain default; ``None`` when there is nothing to check."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return {str(value), f"{value:,}"}
    if isinstance(value, float):
        spellings = {repr(value), f"{value:g}"}
        if value.is_integer():
            spellings |= {str(int(value)), f"{int(value):,}"}
        return spellings
    if isinstance(value, str) and value and not Path(value).is_absolute():
        return {value}
    return None


def _mentions(line: str, option: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", line) is not None


@pytest.mark.parametrize("name", job_names())
def test_every_job_has_a_page_naming_every_option(name):
    page = JOB_DOCS / f"{name}.md"
    assert page.is_file(), f"ray_jobs/{name}.py has no page: write docs/jobs/{name}.md"
    text = page.read_text(encoding="utf-8")
    missing = [option for option in job_options(name) if not _mentions(text, option)]
    assert not missing, f"docs/jobs/{name}.md does not mention {missing}"


def test_every_job_page_has_a_job():
    stale = sorted({p.stem for p in JOB_DOCS.glob("*.md")} - set(job_names()))
    assert not stale, f"pages of jobs that do not exist: {[f'docs/jobs/{s}.md' for s in stale]}"


@pytest.mark.parametrize("name", job_names())
def test_every_plain_default_is_on_its_options_line(name):
    page = JOB_DOCS / f"{name}.md"
    if not page.is_file():
        pytest.skip(f"no docs/jobs/{name}.md (the page test reports it)")
    lines = page.read_text(encoding="utf-8").splitlines()
    stale = []
    for option, default in job_options(name).items():
        spellings = _default_spellings(default)
        if spellings is None or (name, option) in MACHINE_DEFAULTS:
            continue
        rows = [line for line in lines if _mentions(line, option)]
        if rows and not any(s in row for row in rows for s in spellings):
            stale.append(f"{option} (default {default!r})")
    assert not stale, f"docs/jobs/{name}.md does not state the defaults of {stale}"


def markdown_files() -> list[Path]:
    return sorted(DOCS.rglob("*.md")) + [ROOT / "README.md"]


_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def relative_links(text: str) -> list[str]:
    """Targets of the inline links that point into the repository (code spans left out)."""
    text = _INLINE_CODE.sub("", _FENCE.sub("", text))
    targets = []
    for target in _LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or target.startswith("#"):
            continue  # a URL (http:, mailto:) or an anchor on the same page
        targets.append(target.split("#", 1)[0])
    return targets


def test_link_finder_reads_links_and_skips_code_and_urls():
    text = (
        "See [curation](curation.md#stages) and ![chart](img/mix.png).\n"
        "[paper](https://arxiv.org/abs/2305.06161) [top](#top) `[not](a_link.md)`\n"
        "```\n[also not](code.md)\n```\n"
    )
    assert relative_links(text) == ["curation.md", "img/mix.png"]


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_to_existing_files(path):
    broken = [
        target
        for target in relative_links(path.read_text(encoding="utf-8"))
        if not (path.parent / target).exists()
    ]
    assert not broken, f"{path.relative_to(ROOT)} links to missing files: {broken}"


def test_every_marked_figure_table_matches_its_results_file():
    """A doc's benchmark table is what ``benchmarks/doc_tables.py`` renders from the results."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import doc_tables

    marked = [doc for doc in doc_tables.DOCS if doc.exists() and "<!-- table " in doc.read_text()]
    assert marked, "no doc marks a figure table"
    assert doc_tables.stale_docs() == []
    # a figure edited by hand is caught
    doc = marked[0]
    first_row = doc_tables.BLOCK.search(doc.read_text())["body"].splitlines()[2]
    edited = doc.read_text().replace(first_row, first_row.replace("|", "| 9", 2), 1)
    assert doc_tables.updated(edited) != edited


def test_every_figure_renderer_has_its_table_in_a_doc():
    """A renderer whose table no doc marks would leave that doc's figures unchecked."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import doc_tables

    text = "".join(doc.read_text() for doc in doc_tables.DOCS if doc.exists())
    marked = {(m["file"], m["table"]) for m in doc_tables.BLOCK.finditer(text)}
    assert set(doc_tables.RENDERERS) - marked == set()
    assert marked - set(doc_tables.RENDERERS) == set()
