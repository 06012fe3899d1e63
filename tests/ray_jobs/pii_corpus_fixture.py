"""A curated-style Parquet corpus with PII and bad input, for the PII jobs' tests."""

from __future__ import annotations

import json
import sysconfig
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

STDLIB = Path(sysconfig.get_paths()["stdlib"])
PYTHON_PII = '''"""Settings."""
# Author: Jane Doe <jane.doe@acme-corp.io>
DATABASES = {"default": {"PASSWORD": "Tr0ub4dor&3", "HOST": "34.201.12.77"}}
GITHUB_TOKEN = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
'''
JSON_PII = json.dumps({"user": "jdoe", "password": "Tr0ub4dor&3", "host": "34.201.12.77"})
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEpAIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu3aumgsmQ4e3ubIBfZKvZNI3Lr9\n"
    "-----END RSA PRIVATE KEY-----\n"
)
BAD = {
    "noise.py": bytes(range(256)).decode("latin-1") * 20,
    "latin1.py": b"caf\xe9 = 1  # \xff\xfe".decode("utf-8", errors="replace"),
    "huge.py": "x = 1\n" * 100_000 + 'TOKEN = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"\n',
    "id_rsa.py": PEM,
}
# Baseline spans per class in the files above: what the job's report must count.
EXPECTED_BASELINE = {"EMAIL": 1, "KEY": 3, "PASSWORD": 2, "IP_ADDRESS": 2}


def write_pii_corpus(root: Path) -> tuple[Path, int]:
    """``root/language=python|json/*.parquet``; return the folder and the number of rows."""
    files = {"python": [("settings.py", PYTHON_PII), *BAD.items()], "json": [("c.json", JSON_PII)]}
    files["python"] += [(name, (STDLIB / name).read_text()) for name in ("glob.py", "fnmatch.py")]
    rows = 0
    for language, items in files.items():
        folder = root / f"language={language}"
        folder.mkdir(parents=True)
        table = pa.table(
            {
                "repo": [f"repo{i % 3}" for i in range(len(items))],
                "path": [name for name, _ in items],
                "content": [text for _, text in items],
                "size": [len(text.encode()) for _, text in items],
                "content_hash": [f"h{i}" for i in range(len(items))],
            }
        )
        pq.write_table(table, folder / "part-0.parquet")
        rows += len(items)
    return root, rows
