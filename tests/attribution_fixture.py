"""A curated-format Parquet folder of real code, for attribution tests.

Standard-library modules spread over three repos with different licenses,
written as the curation job writes its output (``language=<lang>/`` folders).
"""

from __future__ import annotations

import sysconfig
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

STDLIB = Path(sysconfig.get_paths()["stdlib"])
FILES = {  # repo -> (license, stars, stdlib modules)
    "acme/textkit": ("MIT", 120, ["textwrap.py", "shlex.py", "fnmatch.py", "string.py"]),
    "acme/algos": ("Apache-2.0", 7, ["bisect.py", "heapq.py", "colorsys.py"]),
    "zenith/calendar": ("BSD-3-Clause", None, ["calendar.py", "pprint.py", "glob.py"]),
}


def curated_rows() -> list[dict]:
    rows = []
    for repo, (license_, stars, modules) in FILES.items():
        for name in modules:
            content = (STDLIB / name).read_text(encoding="utf-8")
            rows.append(
                {
                    "repo": repo,
                    "path": f"src/{name}",
                    "license": license_,
                    "stars": stars,
                    "content": content,
                    "size": len(content.encode("utf-8")),
                }
            )
    return rows


def write_curated(root: Path) -> Path:
    """Write ``root/data/language=python/part-0.parquet``; return ``root/data``."""
    folder = root / "data" / "language=python"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(curated_rows()), folder / "part-0.parquet")
    return root / "data"
