"""Loading the tokenizer and finding StarCoder's special tokens in it.

Special ids are looked up by their strings (``special_tokens.py``), never
assumed, so a tokenizer that lacks one is refused before any work starts
instead of silently packing the wrong ids. ``tokenizers`` is imported where
used: only the packing step needs it.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path

from ..special_tokens import (
    ENDOFTEXT,
    FILENAME,
    FIM_MIDDLE,
    FIM_PAD,
    FIM_PREFIX,
    FIM_SUFFIX,
    GH_STARS,
    REPONAME,
    SPECIAL_TOKENS,
)

TOKENIZER_FILE = "tokenizer.json"


class TokenizerError(ValueError):
    """The tokenizer is missing or lacks StarCoder's special tokens."""


@dataclass(frozen=True)
class SpecialIds:
    """The ids of the special tokens packing writes (or FIM parsing reads)."""

    eod: int
    fim_prefix: int
    fim_middle: int
    fim_suffix: int
    fim_pad: int
    reponame: int
    filename: int
    gh_stars: int

    @classmethod
    def from_tokenizer(cls, tokenizer) -> SpecialIds:
        """Look every StarCoder special token up by string; error listing the missing ones."""
        missing = [t for t in SPECIAL_TOKENS if tokenizer.token_to_id(t) is None]
        if missing:
            raise TokenizerError(
                f"the tokenizer lacks StarCoder special tokens {missing}; "
                "train it with special_tokens.SPECIAL_TOKENS added first"
            )
        by_field = {
            "eod": ENDOFTEXT,
            "fim_prefix": FIM_PREFIX,
            "fim_middle": FIM_MIDDLE,
            "fim_suffix": FIM_SUFFIX,
            "fim_pad": FIM_PAD,
            "reponame": REPONAME,
            "filename": FILENAME,
            "gh_stars": GH_STARS,
        }
        return cls(**{field: tokenizer.token_to_id(t) for field, t in by_field.items()})

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def tokenizer_file(directory: str | Path) -> Path:
    path = Path(directory) / TOKENIZER_FILE
    if not path.is_file():
        raise TokenizerError(f"no {TOKENIZER_FILE} in {directory}")
    return path


def load_tokenizer_json(directory: str | Path):
    """The ``tokenizers.Tokenizer`` of ``directory/tokenizer.json`` (HF ``transformers``
    loads the same folder as a ``PreTrainedTokenizerFast``: ``starcoder_model.load_tokenizer``)."""
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(tokenizer_file(directory)))


def tokenizer_sha256(directory: str | Path) -> str:
    """sha256 of ``tokenizer.json``: the manifest pins shards to the exact vocabulary."""
    return hashlib.sha256(tokenizer_file(directory).read_bytes()).hexdigest()
