"""The decoding stage: raw bytes to text, or a drop reason saying why not.

StarCoder keeps only text files: a file is binary when a NUL byte appears in
its first 8 KiB (git's own test) or it starts with a known binary signature,
and it must decode as strict UTF-8 (a leading byte-order mark is dropped).
The work runs column-wise in Arrow: the UTF-8 check is Arrow's cast, bisected
only when a batch holds an invalid file, so a batch of valid files costs one
validation pass; only the sha256 of each kept file is a per-row call.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .schema import CONTENT, CONTENT_HASH, DATA, DROP_REASON, FILE_SCHEMA, LANGUAGE

BINARY = "decode:binary"
INVALID_UTF8 = "decode:invalid_utf8"
NO_DATA = "decode:no_data"  # a live row without bytes: a reader bug, counted not crashed

_BOM = b"\xef\xbb\xbf"

# Signatures of binary formats whose first bytes can pass the NUL test.
_BINARY_MAGIC = (
    b"\x7fELF",  # ELF executables and shared objects
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"\xff\xd8\xff",  # JPEG
    b"%PDF-",
    b"PK\x03\x04",  # zip, jar, wheel, docx
    b"\x1f\x8b",  # gzip
    b"\xca\xfe\xba\xbe",  # Java class files, Mach-O fat binaries
)


@dataclass(frozen=True, kw_only=True)
class DecodeConfig:
    """What counts as binary."""

    sniff_bytes: int = 8192  # git checks the first 8000 bytes for a NUL; rounded to 8 KiB
    binary_magic: tuple[bytes, ...] = _BINARY_MAGIC


class Decoder:
    """Stage from ``RAW_FILE_SCHEMA`` to ``FILE_SCHEMA`` batches.

    Rows already dropped pass through with null content; ``language`` is left
    null for the language stage to fill.
    """

    stage = "decode"

    def __init__(self, config: DecodeConfig | None = None):
        self.config = config or DecodeConfig()

    def __call__(self, batch: pa.Table) -> pa.Table:
        data = batch[DATA].combine_chunks()
        previous = batch[DROP_REASON].combine_chunks()
        live = pc.is_null(previous)
        binary = pc.and_(live, self._is_binary(data))
        no_data = pc.and_(live, pc.is_null(data))
        candidates = _np(pc.and_(pc.and_(live, pc.invert(binary)), pc.is_valid(data)))
        text_bytes = _strip_bom(data)
        invalid = np.zeros(len(data), dtype=bool)
        candidate_rows = np.flatnonzero(candidates)
        invalid[candidate_rows[_invalid_utf8_rows(text_bytes.take(candidate_rows))]] = True
        keep = candidates & ~invalid
        reason = _reasons(previous, _np(binary), invalid, _np(no_data))
        kept_bytes = pc.if_else(pa.array(keep), text_bytes, pa.scalar(None, pa.large_binary()))
        columns = {name: batch[name] for name in FILE_SCHEMA.names if name in batch.schema.names}
        columns[LANGUAGE] = pa.nulls(batch.num_rows, pa.string())
        columns[CONTENT_HASH] = _sha256_hex(kept_bytes, keep)
        columns[CONTENT] = kept_bytes.cast(pa.large_string())
        columns[DROP_REASON] = reason
        return pa.Table.from_pydict(
            {name: columns[name] for name in FILE_SCHEMA.names}, schema=FILE_SCHEMA
        )

    def _is_binary(self, data: pa.Array) -> pa.Array:
        head = pc.binary_slice(data, 0, self.config.sniff_bytes)
        binary = pc.match_substring(head, "\x00")
        for magic in self.config.binary_magic:
            prefix = pc.binary_slice(head, 0, len(magic))
            binary = pc.or_(binary, pc.equal(prefix, pa.scalar(magic, pa.large_binary())))
        return pc.fill_null(binary, False)


def _np(mask: pa.Array) -> np.ndarray:
    return pc.fill_null(mask, False).to_numpy(zero_copy_only=False)


def _strip_bom(data: pa.Array) -> pa.Array:
    has_bom = pc.equal(pc.binary_slice(data, 0, len(_BOM)), pa.scalar(_BOM, pa.large_binary()))
    has_bom = pc.fill_null(has_bom, False)
    if not pc.any(has_bom).as_py():
        return data  # the common case costs no copy
    return pc.if_else(has_bom, pc.binary_replace_slice(data, 0, len(_BOM), ""), data)


def _invalid_utf8_rows(values: pa.Array, offset: int = 0) -> list[int]:
    """Rows of ``values`` that are not strict UTF-8, found by bisecting Arrow's cast."""
    try:
        values.cast(pa.large_string())
        return []
    except pa.ArrowInvalid:
        if len(values) == 1:
            return [offset]
    half = len(values) // 2
    return _invalid_utf8_rows(values.slice(0, half), offset) + _invalid_utf8_rows(
        values.slice(half), offset + half
    )


def _reasons(
    previous: pa.Array, binary: np.ndarray, invalid: np.ndarray, no_data: np.ndarray
) -> pa.Array:
    """The earlier drop reason where there is one, else this stage's."""
    new = np.full(len(binary), None, dtype=object)
    new[binary] = BINARY
    new[invalid] = INVALID_UTF8
    new[no_data] = NO_DATA
    return pc.coalesce(previous, pa.array(new, pa.string()))


def _sha256_hex(values: pa.Array, keep: np.ndarray) -> pa.Array:
    """sha256 hex of each kept value, hashed straight from the Arrow buffer (no copies)."""
    hashes = np.full(len(values), None, dtype=object)
    if keep.any():
        values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
        _, offsets_buffer, data_buffer = values.buffers()
        offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[values.offset :]
        data = memoryview(data_buffer) if data_buffer is not None else memoryview(b"")
        for row in np.flatnonzero(keep).tolist():
            hashes[row] = hashlib.sha256(data[offsets[row] : offsets[row + 1]]).hexdigest()
    return pa.array(hashes, pa.string())
