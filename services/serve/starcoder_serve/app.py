"""The Ray Serve app: an OpenAI-compatible completions API over :class:`CompletionService`.

Routes: ``POST /v1/completions`` (streamed as server-sent events with
``"stream": true``; fill-in-the-middle with ``suffix``), ``GET /v1/models``,
``GET /health`` and FastAPI's ``GET /openapi.json`` / ``/docs``. Concurrent
requests join one running batch (continuous batching) decoded with a KV cache.

    serve run starcoder_serve.app:build_app checkpoint=outputs/pretrain/model
    serve deploy services/serve/starcoder_serve/serve_config.yaml
"""

# No `from __future__ import annotations` here: FastAPI resolves the route methods'
# annotations at run time, and string annotations on an ingress class do not resolve.
import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from ray import serve
from ray.serve import Application
from starlette.exceptions import HTTPException as StarletteHTTPException

from .attribution import CompletionAttribution
from .config import ServeSettings
from .engine import GenerationSequence
from .protocol import (
    AttributionOptions,
    CompletionRequest,
    CompletionResponse,
    RequestError,
    error_body,
    new_completion_id,
    stream_chunk,
)
from .scheduler import ContinuousScheduler, Update
from .service import CompletionService

__all__ = ["CompletionDeployment", "api", "build_app"]

# A whole 8K-token StarCoder prompt is ~30 KB of code; 2 MiB leaves room for
# lists of prompts while refusing bodies nobody sends by accident.
MAX_BODY_BYTES = 2 * 1024 * 1024

api = FastAPI(
    title="StarCoder completions",
    version="0.1.0",
    description="OpenAI-compatible code completion and fill-in-the-middle (StarCoder).",
)


@api.exception_handler(RequestError)
async def _request_error(_: Request, error: RequestError) -> JSONResponse:
    body = error_body(error.message, type=error.type, param=error.param, code=error.code)
    return JSONResponse(body, status_code=error.status)


@api.exception_handler(RequestValidationError)
async def _validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
    problems = error.errors()
    first = problems[0] if problems else {}
    location = first.get("loc", ())
    # the top-level field ("prompt", not "prompt.list[str]"); none for a body that is not JSON
    param = location[1] if len(location) > 1 and first.get("type") != "json_invalid" else None
    message = "; ".join(_describe(problem) for problem in problems) or "invalid request"
    body = error_body(message, param=param and str(param), code="invalid_value")
    return JSONResponse(body, status_code=400)


@api.exception_handler(StarletteHTTPException)
async def _http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
    """FastAPI's own refusals (unknown route, a body that is not UTF-8) in OpenAI's shape."""
    body = error_body(str(error.detail), code=f"http_{error.status_code}")
    return JSONResponse(body, status_code=error.status_code, headers=error.headers)


def _describe(problem: dict) -> str:
    if problem.get("type") == "json_invalid":
        return "the body is not valid JSON (UTF-8)"
    location = ".".join(str(part) for part in problem.get("loc", ()) if part != "body")
    return f"{location or 'body'}: {problem.get('msg', 'invalid')}"


@api.middleware("http")
async def _limit_body_size(request: Request, call_next):
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
        message = f"The request body is {length} bytes; the limit is {MAX_BODY_BYTES}."
        return JSONResponse(error_body(message, code="request_too_large"), status_code=413)
    return await call_next(request)


