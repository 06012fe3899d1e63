"""Single-line infilling: one example per non-blank canonical line, in Python and Rust."""

from __future__ import annotations

from pathlib import Path

import pytest
from starcoder_data.special_tokens import FIM_MIDDLE, FIM_PREFIX, FIM_SUFFIX
from starcoder_data.tokens.fim import fim_prompt
from starcoder_eval.fim import (
    FIM_LANGUAGES,
    exact_match,
    fim_requests,
    load_fim_problems,
    load_humaneval_rust,
    score_fim,
    single_line_examples,
)
from starcoder_eval.tasks import Problem, load_humaneval

CACHE = Path(__file__).resolve().parents[2] / "data_cache" / "benchmarks"


def problem(task_id: str, solution: str | None, prompt: str = "def f(a):\n") -> Problem:
    return Problem(
        task_id=task_id, language="python", prompt=prompt, tests="", stop_sequences=(),
        canonical_solution=solution,
    )  # fmt: skip


def test_every_non_blank_line_is_masked_in_turn():
    solution = "    a = 1\n\n    \n    return a"  # blank and whitespace-only lines are skipped
    examples = single_line_examples([problem("P/0", solution)])
    assert [(e.line, e.middle) for e in examples] == [(0, "    a = 1"), (3, "    return a")]
    first, last = examples
    assert first.prefix == "def f(a):\n" and first.suffix == "\n\n    \n    return a"
    assert last.prefix == "def f(a):\n    a = 1\n\n    \n" and last.suffix == ""


def test_no_solution_empty_and_single_line_problems():
    assert single_line_examples([]) == []
    empty = [problem("P/0", None), problem("P/1", ""), problem("P/2", "\n")]
    assert single_line_examples(empty) == []
    (only,) = single_line_examples([problem("P/3", "    return 1\n")])
    assert (only.prefix, only.middle, only.suffix) == ("def f(a):\n", "    return 1", "\n")


@pytest.mark.parametrize("language", FIM_LANGUAGES)
def test_examples_rebuild_every_solution_exactly(language):
    problems = load_fim_problems(language, cache_dir=CACHE)
    examples = single_line_examples(problems)
    non_blank = sum(
        1 for p in problems for line in p.canonical_solution.splitlines() if line.strip()
    )
    assert len(examples) == non_blank
    by_id = {p.task_id: p for p in problems}
    for example in examples:
        solved = by_id[example.task_id]
        assert example.prefix + example.middle + example.suffix == (
            solved.prompt + solved.canonical_solution
        )
        assert example.middle.strip() and "\n" not in example.middle
        assert example.language == language


def test_the_offline_solution_sets():
    assert len(load_humaneval()) == 164
    assert len(single_line_examples(load_humaneval())) == 1033  # as InCoder's single-line set
    rust = load_humaneval_rust(cache_dir=CACHE)
    assert len(rust) == 121 and {p.language for p in rust} == {"rust"}
    assert rust[0].prompt.rstrip().endswith("{") and rust[0].entry_point == "has_close_elements"
    with pytest.raises(ValueError, match="no infilling solutions"):
        load_fim_problems("cpp")


def test_requests_use_starcoders_psm_prompt_and_stop_at_the_line_end():
    (example, *_) = single_line_examples(load_humaneval()[:1])
    (request,) = fim_requests([example])
    assert request.prompt == example.prefix and request.suffix == example.suffix
    assert request.stop == ("\n",)
    assert fim_prompt("a", "b") == f"{FIM_PREFIX}a{FIM_SUFFIX}b{FIM_MIDDLE}"


def test_exact_match_compares_the_first_line_up_to_surrounding_whitespace():
    assert exact_match("    return x  \nmore", "    return x")
    assert exact_match("return x", "    return x")
    assert not exact_match("return y", "return x")
    assert not exact_match("", "return x")
    assert not exact_match("\nreturn x", "return x")  # an empty first line is the answer


def test_score_is_exact_match_over_every_line_and_per_language():
    python = problem("P/0", "    a = 1\n    return a\n")
    rust = Problem(
        task_id="R/0", language="rust", prompt="fn f() -> i32 {\n", tests="",
        stop_sequences=(), canonical_solution="    let a = 1;\n    a\n}\n",
    )  # fmt: skip
    examples = single_line_examples([python, rust])
    assert len(examples) == 5
    right = [[e.middle] for e in examples]
    result = score_fim(examples, right)
    assert result["exact_match"] == 1.0 and result["examples"] == 5
    assert result["per_language"] == {
        "python": {"exact_match": 1.0, "samples": 2},
        "rust": {"exact_match": 1.0, "samples": 3},
    }
    wrong = [["    a = 2"], ["    return a"], ["}"], ["    a"], ["}"]]  # 1 + 2 of 5 right
    result = score_fim(examples, wrong)
    assert result["exact_match"] == pytest.approx(3 / 5)
    assert result["per_language"]["python"]["exact_match"] == 0.5
    assert result["per_language"]["rust"]["exact_match"] == pytest.approx(2 / 3)
    assert [(s["task_id"], s["line"], s["exact_match"]) for s in result["samples"]] == [
        ("P/0", 0, False), ("P/0", 1, True), ("R/0", 0, False), ("R/0", 1, True), ("R/0", 2, True),
    ]  # fmt: skip
    assert score_fim([], [])["exact_match"] == 0.0
    with pytest.raises(ValueError):
        score_fim(examples, right[:-1])
