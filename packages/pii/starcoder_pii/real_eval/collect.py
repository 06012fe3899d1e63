"""Candidate windows of real, permissively licensed files for the real-file PII set.

    python -m starcoder_pii.real_eval.collect --output candidates.jsonl

The annotator's first step (see the labelling guide in ``docs/pii.md``):
windows of 10-60 lines from files installed on a Debian machine that the
curated corpus does not read (``/usr/share/doc/<package>/copyright`` and
``changelog.Debian.gz``, the Debian Python packages of
``/usr/lib/python3/dist-packages`` and their ``PKG-INFO``), each with its
source path, package, license and the corpus repos of the same package
(:func:`corpus_repos_of`), plus regex *proposals* for spans. Proposals are
only a start: every one is checked by hand and names and usernames, which no
regex finds, are added by hand before a window enters the set.
"""

from __future__ import annotations

import argparse
import glob
import gzip
import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field

DEBIAN_DOC = "/usr/share/doc"
DPKG_INFO = "/var/lib/dpkg/info"
DIST_PACKAGES = "/usr/lib/python3/dist-packages"
# Debian trees the curated corpus reads (starcoder_data.readers.local), by corpus label.
CORPUS_TREES = {"/usr/include": "usr-include", "/usr/share/javascript": "javascript",
                "/usr/share/perl5": "perl5"}  # fmt: skip

# License names as written in Debian copyright files and package metadata -> SPDX.
_SPDX = {
    "mit": "MIT", "expat": "MIT", "mit/x11": "MIT", "x11": "MIT", "bsd-2-clause": "BSD-2-Clause",
    "bsd-3-clause": "BSD-3-Clause", "bsd": "BSD-3-Clause", "isc": "ISC",
    "apache-2.0": "Apache-2.0", "apache 2.0": "Apache-2.0", "apache": "Apache-2.0",
    "apache software license": "Apache-2.0", "mit license": "MIT", "bsd license": "BSD-3-Clause",
    "isc license (iscl)": "ISC", "zlib": "Zlib", "curl": "curl", "psf": "PSF-2.0",
    "python software foundation license": "PSF-2.0", "psf-2.0": "PSF-2.0",
}  # fmt: skip
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_NAME_BEFORE_EMAIL = re.compile(
    r"([A-Z][\w'\-]+(?:[ \t]+(?:[A-Z][\w'\-.]*|de|van|von|da))+)[ \t]*,?[ \t]*<[^>\n]+@"
)
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")


@dataclass
class Candidate:
    id: str
    source: str
    package: str
    license: str
    corpus_repos: list[str]
    text: str
    spans: list[list] = field(default_factory=list)  # [start, end, label, value] proposals


def spdx(name: str) -> str | None:
    """The SPDX id of a permissive license name, else None."""
    name = name.strip().lower().rstrip(".")
    if name in _SPDX:
        return _SPDX[name]
    prefixes = {"bsd-3": "BSD-3-Clause", "bsd-2": "BSD-2-Clause", "expat": "MIT", "mit": "MIT",
                "apache-2": "Apache-2.0"}  # fmt: skip
    for prefix, spdx_id in prefixes.items():
        if name.startswith(prefix) and "gpl" not in name:
            return spdx_id
    return None