@serve.deployment(max_ongoing_requests=64, health_check_period_s=5)
@serve.ingress(api)
class CompletionDeployment:
    """One replica: a loaded checkpoint behind the OpenAI routes, batching continuously."""

    def __init__(self, settings: ServeSettings):
        import torch

        if settings.torch_threads:
            torch.set_num_threads(settings.torch_threads)
        self.settings = settings
        self.service = CompletionService.from_checkpoint(
            settings.checkpoint,
            model_id=settings.served_model_id(),
            device=settings.device,
            dtype=settings.dtype,
        )
        self.scheduler = ContinuousScheduler(
            self.service.generator, max_batch_size=settings.max_batch_size
        )
        self.attribution = CompletionAttribution(settings.attribution_index)

    @api.get("/health")
    async def health(self) -> dict:
        return {"status": "ok", "model": self.service.model_id}

    @api.get("/v1/models")
    async def models(self) -> dict:
        return {"object": "list", "data": [self.service.model_card()]}

    @api.post(
        "/v1/completions",
        response_model=CompletionResponse,
        responses={
            400: {"description": "Invalid request (OpenAI error shape)."},
            404: {"description": "Unknown model."},
            413: {"description": "Body too large."},
        },
    )
    async def completions(self, request: CompletionRequest):
        self.attribution.validate(request)
        sequences = self.service.prepare(request)
        if request.stream:
            events = self._events(sequences, request.attribution)
            return StreamingResponse(events, media_type="text/event-stream")
        async for _ in self._updates(sequences, interval_s=float("inf")):
            pass
        response = self.service.response(sequences, request.n)
        if request.attribution is not None:
            for choice in response.choices:
                choice.text, choice.attribution = await asyncio.to_thread(
                    self.attribution.annotate, choice.text, request.attribution
                )
        return response

    async def _updates(
        self, sequences: list[GenerationSequence], *, interval_s: float
    ) -> AsyncIterator[tuple[list[str], list[bool]]]:
        """Each sequence's new text and whether it has ended, merged over ``interval_s``.

        Handing a piece from the replica to the HTTP proxy costs more than a
        decoding step of a small model, so steps are merged; a request's first
        text and its end go out at once. A client that goes away cancels its
        sequences, which leave the batch at the next step.
        """
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Update] = asyncio.Queue()
        self.scheduler.submit(sequences, lambda u: loop.call_soon_threadsafe(queue.put_nowait, u))
        pending, done, started, flushed = [""] * len(sequences), False, False, 0.0
        finished = [False] * len(sequences)
        try:
            while not done:
                update = await queue.get()
                while True:
                    if update.error is not None:
                        raise update.error
                    pending = [a + b for a, b in zip(pending, update.deltas, strict=True)]
                    finished = update.finished or finished
                    done = update.done
                    if queue.empty():
                        break
                    update = queue.get_nowait()
                now = loop.time()
                if done or (any(pending) and (not started or now - flushed >= interval_s)):
                    started, flushed = started or any(pending), now
                    yield pending, finished
                    pending = [""] * len(sequences)
        finally:
            if not done:
                for sequence in sequences:
                    sequence.cancel()

    async def _events(
        self, sequences: list[GenerationSequence], attribution: AttributionOptions | None
    ) -> AsyncIterator[str]:
        """Server-sent events: one chunk per choice and new text, then ``[DONE]``."""
        completion_id, model = new_completion_id(), self.service.model_id
        reported = [False] * len(sequences)
        try:
            async for deltas, finished in self._updates(
                sequences, interval_s=self.settings.stream_interval_s
            ):
                for index, (sequence, delta) in enumerate(zip(sequences, deltas, strict=True)):
                    # the update's own snapshot: the live sequence may have run further
                    ended = finished[index]
                    if reported[index] or not (delta or ended):
                        continue
                    reported[index] = ended
                    found = None
                    if ended and attribution is not None:
                        _, found = await asyncio.to_thread(
                            self.attribution.annotate, sequence.text, attribution
                        )
                    reason = sequence.finish_reason if ended else None
                    chunk = stream_chunk(completion_id, model, index, delta, reason, found)
                    yield f"data: {json.dumps(chunk)}\n\n"
        except Exception as error:  # the client must see why its stream ended early
            body = error_body(f"generation failed: {error}", type="server_error")
            yield f"data: {json.dumps(body)}\n\n"
            return
        yield "data: [DONE]\n\n"


def build_app(args: dict) -> Application:
    """The app ``serve run`` / ``serve deploy`` build from the config file's ``args``.

    ``engine: torch`` (default) is :class:`CompletionDeployment` on CPU or GPU
    replicas; ``engine: vllm`` hands the checkpoint to Ray Serve LLM (vLLM on GPUs).
    """
    settings = ServeSettings.model_validate(args)
    checkpoint = Path(settings.checkpoint).expanduser()
    if checkpoint.is_dir():  # replicas may start in another working directory
        settings = settings.model_copy(update={"checkpoint": str(checkpoint.resolve())})
    if settings.attribution_index and Path(settings.attribution_index).is_dir():
        index = str(Path(settings.attribution_index).resolve())
        settings = settings.model_copy(update={"attribution_index": index})
    if settings.engine == "vllm":
        from .vllm_app import build_vllm_app

        return build_vllm_app(settings)
    return CompletionDeployment.options(
        autoscaling_config=settings.autoscaling_config(),
        ray_actor_options=settings.ray_actor_options(),
        max_ongoing_requests=settings.max_ongoing_requests(),
    ).bind(settings)
