"""Decontamination: benchmark text found case-insensitively, nothing else dropped."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
from starcoder_data.benchmark_data import (
    CUSTOM_TEXT_FIELDS,
    BenchmarkData,
    BenchmarkFetchError,
    CustomBenchmark,
    MbppProblem,
    fetch_benchmarks,
    load_custom_benchmark,
    load_humaneval,
)
from starcoder_data.decontamination import (
    DecontaminationConfig,
    Decontaminator,
    benchmark_names,
    decontamination_patterns,
    extract_docstring,
)
from starcoder_data.schema import file_table

# The repository's git-ignored cache, filled once by the first run.
BENCHMARK_CACHE = Path(__file__).resolve().parents[2] / "data_cache" / "benchmarks"

MBPP_PROMPT = (
    "from typing import List\n\ndef first_odd(nums: List[int]) -> int:\n"
    '    """\n\tWrite a python function to find the first odd number in a given list of numbers.\n'
    '\t"""\n'
)
MBPP = MbppProblem(
    name="mbpp_807_first_odd",
    prompt=MBPP_PROMPT,
    tests="def check(candidate):\n    assert candidate([1, 3, 5]) == 1\n",
)


def _humaneval_only() -> BenchmarkData:
    return BenchmarkData(humaneval=load_humaneval(), mbpp=(MBPP,))


def _batch(contents: list[str | None], reasons: list[str | None] | None = None):
    reasons = reasons or [None] * len(contents)
    rows = [
        {
            "repo": "o/r",
            "path": f"f{i}.py",
            "source": "t",
            "size": 1,
            "content": c,
            "drop_reason": d,
        }
        for i, (c, d) in enumerate(zip(contents, reasons, strict=True))
    ]
    return file_table(rows)


def test_humaneval_ships_with_the_package():
    problems = load_humaneval()
    assert len(problems) == 164
    assert problems[0].task_id == "HumanEval/0"


def test_docstring_extraction():
    assert extract_docstring(MBPP_PROMPT) == (
        "Write a python function to find the first odd number in a given list of numbers."
    )
    helper_then_problem = 'def a():\n    """helper"""\n\ndef b():\n    """ The problem. """\n'
    assert extract_docstring(helper_then_problem) == "The problem."
    assert extract_docstring("def f():\n    pass\n") is None


def test_patterns_skip_short_solutions_and_label_benchmarks():
    data = _humaneval_only()
    every = decontamination_patterns(data, DecontaminationConfig(min_pattern_chars=0))
    default = decontamination_patterns(data, DecontaminationConfig())
    assert len(every) == 164 * 2 + 1
    assert len(every) - len(default) == 8
    assert ("return x + y", "humaneval") in every
    assert ("return x + y", "humaneval") not in default
    assert default[-1] == (extract_docstring(MBPP_PROMPT), "mbpp")
    with_tests = decontamination_patterns(data, DecontaminationConfig(include_mbpp_tests=True))
    assert with_tests[-1] == ("assert candidate([1, 3, 5]) == 1", "mbpp")


def test_humaneval_docstring_in_another_case_is_dropped_and_normal_code_kept():
    decontaminate = Decontaminator(
        decontamination_patterns(_humaneval_only(), DecontaminationConfig())
    )
    docstring = extract_docstring(load_humaneval()[0].prompt)
    leaked = f"def check(xs, t):\n    '''{docstring.upper()}'''\n    return False\n"
    normal = (
        "def add(x, y):\n    return x + y\n\n\ndef closest(numbers):\n    return min(numbers)\n"
    )
    mbpp_copy = (
        "# write a PYTHON function to find the first odd number in a given list of numbers.\n"
    )
    batch = decontaminate(_batch([leaked, normal, mbpp_copy, None, leaked], [None] * 4 + ["x:y"]))
    assert batch["drop_reason"].to_pylist() == [
        "decontam:humaneval",
        None,
        "decontam:mbpp",
        None,
        "x:y",
    ]
    assert batch["content"].to_pylist() == [None, normal, None, None, leaked]  # already dropped


def test_canonical_solution_is_found():
    solution = load_humaneval()[0].canonical_solution
    decontaminate = Decontaminator([(solution.strip(), "humaneval")])
    batch = decontaminate(_batch([f"def f(numbers, threshold):\n{solution}"]))
    assert batch["drop_reason"].to_pylist() == ["decontam:humaneval"]


def test_filter_pickles_without_its_automaton():
    decontaminate = Decontaminator([("needle in a haystack", "humaneval")])
    decontaminate(_batch(["no match"]))
    clone = pickle.loads(pickle.dumps(decontaminate))
    assert clone._automaton is None
    batch = clone(_batch(["a NEEDLE in a haystack!"]))
    assert batch["drop_reason"].to_pylist() == ["decontam:humaneval"]


def test_no_patterns_keeps_everything():
    batch = Decontaminator([])(_batch(["anything"]))
    assert batch["drop_reason"].to_pylist() == [None]


def test_fetch_reports_a_clear_error_when_pip_cannot_fetch(tmp_path, monkeypatch):
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    with pytest.raises(BenchmarkFetchError, match="MBPP is not cached"):
        fetch_benchmarks(tmp_path / "benchmarks")


