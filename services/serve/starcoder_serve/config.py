"""The serve app's settings: one typed object, from which the Serve options are derived.

``serve run`` / ``serve deploy`` pass the ``args`` block of the app's config
file (``starcoder_serve/serve_config.yaml``) to :func:`starcoder_serve.app.build_app`,
which validates it as :class:`ServeSettings`. Deployment-level fields in that
file (autoscaling, replica resources) override what is derived here, as Serve
always lets the config file win.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ServeSettings"]


class ServeSettings(BaseModel):
    """Which checkpoint to serve, with which engine, on which replicas."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    checkpoint: str = Field(description="An HF-format GPTBigCode checkpoint directory.")
    model_id: str | None = Field(None, description="The id clients send; default: folder name.")
    engine: Literal["torch", "vllm"] = Field(
        "torch", description="torch: batched PyTorch (CPU or GPU); vllm: Ray Serve LLM (GPU)."
    )
    device: Literal["auto", "cpu", "cuda"] = "auto"
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = "auto"
    torch_threads: int | None = Field(None, ge=1, description="CPU threads per replica.")
    attribution_index: str | None = Field(
        None, description="Folder written by ray_jobs/build_index.py: enables `attribution`."
    )
    api_key_file: str | None = Field(
        None,
        description="One API key per line: every route but /health then needs "
        "`Authorization: Bearer KEY` (keys also come from $STARCODER_API_KEYS).",
    )
    max_batch_size: int = Field(32, ge=1)  # rows decoded together by one replica
    # 0: one streamed chunk per decoding step (token-sized deltas, what editors expect);
    # > 0: merge up to this much decoding into one chunk (fewer events for a slow network)
    stream_interval_s: float = Field(0.0, ge=0.0)
    num_cpus: float = Field(1.0, ge=0.0)  # per replica
    num_gpus: float = Field(0.0, ge=0.0)  # per replica; 1 for a GPU replica
    min_replicas: int = Field(1, ge=0)
    max_replicas: int = Field(4, ge=1)
    # Ongoing requests per replica the autoscaler aims for: a full batch.
    target_ongoing_requests: float | None = Field(None, gt=0)

    def served_model_id(self) -> str:
        from pathlib import Path

        return self.model_id or Path(self.checkpoint).resolve().name

    def autoscaling_config(self) -> dict:
        """Serve's autoscaling block: scale on ongoing requests, one batch per replica."""
        return {
            "min_replicas": self.min_replicas,
            "initial_replicas": max(self.min_replicas, 1),
            "max_replicas": self.max_replicas,
            "target_ongoing_requests": self.target_ongoing_requests or self.max_batch_size,
            "upscale_delay_s": 10.0,
            "downscale_delay_s": 120.0,
        }

    def ray_actor_options(self) -> dict:
        return {"num_cpus": self.num_cpus, "num_gpus": self.num_gpus}

    def max_ongoing_requests(self) -> int:
        """Requests a replica accepts: four batches (one decoding, the rest queued)."""
        return 4 * self.max_batch_size
