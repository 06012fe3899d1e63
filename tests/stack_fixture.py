"""Small copies of The Stack in its published layouts, holding real Python standard-library code.

``build_stack_sources(root)`` writes, and returns the paths of:

- ``v1``: a folder of Parquet shards in The Stack v1 layout (one good, one
  corrupt, one with the schema and no rows);
- ``v2``: a folder of JSON lines in the v2 layout, one plain (with a
  malformed line), one gzipped (``text`` instead of ``content``), one empty;
- ``hf``: a ``DatasetDict.save_to_disk`` folder (v1 layout, one split);
- ``empty``: an empty folder; ``unknown``: a Parquet file in neither layout.

Every kept module is a different file, so dedup drops none of them.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sysconfig
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

STDLIB = Path(sysconfig.get_paths()["stdlib"])
GPL_HEADER = "# SPDX-License-Identifier: GPL-3.0-only\n"


def stdlib_source(name: str) -> str:
    return (STDLIB / name).read_text("utf-8")


def _sha(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def v1_row(module: str, repo: str, path: str, *, stars=None, licenses=("MIT",), content=None):
    text = stdlib_source(module) if content is None else content
    row = {"hexsha": _sha(path), "size": len((text or "").encode())}
    row |= {"ext": path.rsplit(".", 1)[-1], "lang": "Python", "content": text}
    row |= {"avg_line_length": 30.0, "max_line_length": 79, "alphanum_fraction": 0.6}
    for family in ("max_stars", "max_forks", "max_issues"):
        row |= {
            f"{family}_repo_name": repo,
            f"{family}_repo_path": path,
            f"{family}_repo_licenses": list(licenses),
            f"{family}_repo_head_hexsha": "0" * 40,
        }
    row |= {"max_stars_count": stars, "max_forks_count": None, "max_issues_count": None}
    return row


def v2_row(module: str, repo: str, path: str, *, stars=0, licenses=("MIT",), key="content"):
    return {
        "blob_id": _sha(path),
        "repo_name": repo,
        "path": f"/{path}",
        "detected_licenses": list(licenses),
        "license_type": "permissive" if licenses else "no_license",
        "language": "Python",
        "star_events_count": stars,
        "src_encoding": "UTF-8",
        "length_bytes": len(stdlib_source(module).encode()),
        "extension": "py",
        key: stdlib_source(module),
    }


# The planted v1 rows: what each one tests, by path.
V1_ROWS = [
    v1_row("bisect.py", "psf/bisect", "src/bisect.py", stars=1200),
    v1_row("colorsys.py", "gnu/colors", "colorsys.py", stars=3, licenses=("GPL-3.0",)),
    v1_row(
        "fnmatch.py", "acme/match", "fnmatch.py", content=GPL_HEADER + stdlib_source("fnmatch.py")
    ),
    v1_row("glob.py", "acme/tools", "bin/globber"),  # no extension: the given language decides
    v1_row("bisect.py", "acme/null", "null.py", content=None) | {"content": None},
    v1_row("bisect.py", "acme/empty", "empty.py", content=""),
]
V2_ROWS = [
    v2_row("shlex.py", "psf/shlex", "lib/shlex.py", stars=7, licenses=("MIT", "Apache-2.0")),
    v2_row("textwrap.py", "nobody/wrap", "textwrap.py", licenses=()),  # v2's "no_license"
]
V2_GZ_ROWS = [v2_row("copy.py", "psf/copy", "copy.py", stars=12, key="text")]
HF_ROWS = [v1_row("fractions.py", "psf/fractions", "fractions.py", stars=50)]

# What one job over every source should report (rows in == kept + dropped).
KEPT_TRUSTED = {
    ("psf/bisect", "src/bisect.py"),
    ("gnu/colors", "colorsys.py"),
    ("acme/match", "fnmatch.py"),
    ("acme/tools", "bin/globber"),
    ("psf/shlex", "lib/shlex.py"),
    ("nobody/wrap", "textwrap.py"),
    ("psf/copy", "copy.py"),
    ("psf/fractions", "fractions.py"),
}
DROPS_TRUSTED = {
    "read:no_content": 1,
    "read:empty_content": 1,
    "read:corrupt_file": 1,
    "read:malformed_json": 1,
}


def build_stack_sources(root: Path) -> dict[str, Path]:
    paths = {name: root / name for name in ("v1", "v2", "hf", "empty")}
    for folder in paths.values():
        folder.mkdir(parents=True)
    table = pa.Table.from_pylist(V1_ROWS)
    pq.write_table(table, paths["v1"] / "data-00000.parquet", row_group_size=2)
    (paths["v1"] / "data-00001.parquet").write_bytes(b"PAR1 not really a parquet file")
    pq.write_table(table.schema.empty_table(), paths["v1"] / "data-00002.parquet")
    lines = [json.dumps(row) for row in V2_ROWS]
    lines.insert(1, '{"repo_name": "broken", "path": ')  # a truncated line
    (paths["v2"] / "part-0.jsonl").write_text("\n".join(lines) + "\n\n")
    gz = "\n".join(json.dumps(row) for row in V2_GZ_ROWS).encode()
    (paths["v2"] / "part-1.jsonl.gz").write_bytes(gzip.compress(gz, mtime=0))
    (paths["v2"] / "part-2.jsonl").write_bytes(b"")
    _save_to_disk(HF_ROWS, paths["hf"])
    paths["unknown"] = root / "unknown.parquet"
    pq.write_table(pa.table({"code": ["x = 1\n"], "filename": ["x.py"]}), paths["unknown"])
    return paths


def _save_to_disk(rows: list[dict], folder: Path) -> None:
    import datasets

    datasets.DatasetDict({"train": datasets.Dataset.from_list(rows)}).save_to_disk(str(folder))
