"""StarCoder's tokenizer recipe: a byte-level BPE with the special tokens first.

StarCoder (Li et al. 2023, section 5) trains a byte-level BPE with the Hugging
Face ``tokenizers`` library, 49,152 tokens in all. Its ``tokenizer.json`` splits
digits one by one before the GPT-2 byte-level regex (numbers are then read
digit by digit, never as arbitrary chunks such as ``"202"`` + ``"3"``) and
gives the special tokens of ``starcoder_data.special_tokens`` the ids 0..18.
Byte-level BPE has no unknown token: any text, any bytes, round-trips.

The trained tokenizer is saved as ``tokenizer.json`` plus the
``tokenizer_config.json`` / ``special_tokens_map.json`` that
``transformers.AutoTokenizer.from_pretrained`` reads.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from starcoder_data.special_tokens import ENDOFTEXT, SPECIAL_TOKENS
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerFast

MB = 1 << 20
BYTE_ALPHABET_SIZE = 256  # byte-level BPE starts from one symbol per byte value
TOKENIZER_FILE = "tokenizer.json"
CONFIG_FILE = "tokenizer_config.json"
SPECIAL_TOKENS_MAP_FILE = "special_tokens_map.json"
# StarCoder's HF repo names GPT2Tokenizer; transformers 5 rebuilds that class's
# pipeline from vocab + merges and drops the Digits pre-tokenizer, while the
# generic fast class loads tokenizer.json as it is (transformers 4 and 5 alike).
TOKENIZER_CLASS = "PreTrainedTokenizerFast"


@dataclass(frozen=True, kw_only=True)
class TokenizerConfig:
    vocab_size: int = 49152  # StarCoder: 49,152, the special tokens and 256 bytes included
    min_frequency: int = 2  # a merge must occur at least this often in the sample
    sample_bytes: int = 64 * MB  # training sample, spread over languages by their bytes
    eval_bytes: int = 8 * MB  # held-out sample for tokens per byte, disjoint from training
    min_language_fraction: float = 0.01  # each language gets at least this share of a sample
    seed: int = 0
    model_max_length: int = 8192  # StarCoder's context length

    def __post_init__(self):
        smallest = len(SPECIAL_TOKENS) + BYTE_ALPHABET_SIZE
        if self.vocab_size < smallest:
            raise ValueError(
                f"vocab_size {self.vocab_size} is below {smallest}: the {len(SPECIAL_TOKENS)} "
                f"special tokens and the {BYTE_ALPHABET_SIZE} byte symbols come first"
            )
        if self.sample_bytes <= 0 or self.eval_bytes < 0:
            raise ValueError("sample_bytes must be positive and eval_bytes not negative")
        if not 0 <= self.min_language_fraction <= 1:
            raise ValueError("min_language_fraction must lie in [0, 1]")

    def as_dict(self) -> dict:
        return asdict(self)


class TokenizerNotFoundError(FileNotFoundError):
    """A directory does not hold a saved tokenizer."""


def build_tokenizer() -> Tokenizer:
    """An untrained tokenizer with StarCoder's pipeline (as in its ``tokenizer.json``)."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    return tokenizer


def train_tokenizer(
    texts: Iterable[str], config: TokenizerConfig, *, show_progress: bool = False
) -> PreTrainedTokenizerFast:
    """Train the BPE on ``texts``; the result has ``config.vocab_size`` tokens if they allow.

    BpeTrainer counts the special tokens (added first, ids 0..18 in
    ``SPECIAL_TOKENS`` order) and the whole 256-symbol byte alphabet in
    ``vocab_size``; merges fill the rest. A corpus with too few pairs seen
    ``min_frequency`` times stops early, with a warning.
    """
    tokenizer = build_tokenizer()
    trainer = trainers.BpeTrainer(
        vocab_size=config.vocab_size,
        min_frequency=config.min_frequency,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=show_progress,
    )
    length = len(texts) if isinstance(texts, list | tuple) else None
    tokenizer.train_from_iterator(texts, trainer, length=length)
    if tokenizer.get_vocab_size() < config.vocab_size:
        warnings.warn(
            f"the corpus allowed {tokenizer.get_vocab_size()} tokens, not {config.vocab_size}: "
            "train on a bigger sample or lower min_frequency",
            stacklevel=2,
        )
    return wrap_tokenizer(tokenizer, model_max_length=config.model_max_length)


