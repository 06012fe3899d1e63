"""One curated file -> its token ids: metadata, end-of-document; and where it goes.

:class:`DocumentEncoder` is the stage ``Dataset.map_batches`` runs: a
callable from a curated ``pyarrow.Table`` batch to a table of encoded
documents (:data:`ENCODED_SCHEMA`), with no Ray inside. Every random choice
for a document comes from a generator seeded by ``(seed, content_hash)``, and
its split and packing order from hashes of what the document is, so the
output depends neither on which batch or worker saw the document nor on
their order. Fill-in-the-middle is left to the training loader
(:mod:`.fim_transform`), which applies it per packed sample as Megatron did.
"""

from __future__ import annotations

import functools
import hashlib
import re

import numpy as np
import pyarrow as pa

from ..schema import CONTENT, CONTENT_HASH, LANGUAGE, PATH, REPO, SOURCE, STARS
from .config import PackConfig
from .metadata import add_metadata
from .tokenizer import SpecialIds

TRAIN = "train"
VAL = "val"
SPLITS = (TRAIN, VAL)
TOKEN_BYTES = np.dtype("<u4")  # ids travel between workers as little-endian uint32 bytes

ORDER_KEY = "order_key"
ORDER_TIE = "order_tie"
SORT_KEYS = [ORDER_KEY, ORDER_TIE]
ORDER_KEY_RANGE = 1 << 63  # order_key is uniform in [0, ORDER_KEY_RANGE)
SPLIT = "split"
NAME_ID = "name_id"
CONTENT_ID = "content_id"
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
        pa.field(NAME_ID, pa.uint64()),  # file identity: 64-bit hash of (repo, path)
        pa.field(CONTENT_ID, pa.uint64()),  # first 64 bits of the content's sha256
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
    """The generator of one document's draws (its metadata parts)."""
    return np.random.default_rng([seed, int(content_hash[:16], 16)])


def name_id(repo: str, path: str) -> int:
    """A file's identity by name: 64 bits of a hash of (repo, path)."""
    return _hash64(repo, path)


def content_id(content_hash: str) -> int:
    """A file's identity by content: the first 64 bits of its sha256 (hex)."""
    return int(content_hash[:16], 16)


def is_validation(repo: str, path: str, fraction: float) -> bool:
    """Whether a file is held out: a hash of where it lives, so no order or seed changes it."""
    return name_id(repo, path) < fraction * 2**64


def order_key(seed: int, source: str, repo: str, path: str, content_hash: str) -> tuple[int, str]:
    """Sort key that packs documents in a seeded pseudo-random order.

    Megatron shuffles documents before cutting sequences, so that one sequence
    mixes files of different repositories; sorting on this key does the same,
    deterministically. The first part (63 bits, uniform in ``[0, 2**63)``)
    lets the sort use fixed range boundaries; the second breaks its ties.
    """
    digest = _digest(seed, source, repo, path, content_hash)
    return int.from_bytes(digest[:8], "big") >> 1, digest[8:24].hex()


def plan_document(
    content: str, repo: str, path: str, stars: int | None, content_hash: str, config: PackConfig
) -> str:
    """One document's text: its drawn metadata header, then the content."""
    rng = document_rng(config.seed, content_hash)
    return add_metadata(content, repo, path, stars, rng, config.metadata_rate)


def encode_document(text: str, tokenizer, special: SpecialIds) -> list[int]:
    """One document's ids (what :class:`DocumentEncoder` computes for a batch at once)."""
    return [*tokenizer.encode(text, add_special_tokens=False).ids, special.eod]


class DocumentEncoder:
    """``map_batches`` stage: curated files -> encoded documents (:data:`ENCODED_SCHEMA`).

    Built from the tokenizer's JSON text rather than a path, so workers on
    other machines need no shared file system. Files with empty content come
    out with no tokens (``n_tokens == 0``): the packer counts them and skips
    them, as Megatron's preprocessing skips empty documents. ``special`` is
    the tokenizer's special ids in its model family's format
    (:func:`~.tokenizer.special_ids_for`); None: StarCoder's. A family without
    StarCoder's metadata tokens is packed with ``metadata_rate=0``.
    """

    def __init__(self, tokenizer_json: str, config: PackConfig, special: SpecialIds | None = None):
        from tokenizers import Tokenizer

        self.config = config
        self.tokenizer = Tokenizer.from_str(tokenizer_json)
        self.special = special or SpecialIds.from_tokenizer(self.tokenizer)
        if config.metadata_rate > 0 and not self.special.has_metadata:
            raise ValueError(
                "this tokenizer has no <reponame>/<filename>/<gh_stars> tokens (its model "
                "family was not trained with StarCoder's metadata): pack it with metadata_rate 0"
            )

    def __call__(self, batch: pa.Table) -> pa.Table:
        cols = {name: batch[name].to_pylist() for name in INPUT_COLUMNS}
        contents = [c or "" for c in cols[CONTENT]]
        digests = [h or _sha256(c) for c, h in zip(contents, cols[CONTENT_HASH], strict=True)]
        texts = [
            plan_document(c, repo, path, stars, digest, self.config)
            for c, repo, path, stars, digest in zip(
                contents, cols[REPO], cols[PATH], cols[STARS], digests, strict=True
            )
            if c
        ]
        encoded = iter(self.tokenizer.encode_batch_fast(texts, add_special_tokens=False))
        ids = [[*next(encoded).ids, self.special.eod] if c else [] for c in contents]
        return self._table(cols, contents, digests, ids)

    def _table(self, cols, contents, digests, ids) -> pa.Table:
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
            NAME_ID: [name_id(r, p) for _, r, p, _ in places],
            CONTENT_ID: [content_id(digest) for digest in digests],
            N_BYTES: [len(c.encode("utf-8")) for c in contents],
            N_TOKENS: [len(doc) for doc in ids],
            TOKENS: [np.asarray(doc, dtype=TOKEN_BYTES).tobytes() for doc in ids],
        }
        return pa.Table.from_pydict(columns, schema=ENCODED_SCHEMA)


def encode_documents(
    batch: pa.Table, tokenizer_json: str, config: PackConfig, special: SpecialIds | None = None
) -> pa.Table:
    """:class:`DocumentEncoder` as a function, for task-based ``map_batches``.

    The encoder is built once per worker process (cached on the tokenizer
    text, config and special ids), so tasks pay for parsing the tokenizer only once.
    """
    return _encoder(tokenizer_json, config, special)(batch)


@functools.lru_cache(maxsize=2)
def _encoder(tokenizer_json: str, config: PackConfig, special: SpecialIds | None):
    return DocumentEncoder(tokenizer_json, config, special)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
