"""StarEncoder sizes: StarCoder's 125M encoder and CPU-sized ones.

StarEncoder (Li et al. 2023, section 4.2) is a BERT-style encoder, 12 layers,
768 hidden, 12 heads, 1,024 positions, trained with masked-language modelling
and next-sentence prediction on The Stack. ``tiny`` trains on two CPU cores in
minutes and still has the 512 positions NER windows need; ``micro`` is for tests.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from starcoder_jobs.presets import Presets


@dataclass(frozen=True, kw_only=True)
class EncoderPreset:
    name: str
    num_layers: int
    hidden_size: int
    num_heads: int
    intermediate_size: int
    max_positions: int
    dropout: float = 0.1  # BERT's default

    def as_dict(self) -> dict:
        return asdict(self)


STARENCODER_125M = EncoderPreset(
    name="starencoder-125m",
    num_layers=12,  # StarEncoder: 12
    hidden_size=768,  # StarEncoder: 768
    num_heads=12,  # StarEncoder: 12
    intermediate_size=3072,  # 4 x hidden, as BERT-base
    max_positions=1024,  # StarEncoder: 1,024
)
TINY = EncoderPreset(
    name="tiny",
    num_layers=2,
    hidden_size=128,
    num_heads=2,
    intermediate_size=512,
    max_positions=512,
)
MICRO = EncoderPreset(
    name="micro",
    num_layers=1,
    hidden_size=32,
    num_heads=2,
    intermediate_size=64,
    max_positions=128,
    dropout=0.0,
)
PRESETS: Presets[EncoderPreset] = Presets.of_records("StarEncoder", STARENCODER_125M, TINY, MICRO)


def get_preset(name: str) -> EncoderPreset:
    return PRESETS[name]
