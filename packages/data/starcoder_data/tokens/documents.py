"""One curated file -> its token ids: metadata, FIM, end-of-document; and where it goes.

:class:`DocumentEncoder` is the stage ``Dataset.map_batches`` runs: a
callable from a curated ``pyarrow.Table`` batch to a table of encoded
documents (:data:`ENCODED_SCHEMA`), with no Ray inside. Every random choice
for a document comes from a generator seeded by ``(seed, content_hash)``, and
its split and packing order from hashes of what the document is, so the
output depends neither on which batch or worker saw the document nor on
their order.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ..schema import CONTENT, CONTENT_HASH, LANGUAGE, PATH, REPO, SOURCE, STARS
from .config import PackConfig
from .fim import FimCut, draw_fim, join_fim
from .metadata import add_metadata
from .tokenizer import SpecialIds

TRAIN = "train"
VAL = "val"
SPLITS = (TRAIN, VAL)
NO_FIM = "none"
TOKEN_BYTES = np.dtype("<u4")  # ids travel between workers as little-endian uint32 bytes

ORDER_KEY = "order_key"
ORDER_TIE = "order_tie"
SORT_KEYS = [ORDER_KEY, ORDER_TIE]
ORDER_KEY_RANGE = 1 << 63  # order_key is uniform in [0, ORDER_KEY_RANGE)
SPLIT = "split"
FIM = "fim"
N_BYTES = "n_bytes"
N_TOKENS = "n_tokens"
TOKENS = "tokens"

INPUT_COLUMNS = [REPO, PATH, SOURCE, STARS, CONTENT_HASH, CONTENT, LANGUAGE]
ENCODED_SCHEMA = pa.schema(
    [
        pa.field(ORDER_KEY, pa.int64()),  # packing order: a seeded shuffle of the documents
        pa.field(ORDER_TIE, pa.string()),  # breaks ties of order_key
        pa.field(SPLIT, pa.string()),  # "train" or "val"
        pa.field(SOURCE, pa.string()),  # source kind: "local", "issues", ...
        pa.field(LANGUAGE, pa.string()),
        pa.field(FIM, pa.string()),  # "none", "psm" or "spm"
        pa.field(N_BYTES, pa.int64()),  # UTF-8 bytes of the content
        pa.field(N_TOKENS, pa.int64()),  # 0 for an empty file, which is not packed
        pa.field(TOKENS, pa.large_binary()),
    ]
)

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def source_kind(source: str | None) -> str:
    """``"issues:/data/x.jsonl"`` -> ``"issues"``: shards are grouped by kind, safe as a name."""
    kind = _UNSAFE.sub("_", (source or "").split(":", 1)[0])
    return kind or "unknown"


def _digest(*parts: object) -> bytes:
    return hashlib.sha256("\0".join(str(p) for p in parts).encode("utf-8")).digest()


def _hash64(*parts: object) -> int:
    return int.from_bytes(_digest(*parts)[:8], "big")


def document_rng(seed: int, content_hash: str) -> np.random.Generator:
    """The generator of one document's draws (metadata, then FIM)."""
    return np.random.default_rng([seed, int(content_hash[:16], 16)])


def is_validation(repo: str, path: str, fraction: float) -> bool:
    """Whether a file is held out: a hash of where it lives, so no order or seed changes it."""
    return _hash64(repo, path) < fraction * 2**64


def order_key(seed: int, source: str, repo: str, path: str, content_hash: str) -> tuple[int, str]:
    """Sort key that packs documents in a seeded pseudo-random order.

    Megatron shuffles documents before cutting sequences, so that one sequence
    mixes files of different repositories; sorting on this key does the same,
    deterministically. The first part (63 bits, uniform in ``[0, 2**63)``)
    lets the sort use fixed range boundaries; the second breaks its ties.
    """
    digest = _digest(seed, source, repo, path, content_hash)
    return int.from_bytes(digest[:8], "big") >> 1, digest[8:24].hex()


@dataclass(frozen=True)
class DocumentPlan:
    """What the draws decided for one document: its text (metadata included) and FIM cut."""

    text: str
    cut: FimCut | None

    @property
    def fim(self) -> str:
        return self.cut.mode if self.cut else NO_FIM

    @property
    def n_pieces(self) -> int:
        return 3 if self.cut else 1

    def pieces(self) -> list[str]:
        """The texts to tokenise: the whole text, or prefix, middle, suffix."""
        return list(self.cut.pieces(self.text)) if self.cut else [self.text]

    def ids(self, piece_ids: list[list[int]], special: SpecialIds) -> list[int]:
        """Assemble the tokenised pieces and close the document with ``<|endoftext|>``."""
        if self.cut:
            return [*join_fim(*piece_ids, spm=self.cut.spm, special=special), special.eod]
        return [*piece_ids[0], special.eod]