def test_fetched_mbpp_has_397_problems_with_texts():
    data = fetch_benchmarks(BENCHMARK_CACHE)
    assert (len(data.humaneval), len(data.mbpp)) == (164, 397)
    patterns = decontamination_patterns(data, DecontaminationConfig())
    mbpp_patterns = [p for p, b in patterns if b == "mbpp"]
    assert len(mbpp_patterns) == 395  # two MBPP problems share their text
    assert "Write a function to check if all values are same in a dictionary." in mbpp_patterns


GSM8K_LINES = [
    {
        "question": "Natalia sold clips to 48 of her friends in April, and then she sold half "
        "as many clips in May. How many clips did Natalia sell altogether in April and May?",
        "answer": "Natalia sold 48/2 = 24 clips in May. #### 72",
        "id": 1,
    },
    {"question": "Weng earns $12 an hour for babysitting. How much did she earn?", "answer": "10"},
]


def _write_jsonl(path, records) -> str:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    return str(path)


def test_custom_benchmark_reads_the_text_fields_of_every_line(tmp_path):
    path = _write_jsonl(tmp_path / "GSM8K.jsonl", GSM8K_LINES)
    benchmark = load_custom_benchmark(path)
    assert benchmark.name == "gsm8k"
    assert benchmark.texts == (
        GSM8K_LINES[0]["question"],
        GSM8K_LINES[0]["answer"],
        GSM8K_LINES[1]["question"],
        "10",
    )
    assert CUSTOM_TEXT_FIELDS[0] == "prompt"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{oops", "2: not JSON"),
        ("[1, 2]", "2: not a JSON object"),
        ('{"id": 3}', "2: needs string fields"),
        ('{"prompt": "p", "solution": 42}', "2: needs string fields"),
    ],
)
def test_custom_benchmark_refuses_a_bad_line_by_number(tmp_path, line, message):
    path = _write_jsonl(tmp_path / "mine.jsonl", [{"prompt": "a prompt"}, line])
    with pytest.raises(ValueError, match=message):
        load_custom_benchmark(path)


def test_custom_benchmark_names_must_be_plain_and_distinct(tmp_path):
    with pytest.raises(ValueError, match="name the file"):
        load_custom_benchmark(_write_jsonl(tmp_path / "my bench.jsonl", [{"text": "t"}]))
    config = DecontaminationConfig(extra_benchmarks=("/x/apps.jsonl", "/y/DS-1000.jsonl"))
    assert benchmark_names(config) == ("humaneval", "mbpp", "apps", "ds-1000")
    assert benchmark_names(DecontaminationConfig()) == ("humaneval", "mbpp")
    with pytest.raises(ValueError, match="must differ"):
        benchmark_names(DecontaminationConfig(extra_benchmarks=("/a/mbpp.jsonl",)))
    with pytest.raises(ValueError, match="must differ"):
        benchmark_names(DecontaminationConfig(extra_benchmarks=("/a/x.jsonl", "/b/X.jsonl")))


def test_each_benchmark_drops_under_its_own_name_with_exact_counts(tmp_path):
    gsm8k = load_custom_benchmark(_write_jsonl(tmp_path / "gsm8k.jsonl", GSM8K_LINES))
    apps = CustomBenchmark(name="apps", texts=("  def solve(n): return sum(range(n + 1))  ",))
    data = BenchmarkData(humaneval=load_humaneval(), mbpp=(MBPP,), custom=(gsm8k, apps))
    patterns = decontamination_patterns(data, DecontaminationConfig())
    assert patterns[-4:] == [
        (GSM8K_LINES[0]["question"], "gsm8k"),
        (GSM8K_LINES[0]["answer"], "gsm8k"),
        (GSM8K_LINES[1]["question"], "gsm8k"),
        ("def solve(n): return sum(range(n + 1))", "apps"),
    ]  # the answer "10" is under min_pattern_chars
    humaneval_doc = extract_docstring(load_humaneval()[3].prompt)
    question = GSM8K_LINES[0]["question"].lower()
    contents = [
        f"# {humaneval_doc}\n",
        "x = 1\n",
        f'"""{question}"""\n',
        "def solve(n): return sum(range(n + 1))\n",
        "WENG EARNS $12 AN HOUR FOR BABYSITTING. HOW MUCH DID SHE EARN?",
        f"s = '{GSM8K_LINES[0]['answer']}'",
        "x = 10\n",
        "",
    ]
    reasons = Decontaminator(patterns)(_batch(contents))["drop_reason"].to_pylist()
    assert reasons == [
        "decontam:humaneval",
        None,
        "decontam:gsm8k",
        "decontam:apps",
        "decontam:gsm8k",
        "decontam:gsm8k",
        None,
        None,
    ]
    counts = {r: reasons.count(r) for r in set(reasons) - {None}}
    assert counts == {"decontam:humaneval": 1, "decontam:gsm8k": 3, "decontam:apps": 1}
    every = decontamination_patterns(data, DecontaminationConfig(min_pattern_chars=0))
    assert ("10", "gsm8k") in every
    assert ("10", "gsm8k") not in patterns


def test_fetch_loads_custom_files_next_to_the_cached_benchmarks(tmp_path):
    path = _write_jsonl(tmp_path / "apps.jsonl", [{"prompt": "Read n and print n squared."}])
    data = fetch_benchmarks(BENCHMARK_CACHE, (path,))
    assert data.custom == (CustomBenchmark(name="apps", texts=("Read n and print n squared.",)),)
    assert fetch_benchmarks(BENCHMARK_CACHE).custom == ()
