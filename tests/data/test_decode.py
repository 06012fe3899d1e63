"""Decoding stage: exact texts, hashes and drop reasons."""

from __future__ import annotations

import hashlib

import pyarrow as pa
from starcoder_data.decode import Decoder
from starcoder_data.schema import FILE_SCHEMA, raw_table


def _raw(*datas, reasons=None):
    reasons = reasons or [None] * len(datas)
    return raw_table(
        [
            {
                "repo": "r",
                "path": f"f{i}",
                "source": "directory:/r",
                "license": "MIT",
                "size": len(d or b""),
                "data": d,
                "drop_reason": reason,
            }
            for i, (d, reason) in enumerate(zip(datas, reasons, strict=True))
        ]
    )


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_decode_outcomes():
    batch = _raw(
        b"x = 1\n",
        b"\xef\xbb\xbfprint('bom')\n",
        b"caf\xe9\n",
        b"a\x00b",
        b"\x7fELF\x02\x01",
        b"%PDF-1.4 text",
        b"",
        "héllo ✓\n".encode(),
        None,
        reasons=[None] * 8 + ["read:too_large"],
    )
    out = Decoder()(batch)
    assert out.schema == FILE_SCHEMA
    assert out["content"].to_pylist() == [
        "x = 1\n",
        "print('bom')\n",
        None,
        None,
        None,
        None,
        "",
        "héllo ✓\n",
        None,
    ]
    assert out["drop_reason"].to_pylist() == [
        None,
        None,
        "decode:invalid_utf8",
        "decode:binary",
        "decode:binary",
        "decode:binary",
        None,
        None,
        "read:too_large",
    ]
    assert out["content_hash"].to_pylist() == [
        _sha(b"x = 1\n"),
        _sha(b"print('bom')\n"),
        None,
        None,
        None,
        None,
        _sha(b""),
        _sha("héllo ✓\n".encode()),
        None,
    ]
    assert out["language"].to_pylist() == [None] * 9
    assert out["license"].to_pylist() == ["MIT"] * 9
    assert out["size"].to_pylist() == batch["size"].to_pylist()


def test_nul_after_sniff_window_is_text():
    text = b"a" * 9000 + b"\x00"
    out = Decoder()(_raw(text))
    assert out["drop_reason"].to_pylist() == [None]
    assert out["content"].to_pylist() == [text.decode()]


def test_live_row_without_bytes_is_counted():
    out = Decoder()(_raw(None))
    assert out["drop_reason"].to_pylist() == ["decode:no_data"]


def test_invalid_rows_found_anywhere_in_a_large_chunked_batch():
    datas = [b"\xff\xfe bad" if i % 7 == 3 else f"row {i}\n".encode() for i in range(1000)]
    batch = pa.concat_tables([_raw(*datas[:400]), _raw(*datas[400:])])
    out = Decoder()(batch)
    reasons = out["drop_reason"].to_pylist()
    assert [i for i, r in enumerate(reasons) if r] == [i for i in range(1000) if i % 7 == 3]
    assert set(reasons) == {None, "decode:invalid_utf8"}
    assert out["content"].to_pylist()[:3] == ["row 0\n", "row 1\n", "row 2\n"]
    assert out["content_hash"].to_pylist()[999] == _sha(b"row 999\n")


def test_empty_batch():
    out = Decoder()(_raw())
    assert out.schema == FILE_SCHEMA and out.num_rows == 0
