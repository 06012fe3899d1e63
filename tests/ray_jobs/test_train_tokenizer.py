"""The tokenizer job end to end, in-process, on a tiny curated folder (no Ray needed)."""

from __future__ import annotations

import json
import random

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from starcoder_data.special_tokens import SPECIAL_TOKENS
from transformers import AutoTokenizer

from ray_jobs import train_tokenizer


def _documents(rng: random.Random, names: list[str], count: int, template: str) -> list[str]:
    return [
        "".join(template.format(*rng.sample(names, 3), rng.randint(0, 999)) for _ in range(20))
        for _ in range(count)
    ]


@pytest.fixture(scope="module")
def curated(tmp_path_factory):
    """``language=<lang>/*.parquet`` as the curation job writes it, about 150 kB."""
    root = tmp_path_factory.mktemp("curated") / "data"
    rng = random.Random(0)
    names = ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(3, 8)))
             for _ in range(60)]  # fmt: skip
    languages = {
        "python": _documents(rng, names, 120, "def {0}({1}):\n    return {2} + {3}\n"),
        "c": _documents(rng, names, 40, "int {0}(int {1}) {{ return {2} * {3}; }}\n"),
        "lua": ["print('hello')\n"],
    }
    for language, texts in languages.items():
        folder = root / f"language={language}"
        folder.mkdir(parents=True)
        table = pa.table({"repo": ["owner/repo"] * len(texts), "content": texts})
        pq.write_table(table, folder / "part-0.parquet")
    return root


def _argv(data, output, *extra: str) -> list[str]:
    return [f"--data={data}", f"--output={output}", "--vocab-size=400", "--sample-mb=0.08",
            "--eval-mb=0.02", "--no-progress", *extra]  # fmt: skip


def test_the_job_trains_saves_and_reports(curated, tmp_path, capsys):
    output = tmp_path / "tokenizer"
    assert train_tokenizer.main(_argv(curated, output, "--model-max-length=2048")) == 0

    printed = capsys.readouterr().out
    assert "vocab size        400 (configured 400)" in printed
    assert "tokens/byte" in printed and "encoding speed" in printed

    tokenizer = AutoTokenizer.from_pretrained(str(output))
    assert len(tokenizer) == 400
    assert tokenizer.convert_tokens_to_ids(list(SPECIAL_TOKENS)) == list(range(19))
    assert tokenizer.model_max_length == 2048
    text = "def f(x):\r\n\treturn x + 1234  # ü\n"
    assert tokenizer.decode(tokenizer(text)["input_ids"]) == text

    report = json.loads((output / "tokenizer_report.json").read_text())
    assert report["vocab_size"] == 400
    assert 0 < report["train"]["bytes"] <= 0.08 * 2**20
    assert 0 < report["eval"]["bytes"] <= 0.02 * 2**20
    assert set(report["tokens_per_byte"]) == {"python", "c"}  # lua's one file is trained on
    assert all(0 < value < 1 for value in report["tokens_per_byte"].values())
    assert report["languages"]["lua"]["train_documents"] == 1
    assert report["config"]["sample_bytes"] == int(0.08 * 2**20)
    assert set(report["seconds"]) == {"sample", "train", "encode"}


def test_the_job_is_deterministic(curated, tmp_path):
    for name in ("a", "b"):
        train_tokenizer.main(_argv(curated, tmp_path / name))
    assert (tmp_path / "a/tokenizer.json").read_text() == (
        tmp_path / "b/tokenizer.json"
    ).read_text()


def test_a_missing_data_folder_is_refused_before_any_work(tmp_path):
    output = tmp_path / "tokenizer"
    with pytest.raises(SystemExit, match=f"no data folder at {tmp_path / 'absent'}"):
        train_tokenizer.main(_argv(tmp_path / "absent", output))
    assert not output.exists()


def test_an_empty_data_folder_is_refused_before_any_work(tmp_path):
    (tmp_path / "data" / "language=python").mkdir(parents=True)
    output = tmp_path / "tokenizer"
    with pytest.raises(SystemExit, match="holds no Parquet files"):
        train_tokenizer.main(_argv(tmp_path / "data", output))
    assert not output.exists()


def test_a_vocab_below_the_specials_and_bytes_is_a_usage_error(curated, tmp_path, capsys):
    with pytest.raises(SystemExit) as raised:
        train_tokenizer.main(_argv(curated, tmp_path / "out", "--vocab-size=100"))
    assert raised.value.code == 2
    assert "vocab_size 100 is below 275" in capsys.readouterr().err


def test_no_held_out_sample_reports_no_tokens_per_byte(curated, tmp_path, capsys):
    assert train_tokenizer.main(_argv(curated, tmp_path / "out", "--eval-mb=0")) == 0
    report = json.loads((tmp_path / "out/tokenizer_report.json").read_text())
    assert report["tokens_per_byte"] == {} and report["eval"]["bytes"] == 0
    assert "tokens per byte   -" in capsys.readouterr().out
