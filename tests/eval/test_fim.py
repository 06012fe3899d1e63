"""Single-line infilling examples rebuild the original solution; exact match ignores spacing."""

from __future__ import annotations

from starcoder_data.special_tokens import FIM_MIDDLE, FIM_PREFIX, FIM_SUFFIX
from starcoder_eval.fim import exact_match, fim_requests, score_fim, single_line_examples
from starcoder_eval.generation import fim_prompt
from starcoder_eval.tasks import load_humaneval


def test_prefix_middle_and_suffix_rebuild_prompt_and_solution():
    problems = load_humaneval()
    examples = single_line_examples(problems, seed=3)
    assert len(examples) == 164
    by_id = {p.task_id: p for p in problems}
    for example in examples:
        problem = by_id[example.task_id]
        rebuilt = example.prefix + example.middle + example.suffix
        assert rebuilt.rstrip("\n") == (problem.prompt + problem.canonical_solution).rstrip("\n")
        assert example.middle.strip()


def test_examples_are_seeded():
    problems = load_humaneval()[:20]
    assert single_line_examples(problems, seed=1) == single_line_examples(problems, seed=1)
    assert single_line_examples(problems, seed=1) != single_line_examples(problems, seed=2)


def test_requests_use_starcoders_psm_prompt_and_stop_at_the_line_end():
    (example,) = single_line_examples(load_humaneval()[:1])
    (request,) = fim_requests([example])
    assert request.suffix == example.suffix and request.stop == ("\n",)
    assert fim_prompt("a", "b") == f"{FIM_PREFIX}a{FIM_SUFFIX}b{FIM_MIDDLE}"


def test_exact_match_scores():
    assert exact_match("    return x  \nmore", "    return x")
    assert not exact_match("return y", "return x")
    examples = single_line_examples(load_humaneval()[:2])
    result = score_fim(examples, [[examples[0].middle], ["nope"]])
    assert result["exact_match"] == 0.5 and result["examples"] == 2
