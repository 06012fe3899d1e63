"""Read The Stack's published files (Parquet, JSON lines, ``save_to_disk`` folders) as raw rows.

Users bring The Stack (v1 or v2, see :mod:`.stack_schema`) in the forms it is
published and handled in: Parquet shards (``parquet:``), JSON lines, plain or
gzipped (``jsonl:``), and folders written by ``datasets``'
``Dataset.save_to_disk`` / ``DatasetDict.save_to_disk`` (``hf:``, every split).
One data file is the unit of parallel work, as a repository is for the
repository readers; inside a file rows stream in batches, so no file or
folder is ever held whole in memory.

Every row of a file becomes one ``RAW_FILE_SCHEMA`` row plus the language
The Stack gave it (:data:`SOURCE_LANGUAGE`, see :class:`GivenLanguageTagger`).
Rows that cannot be used are kept with a reason, so the report accounts for
every input: ``read:no_content`` (null content), ``read:empty_content``,
``read:too_large``, ``read:malformed_json`` (a JSON line that is not an
object), and one ``read:corrupt_file`` / ``read:unknown_schema`` row for a
file that cannot be read on / does not follow either layout.

Paths go through ``pyarrow.fs.FileSystem.from_uri``, so a URI of another
filesystem Arrow knows (``s3://``, ``gs://``) is read the same way.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from ..decode import Decoder
from ..languages import UNKNOWN, LanguageTagger
from ..schema import (
    DATA,
    DROP_REASON,
    LANGUAGE,
    LICENSE,
    LICENSE_SOURCE,
    PATH,
    RAW_FILE_SCHEMA,
    REPO,
    SIZE,
    SOURCE,
    STARS,
)
from .common import READ_ERRORS, TOO_LARGE, ReaderConfig
from .stack_schema import (
    StackLayout,
    StackSchemaError,
    StackSourceError,
    detect_layout,
    map_row,
)

STACK_KINDS = ("parquet", "jsonl", "hf")
SOURCE_LANGUAGE = "source_language"  # the language The Stack gave a row, until tagging
NO_CONTENT = "read:no_content"
EMPTY_CONTENT = "read:empty_content"
MALFORMED_JSON = "read:malformed_json"
CORRUPT_FILE = "read:corrupt_file"
UNKNOWN_SCHEMA = "read:unknown_schema"

_SUFFIXES = {"parquet": (".parquet",), "jsonl": (".jsonl", ".jsonl.gz", ".json.gz", ".ndjson")}
_CORRUPT = (*READ_ERRORS, pa.ArrowException, json.JSONDecodeError)
STACK_RAW_SCHEMA = RAW_FILE_SCHEMA.append(pa.field(SOURCE_LANGUAGE, pa.string()))


@dataclass(frozen=True, kw_only=True)
class StackFile:
    """One data file of a Stack source: the unit of parallel work."""

    kind: str  # parquet | jsonl | hf
    path: str  # a local path or a URI


def _filesystem(location: str) -> tuple[pafs.FileSystem, str]:
    return pafs.FileSystem.from_uri(location)


def _uri(location: str, path: str) -> str:
    """``path`` (as the filesystem names it) in the form ``location`` was given in."""
    scheme, sep, _ = location.partition("://")
    return f"{scheme}://{path}" if sep and scheme != "file" else path


def discover_stack_files(kind: str, location: str) -> list[StackFile]:
    """The data files of a source, sorted; a missing location is a :class:`StackSourceError`."""
    if kind not in STACK_KINDS:
        raise ValueError(f"unknown Stack kind {kind!r}; expected one of {STACK_KINDS}")
    fs, path = _filesystem(location)
    info = fs.get_file_info(path)
    if info.type == pafs.FileType.NotFound:
        raise StackSourceError(f"{kind}:{location}: no such file or folder")
    if kind == "hf":
        if info.type != pafs.FileType.Directory:
            raise StackSourceError(f"hf:{location}: not a folder written by save_to_disk")
        paths = _saved_dataset_files(fs, path, location)
    elif info.type == pafs.FileType.File:
        paths = [path]
    else:
        selector = pafs.FileSelector(path, recursive=True)
        paths = sorted(
            f.path
            for f in fs.get_file_info(selector)
            if f.type == pafs.FileType.File
            and f.path.endswith(_SUFFIXES[kind])
            and not posixpath.basename(f.path).startswith((".", "_"))
        )
    return [StackFile(kind=kind, path=_uri(location, p)) for p in paths]


def _saved_dataset_files(fs: pafs.FileSystem, path: str, location: str) -> list[str]:
    """The ``.arrow`` shards of a ``save_to_disk`` folder: one split, or every split of a dict."""
    names = {posixpath.basename(f.path) for f in fs.get_file_info(pafs.FileSelector(path))}
    if "dataset_dict.json" in names:
        splits = _read_json(fs, f"{path}/dataset_dict.json")["splits"]
        return [f for s in splits for f in _saved_dataset_files(fs, f"{path}/{s}", location)]
    if "state.json" not in names:
        raise StackSourceError(
            f"hf:{location}: no state.json or dataset_dict.json (not written by save_to_disk)"
        )
    state = _read_json(fs, f"{path}/state.json")
    return [f"{path}/{entry['filename']}" for entry in state["_data_files"]]


def _read_json(fs: pafs.FileSystem, path: str):
    with fs.open_input_stream(path) as stream:
        return json.loads(stream.read())


def check_stack_source(kind: str, location: str) -> list[StackFile]:
    """The source's files, after checking the layout of the first readable one.

    Run on the driver before any Ray work: a wholly wrong dataset fails in one
    line naming the missing columns. A folder with no data files is an empty
    source, not an error; a corrupt first file is skipped here (the read counts it).
    """
    files = discover_stack_files(kind, location)
    for file in files:
        try:
            columns = _columns(file)
        except _CORRUPT:
            continue
        if columns is not None:
            detect_layout(columns, f"{kind}:{file.path}")
            break
    return files


def _columns(file: StackFile) -> list[str] | None:
    """A file's column names (a JSON-lines file: its first object's keys; None if it has none)."""
    fs, path = _filesystem(file.path)
    if file.kind == "parquet":
        with fs.open_input_file(path) as handle:
            return pq.read_schema(handle).names
    if file.kind == "hf":
        with fs.open_input_stream(path) as handle:
            return pa.ipc.open_stream(handle).schema.names
    for _, record in _json_records(fs, path):
        if isinstance(record, dict):
            return list(record)
    return None


def read_stack_file(file: StackFile, config: ReaderConfig) -> Iterator[pa.Table]:
    """``STACK_RAW_SCHEMA`` batches of one file; never raises on bad data (rows say why)."""
    source = f"{file.kind}:{file.path}"
    try:
        if file.kind == "jsonl":
            yield from _read_jsonl(file, source, config)
        else:
            yield from _read_columnar(file, source, config)
    except StackSchemaError:
        yield _failed_file(source, UNKNOWN_SCHEMA)
    except _CORRUPT:
        yield _failed_file(source, CORRUPT_FILE)


def _read_columnar(file: StackFile, source: str, config: ReaderConfig) -> Iterator[pa.Table]:
    fs, path = _filesystem(file.path)
    if file.kind == "parquet":
        with fs.open_input_file(path) as handle:
            parquet = pq.ParquetFile(handle)
            layout = detect_layout(parquet.schema_arrow.names, source)
            columns = [c for c in layout.columns if c in parquet.schema_arrow.names]
            rows = _rows_per_batch(parquet.metadata, config)
            for batch in parquet.iter_batches(batch_size=rows, columns=columns):
                yield raw_rows(layout, pa.Table.from_batches([batch]), source, config)
        return
    with fs.open_input_stream(path) as handle:
        reader = pa.ipc.open_stream(handle)
        layout = detect_layout(reader.schema.names, source)
        columns = [c for c in layout.columns if c in reader.schema.names]
        for batch in reader:
            yield raw_rows(layout, pa.Table.from_batches([batch]).select(columns), source, config)


def _rows_per_batch(metadata: pq.FileMetaData, config: ReaderConfig) -> int:
    """Rows per read batch so one batch stays near ``config.batch_bytes`` uncompressed."""
    groups = [metadata.row_group(i) for i in range(metadata.num_row_groups)]
    rows = sum(g.num_rows for g in groups)
    size = sum(g.total_byte_size for g in groups)
    if not rows or not size:
        return 1024
    return max(1, min(65536, config.batch_bytes * rows // size))


def _read_jsonl(file: StackFile, source: str, config: ReaderConfig) -> Iterator[pa.Table]:
    fs, path = _filesystem(file.path)
    layout, records, malformed, size = None, [], [], 0
    for number, record in _json_records(fs, path):
        if not isinstance(record, dict):
            malformed.append(_malformed_row(source, number))
            continue
        layout = layout or detect_layout(record, source)
        records.append(record)
        content = record.get(layout.content)
        size += len(content) if isinstance(content, str) else 0
        if size >= config.batch_bytes:
            yield _jsonl_batch(layout, records, malformed, source, config)
            records, malformed, size = [], [], 0
    if records or malformed:
        yield _jsonl_batch(layout, records, malformed, source, config)


def _jsonl_batch(
    layout: StackLayout | None,
    records: list[dict],
    malformed: list[dict],
    source: str,
    config: ReaderConfig,
) -> pa.Table:
    """Mapped rows of parsed objects, then the rows of the lines that were not objects."""
    tables = [pa.Table.from_pylist(malformed, schema=STACK_RAW_SCHEMA)]
    if records:
        mapped = [map_row(layout, record) for record in records]
        tables.insert(0, _raw_table(mapped, _json_text_bytes(records, layout), source, config))
    return pa.concat_tables(tables)


def _json_text_bytes(records: list[dict], layout: StackLayout) -> pa.Array:
    """The records' text as UTF-8 bytes; a lone surrogate (``"\\ud800"``) stays invalid
    UTF-8 for the decoding stage to drop as ``decode:invalid_utf8``."""
    texts = [record.get(layout.content) for record in records]
    data = [t.encode("utf-8", "surrogatepass") if isinstance(t, str) else None for t in texts]
    return pa.array(data, pa.large_binary())


def _json_records(fs: pafs.FileSystem, path: str) -> Iterator[tuple[int, object]]:
    """(line number, parsed value or the :data:`_BAD_LINE` marker) of every non-blank line."""
    with fs.open_input_stream(path, compression="detect") as stream:
        pending, number = b"", 0
        while True:
            chunk = stream.read(1 << 20)
            lines = (pending + chunk).split(b"\n")
            pending = lines.pop() if chunk else b""
            for line in lines:
                number += 1
                if line.strip():
                    yield number, _parse(line)
            if not chunk:
                return


_BAD_LINE = object()


def _parse(line: bytes) -> object:
    try:
        return json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return _BAD_LINE


def _malformed_row(source: str, number: int) -> dict:
    return {REPO: "", PATH: f"line-{number}", SOURCE: source, SIZE: 0, DROP_REASON: MALFORMED_JSON}


def _failed_file(source: str, reason: str) -> pa.Table:
    row = {REPO: "", PATH: "", SOURCE: source, SIZE: 0, DROP_REASON: reason}
    return pa.Table.from_pylist([row], schema=STACK_RAW_SCHEMA)


def raw_rows(layout: StackLayout, table: pa.Table, source: str, config: ReaderConfig) -> pa.Table:
    """``STACK_RAW_SCHEMA`` rows of one batch of The Stack (content stays in Arrow)."""
    present = [c for c in layout.columns if c in table.column_names and c != layout.content]
    mapped = [map_row(layout, row) for row in table.select(present).to_pylist()]
    return _raw_table(mapped, _content_bytes(table, layout.content), source, config)


def _raw_table(mapped: list, data, source: str, config: ReaderConfig) -> pa.Table:
    """Mapped rows plus their text as UTF-8 bytes, as raw rows with their drop reasons."""
    lengths = pc.binary_length(data).to_pylist()
    reasons = [_content_reason(n, config.max_file_bytes) for n in lengths]
    keep = pa.array([r is None for r in reasons])
    sizes = [m.size if m.size is not None else n or 0 for m, n in zip(mapped, lengths, strict=True)]
    columns = {
        REPO: [m.repo for m in mapped],
        PATH: [m.path for m in mapped],
        SOURCE: [source] * len(mapped),
        LICENSE: [m.license for m in mapped],
        LICENSE_SOURCE: [m.license_source for m in mapped],
        STARS: [m.stars for m in mapped],
        SIZE: sizes,
        DATA: pc.if_else(keep, data, pa.scalar(None, pa.large_binary())),
        DROP_REASON: reasons,
        SOURCE_LANGUAGE: [m.language for m in mapped],
    }
    return pa.Table.from_pydict(columns, schema=STACK_RAW_SCHEMA)


def _content_bytes(table: pa.Table, column: str) -> pa.ChunkedArray:
    """The text column as UTF-8 bytes; a column of another type reads as null."""
    content = table[column] if column in table.column_names else None
    if content is None or not (
        pa.types.is_string(content.type) or pa.types.is_large_string(content.type)
    ):
        return pa.chunked_array([pa.nulls(table.num_rows, pa.large_binary())])
    return pc.cast(content, pa.large_string()).cast(pa.large_binary())


def _content_reason(length: int | None, max_file_bytes: int) -> str | None:
    if length is None:
        return NO_CONTENT
    if length == 0:
        return EMPTY_CONTENT
    return TOO_LARGE if length > max_file_bytes else None


class StackDecoder:
    """The decoding stage, carrying the language The Stack gave each row past it.

    :class:`~starcoder_data.decode.Decoder` keeps only ``FILE_SCHEMA``
    columns; the given language must reach :class:`GivenLanguageTagger`.
    """

    def __init__(self):
        self.decoder = Decoder()

    def __call__(self, batch: pa.Table) -> pa.Table:
        given = batch[SOURCE_LANGUAGE]
        return self.decoder(batch.drop_columns([SOURCE_LANGUAGE])).append_column(
            SOURCE_LANGUAGE, given
        )


class GivenLanguageTagger:
    """The language stage for The Stack's rows: the path decides, the given language fills gaps.

    The path decides, as for every other source (The Stack also assigned
    languages by extension, so they rarely differ; where they do, e.g. a
    ``.h`` file, our clash rules in ``languages.json`` win, so one file gets
    one language whichever source it came from). Where the path maps to no
    language (no extension, an unusual one), The Stack's language is used if
    it names one of ours. The carried column is dropped here.
    """

    def __init__(self):
        self.tagger = LanguageTagger()

    def __call__(self, batch: pa.Table) -> pa.Table:
        given = batch[SOURCE_LANGUAGE]
        batch = self.tagger(batch.drop_columns([SOURCE_LANGUAGE]))
        unknown = pc.equal(batch[LANGUAGE], UNKNOWN)
        filled = pc.if_else(pc.and_(unknown, pc.is_valid(given)), given, batch[LANGUAGE])
        index = batch.schema.get_field_index(LANGUAGE)
        return batch.set_column(index, batch.schema.field(index), filled.cast(pa.string()))


__all__ = [
    "CORRUPT_FILE",
    "EMPTY_CONTENT",
    "MALFORMED_JSON",
    "NO_CONTENT",
    "SOURCE_LANGUAGE",
    "STACK_KINDS",
    "UNKNOWN_SCHEMA",
    "GivenLanguageTagger",
    "StackDecoder",
    "StackFile",
    "StackSourceError",
    "check_stack_source",
    "discover_stack_files",
    "read_stack_file",
]
