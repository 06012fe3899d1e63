"""The StarCoder tokenizer recipe: special ids, digits, round trips, saving, sampling."""

from __future__ import annotations

import json
import random

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from starcoder_data.special_tokens import ENDOFTEXT, FIM_PREFIX, SPECIAL_TOKENS
from starcoder_model.tokenizer import (
    TokenCount,
    TokenizerConfig,
    TokenizerNotFoundError,
    count_tokens,
    load_tokenizer,
    save_tokenizer,
    tokens_per_byte,
    train_tokenizer,
)
from starcoder_model.tokenizer_report import tokenizer_report
from starcoder_model.tokenizer_sample import DocumentSample, allocate_bytes, sample_documents
from tokenizers import Tokenizer

VOCAB = 400
DIGITS = "0123456789"

TRICKY = [
    "",
    "x",
    "def f(x):\r\n\treturn x  \r\n",  # CRLF, a tab, trailing spaces
    "    \n\n\t\t  \n   ",  # whitespace only
    "a . b , c ?",  # what clean_up_tokenization_spaces would rewrite
    "naïve = 'ü' + \"日本語\" + '🚀'  # façade",
    "e\u0301 \u200b \ufeff \x00 \x7f \U0010ffff",  # combining mark, zero width, BOM, controls
    "x = 0x1F + 1_000_000 - 3.14e-10",
    f"{FIM_PREFIX}def f():{ENDOFTEXT}<fim_prefix <|endoftext",  # specials and near misses
]


def _code_document(rng: random.Random, names: list[str]) -> str:
    lines = []
    for _ in range(rng.randint(5, 15)):
        a, b, c = rng.sample(names, 3)
        lines.append(f"def {a}({b}, {c}=2023):\n    return {b} * {rng.randint(0, 99999)} + {c}\n")
    return "\n".join(lines)


def _corpus(seed: int = 0, documents: int = 120) -> list[str]:
    """Code-like text with enough distinct pairs for a few hundred merges."""
    rng = random.Random(seed)
    names = ["".join(rng.choices("abcdefghijklmnop_", k=rng.randint(3, 9))) for _ in range(80)]
    return [_code_document(rng, names) for _ in range(documents)]


@pytest.fixture(scope="module")
def config() -> TokenizerConfig:
    return TokenizerConfig(vocab_size=VOCAB, model_max_length=1024)


@pytest.fixture(scope="module")
def trained(config):
    return train_tokenizer(_corpus(), config)


@pytest.fixture(scope="module")
def saved(trained, tmp_path_factory):
    return save_tokenizer(trained, tmp_path_factory.mktemp("tokenizer"))


@pytest.fixture(scope="module")
def loaded(saved):
    return load_tokenizer(saved)


def test_special_tokens_have_ids_0_to_18_in_order(trained, loaded):
    backend = trained.backend_tokenizer
    assert [backend.token_to_id(token) for token in SPECIAL_TOKENS] == list(range(19))
    assert [backend.id_to_token(i) for i in range(19)] == list(SPECIAL_TOKENS)
    assert loaded.convert_tokens_to_ids(list(SPECIAL_TOKENS)) == list(range(19))
    assert (loaded.bos_token, loaded.eos_token, loaded.unk_token) == (ENDOFTEXT,) * 3
    assert loaded.eos_token_id == 0


def test_vocab_size_is_exactly_the_configured_one(trained, loaded):
    assert trained.backend_tokenizer.get_vocab_size() == VOCAB
    assert len(loaded) == VOCAB
    # every byte value is a symbol, whether or not the corpus had it
    assert "é" not in "".join(_corpus())
    assert loaded.decode(loaded("é")["input_ids"]) == "é"


def test_a_corpus_too_small_warns_and_stops_early():
    with pytest.warns(UserWarning, match="allowed .* tokens, not 5000"):
        small = train_tokenizer(["tiny text"], TokenizerConfig(vocab_size=5000))
    assert len(small) < 5000


def test_vocab_below_specials_and_bytes_is_refused():
    with pytest.raises(ValueError, match="below 275"):
        TokenizerConfig(vocab_size=274)


def test_digits_are_split_one_by_one(trained, loaded):
    # "2023" occurs in every function: a plain BPE would have merged it
    assert sum(text.count("2023") for text in _corpus()) > 500
    digit_tokens = [t for t in trained.get_vocab() if any(ch in DIGITS for ch in t)]
    assert sorted(digit_tokens) == list(DIGITS)
    for tokenizer in (trained, loaded):
        ids = tokenizer("x=2023 + 45", add_special_tokens=False)["input_ids"]
        tokens = tokenizer.convert_ids_to_tokens(ids)
        assert [t for t in tokens if any(ch in DIGITS for ch in t)] == list("202345")


