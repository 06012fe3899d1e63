"""pack_tokens.py: its refusals before any work, and the whole job twice on the session's Ray."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from bpe_fixture import tiny_bpe
from starcoder_data.tokens import HeldOutError, TokenShards, is_validation, open_held_out

from ray_jobs import pack_tokens

SNIPPETS = {
    "python": ["def area(r):\n    return 3.14159 * r * r\n", "for i in range(10):\n    print(i)\n"],
    "c": ['#include <stdio.h>\nint main(void) {\n    puts("hé");\n    return 0;\n}\n'],
}


def _train_tokenizer(directory: Path) -> Path:
    """A ~300-token byte-level BPE with StarCoder's special tokens added first."""
    tokenizer = tiny_bpe([s for v in SNIPPETS.values() for s in v] * 20)
    directory.mkdir(parents=True)
    tokenizer.save(str(directory / "tokenizer.json"))
    return directory


def _write_data(root: Path) -> int:
    """Curated-style Parquet, ``language=<lang>/`` partitions of two files each; rows written."""
    written = 0
    for language, snippets in SNIPPETS.items():
        folder = root / f"language={language}"
        folder.mkdir(parents=True)
        for part in range(2):
            rows = []
            for i in range(15):
                content = snippets[i % len(snippets)] * (1 + i % 4) + f"# {language} {part} {i}\n"
                rows.append(
                    {
                        "repo": f"owner/{language}-{i % 3}",
                        "path": f"src/{part}/{i}.{language[0]}",
                        "source": "issues:/data/i.jsonl" if i % 5 == 0 else "local:/usr",
                        "stars": None if i % 2 else i * 40,
                        "size": len(content),
                        "content_hash": None,
                        "content": content if i != 7 else "",  # one empty file per part
                    }
                )
            pq.write_table(pa.Table.from_pylist(rows), folder / f"part-{part}.parquet")
            written += len(rows)
    return written


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("pack")
    rows = _write_data(root / "data")
    return {"data": root / "data", "tokenizer": _train_tokenizer(root / "tokenizer"), "rows": rows}


def _argv(inputs, output: Path, *extra: str) -> list[str]:
    return [
        f"--data={inputs['data']}",
        f"--tokenizer={inputs['tokenizer']}",
        f"--output={output}",
        "--seq-len=64",
        "--val-fraction=0.2",
        "--seed=3",
        *extra,
    ]


