"""The recipe's row-wise stages on one small corpus, without Ray: every drop reason counted.

A repository, an issue dump and a commit dump go through the same stages the
curation job maps over Ray Data (``code_stages`` / ``text_stages``); the
per-benchmark counts are the ones the job writes to ``report.json``.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pytest
from corpus_fixture import MIT
from starcoder_data.benchmark_data import fetch_benchmarks, load_humaneval
from starcoder_data.curation import (
    CurationConfig,
    SourceSpec,
    code_stages,
    curate_repo,
    curate_text_source,
    text_stages,
)
from starcoder_data.decontamination import (
    DecontaminationConfig,
    decontamination_patterns,
    extract_docstring,
    removed_per_benchmark,
)
from starcoder_data.github import CommitsConfig
from starcoder_data.readers import discover_repos

BENCHMARK_CACHE = Path(__file__).resolve().parents[2] / "data_cache" / "benchmarks"
CODE = "def area(width, height):\n    return width * height\n"
GSM8K_QUESTION = (
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many "
    "clips in May. How many clips did Natalia sell altogether in April and May?"
)
ENGLISH = "The parser fails on a trailing comma in a list; other parsers accept it. " * 3
GERMAN = (
    "Der Parser scheitert an einem Komma am Ende einer Liste, andere Parser akzeptieren "
    "das. Ich habe es mit der neuesten Version ausprobiert und bekomme immer denselben "
    "Fehler. Gibt es eine Möglichkeit, das abzuschalten? Vielen Dank im Voraus."
)
REPO_URL = "https://api.github.com/repos/acme/gamma"
# One commit per rule: StarCoder's random down-sampling of small changes is off.
COMMITS = CommitsConfig(small_change_keep=1.0, short_subject_keep=1.0)
PATCH = "@@ -1,3 +1,3 @@\n def area(w, h):\n-    return w + h\n+    return w * h\n \n"


def _repo(root: Path) -> None:
    gamma = root / "repos" / "gamma"
    gamma.mkdir(parents=True)
    humaneval_doc = extract_docstring(load_humaneval()[0].prompt)
    files = {
        "LICENSE": MIT,
        "app.py": CODE,
        "parser.yy": '{"states": [1, 2, 3], "rules": ["expr", "term"]}\n',
        "cities.tab": "id\tname\n1\tParis\n",
        "paper.aux": "\\relax\n\\citation{knuth}\n",
        "blur.fsh": "uniform float r; // " + "x" * 600 + "\nvoid main() {}\n",
        "notes.md": "# Notes\n\n" + "word " * 600 + "\n",
        # "\r" ends a line, as in str.splitlines: no line here is over 1000 characters.
        "old_mac.py": ("x = 1\r" * 20 + "s = '" + "a" * 600 + "'\r") * 2 + "y = 2\r" * 20,
        "leak.py": f'def f(numbers):\n    """{humaneval_doc}"""\n',
        "gsm.py": f"# {GSM8K_QUESTION.upper()}\nanswer = 72\n",
    }
    for name, text in files.items():
        (gamma / name).write_text(text, encoding="utf-8", newline="")


def _user(login: str, kind: str = "User") -> dict:
    return {"login": login, "type": kind}


def _issue(number: int, user: dict, body: str, comments: list) -> dict:
    return {
        "number": number,
        "title": "Trailing comma",
        "state": "open",
        "user": user,
        "body": body,
        "repository_url": REPO_URL,
        "comments_data": [{"user": u, "body": b} for u, b in comments],
    }


def _commit(sha: str, filename: str, **license_fields) -> dict:
    return {
        "sha": sha,
        "html_url": f"https://github.com/acme/gamma/commit/{sha}",
        "commit": {"message": "Compute the area as a product, not a sum of the sides"},
        "files": [{"filename": filename, "status": "modified", "patch": PATCH}],
        **license_fields,
    }


def _jsonl(path: Path, records: list[dict]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("recipe")
    _repo(root)
    issues = [
        _issue(1, _user("alice"), ENGLISH, [(_user("bob"), "Confirmed, thanks.")]),
        _issue(2, _user("alice"), GERMAN, [(_user("bob"), "Bei mir auch.")]),
        _issue(
            3,
            _user("dependabot[bot]"),
            "Bumps the parser to 2.0.",
            [(_user("carol"), ENGLISH), (_user("codecov-io"), "Coverage 91%")],
        ),
        _issue(4, _user("renovate[bot]"), ENGLISH, [(_user("ci-bot"), ENGLISH)]),
    ]
    commits = [
        _commit("a" * 40, "geo/area.py", license="MIT"),
        _commit("b" * 40, "geo/area.py", license="GPL-3.0-only"),
        _commit("c" * 40, "geo/area.py"),
        _commit("d" * 40, "geo/area.txt", repository={"license": {"spdx_id": "MIT"}}),
    ]
    gsm8k = _jsonl(root / "gsm8k.jsonl", [{"question": GSM8K_QUESTION, "answer": "#### 72"}])
    return {
        "repos": root / "repos",
        "issues": _jsonl(root / "issues.jsonl", issues),
        "commits": _jsonl(root / "commits.jsonl", commits),
        "gsm8k": gsm8k,
    }


def _curate(corpus: dict, config: CurationConfig) -> pa.Table:
    data = fetch_benchmarks(BENCHMARK_CACHE, config.decontamination.extra_benchmarks)
    patterns = decontamination_patterns(data, config.decontamination)
    batches = []
    for spec in discover_repos("directory", str(corpus["repos"])):
        batches.extend(curate_repo(spec, config, code_stages(config, patterns)))
    for kind in ("issues", "commits"):
        source = SourceSpec(kind=kind, location=corpus[kind])
        batches.extend(curate_text_source(source, config, text_stages(config, patterns)))
    return pa.concat_tables(batches, promote_options="default")


def _statuses(table: pa.Table) -> dict[tuple[str, str], str]:
    columns = (table[name].to_pylist() for name in ("repo", "path", "drop_reason"))
    rows = zip(*columns, strict=True)
    return {(repo, path): reason or "kept" for repo, path, reason in rows}


def test_every_file_issue_and_commit_gets_its_exact_reason(corpus):
    config = CurationConfig(
        commits=COMMITS,
        decontamination=DecontaminationConfig(extra_benchmarks=(corpus["gsm8k"],)),
    )
    statuses = _statuses(_curate(corpus, config))
    commit = "commits/{}/geo/area.{}"
    assert statuses == {
        ("gamma", "LICENSE"): "language:unknown",
        ("gamma", "app.py"): "kept",
        ("gamma", "parser.yy"): "quality:extension_excluded",
        ("gamma", "cities.tab"): "quality:extension_excluded",
        ("gamma", "paper.aux"): "quality:extension_excluded",
        ("gamma", "blur.fsh"): "quality:max_line_length",
        ("gamma", "notes.md"): "kept",
        ("gamma", "old_mac.py"): "kept",
        ("gamma", "leak.py"): "decontam:humaneval",
        ("gamma", "gsm.py"): "decontam:gsm8k",
        ("acme/gamma", "issues/1"): "kept",
        ("acme/gamma", "issues/2"): "issues:non_english",
        ("acme/gamma", "issues/3"): "kept",
        ("acme/gamma", "issues/4"): "issues:bot",
        ("acme/gamma", commit.format("a" * 40, "py")): "kept",
        ("acme/gamma", commit.format("b" * 40, "py")): "license:not_permissive",
        ("acme/gamma", commit.format("c" * 40, "py")): "license:no_license",
        ("acme/gamma", commit.format("d" * 40, "txt")): "commits:extension_not_listed",
    }


def test_the_report_counts_what_each_benchmark_removed(corpus):
    config = CurationConfig(
        commits=COMMITS,
        decontamination=DecontaminationConfig(extra_benchmarks=(corpus["gsm8k"],)),
    )
    table = _curate(corpus, config)
    sizes = dict(zip(table["path"].to_pylist(), table["size"].to_pylist(), strict=True))
    statuses = Counter(_statuses(table).values())
    counts = [{"status": s, "files": n, "bytes": 0} for s, n in statuses.items()]
    counts.append({"status": "decontam:gsm8k", "files": 0, "bytes": sizes["gsm.py"]})
    assert removed_per_benchmark(config.decontamination, counts) == {
        "humaneval": {"files": 1, "bytes": 0},
        "mbpp": {"files": 0, "bytes": 0},
        "gsm8k": {"files": 1, "bytes": sizes["gsm.py"]},
    }


def test_any_license_policy_keeps_commits_and_without_the_file_gsm_stays(corpus):
    config = CurationConfig(commits=COMMITS)
    config = replace(config, license=replace(config.license, policy="any"))
    statuses = _statuses(_curate(corpus, config))
    commit = "commits/{}/geo/area.py"
    assert statuses[("acme/gamma", commit.format("b" * 40))] == "kept"
    assert statuses[("acme/gamma", commit.format("c" * 40))] == "kept"
    assert statuses[("gamma", "gsm.py")] == "kept"
    assert statuses[("gamma", "LICENSE")] == "language:unknown"
