"""Where each stage of a pipeline run writes: one folder per stage under the run's root.

Every job already writes into its own ``--output`` folder; the layout only
fixes their names so that each stage finds its inputs and the summary and the
model card find every artifact.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunLayout:
    """The folders of one pipeline run under ``root`` (``outputs/`` by default)."""

    root: Path

    @property
    def curated(self) -> Path:  # curate.py: data/, dropped/, report.json, language_mix.png
        return self.root / "curated"

    @property
    def redacted(self) -> Path:  # redact_pii.py: data/, report.json
        return self.root / "redacted"

    @property
    def training_data(self) -> Path:
        """The Parquet the tokenizer, the model and the index see: the redacted copy."""
        return self.redacted / "data"

    @property
    def tokenizer(self) -> Path:  # train_tokenizer.py: tokenizer.json, tokenizer_report.json
        return self.root / "tokenizer"

    @property
    def tokens(self) -> Path:  # pack_tokens.py: shards and manifest
        return self.root / "tokens"

    @property
    def pretrain(self) -> Path:  # pretrain.py: model/, summary.json, train_config.json, ...
        return self.root / "pretrain"

    @property
    def model(self) -> Path:
        """The published checkpoint (HF format, with tokenizer and model card)."""
        return self.pretrain / "model"

    @property
    def eval(self) -> Path:  # evaluate.py: summary.json, <task>.json
        return self.root / "eval"

    @property
    def attribution(self) -> Path:  # build_index.py: manifest.json, membership.bloom, search/
        return self.root / "attribution"

    @property
    def pipeline(self) -> Path:
        """The pipeline's own files: summary.json, summary.md."""
        return self.root / "pipeline"

    @classmethod
    def at(cls, root: str | Path) -> RunLayout:
        return cls(Path(root))