def test_missing_or_empty_input_is_refused_before_work(inputs, tmp_path):
    with pytest.raises(SystemExit, match="no curated data"):
        pack_tokens.main(_argv({**inputs, "data": tmp_path / "nowhere"}, tmp_path / "out"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit, match="holds no .parquet files"):
        pack_tokens.main(_argv({**inputs, "data": tmp_path / "empty"}, tmp_path / "out"))
    with pytest.raises(SystemExit, match=r"no 'rust' files .*\['c', 'python'\]"):
        pack_tokens.main(_argv(inputs, tmp_path / "out", "--languages=python,rust"))
    assert not (tmp_path / "out").exists()


def test_a_tokenizer_without_starcoder_tokens_is_refused(inputs, tmp_path):
    from tokenizers import Tokenizer, models

    (tmp_path / "tok").mkdir()
    Tokenizer(models.BPE()).save(str(tmp_path / "tok" / "tokenizer.json"))
    with pytest.raises(SystemExit, match="lacks StarCoder special tokens"):
        pack_tokens.main(_argv({**inputs, "tokenizer": tmp_path / "tok"}, tmp_path / "out"))
    with pytest.raises(SystemExit, match="no tokenizer.json"):
        pack_tokens.main(_argv({**inputs, "tokenizer": tmp_path}, tmp_path / "out"))


def test_a_non_empty_output_is_refused(inputs, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("x")
    with pytest.raises(SystemExit, match="not empty; rerun with --overwrite"):
        pack_tokens.main(_argv(inputs, tmp_path / "out"))
    assert (tmp_path / "out" / "keep.txt").exists()


def test_bad_rates_are_refused(inputs, tmp_path):
    with pytest.raises(SystemExit):
        pack_tokens.main(_argv(inputs, tmp_path / "out", "--metadata-rate=1.5"))
    with pytest.raises(SystemExit):  # FIM is drawn at training time now: no such option
        pack_tokens.main(_argv(inputs, tmp_path / "out", "--fim-rate=0.5"))


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.mark.integration
def test_the_job_twice_gives_identical_consistent_shards(ray_cluster, inputs, tmp_path, capsys):
    assert pack_tokens.main(_argv(inputs, tmp_path / "a")) == 0
    printed = capsys.readouterr().out
    assert "tokens_by_language:" in printed and "MB/s" in printed
    # smaller batches: other blocks, the same bytes
    assert pack_tokens.main(_argv(inputs, tmp_path / "b", "--batch-size=4")) == 0
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert first == second and len(first) >= 3

    manifest = json.loads(first["manifest.json"])
    splits = manifest["splits"]
    assert manifest["seq_len"] == 64 and manifest["dtype"] == "uint16"
    assert manifest["vocab_size"] == 300 and manifest["eod_id"] == 0
    assert manifest["config"]["seed"] == 3 and manifest["config"]["val_fraction"] == 0.2
    empty = sum(s["empty_documents"] for s in splits.values())
    assert sum(s["documents"] for s in splits.values()) + empty == inputs["rows"]
    assert empty == 4
    for name, split in splits.items():
        assert split["tokens"] == split["sequences"] * 64 + split["dropped_tail_tokens"]
        assert sum(split["tokens_by_source"].values()) == split["tokens"]
        assert sum(split["tokens_by_language"].values()) == split["tokens"]
        shards = TokenShards.open(tmp_path / "a", name)
        assert len(shards) == split["sequences"] > 0
        assert shards.sequences_by_source == split["sequences_by_source"]
    train = splits["train"]
    assert set(train["tokens_by_source"]) == {"local", "issues"}
    assert set(train["tokens_by_language"]) == {"python", "c"}
    data = TokenShards.open(tmp_path / "a", "train")
    rows = data.batch(range(len(data)))
    assert np.count_nonzero(rows == 0) > 0  # EOD separators
    assert not np.isin(rows, [1, 2, 3]).any()  # no FIM sentinels: FIM is drawn in training
    assert set(manifest["languages"]) == {"python", "c"}
    assert {manifest["languages"][c] for c in data.row_languages} == {"python", "c"}

    # the held-out split: the validation files, as curated Parquet, and only them
    curated = pq.read_table(inputs["data"]).to_pylist()
    expected = sorted(
        (r["repo"], r["path"]) for r in curated if is_validation(r["repo"], r["path"], 0.2)
    )
    held = pq.read_table(tmp_path / "a" / "held_out")
    names = zip(held["repo"].to_pylist(), held["path"].to_pylist(), strict=True)
    assert sorted(names) == expected
    assert len(expected) == manifest["held_out"]["files"] > 0
    assert set(held.column_names) == set(pq.read_table(inputs["data"]).column_names)
    assert any(p.startswith("held_out/language=") for p in first)
    assert open_held_out(tmp_path / "a").files == len(expected)
    assert open_held_out(tmp_path / "a" / "held_out").files == len(expected)
    with pytest.raises(HeldOutError, match="not a held-out split written by pack_tokens.py"):
        open_held_out(inputs["data"])  # the training data itself


@pytest.mark.integration
def test_one_language_over_an_overwritten_output(ray_cluster, inputs, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.npy").write_bytes(b"old")
    assert pack_tokens.main(_argv(inputs, out, "--languages=c", "--overwrite")) == 0
    assert not (out / "stale.npy").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["splits"]["train"]["tokens_by_language"]) == {"c"}
    assert manifest["config"]["languages"] == ["c"]
    assert TokenShards.open(out, "train").sequences_by_source.keys() <= {"local", "issues"}