def corpus_repos_of(package: str) -> list[str]:
    """Curated-corpus repo names (``usr-include/curl``) of the files a Debian package installs."""
    listing = os.path.join(DPKG_INFO, f"{package}.list")
    if not os.path.exists(listing):
        matches = glob.glob(os.path.join(DPKG_INFO, f"{package}:*.list"))
        if not matches:
            return []
        listing = matches[0]
    repos = set()
    with open(listing, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            path = line.strip()
            for root, label in CORPUS_TREES.items():
                if path.startswith(root + "/"):
                    rest = path[len(root) + 1 :].split("/")
                    top = rest[0] if len(rest) > 1 else "_toplevel"
                    repos.add(f"{label}/{top}")
    return sorted(repos)


def propose(text: str) -> list[list]:
    """Regex proposals: emails, names before ``<email>``, dotted quads."""
    spans = [[m.start(), m.end(), "EMAIL", m.group()] for m in _EMAIL.finditer(text)]
    spans += [[m.start(1), m.end(1), "NAME", m.group(1)] for m in _NAME_BEFORE_EMAIL.finditer(text)]
    spans += [[m.start(), m.end(), "IP_ADDRESS", m.group()] for m in _IPV4.finditer(text)]
    return sorted(spans)


def _windows(lines: list[str], hits: list[int], before: int, after: int, limit: int):
    taken = -1
    for hit in hits:
        lo, hi = max(0, hit - before), min(len(lines), hit + after)
        if lo <= taken:
            continue
        taken = hi
        yield "".join(lines[lo:hi])
        limit -= 1
        if not limit:
            return


def _debian_license(copyright_text: str, files: str) -> str | None:
    match = re.search(
        rf"^Files: {re.escape(files)}.*?^License: *(\S+)", copyright_text, re.M | re.S
    )
    return spdx(match.group(1)) if match else None


def debian_candidates(per_package: int = 1) -> list[Candidate]:
    """Windows of Debian copyright files and changelogs of permissively licensed packages."""
    out, seen = [], set()
    for doc in sorted(glob.glob(os.path.join(DEBIAN_DOC, "*", "copyright"))):
        package = doc.split("/")[-2]
        data = open(doc, encoding="utf-8", errors="replace").read()
        digest = hashlib.sha256(data.encode()).hexdigest()
        if digest in seen:
            continue  # one source package installs many binary packages
        seen.add(digest)
        upstream, debian = _debian_license(data, "*"), _debian_license(data, "debian/")
        repos = corpus_repos_of(package)
        if upstream:
            lines = data.splitlines(keepends=True)
            hits = [i for i, line in enumerate(lines) if "@" in line or "Copyright" in line]
            for i, text in enumerate(_windows(lines, hits, 2, 14, per_package)):
                out.append(Candidate(f"deb-copyright/{package}/{i}", doc, package, upstream,
                                     repos, text, propose(text)))  # fmt: skip
        changelog = os.path.join(DEBIAN_DOC, package, "changelog.Debian.gz")
        if debian and os.path.exists(changelog):
            lines = gzip.open(changelog, "rt", encoding="utf-8", errors="replace").readlines()
            heads = [
                i for i, line in enumerate(lines) if line and not line[0].isspace() and "(" in line
            ]
            for i, text in enumerate(_windows(lines, heads[1:], 0, 18, 1)):
                out.append(Candidate(f"deb-changelog/{package}/{i}", changelog, package, debian,
                                     repos, text, propose(text)))  # fmt: skip
    return out


def _python_license(dist_info: str) -> str | None:
    for name in ("METADATA", "PKG-INFO"):
        path = os.path.join(dist_info, name)
        if not os.path.exists(path):
            continue
        head = open(path, encoding="utf-8", errors="replace").read().split("\n\n")[0]
        for pattern in (r"^License-Expression: *(.+)$", r"^License: *(.+)$",
                        r"^Classifier: License :: OSI Approved :: (.+)$"):  # fmt: skip
            for match in re.finditer(pattern, head, re.M):
                found = spdx(match.group(1))
                if found:
                    return found
    return None


_CONTACT = re.compile(r"__author__|__email__|[Cc]opyright|@\w+\.\w|[Aa]uthor|password|token|secret|"
                      r"api_key|\d+\.\d+\.\d+\.\d+|example\.com|uuid|sha256|md5")  # fmt: skip


def _corpus_python_modules() -> set[str]:
    """Top-level modules of the running Python's site-packages: the corpus reads those."""
    import site
    import sysconfig

    found = set()
    for root in {*site.getsitepackages(), sysconfig.get_paths()["purelib"]}:
        if os.path.isdir(root) and os.path.realpath(root) != os.path.realpath(DIST_PACKAGES):
            found |= {name.removesuffix(".py") for name in os.listdir(root)}
    return found


def python_candidates(per_package: int = 8) -> list[Candidate]:
    """Windows of Debian's Python packages that the corpus does not read, and their RECORDs."""
    out, in_corpus = [], _corpus_python_modules()
    for dist_info in sorted(glob.glob(os.path.join(DIST_PACKAGES, "*.*-info"))):
        license_id = _python_license(dist_info)
        top_level = os.path.join(dist_info, "top_level.txt")
        tops = open(top_level).read().split() if os.path.exists(top_level) else []
        if not license_id or not tops or any(top in in_corpus for top in tops):
            continue
        record = os.path.join(dist_info, "RECORD")
        name = os.path.basename(dist_info)
        package = name.split("-")[0].removesuffix(".egg")
        if os.path.exists(record):  # hash lines: hard negatives
            text = "".join(open(record).readlines()[:14])
            out.append(Candidate(f"py-record/{name}", record, package, license_id, [], text))
        meta = next((os.path.join(dist_info, n) for n in ("METADATA", "PKG-INFO")
                     if os.path.exists(os.path.join(dist_info, n))), None)  # fmt: skip
        if meta:
            text = "".join(open(meta, encoding="utf-8", errors="replace").readlines()[:30])
            out.append(
                Candidate(f"py-meta/{name}", meta, package, license_id, [], text, propose(text))
            )
        files = []
        for top in tops:
            base = os.path.join(DIST_PACKAGES, top)
            files += sorted(glob.glob(base + "/**/*.py", recursive=True)) or sorted(
                glob.glob(base + ".py")
            )
        count = 0
        for path in files:
            lines = open(path, encoding="utf-8", errors="replace").readlines()
            hits = [i for i, line in enumerate(lines) if _CONTACT.search(line)]
            for i, text in enumerate(_windows(lines, hits, 3, 16, 2)):
                rel = os.path.relpath(path, DIST_PACKAGES)
                out.append(Candidate(f"py-src/{rel}/{i}", path, package, license_id, [], text,
                                     propose(text)))  # fmt: skip
                count += 1
            if count >= per_package:
                break
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", required=True)
    args = parser.parse_args(argv)
    candidates = debian_candidates() + python_candidates()
    with open(args.output, "w") as handle:
        for c in candidates:
            handle.write(json.dumps(asdict(c)) + "\n")
    print(f"{len(candidates)} candidate windows -> {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