@pytest.mark.parametrize("text", TRICKY)
def test_decode_encode_round_trips(trained, loaded, text):
    backend = trained.backend_tokenizer
    ids = backend.encode(text).ids
    assert backend.decode(ids, skip_special_tokens=False) == text
    assert loaded.decode(loaded(text)["input_ids"]) == text
    assert loaded(text)["input_ids"] == ids  # the saved files encode as the trained object


@pytest.mark.parametrize("token", SPECIAL_TOKENS)
def test_special_tokens_are_never_split(loaded, token):
    text = f"a{token}b {token}\n{token}{token}"
    ids = loaded(text)["input_ids"]
    special_id = SPECIAL_TOKENS.index(token)
    assert ids.count(special_id) == 4
    assert all(i == special_id or i >= len(SPECIAL_TOKENS) for i in ids)
    assert loaded.decode(ids) == text


def test_saved_directory_matches_the_starcoder_layout(saved, loaded):
    assert sorted(p.name for p in saved.iterdir()) == [
        "special_tokens_map.json",
        "tokenizer.json",
        "tokenizer_config.json",
    ]
    config = json.loads((saved / "tokenizer_config.json").read_text())
    assert config["additional_special_tokens"] == list(SPECIAL_TOKENS)
    assert config["model_max_length"] == 1024 == loaded.model_max_length
    assert config["clean_up_tokenization_spaces"] is False
    pipeline = json.loads((saved / "tokenizer.json").read_text())
    assert pipeline["pre_tokenizer"] == {
        "type": "Sequence",
        "pretokenizers": [
            {"type": "Digits", "individual_digits": True},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
             "use_regex": True},
        ],
    }  # fmt: skip
    assert pipeline["decoder"]["type"] == "ByteLevel"
    assert pipeline["post_processor"]["type"] == "ByteLevel"
    assert all(t["special"] for t in pipeline["added_tokens"])
    loaded_pipeline = json.loads(loaded.backend_tokenizer.to_str())
    assert loaded_pipeline["pre_tokenizer"] == pipeline["pre_tokenizer"]


def test_save_accepts_the_tokenizers_object(trained, tmp_path):
    save_tokenizer(Tokenizer.from_str(trained.backend_tokenizer.to_str()), tmp_path)
    assert len(load_tokenizer(tmp_path)) == VOCAB