def plan_document(
    content: str, repo: str, path: str, stars: int | None, content_hash: str, config: PackConfig
) -> DocumentPlan:
    """Draw one document's metadata, then its FIM cut, from its own generator."""
    rng = document_rng(config.seed, content_hash)
    text = add_metadata(content, repo, path, stars, rng, config.metadata_rate)
    return DocumentPlan(text, draw_fim(text, rng, config.fim_rate, config.fim_spm_rate))


def encode_document(plan: DocumentPlan, tokenizer, special: SpecialIds) -> list[int]:
    """One document's ids (what :class:`DocumentEncoder` computes for a batch at once)."""
    encodings = tokenizer.encode_batch_fast(plan.pieces(), add_special_tokens=False)
    return plan.ids([e.ids for e in encodings], special)


class DocumentEncoder:
    """``map_batches`` stage: curated files -> encoded documents (:data:`ENCODED_SCHEMA`).

    Built from the tokenizer's JSON text rather than a path, so workers on
    other machines need no shared file system. Files with empty content come
    out with no tokens (``n_tokens == 0``): the packer counts them and skips
    them, as Megatron's preprocessing skips empty documents.
    """

    def __init__(self, tokenizer_json: str, config: PackConfig):
        from tokenizers import Tokenizer

        self.config = config
        self.tokenizer = Tokenizer.from_str(tokenizer_json)
        self.special = SpecialIds.from_tokenizer(self.tokenizer)

    def __call__(self, batch: pa.Table) -> pa.Table:
        cols = {name: batch[name].to_pylist() for name in INPUT_COLUMNS}
        contents = [c or "" for c in cols[CONTENT]]
        digests = [h or _sha256(c) for c, h in zip(contents, cols[CONTENT_HASH], strict=True)]
        plans = [
            plan_document(c, repo, path, stars, digest, self.config) if c else None
            for c, repo, path, stars, digest in zip(
                contents, cols[REPO], cols[PATH], cols[STARS], digests, strict=True
            )
        ]
        pieces = [piece for plan in plans if plan for piece in plan.pieces()]
        encoded = iter(self.tokenizer.encode_batch_fast(pieces, add_special_tokens=False))
        ids = [
            plan.ids([next(encoded).ids for _ in range(plan.n_pieces)], self.special)
            if plan
            else []
            for plan in plans
        ]
        return self._table(cols, contents, digests, plans, ids)

    def _table(self, cols, contents, digests, plans, ids) -> pa.Table:
        seed, fraction = self.config.seed, self.config.val_fraction
        sources = [source_kind(s) for s in cols[SOURCE]]
        places = list(zip(sources, cols[REPO], cols[PATH], digests, strict=True))
        keys = [order_key(seed, *place) for place in places]
        columns = {
            ORDER_KEY: [key for key, _ in keys],
            ORDER_TIE: [tie for _, tie in keys],
            SPLIT: [VAL if is_validation(r, p, fraction) else TRAIN for _, r, p, _ in places],
            SOURCE: sources,
            LANGUAGE: [str(language or "unknown") for language in cols[LANGUAGE]],
            FIM: [plan.fim if plan else NO_FIM for plan in plans],
            N_BYTES: [len(c.encode("utf-8")) for c in contents],
            N_TOKENS: [len(doc) for doc in ids],
            TOKENS: [np.asarray(doc, dtype=TOKEN_BYTES).tobytes() for doc in ids],
        }
        return pa.Table.from_pydict(columns, schema=ENCODED_SCHEMA)


def encode_documents(batch: pa.Table, tokenizer_json: str, config: PackConfig) -> pa.Table:
    """:class:`DocumentEncoder` as a function, for task-based ``map_batches``.

    The encoder is built once per worker process (cached on the tokenizer
    text and config), so tasks pay for parsing the tokenizer only once.
    """
    return _encoder(tokenizer_json, config)(batch)


@functools.lru_cache(maxsize=2)
def _encoder(tokenizer_json: str, config: PackConfig) -> DocumentEncoder:
    return DocumentEncoder(tokenizer_json, config)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
