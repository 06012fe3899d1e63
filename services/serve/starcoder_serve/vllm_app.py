"""The optional GPU engine: the same checkpoint served by vLLM through Ray Serve LLM.

vLLM (Kwon et al. 2023) brings paged attention and continuous batching, which
pay off on GPU clusters; it is not installed by default (``pip install
"starcoder-serve[vllm]"`` or ``ray[llm]``). Its OpenAI app serves the same
``/v1/completions`` and ``/v1/models`` routes, so clients do not change.
"""

from __future__ import annotations

from .config import ServeSettings

__all__ = ["build_vllm_app", "vllm_llm_config"]


def vllm_llm_config(settings: ServeSettings) -> dict:
    """Ray Serve LLM's ``LLMConfig`` fields for ``settings`` (one GPU per replica)."""
    return {
        "model_loading_config": {
            "model_id": settings.served_model_id(),
            "model_source": settings.checkpoint,
        },
        "deployment_config": {"autoscaling_config": settings.autoscaling_config()},
        "engine_kwargs": {"dtype": settings.dtype, "max_num_seqs": settings.max_batch_size},
    }


def build_vllm_app(settings: ServeSettings):
    """An OpenAI app over vLLM replicas; a clear error where vLLM is missing."""
    try:
        from ray.serve.llm import LLMConfig, build_openai_app
    except ImportError as error:
        raise RuntimeError(
            "engine: vllm needs vLLM on the cluster's GPU nodes (pip install "
            f'"starcoder-serve[vllm]"); or use engine: torch. ({error})'
        ) from error
    return build_openai_app({"llm_configs": [LLMConfig(**vllm_llm_config(settings))]})
