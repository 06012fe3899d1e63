"""GPTBigCode model shapes: StarCoder's published ones and tiny ones a laptop trains.

A preset fixes the architecture but not the vocabulary: the vocabulary size
comes from the tokenizer the model is trained with (49,152 for StarCoder's own),
so :meth:`ModelPreset.to_config` takes it as an argument. The StarCoder shapes
match the ``config.json`` of the published checkpoints (``bigcode/starcoder``,
``bigcode/starcoderbase-{1b,3b,7b}``): multi-query attention, learned absolute
positions, GELU (tanh approximation), ``n_inner = 4 * n_embd``, dropout 0.1 on
attention, residual and embeddings, tied input/output embeddings, and
``<|endoftext|>`` (id 0) as both BOS and EOS.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from starcoder_data.special_tokens import SPECIAL_TOKENS
from starcoder_jobs.presets import Presets
from transformers import GPTBigCodeConfig

# StarCoder's tokenizer: 49,152 tokens (Li et al. 2023, section 5.1).
STARCODER_VOCAB_SIZE = 49152
# <|endoftext|> is id 0 and ends (and, for StarCoder's config, begins) every document.
ENDOFTEXT_ID = SPECIAL_TOKENS.index("<|endoftext|>")


@dataclass(frozen=True, kw_only=True)
class ModelPreset:
    """One GPTBigCode architecture; ``to_config`` turns it into a ``GPTBigCodeConfig``."""

    name: str
    n_layer: int
    n_embd: int
    n_head: int
    n_positions: int
    multi_query: bool = True  # StarCoder: one shared key/value head
    activation_function: str = "gelu_pytorch_tanh"  # StarCoder
    n_inner: int | None = None  # None: 4 * n_embd, as in every StarCoder checkpoint
    attn_pdrop: float = 0.1  # StarCoder: --attention-dropout 0.1
    resid_pdrop: float = 0.1  # StarCoder: --hidden-dropout 0.1
    embd_pdrop: float = 0.1  # StarCoder
    layer_norm_epsilon: float = 1e-5  # StarCoder
    initializer_range: float = 0.02  # StarCoder's config.json
    # The vocabulary the published checkpoint was trained with; None for our own
    # presets, whose vocabulary is whatever the trained tokenizer has.
    vocab_size: int | None = None

    def __post_init__(self) -> None:
        if self.n_embd % self.n_head:
            raise ValueError(
                f"preset {self.name!r}: n_embd={self.n_embd} is not divisible by "
                f"n_head={self.n_head}"
            )
        if self.n_inner is None:
            object.__setattr__(self, "n_inner", 4 * self.n_embd)

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head

    def with_overrides(self, **fields: object) -> ModelPreset:
        """A copy with some fields changed, e.g. ``multi_query=False`` for the MHA baseline."""
        return replace(self, **fields)

    def to_config(self, vocab_size: int | None = None) -> GPTBigCodeConfig:
        """The ``transformers`` config for a tokenizer of ``vocab_size`` tokens.

        ``vocab_size`` defaults to the preset's published vocabulary; our own
        presets have none, so the caller passes ``len(tokenizer)`` (or a padded
        multiple of it).
        """
        vocab_size = vocab_size if vocab_size is not None else self.vocab_size
        if vocab_size is None:
            raise ValueError(
                f"preset {self.name!r} has no vocabulary of its own: pass vocab_size "
                "(the tokenizer's length)"
            )
        if vocab_size < len(SPECIAL_TOKENS):
            raise ValueError(f"vocab_size={vocab_size} cannot hold StarCoder's special tokens")
        return GPTBigCodeConfig(
            vocab_size=vocab_size,
            n_positions=self.n_positions,
            n_embd=self.n_embd,
            n_layer=self.n_layer,
            n_head=self.n_head,
            n_inner=self.n_inner,
            multi_query=self.multi_query,
            activation_function=self.activation_function,
            attn_pdrop=self.attn_pdrop,
            resid_pdrop=self.resid_pdrop,
            embd_pdrop=self.embd_pdrop,
            layer_norm_epsilon=self.layer_norm_epsilon,
            initializer_range=self.initializer_range,
            bos_token_id=ENDOFTEXT_ID,
            eos_token_id=ENDOFTEXT_ID,
            tie_word_embeddings=True,
        )


# Li et al. 2023, table 1 / bigcode/starcoder config.json: 15.5B parameters.
STARCODER_15B = ModelPreset(
    name="starcoder-15.5b",
    n_layer=40,
    n_embd=6144,
    n_head=48,
    n_positions=8192,
    vocab_size=STARCODER_VOCAB_SIZE,
)
# The smaller StarCoderBase models trained on the same data (bigcode/starcoderbase-*b).
STARCODERBASE_1B = ModelPreset(
    name="starcoderbase-1b",
    n_layer=24,
    n_embd=2048,
    n_head=16,
    n_positions=8192,
    vocab_size=STARCODER_VOCAB_SIZE,
)
STARCODERBASE_3B = ModelPreset(
    name="starcoderbase-3b",
    n_layer=36,
    n_embd=2816,
    n_head=22,
    n_positions=8192,
    vocab_size=STARCODER_VOCAB_SIZE,
)
STARCODERBASE_7B = ModelPreset(
    name="starcoderbase-7b",
    n_layer=42,
    n_embd=4096,
    n_head=32,
    n_positions=8192,
    vocab_size=STARCODER_VOCAB_SIZE,
)
# The default for the embedded run: 5.1M parameters with an 8,192-token vocabulary
# (2.8M outside the embeddings). Measured on two CPU threads (AVX-512), a training
# step at 4 x 512 tokens runs forward + backward at 4.5k-5.5k tokens/s in float32 and
# ~8k under bfloat16 autocast; 6 layers drop to ~4k, 8 layers to ~3.5k. No dropout:
# a tiny model sees each token about once in a short run, so it underfits, not overfits.
TINY = ModelPreset(
    name="tiny",
    n_layer=4,
    n_embd=256,
    n_head=4,
    n_positions=1024,
    attn_pdrop=0.0,
    resid_pdrop=0.0,
    embd_pdrop=0.0,
)
# For tests: builds, runs and saves in milliseconds.
MICRO = ModelPreset(
    name="micro",
    n_layer=2,
    n_embd=64,
    n_head=2,
    n_positions=256,
    attn_pdrop=0.0,
    resid_pdrop=0.0,
    embd_pdrop=0.0,
)

PRESETS: Presets[ModelPreset] = Presets.of_records(
    "model", STARCODER_15B, STARCODERBASE_1B, STARCODERBASE_3B, STARCODERBASE_7B, TINY, MICRO
)


def get_preset(name: str) -> ModelPreset:
    """The preset called ``name``; a ``ValueError`` lists the known names otherwise."""
    return PRESETS[name]
