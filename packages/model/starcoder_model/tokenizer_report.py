"""What the tokenizer job reports: ``tokenizer_report.json`` beside ``tokenizer.json``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from starcoder_jobs.report import Report

from .tokenizer import MB, TokenCount, TokenizerConfig, _by_size
from .tokenizer_sample import DocumentSample


@dataclass(frozen=True, kw_only=True)
class SampleSize:
    documents: int = 0
    bytes: int = 0


@dataclass(frozen=True, kw_only=True)
class HeldOutCount:
    """The held-out sample, encoded: its compression is the tokenizer's figure of merit."""

    documents: int = 0
    bytes: int = 0
    tokens: int = 0
    tokens_per_byte: float = 0.0


@dataclass(frozen=True, kw_only=True)
class LanguageSample:
    available_bytes: int = 0
    train_documents: int = 0
    train_bytes: int = 0
    eval_documents: int = 0
    eval_bytes: int = 0
    eval_tokens: int = 0
    tokens_per_byte: float | None = None  # None: nothing of it held out


@dataclass(frozen=True, kw_only=True)
class TokenizerReport(Report):
    """The sample trained on, the time taken and tokens per byte by language."""

    FILE = "tokenizer_report.json"

    vocab_size: int
    config: TokenizerConfig | None = None
    train: SampleSize = field(default_factory=SampleSize)
    eval: HeldOutCount = field(default_factory=HeldOutCount)
    seconds: dict[str, float] = field(default_factory=dict)
    encode_mb_per_s: float | None = None
    tokens_per_byte: dict[str, float] = field(default_factory=dict)
    languages: dict[str, LanguageSample] = field(default_factory=dict)  # largest first
    data: str | None = None  # the curated folder it was trained on

    def format(self) -> str:
        """The report as the job prints it: a summary, then one line per language."""
        speed, held_out = self.encode_mb_per_s, self.eval
        configured = f" (configured {self.config.vocab_size:,})" if self.config else ""
        trained_languages = sum(1 for row in self.languages.values() if row.train_documents)
        lines = [
            f"{'vocab size':18}{self.vocab_size:,}{configured}",
            f"{'trained on':18}{self.train.bytes / MB:.1f} MB in {self.train.documents:,} "
            f"documents of {trained_languages} languages",
            f"{'training time':18}{self.seconds.get('train', 0):.1f} s "
            f"(sampling {self.seconds.get('sample', 0):.1f} s)",
            f"{'held out':18}{held_out.bytes / MB:.1f} MB in {held_out.documents:,} documents",
            f"{'encoding speed':18}" + (f"{speed:.2f} MB/s (encode_batch)" if speed else "-"),
            f"{'tokens per byte':18}"
            + (f"{held_out.tokens_per_byte:.3f} on the held-out sample" if held_out.bytes else "-"),
            "",
            f"{'language':18}{'available MB':>13}{'train MB':>10}{'eval MB':>10}"
            f"{'tokens/byte':>13}",
        ]
        for language, row in self.languages.items():
            ratio = "-" if row.tokens_per_byte is None else f"{row.tokens_per_byte:.3f}"
            lines.append(
                f"{language:18}{row.available_bytes / MB:13.3f}{row.train_bytes / MB:10.3f}"
                f"{row.eval_bytes / MB:10.3f}{ratio:>13}"
            )
        return "\n".join(lines)


def tokenizer_report(
    *,
    vocab_size: int,
    config: TokenizerConfig,
    sample: DocumentSample,
    counts: Mapping[str, TokenCount],
    seconds: Mapping[str, float],
    data: str | None = None,
) -> TokenizerReport:
    """The report of a trained tokenizer: ``counts`` are the held-out sample's; ``seconds``
    has at least ``train`` and ``encode`` (the ``count_tokens`` call: the encoding speed)."""
    held_out = sum(counts.values(), TokenCount())
    train_bytes, eval_bytes = sample.train_bytes, sample.eval_bytes
    languages = {
        language: LanguageSample(
            available_bytes=available,
            train_documents=len(sample.train.get(language, [])),
            train_bytes=train_bytes.get(language, 0),
            eval_documents=len(sample.eval.get(language, [])),
            eval_bytes=eval_bytes.get(language, 0),
            eval_tokens=counts[language].tokens if language in counts else 0,
            tokens_per_byte=counts[language].tokens_per_byte if language in counts else None,
        )
        for language, available in sorted(sample.available_bytes.items(), key=_by_size)
    }
    encode_seconds = seconds.get("encode", 0.0)
    return TokenizerReport(
        vocab_size=vocab_size,
        config=config,
        train=SampleSize(
            documents=sum(len(texts) for texts in sample.train.values()),
            bytes=sum(train_bytes.values()),
        ),
        eval=HeldOutCount(
            documents=held_out.documents,
            bytes=held_out.bytes,
            tokens=held_out.tokens,
            tokens_per_byte=held_out.tokens_per_byte,
        ),
        seconds={name: round(value, 3) for name, value in seconds.items()},
        encode_mb_per_s=held_out.bytes / MB / encode_seconds if encode_seconds else None,
        tokens_per_byte={lang: count.tokens_per_byte for lang, count in counts.items()},
        languages=languages,
        data=data,
    )


__all__ = ["HeldOutCount", "LanguageSample", "SampleSize", "TokenizerReport", "tokenizer_report"]
