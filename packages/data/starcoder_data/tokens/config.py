"""The one config of the tokenize-and-pack step, and its presets.

Every default names where StarCoder set it: the metadata rate comes from
bigcode-dataset ``preprocessing/add_content_with_meta.py`` (the paper's
section 5.1), the context from the 8K model. Fill-in-the-middle is not done
here: as in bigcode Megatron-LM, the training loader applies it to each packed
sample (:mod:`.fim_transform`), so the shards hold plain documents.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from starcoder_jobs.presets import Presets

FORMAT_VERSION = 2  # 2: no FIM in the shards, row languages, held-out Parquet


@dataclass(frozen=True, kw_only=True)
class PackConfig:
    """How documents become fixed-length token sequences.

    ``seed`` fixes every random choice (metadata, document order); each
    document draws from its own generator, so the output depends neither on
    Ray's block order nor on how many workers ran.
    """

    seq_len: int = 8192  # StarCoder: 8K context
    seed: int = 0
    metadata_rate: float = 0.2  # StarCoder: each of repo name, file name, stars
    val_fraction: float = 0.01
    shard_tokens: int = 1 << 25  # ~32M tokens (64 MiB of uint16) per shard file
    languages: tuple[str, ...] = ()  # empty: every language partition

    def __post_init__(self):
        if self.seq_len < 2:
            raise ValueError(f"seq_len must be at least 2, got {self.seq_len}")
        for name in ("metadata_rate", "val_fraction"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {value}")
        if self.shard_tokens < self.seq_len:
            raise ValueError(f"shard_tokens ({self.shard_tokens}) < seq_len ({self.seq_len})")

    @property
    def sequences_per_shard(self) -> int:
        return self.shard_tokens // self.seq_len

    def as_dict(self) -> dict:
        return {**asdict(self), "languages": list(self.languages)}


def full_preset() -> PackConfig:
    """StarCoder's own settings: 8K sequences."""
    return PackConfig()


def tiny_preset() -> PackConfig:
    """The laptop default: short sequences for the tiny model, same data recipe."""
    return replace(PackConfig(), seq_len=512, shard_tokens=1 << 22)


PRESETS: Presets[PackConfig] = Presets("packing", {"full": full_preset, "tiny": tiny_preset})