def test_load_names_a_missing_directory(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(TokenizerNotFoundError, match=f"no tokenizer directory at {missing}"):
        load_tokenizer(missing)


def test_load_names_a_directory_without_a_tokenizer(tmp_path):
    (tmp_path / "notes.txt").write_text("not a tokenizer")
    with pytest.raises(TokenizerNotFoundError, match=f"{tmp_path} holds no tokenizer.json"):
        load_tokenizer(tmp_path)


def test_load_names_a_directory_with_a_corrupt_tokenizer(tmp_path):
    (tmp_path / "tokenizer.json").write_text("{not json")
    with pytest.raises(ValueError, match=f"{tmp_path} does not hold a loadable tokenizer"):
        load_tokenizer(tmp_path)


def test_tokens_per_byte_counts_utf8_bytes(trained):
    texts = {
        "digits": ["0123456789", "42"],  # one token per digit
        "special": [ENDOFTEXT],  # 13 bytes, one token
        "empty": [],
    }
    counts = count_tokens(trained, texts)
    assert counts["digits"] == TokenCount(documents=2, bytes=12, tokens=12)
    assert counts["special"] == TokenCount(documents=1, bytes=13, tokens=1)
    assert tokens_per_byte(trained, texts) == {"digits": 1.0, "empty": 0.0, "special": 1 / 13}
    # the corpus never shows these bytes merged: one token per UTF-8 byte
    assert tokens_per_byte(trained.backend_tokenizer, {"cjk": ["日本"]}) == {"cjk": 1.0}
    held_out = {"code": _corpus(documents=125)[120:]}  # same names, unseen documents
    # 125 merges only, and every digit stays a token; yet well below one token per byte
    assert 0.4 < tokens_per_byte(trained, held_out)["code"] < 0.7


def test_report_lists_every_language(config):
    sample = DocumentSample(
        train={"python": ["ab", "cd"], "lua": ["x"]},
        eval={"python": ["efgh"]},
        available_bytes={"python": 10, "lua": 1},
    )
    counts = {"python": TokenCount(documents=1, bytes=4, tokens=2)}
    report = tokenizer_report(
        vocab_size=VOCAB, config=config, sample=sample, counts=counts,
        seconds={"train": 2.0, "encode": 0.5},
    )  # fmt: skip
    assert (report.train.documents, report.train.bytes) == (3, 5)
    assert report.tokens_per_byte == {"python": 0.5}
    assert report.languages["lua"].tokens_per_byte is None
    assert list(report.languages) == ["python", "lua"]
    assert report.encode_mb_per_s == pytest.approx(4 / 2**20 / 0.5)
    table = report.format()
    assert "tokens/byte" in table and "0.500" in table and table.splitlines()[-1].startswith("lua")


def test_allocate_bytes_is_proportional_with_a_floor():
    available = {"python": 900_000, "c": 90_000, "lua": 500, "cmake": 9_500}
    shares = allocate_bytes(available, 100_000, min_fraction=0.05)
    # floors: 5,000 each (lua has only 500); the 84,500 left go by the bytes above the floors
    assert shares["lua"] == 500
    assert shares["cmake"] == 5_000 + 84_500 * 4_500 // 984_500
    assert shares["python"] == 5_000 + 84_500 * 895_000 // 984_500
    assert sum(shares.values()) <= 100_000
    assert all(shares[lang] <= available[lang] for lang in available)
    assert allocate_bytes(available, 10**7, 0.05) == available  # everything fits
    assert sum(allocate_bytes(available, 12_000, 0.5).values()) <= 12_000  # floors overflow
    assert allocate_bytes(available, 0, 0.05) == dict.fromkeys(available, 0)


def _write_language(root, language: str, texts: list[str], files: int = 1) -> None:
    folder = root / f"language={language}"
    folder.mkdir(parents=True)
    for index in range(files):
        part = texts[index::files]
        table = pa.table({"repo": ["r"] * len(part), "content": pa.array(part, pa.large_string())})
        pq.write_table(table, folder / f"part-{index}.parquet", row_group_size=7)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("curated")
    rng = random.Random(7)
    _write_language(root, "python", [f"# py {i}\n" + "x = 1\n" * rng.randint(5, 50)
                                     for i in range(300)], files=3)  # fmt: skip
    _write_language(root, "c", [f"/* c {i} */ int x;\n" * rng.randint(1, 20) for i in range(40)])
    _write_language(root, "lua", ["print('only one')\n"])
    _write_language(root, "json", ['{"same": 1}\n'] * 5 + ['{"other": 2}\n'])  # duplicates
    return root


def _sample(data_dir, seed=0, sample_bytes=6_000, eval_bytes=2_000):
    return sample_documents(
        data_dir, sample_bytes=sample_bytes, eval_bytes=eval_bytes, seed=seed,
        min_language_fraction=0.05,
    )  # fmt: skip


def test_sample_is_deterministic_and_seeded(data_dir):
    first, again, other = _sample(data_dir), _sample(data_dir), _sample(data_dir, seed=1)
    assert first == again
    assert first.train != other.train


def test_sample_respects_the_caps_and_keeps_small_languages(data_dir):
    sample = _sample(data_dir)
    assert 5_000 < sum(sample.train_bytes.values()) <= 6_000
    assert 1_000 < sum(sample.eval_bytes.values()) <= 2_000
    assert sample.train["lua"] == ["print('only one')\n"]  # its only document is trained on
    assert "lua" not in sample.eval
    assert sample.train_bytes["python"] > sample.train_bytes["c"] > 0  # by their bytes
    assert sample.available_bytes["json"] == len('{"same": 1}\n{"other": 2}\n')  # once each


def test_held_out_documents_are_never_trained_on(data_dir):
    for seed in range(3):
        sample = _sample(data_dir, seed=seed)
        for language, texts in sample.eval.items():
            assert texts and not set(texts) & set(sample.train.get(language, []))


def test_sample_takes_everything_when_the_budget_allows(data_dir):
    sample = _sample(data_dir, sample_bytes=10**9, eval_bytes=0)
    assert sample.train_bytes == sample.available_bytes
    assert sample.eval == {}
    assert len(sample.train["python"]) == 300


def test_sample_refuses_files_outside_language_folders(tmp_path):
    pq.write_table(pa.table({"content": ["x"]}), tmp_path / "loose.parquet")
    with pytest.raises(ValueError, match="loose.parquet is not under a language=<name>/ folder"):
        sample_documents(tmp_path, sample_bytes=100)
