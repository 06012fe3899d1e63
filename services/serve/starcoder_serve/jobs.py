"""The settings of ``ray_jobs/serve.py``: which checkpoint, where it listens, how it scales."""

from __future__ import annotations

from dataclasses import dataclass

from starcoder_jobs.config import option

DEFAULT_CHECKPOINT = "outputs/pretrain/model"
DEFAULT_ATTRIBUTION_INDEX = "outputs/attribution"


@dataclass(frozen=True, kw_only=True)
class ServeJob:
    """The OpenAI-compatible API on Ray Serve, and the playground talking to it."""

    checkpoint: str = option(DEFAULT_CHECKPOINT)
    model_id: str | None = option(None, "default: the checkpoint's folder name")
    host: str = option("127.0.0.1")
    port: int = option(8000)
    playground_port: int = option(7860)
    no_playground: bool = option(False, "the API only")
    no_browser: bool = option(False, "do not open the playground in a browser")
    device: str = option("auto", choices=("auto", "cpu", "cuda"))
    num_gpus: float = option(0.0, "per replica")
    max_replicas: int = option(1)
    address: str | None = option(None, "a running Ray cluster")
    api_key_file: str | None = option(
        None, "API keys, one per line: clients then send `Authorization: Bearer KEY`"
    )
    attribution_index: str | None = option(
        None, f"index from build_index.py (default: {DEFAULT_ATTRIBUTION_INDEX} when it exists)"
    )


__all__ = ["DEFAULT_ATTRIBUTION_INDEX", "DEFAULT_CHECKPOINT", "ServeJob"]