def wrap_tokenizer(tokenizer: Tokenizer, *, model_max_length: int) -> PreTrainedTokenizerFast:
    """The ``transformers`` view of a trained tokenizer, with StarCoder's named tokens."""
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        model_max_length=model_max_length,
        clean_up_tokenization_spaces=False,
        **_special_tokens_config(),
    )


def _special_tokens_config() -> dict:
    # StarCoder uses <|endoftext|> as bos, eos and unk; it defines no pad token.
    return {
        "bos_token": ENDOFTEXT,
        "eos_token": ENDOFTEXT,
        "unk_token": ENDOFTEXT,
        "additional_special_tokens": list(SPECIAL_TOKENS),
    }


def save_tokenizer(tokenizer: PreTrainedTokenizerFast | Tokenizer, directory: str | Path) -> Path:
    """Write the files ``AutoTokenizer.from_pretrained(directory)`` loads; return the directory.

    The configuration follows StarCoder's HF repo, except ``tokenizer_class``
    (see ``TOKENIZER_CLASS``) and ``clean_up_tokenization_spaces``, off so that
    ``decode`` returns exactly the encoded text (it would turn ``"a ."`` into
    ``"a."``). Written by hand rather than by ``save_pretrained`` so the files
    stay readable by transformers 4 as well as 5.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    backend = _backend(tokenizer)
    backend.save(str(directory / TOKENIZER_FILE))
    special = _special_tokens_config()
    config = {
        "tokenizer_class": TOKENIZER_CLASS,
        "add_prefix_space": False,
        "clean_up_tokenization_spaces": False,
        "model_max_length": getattr(
            tokenizer, "model_max_length", TokenizerConfig.model_max_length
        ),
        "vocab_size": backend.get_vocab_size(),
        **special,
    }
    _write_json(directory / CONFIG_FILE, config)
    _write_json(directory / SPECIAL_TOKENS_MAP_FILE, special)
    return directory


def _write_json(path: Path, payload: dict) -> None:
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def load_tokenizer(directory: str | Path) -> PreTrainedTokenizerFast:
    """Load a saved tokenizer with ``AutoTokenizer``; a clear error if there is none."""
    directory = Path(directory)
    if not directory.is_dir():
        raise TokenizerNotFoundError(f"no tokenizer directory at {directory}")
    if not (directory / TOKENIZER_FILE).is_file():
        raise TokenizerNotFoundError(f"{directory} holds no {TOKENIZER_FILE}: not a tokenizer")
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(str(directory))
    except Exception as error:  # a corrupt or foreign file; say which directory
        raise ValueError(f"{directory} does not hold a loadable tokenizer: {error}") from error


def _backend(tokenizer: PreTrainedTokenizerFast | Tokenizer) -> Tokenizer:
    return tokenizer if isinstance(tokenizer, Tokenizer) else tokenizer.backend_tokenizer


@dataclass(frozen=True)
class TokenCount:
    """Documents, UTF-8 bytes and tokens of one language's texts."""

    documents: int = 0
    bytes: int = 0
    tokens: int = 0

    @property
    def tokens_per_byte(self) -> float:
        return self.tokens / self.bytes if self.bytes else 0.0

    def __add__(self, other: TokenCount) -> TokenCount:
        return TokenCount(
            self.documents + other.documents, self.bytes + other.bytes, self.tokens + other.tokens
        )


def count_tokens(
    tokenizer: PreTrainedTokenizerFast | Tokenizer, texts_by_language: Mapping[str, list[str]]
) -> dict[str, TokenCount]:
    """Tokens and bytes per language, encoded with ``encode_batch`` (all cores, no specials)."""
    backend = _backend(tokenizer)
    counts = {}
    for language, texts in sorted(texts_by_language.items()):
        encodings = backend.encode_batch(list(texts), add_special_tokens=False)
        counts[language] = TokenCount(
            documents=len(texts),
            bytes=sum(len(text.encode("utf-8")) for text in texts),
            tokens=sum(len(encoding.ids) for encoding in encodings),
        )
    return counts


def tokens_per_byte(
    tokenizer: PreTrainedTokenizerFast | Tokenizer, texts_by_language: Mapping[str, list[str]]
) -> dict[str, float]:
    """Tokens per UTF-8 byte of each language: the tokenizer's compression, lower is better."""
    counts = count_tokens(tokenizer, texts_by_language)
    return {language: count.tokens_per_byte for language, count in counts.items()}


def _by_size(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]
