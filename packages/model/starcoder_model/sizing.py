"""Parameter counts, training FLOPs and KV-cache size of a model config.

Pure arithmetic on a GPTBigCode config, so MFU and memory estimates for a
15.5B model need neither its weights nor a GPU. Another architecture
(StarCoder2, Llama, Qwen2, ...: what fine-tuning loads) is counted from its
``transformers`` model built on the meta device, which allocates no memory,
and its attention shape read from the config's standard fields.

The FLOP count is the one MFU figures are usually quoted with (Narayanan et
al. 2021, eq. 3; Chowdhery et al. 2022, appendix B): matrix multiplications
only, forward + backward = 3 x forward, the full T x T attention score
matrix (causal masking not subtracted) and no activation recomputation, so
our MFU compares with published ones.
"""

from __future__ import annotations

import torch
from transformers import GPTBigCodeConfig


def _is_gpt_bigcode(config) -> bool:
    return getattr(config, "model_type", None) == "gpt_bigcode"


def _meta_model(config):
    """``AutoModelForCausalLM`` of ``config`` on the meta device: shapes only, no memory."""
    import torch
    from transformers import AutoModelForCausalLM

    with torch.device("meta"):
        return AutoModelForCausalLM.from_config(config)


def _layers_width(config) -> tuple[int, int]:
    if _is_gpt_bigcode(config):
        return config.n_layer, config.n_embd
    return config.num_hidden_layers, config.hidden_size


def _inner_dim(config: GPTBigCodeConfig) -> int:
    return config.n_inner if config.n_inner is not None else 4 * config.n_embd


def kv_heads(config) -> int:
    """Key/value heads per layer: 1 under multi-query attention, ``n_head`` otherwise.

    Other architectures: ``num_key_value_heads`` (grouped-query), else one per head.
    """
    if _is_gpt_bigcode(config):
        return 1 if config.multi_query else config.n_head
    return getattr(config, "num_key_value_heads", None) or config.num_attention_heads


def _head_dim(config) -> int:
    if _is_gpt_bigcode(config):
        return config.n_embd // config.n_head
    return getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads


def _block_matmul_weights(config: GPTBigCodeConfig) -> int:
    """Weights (no biases) of one block's linear layers."""
    d, inner = config.n_embd, _inner_dim(config)
    kv_dim = kv_heads(config) * (d // config.n_head)
    qkv = d * (d + 2 * kv_dim)  # c_attn: queries for every head, one (MQA) or n_head K/V heads
    return qkv + d * d + 2 * d * inner  # + attn.c_proj + mlp.c_fc + mlp.c_proj


def parameter_count(config) -> int:
    """Every parameter of the causal LM of ``config`` (tied embeddings counted once)."""
    if not _is_gpt_bigcode(config):
        return sum(p.numel() for p in _meta_model(config).parameters())
    d, inner = config.n_embd, _inner_dim(config)
    kv_dim = kv_heads(config) * (d // config.n_head)
    biases = (d + 2 * kv_dim) + d + inner + d
    layer_norms = 2 * 2 * d
    per_block = _block_matmul_weights(config) + biases + layer_norms
    embeddings = config.vocab_size * d + config.n_positions * d
    lm_head = 0 if config.tie_word_embeddings else config.vocab_size * d
    return config.n_layer * per_block + embeddings + 2 * d + lm_head  # + ln_f


def matmul_parameter_count(config) -> int:
    """The N of "6N": weights every token is multiplied with (blocks and the LM head).

    Embedding lookups, biases and layer norms are left out, as in the MFU formulas.
    """
    if not _is_gpt_bigcode(config):
        import torch

        linears = (m for m in _meta_model(config).modules() if isinstance(m, torch.nn.Linear))
        return sum(m.weight.numel() for m in linears)  # the LM head is a Linear too
    return config.n_layer * _block_matmul_weights(config) + config.vocab_size * config.n_embd


def flops_per_token(config, seq_len: int) -> float:
    """Training FLOPs (forward + backward) per token at sequence length ``seq_len``.

    ``6 N + 12 n_layer n_embd seq_len``: 6 FLOPs per weight per token (2 forward,
    4 backward) plus the attention scores and their weighted sum, 2 x 2 x
    ``seq_len`` x ``n_embd`` per layer forward, times 3. MFU is then
    ``tokens_per_second * flops_per_token / peak_flops``.
    """
    if seq_len <= 0:
        raise ValueError(f"seq_len must be positive, got {seq_len}")
    layers, width = _layers_width(config)
    attention = 12 * layers * width * seq_len
    return float(6 * matmul_parameter_count(config) + attention)


def kv_cache_bytes_per_token(config, dtype: torch.dtype = torch.float32) -> int:
    """Bytes the KV cache grows by per generated token of one sequence.

    Keys and values of every layer: ``2 * n_layer * kv_heads * head_dim`` elements,
    so multi-query attention needs ``1 / n_head`` of what multi-head attention does.
    """
    itemsize = torch.empty((), dtype=dtype).element_size()
    layers, _ = _layers_width(config)
    return 2 * layers * kv_heads(config) * _head_dim(config) * itemsize
