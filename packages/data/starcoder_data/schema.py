"""The Arrow schemas every curation stage reads and writes.

A reader emits one ``RAW_FILE_SCHEMA`` row per file it meets (even files it
could not read, with a ``drop_reason``), so that the report can account for
every input. The decoding stage turns ``data`` (bytes) into ``content`` (text)
and from then on batches follow ``FILE_SCHEMA``.

Dropped rows stay in the batch until the end of the pipeline with their
``drop_reason`` set and their payload nulled: the report counts them, and later
stages skip them without paying for their bytes.
"""

from __future__ import annotations

import pyarrow as pa

REPO = "repo"  # repository name, "owner/name" where an owner is known
PATH = "path"  # path of the file inside its repository, "/"-separated
SOURCE = "source"  # where the file was found: "<reader>:<location>"
LANGUAGE = "language"  # StarCoder language name or "unknown"; set by the language stage
LICENSE = "license"  # SPDX id (or expression) of the file's license, null if none found
LICENSE_SOURCE = "license_source"  # where the license was found, e.g. "LICENSE", "METADATA"
STARS = "stars"  # GitHub stars of the repo where known
SIZE = "size"  # size of the original file in bytes
CONTENT_HASH = "content_hash"  # sha256 hex of the UTF-8 content
CONTENT = "content"  # the text; null once the row is dropped
DATA = "data"  # raw bytes, only before decoding
DROP_REASON = "drop_reason"  # "<stage>:<reason>", null while the row is kept
KEPT = "kept"  # a kept row's status where statuses and drop reasons are counted together

_COMMON = [
    pa.field(REPO, pa.string(), nullable=False),
    pa.field(PATH, pa.string(), nullable=False),
    pa.field(SOURCE, pa.string(), nullable=False),
    pa.field(LICENSE, pa.string()),
    pa.field(LICENSE_SOURCE, pa.string()),
    pa.field(STARS, pa.int64()),
    pa.field(SIZE, pa.int64(), nullable=False),
]

RAW_FILE_SCHEMA = pa.schema(
    [*_COMMON, pa.field(DATA, pa.large_binary()), pa.field(DROP_REASON, pa.string())]
)

FILE_SCHEMA = pa.schema(
    [
        *_COMMON,
        pa.field(LANGUAGE, pa.string()),
        pa.field(CONTENT_HASH, pa.string()),
        pa.field(CONTENT, pa.large_string()),
        pa.field(DROP_REASON, pa.string()),
    ]
)

# What the report and the dropped-files listing keep of every row.
ACCOUNT_COLUMNS = [REPO, PATH, SOURCE, LANGUAGE, LICENSE, SIZE, DROP_REASON]


def raw_table(rows: list[dict]) -> pa.Table:
    """Build a ``RAW_FILE_SCHEMA`` table from row dicts (missing keys become null)."""
    return pa.Table.from_pylist(rows, schema=RAW_FILE_SCHEMA)


def file_table(rows: list[dict]) -> pa.Table:
    """Build a ``FILE_SCHEMA`` table from row dicts (missing keys become null)."""
    return pa.Table.from_pylist(rows, schema=FILE_SCHEMA)
