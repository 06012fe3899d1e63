"""evaluate.py through the serve app's OpenAI-compatible API."""

import evaluate
import pytest

pytestmark = pytest.mark.integration


def test_evaluate_through_the_serve_api(serve_url, tmp_path):
    args = [
        "--url", f"{serve_url}/v1", "--tasks", "humaneval,fim", "--limit", "3", "--n", "2",
        "--temperature", "0.8", "--max-new-tokens", "8", "--k", "1,2",
        "--allow-code-execution", "--output", str(tmp_path),
    ]  # fmt: skip
    humaneval, fim = evaluate.main(args)
    assert humaneval["problems"] == 3 and sum(humaneval["statuses"].values()) == 6
    assert fim["examples"] == 3
    assert len((tmp_path / "humaneval_samples.jsonl").read_text().splitlines()) == 6
