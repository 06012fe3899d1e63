"""Build a labelled PII set from real code: inject realistic PII, keep hard negatives.

There is no annotated PII corpus here, so the set is built the honest way
round: each example is a real file of the curated corpus (a window of at most
``max_host_chars``, cut at line boundaries) into which snippets from
:mod:`.templates` are inserted at line boundaries, filled with values from
:class:`~.values.PiiFaker`. Every injected value is a labelled span;
hard-negative snippets (hashes, UUIDs, versions, example.com addresses,
private IPs, environment references) are inserted unlabelled.

Host files are real code and may hold real, unlabelled PII (author lines of
the standard library, say). Hosts in which the baseline detector finds
anything are therefore skipped; this spares both systems unlabelled true
positives and, if anything, flatters the baseline, whose own false positives
on real code no longer appear. Train and test files come from disjoint repos
(a repo's split is a hash of its name).
"""

from __future__ import annotations

import base64
import hashlib
import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..spans import PII_CLASSES, PiiSpan
from .templates import COMMENT, FAMILIES, NEGATIVE_COMMENT, NEGATIVES, TEMPLATES
from .values import PiiFaker

_SLOT = re.compile(r"«(~?)([A-Z_0-9]+)(?::([a-z_]+))?»")
_VERSIONS = ("1.2.3.4", "2.0.1.0", "3.10.2.1", "1.0.0.12", "4.4.0.2", "0.9.8.7")
_DNS = ("8.8.8.8", "1.1.1.1", "9.9.9.9", "208.67.222.222")
_EXAMPLE_USERS = ("noreply", "support", "admin", "jane.doe", "john")
_ORGS = ("pypa", "python", "pallets", "django", "apache", "mozilla", "numpy", "toml-lang")
_ORG_NAMES = ("Collabora", "Red Hat", "Advanced Micro Devices", "Example Software", "Acme")


@dataclass(frozen=True, kw_only=True)
class InjectionConfig:
    seed: int = 0
    test_fraction: float = 0.2  # share of repos held out for evaluation
    max_host_chars: int = 3000  # window of the host file that receives the snippets
    max_positive: int = 3  # PII snippets per file: 0..max_positive (at least one overall)
    max_negative: int = 2  # hard-negative snippets per file
    clean_fraction: float = 0.1  # files with no PII snippet at all, negatives only


@dataclass(frozen=True)
class LabelledFile:
    """One example: the text and its gold spans."""

    repo: str
    path: str
    language: str
    split: str
    text: str
    spans: tuple[PiiSpan, ...] = field(default=())

    def as_row(self) -> dict:
        return {
            "repo": self.repo,
            "path": self.path,
            "language": self.language,
            "split": self.split,
            "text": self.text,
            "spans": [{"start": s.start, "end": s.end, "label": s.label} for s in self.spans],
        }

    @classmethod
    def from_row(cls, row: dict) -> LabelledFile:
        text = row["text"]
        spans = tuple(
            PiiSpan(s["start"], s["end"], s["label"], text[s["start"] : s["end"]], "gold")
            for s in row["spans"]
        )
        return cls(row["repo"], row["path"], row["language"], row["split"], text, spans)


def repo_split(repo: str, test_fraction: float, seed: int = 0) -> str:
    """``"test"`` or ``"train"``, the same for every file of a repo."""
    digest = hashlib.sha256(f"{seed}:{repo}".encode()).digest()
    return "test" if int.from_bytes(digest[:8], "big") / 2**64 < test_fraction else "train"


def carve_validation(
    files: Iterable[LabelledFile], fraction: float = 0.15, seed: int = 0
) -> tuple[list[LabelledFile], list[LabelledFile]]:
    """``(train, validation)``: the train files, a ``fraction`` of their repos set aside.

    Thresholds of the learned system are picked on the validation repos, which
    neither the model's training windows nor the held-out test repos contain.
    The hash is salted apart from :func:`repo_split`'s, so the test split stays as built.
    """
    train, validation = [], []
    for f in files:
        digest = hashlib.sha256(f"validation:{seed}:{f.repo}".encode()).digest()
        chosen = int.from_bytes(digest[:8], "big") / 2**64 < fraction
        (validation if chosen else train).append(f)
    return train, validation


def fill_template(
    template: str, comment: str, faker: PiiFaker, rng: random.Random
) -> tuple[str, list[tuple[int, int, str]]]:
    """The snippet with its slots filled, and the ``(start, end, label)`` of each PII value."""
    template = template.replace("{c}", comment)
    parts, spans, cursor, length = [], [], 0, 0
    for match in _SLOT.finditer(template):
        literal = template[cursor : match.start()]
        parts.append(literal)
        length += len(literal)
        negative, label, kind = match.groups()
        value = _negative(label, rng) if negative else _positive(label, kind, faker)
        if not negative:
            spans.append((length, length + len(value), label))
        parts.append(value)
        length += len(value)
        cursor = match.end()
    parts.append(template[cursor:])
    return "".join(parts), spans


def _positive(label: str, kind: str | None, faker: PiiFaker) -> str:
    if label not in PII_CLASSES:
        raise ValueError(f"template slot {label!r} is not a PII class")
    if label == "KEY":
        return faker.key(kind or "any")
    return getattr(faker, label.lower())()


