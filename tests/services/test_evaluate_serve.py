"""evaluate.py through the serve app's OpenAI-compatible API."""

import pytest
from starcoder_eval.fim import FIM_LANGUAGES, load_fim_problems, single_line_examples

from ray_jobs import evaluate

pytestmark = pytest.mark.integration


def test_evaluate_through_the_serve_api(serve_url, tmp_path):
    args = [
        "--url", f"{serve_url}/v1", "--tasks", "humaneval,fim", "--limit", "3", "--n", "2",
        "--temperature", "0.8", "--max-new-tokens", "8", "--k", "1,2",
        "--allow-code-execution", "--output", str(tmp_path),
    ]  # fmt: skip
    humaneval, fim = evaluate.run(evaluate.parse_args(args)).tasks
    assert humaneval.problems == 3 and sum(humaneval.statuses.values()) == 6
    cache = "data_cache/benchmarks"  # evaluate.py's default
    masked_lines = sum(  # every non-blank line of the first 3 solutions of each language
        len(single_line_examples(load_fim_problems(language, cache_dir=cache)[:3]))
        for language in FIM_LANGUAGES
    )
    assert fim.examples == masked_lines and set(fim.per_language) == set(FIM_LANGUAGES)
    assert len((tmp_path / "humaneval_samples.jsonl").read_text().splitlines()) == 6
