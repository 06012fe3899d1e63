"""The optional GPU engine: the same checkpoint served by vLLM through Ray Serve LLM.

vLLM (Kwon et al. 2023) brings paged attention and continuous batching, which
pay off on GPU clusters; it is not installed by default (``pip install
"starcoder-serve[vllm]"``, which pins ``ray[llm]`` to our Ray version). Its
OpenAI app serves the same ``/v1/completions`` and ``/v1/models`` routes, so
clients do not change.

vLLM refuses a completion with ``suffix``, so the app's ingress is
:class:`FimOpenAiIngress` (Ray Serve LLM's ``OpenAiIngress`` with one change):
a request with ``suffix`` is rewritten into the served family's infilling
prompt (:func:`fim_completion_fields`, the same
``starcoder_data.families`` table the torch engine uses), and the family's
stop tokens are added to ``stop``. This path has not run in this repository's
tests (vLLM needs a GPU); the rewriting is unit-tested.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from starcoder_data.families import ModelFamily, family_for, get_family

from .config import ServeSettings

__all__ = [
    "build_vllm_app",
    "checkpoint_family",
    "fim_completion_fields",
    "vllm_llm_config",
    "vllm_serving_args",
]

INGRESS_CLASS = "starcoder_serve.vllm_app:FimOpenAiIngress"


def checkpoint_family(checkpoint: str | Path) -> tuple[ModelFamily, tuple[str, ...]]:
    """The family of a local checkpoint, and the stop tokens its vocabulary holds."""
    from transformers import AutoTokenizer

    model_type = json.loads((Path(checkpoint) / "config.json").read_text())["model_type"]
    vocab = AutoTokenizer.from_pretrained(str(checkpoint), local_files_only=True).get_vocab()
    family = family_for(model_type, vocab)
    return family, family.stop_strings(vocab)


def fim_completion_fields(
    prompt: str | list[str],
    suffix: str | None,
    stop: str | list[str] | None,
    family: ModelFamily,
    family_stops: tuple[str, ...],
) -> dict[str, Any]:
    """The fields of a completion request vLLM accepts: ``suffix`` folded into the prompt.

    Raises ``FimUnsupportedError`` (a ``ValueError``) for a family without FIM.
    """
    stops = [stop] if isinstance(stop, str) else list(stop or [])
    stops += [s for s in family_stops if s not in stops]
    fields: dict[str, Any] = {"stop": stops}
    if suffix is not None:
        prompts = prompt if isinstance(prompt, list) else [prompt]
        infill = [family.fim_prompt(p, suffix) for p in prompts]
        fields.update(prompt=infill if isinstance(prompt, list) else infill[0], suffix=None)
    return fields


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


def vllm_serving_args(settings: ServeSettings) -> dict:
    """``build_openai_app``'s arguments: the model, and our FIM-aware ingress."""
    family, stops = checkpoint_family(settings.checkpoint)
    return {
        "llm_configs": [vllm_llm_config(settings)],
        "ingress_cls_config": {
            "ingress_cls": INGRESS_CLASS,
            "ingress_extra_kwargs": {
                "fim_family": family.name if family.supports_fim else None,
                "family_stops": list(stops),
            },
        },
    }


def build_vllm_app(settings: ServeSettings):
    """An OpenAI app over vLLM replicas; a clear error where vLLM is missing."""
    try:
        from ray.serve.llm import LLMConfig, build_openai_app  # noqa: F401
        from ray.serve.llm.ingress import OpenAiIngress  # noqa: F401
    except ImportError as error:
        raise RuntimeError(
            "engine: vllm needs vLLM on the cluster's GPU nodes (pip install "
            f'"starcoder-serve[vllm]"); or use engine: torch. ({error})'
        ) from error
    return build_openai_app(vllm_serving_args(settings))


def _fim_ingress_class():
    """Ray Serve LLM's ingress, with ``suffix`` turned into the family's FIM prompt."""
    from fastapi import Request
    from ray.serve.llm.ingress import OpenAiIngress
    from ray.serve.llm.openai_api_models import CompletionRequest

    class FimOpenAiIngress(OpenAiIngress):
        def __init__(self, *args, fim_family: str | None, family_stops: list[str], **kwargs):
            super().__init__(*args, **kwargs)
            self._family = get_family(fim_family) if fim_family else family_for("unknown", ())
            self._family_stops = tuple(family_stops)

        async def completions(self, body: CompletionRequest, request: Request):
            fields = fim_completion_fields(
                body.prompt, body.suffix, body.stop, self._family, self._family_stops
            )
            return await super().completions(body.model_copy(update=fields), request)

    return FimOpenAiIngress


def __getattr__(name: str):
    # Resolved only when Ray Serve LLM loads INGRESS_CLASS, i.e. where vLLM is installed.
    if name == "FimOpenAiIngress":
        return _fim_ingress_class()
    raise AttributeError(name)
