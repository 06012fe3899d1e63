"""Loading the tokenizer and finding its special tokens (StarCoder's, or its family's).

Special ids are looked up by their strings (``special_tokens.py``), never
assumed, so a tokenizer that lacks one is refused before any work starts
instead of silently packing the wrong ids. ``tokenizers`` is imported where
used: only the packing step needs it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from ..families import ModelFamily

TOKENIZER_FILE = "tokenizer.json"


class TokenizerError(ValueError):
    """The tokenizer is missing or lacks the special tokens its format needs."""


@dataclass(frozen=True)
class SpecialIds:
    """The ids of the special tokens packing writes (or FIM parsing reads).

    StarCoder's own tokenizer has all of them. A checkpoint of another family
    (:mod:`starcoder_data.families`) has its own end-of-text and FIM sentinels;
    the fields it has no token for are None: ``fim_*`` for a family without
    FIM, the metadata ids for a family not trained with StarCoder's metadata
    tokens (packing then writes no metadata), and ``fim_pad`` falls back to
    end-of-text where the family has no padding token.
    """

    eod: int
    fim_prefix: int | None
    fim_middle: int | None
    fim_suffix: int | None
    fim_pad: int | None
    reponame: int | None
    filename: int | None
    gh_stars: int | None

    @property
    def has_fim(self) -> bool:
        return None not in (self.fim_prefix, self.fim_middle, self.fim_suffix)

    @property
    def has_metadata(self) -> bool:
        return None not in (self.reponame, self.filename, self.gh_stars)

    @classmethod
    def from_tokenizer(cls, tokenizer, family: ModelFamily | None = None) -> SpecialIds:
        """Look the special tokens up by string in a ``tokenizers.Tokenizer``.

        Without ``family``: StarCoder's format, every one of its special tokens
        required (an error lists the missing ones). With a family: its
        end-of-text (required), FIM sentinels, padding and metadata tokens.
        """
        if family is not None:
            return cls._of_family(tokenizer, family)
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

    @classmethod
    def _of_family(cls, tokenizer, family: ModelFamily, end_of_text: str | None = None):
        end_of_text = family.end_of_text or end_of_text
        eod = tokenizer.token_to_id(end_of_text) if end_of_text else None
        if eod is None:
            raise TokenizerError(
                f"the {family.name} tokenizer has no end-of-text token "
                f"({end_of_text or 'none named'}): documents could not be separated"
            )
        fim = family.fim
        ids = dict.fromkeys(("fim_prefix", "fim_middle", "fim_suffix"))
        if fim is not None:
            ids = {
                "fim_prefix": tokenizer.token_to_id(fim.prefix),
                "fim_middle": tokenizer.token_to_id(fim.middle),
                "fim_suffix": tokenizer.token_to_id(fim.suffix),
            }
        pad = tokenizer.token_to_id(fim.pad) if fim is not None and fim.pad else None
        metadata = dict.fromkeys(("reponame", "filename", "gh_stars"))
        tokens = family.metadata_tokens or {}
        if tokens and all(tokenizer.token_to_id(t) is not None for t in tokens.values()):
            metadata = {field: tokenizer.token_to_id(t) for field, t in tokens.items()}
        return cls(eod=eod, fim_pad=pad if pad is not None else eod, **ids, **metadata)

    def as_dict(self) -> dict[str, int | None]:
        return asdict(self)


def special_ids_for(directory: str | Path) -> SpecialIds:
    """The special ids of the tokenizer in ``directory``, in the format of its family.

    A folder with only a tokenizer (``train_tokenizer.py``'s output) is StarCoder's
    format; a checkpoint folder is read as its family (``config.json`` +
    ``tokenizer.json``). A family without an end-of-text of its own (a causal LM
    outside the table) ends documents with the tokenizer's ``eos_token``.
    """
    directory = Path(directory)
    tokenizer = load_tokenizer_json(directory)
    if not (directory / "config.json").is_file():
        return SpecialIds.from_tokenizer(tokenizer)
    from ..families import checkpoint_family

    family = checkpoint_family(directory)
    return SpecialIds._of_family(tokenizer, family, end_of_text=_eos_token(directory))


def _eos_token(directory: Path) -> str | None:
    """``eos_token`` of ``tokenizer_config.json`` (a string or an AddedToken dict)."""
    path = directory / "tokenizer_config.json"
    if not path.is_file():
        return None
    eos = json.loads(path.read_text(encoding="utf-8")).get("eos_token")
    return eos.get("content") if isinstance(eos, dict) else eos


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