def _negative(kind: str, rng: random.Random) -> str:
    if kind in ("HEX64", "HEX40"):
        return "".join(rng.choice("0123456789abcdef") for _ in range(int(kind[3:])))
    if kind in ("B64SHA384", "B64SHA512", "B64BLOB"):
        size = {"B64SHA384": 48, "B64SHA512": 64, "B64BLOB": rng.randint(30, 90)}[kind]
        return base64.b64encode(bytes(rng.getrandbits(8) for _ in range(size))).decode()
    if kind == "UUID":
        h = "".join(rng.choice("0123456789abcdef") for _ in range(32))
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    if kind == "VERSION":
        return rng.choice(_VERSIONS)
    if kind == "EXAMPLE_EMAIL":
        return f"{rng.choice(_EXAMPLE_USERS)}@{rng.choice(['example.com', 'example.org'])}"
    if kind == "PRIVATE_IP":
        return rng.choice(
            [
                f"192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                "127.0.0.1",
                f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            ]
        )
    if kind == "ORG":
        return rng.choice(_ORGS)
    if kind == "ORGNAME":
        return rng.choice(_ORG_NAMES)
    if kind == "DNS":
        return rng.choice(_DNS)
    raise ValueError(f"unknown negative slot {kind!r}")


def host_window(text: str, max_chars: int, rng: random.Random) -> str:
    """At most ``max_chars`` of ``text``, starting and ending at line boundaries."""
    if len(text) <= max_chars:
        return text if text.endswith("\n") or not text else text + "\n"
    starts = [0] + [m.end() for m in re.finditer("\n", text[: len(text) - max_chars])]
    start = rng.choice(starts)
    window = text[start : start + max_chars]
    cut = window.rfind("\n")
    return window[: cut + 1] if cut > 0 else window + "\n"


def inject_file(
    host: str,
    language: str,
    faker: PiiFaker,
    rng: random.Random,
    config: InjectionConfig,
    host_spans: Iterable[PiiSpan] = (),
) -> tuple[str, tuple[PiiSpan, ...]]:
    """``host`` with PII and hard-negative snippets inserted at line boundaries.

    ``host_spans`` (pseudo-labels of the host's own PII, single-line) move with their text.
    """
    if host and not host.endswith("\n"):
        host += "\n"  # snippets go in at line boundaries, never mid-line
    family, comment = FAMILIES.get(language, ("shell", "#"))
    positives = TEMPLATES[family] + COMMENT
    negatives = NEGATIVES[family] + NEGATIVE_COMMENT
    clean = rng.random() < config.clean_fraction
    n_pos = 0 if clean else rng.randint(1, config.max_positive)
    n_neg = rng.randint(1 if clean else 0, config.max_negative)
    snippets = [fill_template(rng.choice(positives), comment, faker, rng) for _ in range(n_pos)]
    snippets += [fill_template(rng.choice(negatives), comment, faker, rng) for _ in range(n_neg)]
    rng.shuffle(snippets)
    lines = host.splitlines(keepends=True)
    slots = sorted(rng.randint(0, len(lines)) for _ in snippets)
    out, spans, length, taken = [], [], 0, 0
    for index, (snippet, snippet_spans) in zip(slots, snippets, strict=True):
        chunk = "".join(lines[taken:index])
        out.append(chunk)
        length += len(chunk)
        taken = index
        spans += [(length + s, length + e, label) for s, e, label in snippet_spans]
        out.append(snippet)
        length += len(snippet)
    out.append("".join(lines[taken:]))
    text = "".join(out)
    spans += _moved(lines, slots, [len(snippet) for snippet, _ in snippets], host_spans)
    return text, tuple(sorted(PiiSpan(s, e, label, text[s:e], "gold") for s, e, label in spans))


def _moved(lines, slots, sizes, host_spans) -> list[tuple[int, int, str]]:
    """Host spans shifted by the snippets inserted before their line."""
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    out = []
    for span in host_spans:
        line = max(i for i, start in enumerate(starts[:-1] or [0]) if start <= span.start)
        shift = sum(size for slot, size in zip(slots, sizes, strict=True) if slot <= line)
        out.append((span.start + shift, span.end + shift, span.label))
    return out


def build_labelled_files(
    hosts: Iterable[dict],
    config: InjectionConfig,
    *,
    host_is_clean: Callable[[str, str], bool] | None = None,
    pseudo_label: Callable[[str, str], list[PiiSpan] | None] | None = None,
) -> list[LabelledFile]:
    """One labelled file per usable host (rows with repo, path, language, content).

    With ``pseudo_label`` a host's own PII is labelled by it (StarCoder labelled
    part of its NER data with pseudo-labels) and the host is skipped where it
    returns None; otherwise ``host_is_clean`` decides which hosts are kept.
    """
    rng = random.Random(config.seed)
    faker = PiiFaker(config.seed)
    files = []
    for row in hosts:
        host = host_window(row["content"], config.max_host_chars, rng)
        if not host.strip() or (host_is_clean and not host_is_clean(host, row["path"])):
            continue
        found = pseudo_label(host, row["path"]) if pseudo_label else []
        if found is None:
            continue
        text, spans = inject_file(host, row["language"], faker, rng, config, found)
        split = repo_split(row["repo"], config.test_fraction, config.seed)
        files.append(LabelledFile(row["repo"], row["path"], row["language"], split, text, spans))
    return files
