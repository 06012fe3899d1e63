"""The Ray Serve app: an OpenAI-compatible completions API over :class:`CompletionService`.

Routes: ``POST /v1/completions`` (streamed as server-sent events with
``"stream": true``; fill-in-the-middle with ``suffix``), ``POST
/v1/chat/completions`` (the tokenizer's chat template), ``GET /v1/models``,
TGI's ``POST /generate``, ``/generate_stream``, ``/tokenize`` and ``GET
/info`` (what llm-vscode and ``huggingface_hub.InferenceClient`` speak),
``GET /health`` and FastAPI's ``GET /openapi.json`` / ``/docs``. With API
keys configured every route but ``/health`` needs ``Authorization: Bearer
KEY``. Concurrent requests join one running batch (continuous batching)
decoded with a KV cache.

    serve run starcoder_serve.app:build_app checkpoint=outputs/pretrain/model
    serve deploy services/serve/starcoder_serve/serve_config.yaml
"""

# No `from __future__ import annotations` here: FastAPI resolves the route methods'
# annotations at run time, and string annotations on an ingress class do not resolve.
import asyncio
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from ray import serve
from ray.serve import Application
from starlette.exceptions import HTTPException as StarletteHTTPException

from .attribution import CompletionAttribution
from .auth import (
    OPEN_PATHS,
    is_authorized,
    load_api_keys,
    replica_keys,
    set_replica_keys,
    unauthorized_body,
)
from .chat import ChatCompletionRequest, chat_chunk, chat_response, render_chat
from .config import ServeSettings
from .engine import GenerationSequence
from .protocol import (
    CompletionRequest,
    CompletionResponse,
    FieldError,
    RequestError,
    error_body,
    new_completion_id,
    stream_chunk,
    usage_chunk,
)
from .scheduler import ContinuousScheduler, Update
from .service import CompletionService
from .tgi import TgiError, finish_reason, parse_tgi_request, tgi_error, token_event

__all__ = ["CompletionDeployment", "api", "build_app"]

# A whole 8K-token StarCoder prompt is ~30 KB of code; 2 MiB leaves room for
# lists of prompts while refusing bodies nobody sends by accident.
MAX_BODY_BYTES = 2 * 1024 * 1024

logger = logging.getLogger("ray.serve")

api = FastAPI(
    title="StarCoder completions",
    version="0.1.0",
    description="OpenAI-compatible code completion and fill-in-the-middle (StarCoder), "
    "chat completions, and TGI's generate API.",
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
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, FieldError):  # a request-level check about one field
        param = cause.field
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
async def _require_api_key(request: Request, call_next):
    """401 in OpenAI's shape without a configured key (``/health`` stays open)."""
    keys = replica_keys()
    if not keys or request.url.path.rstrip("/").endswith(OPEN_PATHS):
        return await call_next(request)
    header = request.headers.get("authorization")
    if not is_authorized(header, keys):
        return JSONResponse(
            unauthorized_body(header is not None),
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    return await call_next(request)


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
    """One replica: a loaded checkpoint behind the OpenAI and TGI routes, batching continuously."""

    def __init__(self, settings: ServeSettings):
        import torch

        if settings.torch_threads:
            torch.set_num_threads(settings.torch_threads)
        self.settings = settings
        set_replica_keys(load_api_keys(settings.api_key_file))
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
            401: {"description": "Missing or wrong API key."},
            404: {"description": "Unknown model."},
            413: {"description": "Body too large."},
        },
    )
    async def completions(self, request: CompletionRequest):
        self.attribution.validate(request)
        sequences = self.service.prepare(request)
        self._log_user(request.user, "completions")
        if request.stream:
            events = self._completion_events(sequences, request)
            return StreamingResponse(events, media_type="text/event-stream")
        async for _ in self._updates(sequences, interval_s=float("inf")):
            pass
        # echo with logprobs scores the prompt with one forward pass: off the event loop
        response = await asyncio.to_thread(self.service.response, sequences, request)
        if request.attribution is not None:
            for choice in response.choices:
                choice.text, choice.attribution = await asyncio.to_thread(
                    self.attribution.annotate, choice.text, request.attribution
                )
        return response

    @api.post(
        "/v1/chat/completions",
        responses={
            400: {"description": "Invalid request, or a model without a chat template."},
            401: {"description": "Missing or wrong API key."},
        },
    )
    async def chat_completions(self, request: ChatCompletionRequest):
        self.service.check_model(request.model)
        prompt, end_of_turn = render_chat(self.service.tokenizer, request.messages)
        completion = request.completion_request(prompt)
        sequences = self.service.prepare(completion, extra_stop=end_of_turn)
        self._log_user(request.user, "chat")
        if completion.stream:
            events = self._chat_events(sequences, completion)
            return StreamingResponse(events, media_type="text/event-stream")
        async for _ in self._updates(sequences, interval_s=float("inf")):
            pass
        return chat_response(
            f"chat{new_completion_id()}",
            self.service.model_id,
            [(s.text, s.finish_reason) for s in sequences],
            self.service.usage(sequences, completion.candidates),
        )

    @api.post("/generate", summary='TGI: generate (stream with "stream": true)')
    async def tgi_generate(self, request: Request):
        return await self._tgi(request, stream=None)

    @api.post("/generate_stream", summary="TGI: generate, as server-sent token events")
    async def tgi_generate_stream(self, request: Request):
        return await self._tgi(request, stream=True)

    @api.post("/", summary='TGI: generate or generate_stream, by the body\'s "stream"')
    async def tgi_compat(self, request: Request):
        return await self._tgi(request, stream=None)

    @api.post("/tokenize", summary="TGI: the prompt's tokens with their character spans")
    async def tgi_tokenize(self, request: Request):
        try:
            inputs = parse_tgi_request(await request.body()).inputs
        except TgiError as error:
            return JSONResponse(tgi_error(error.message), status_code=error.status)
        encoded = self.service.tokenizer(
            inputs, add_special_tokens=False, return_offsets_mapping=True
        )
        return [
            {"id": token_id, "text": inputs[start:stop], "start": start, "stop": stop}
            for token_id, (start, stop) in zip(
                encoded["input_ids"], encoded["offset_mapping"], strict=True
            )
        ]

    @api.get("/info", summary="TGI: what is served, and its limits")
    async def tgi_info(self) -> dict:
        context = self.service.context_length
        return {
            "model_id": self.service.model_id,
            "model_dtype": str(next(self.service.model.parameters()).dtype).removeprefix("torch."),
            "model_device_type": self.service.generator.device.type,
            "model_pipeline_tag": "text-generation",
            "max_concurrent_requests": self.settings.max_ongoing_requests(),
            "max_best_of": 1,
            "max_stop_sequences": 64,
            "max_input_tokens": context - 1,
            "max_total_tokens": context,
            "max_batch_size": self.settings.max_batch_size,
            "validation_workers": 1,
            "router": "starcoder-serve",
            "version": "0.1.0",
        }

    async def _tgi(self, request: Request, *, stream: bool | None):
        try:
            tgi = parse_tgi_request(await request.body())
            completion = tgi.completion_request()
            [sequence] = self.service.prepare(completion)
        except TgiError as error:
            return JSONResponse(tgi_error(error.message), status_code=error.status)
        except RequestError as error:
            return JSONResponse(tgi_error(error.message), status_code=422)
        prefix = tgi.inputs if tgi.parameters.return_full_text else ""
        details = tgi.parameters.details
        if tgi.stream if stream is None else stream:
            events = self._tgi_events(sequence, prefix, details, completion.seed)
            return StreamingResponse(events, media_type="text/event-stream")
        async for _ in self._updates([sequence], interval_s=float("inf")):
            pass
        body = {"generated_text": prefix + sequence.text}
        if details:
            body["details"] = self._tgi_details(sequence, completion.seed, with_tokens=True)
        return body

    def _tgi_details(self, sequence: GenerationSequence, seed, *, with_tokens: bool) -> dict:
        details = {
            "finish_reason": finish_reason(sequence),
            "generated_tokens": len(sequence.token_ids),
            "input_length": len(sequence.prompt_ids),
            "seed": seed,
        }
        if with_tokens:
            returned = self.service.returned_tokens(sequence)
            details["prefill"] = []
            details["tokens"] = [
                {
                    "id": sequence.token_ids[i],
                    "text": self.service.token_text(sequence.token_ids[i]),
                    "logprob": sequence.logprobs[i].logprob,
                    "special": False,
                }
                for i in range(returned)
            ]
        return details

    async def _tgi_events(
        self, sequence: GenerationSequence, prefix: str, details: bool, seed
    ) -> AsyncIterator[str]:
        """TGI's token events: one per decoding step with new text; the last has it all."""
        index = 0
        try:
            async for deltas, finished in self._updates([sequence], interval_s=0.0):
                index += 1
                token_id = sequence.token_ids[-1] if sequence.token_ids else 0
                logprob = sequence.logprobs[-1].logprob if sequence.logprobs else 0.0
                event = token_event(index, token_id, deltas[0], logprob)
                if finished[0]:
                    event["generated_text"] = prefix + sequence.text
                    if details:
                        event["details"] = self._tgi_details(sequence, seed, with_tokens=False)
                yield f"data:{json.dumps(event)}\n\n"
        except Exception as error:  # the client must see why its stream ended early
            yield f"data:{json.dumps({'error': f'generation failed: {error}'})}\n\n"

    def _log_user(self, user: str | None, route: str) -> None:
        if user is not None:
            logger.info("%s request from user %r", route, user)

    async def _updates(
        self, sequences: list[GenerationSequence], *, interval_s: float
    ) -> AsyncIterator[tuple[list[str], list[bool]]]:
        """Each sequence's new text and whether it has ended, step by step.

        With ``interval_s`` 0 every decoding step that produced text is its
        own update (token-sized stream deltas); above 0, steps are merged for
        up to ``interval_s`` (a request's first text and its end go out at
        once). A client that goes away cancels its sequences, which leave the
        batch at the next step.
        """
        if all(s.finished for s in sequences):  # max_tokens 0 (echo): nothing to decode
            yield [""] * len(sequences), [True] * len(sequences)
            return
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
                    if interval_s <= 0 or queue.empty():
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

    async def _completion_events(
        self, sequences: list[GenerationSequence], request: CompletionRequest
    ) -> AsyncIterator[str]:
        """Server-sent events: one chunk per choice and new text, then ``[DONE]``."""
        completion_id, model = new_completion_id(), self.service.model_id
        with_usage = request.stream_options is not None and request.stream_options.include_usage
        reported = [False] * len(sequences)
        sent_chars, sent_tokens = [0] * len(sequences), [0] * len(sequences)
        prompts = [p for p in request.prompts() for _ in range(request.n)]
        try:
            if request.echo:
                for index, sequence in enumerate(sequences):
                    logprobs = None
                    if request.logprobs is not None:
                        logprobs = await asyncio.to_thread(
                            self.service.echo_logprobs,
                            sequence,
                            prompts[index],
                            request.logprobs,
                            self.service.completion_logprobs(sequence, request.logprobs, 0, 0),
                        )
                    chunk = stream_chunk(
                        completion_id,
                        model,
                        index,
                        prompts[index],
                        None,
                        None,
                        logprobs,
                        with_usage,
                    )
                    yield f"data: {json.dumps(chunk)}\n\n"
            async for deltas, finished in self._updates(
                sequences, interval_s=self.settings.stream_interval_s
            ):
                for index, (sequence, delta) in enumerate(zip(sequences, deltas, strict=True)):
                    # the update's own snapshot: the live sequence may have run further
                    ended = finished[index]
                    if reported[index] or not (delta or ended):
                        continue
                    reported[index] = ended
                    sent_chars[index] += len(delta)
                    logprobs = None
                    if request.logprobs is not None:
                        upto = None if ended else sent_chars[index]
                        end = self.service.returned_tokens(sequence, upto)
                        logprobs = self.service.completion_logprobs(
                            sequence,
                            request.logprobs,
                            sent_tokens[index],
                            end,
                            shift=len(prompts[index]) if request.echo else 0,
                        )
                        sent_tokens[index] = end
                    found = None
                    if ended and request.attribution is not None:
                        _, found = await asyncio.to_thread(
                            self.attribution.annotate, sequence.text, request.attribution
                        )
                    reason = sequence.finish_reason if ended else None
                    chunk = stream_chunk(
                        completion_id, model, index, delta, reason, found, logprobs, with_usage
                    )
                    yield f"data: {json.dumps(chunk)}\n\n"
        except Exception as error:  # the client must see why its stream ended early
            body = error_body(f"generation failed: {error}", type="server_error")
            yield f"data: {json.dumps(body)}\n\n"
            return
        if with_usage:
            usage = self.service.usage(sequences, request.candidates)
            yield f"data: {json.dumps(usage_chunk(completion_id, model, usage))}\n\n"
        yield "data: [DONE]\n\n"

    async def _chat_events(
        self, sequences: list[GenerationSequence], request: CompletionRequest
    ) -> AsyncIterator[str]:
        """``chat.completion.chunk`` events: the role first, then content deltas, then [DONE]."""
        completion_id, model = f"chat{new_completion_id()}", self.service.model_id
        with_usage = request.stream_options is not None and request.stream_options.include_usage
        reported = [False] * len(sequences)
        try:
            for index in range(len(sequences)):
                role = {"role": "assistant", "content": ""}
                chunk = chat_chunk(completion_id, model, index, role, None, with_usage)
                yield f"data: {json.dumps(chunk)}\n\n"
            async for deltas, finished in self._updates(
                sequences, interval_s=self.settings.stream_interval_s
            ):
                for index, (sequence, delta) in enumerate(zip(sequences, deltas, strict=True)):
                    ended = finished[index]
                    if reported[index] or not (delta or ended):
                        continue
                    reported[index] = ended
                    reason = sequence.finish_reason if ended else None
                    content = {"content": delta} if delta else {}
                    chunk = chat_chunk(completion_id, model, index, content, reason, with_usage)
                    yield f"data: {json.dumps(chunk)}\n\n"
        except Exception as error:  # the client must see why its stream ended early
            body = error_body(f"generation failed: {error}", type="server_error")
            yield f"data: {json.dumps(body)}\n\n"
            return
        if with_usage:
            usage = self.service.usage(sequences, request.candidates).model_dump()
            chunk = {**chat_chunk(completion_id, model, 0, {}, None), "choices": [], "usage": usage}
            yield f"data: {json.dumps(chunk)}\n\n"
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
    if settings.api_key_file:  # read by each replica: an absolute path, checked now
        key_file = Path(settings.api_key_file).expanduser().resolve()
        load_api_keys(key_file)  # a missing or unreadable file fails here, not in a replica
        settings = settings.model_copy(update={"api_key_file": str(key_file)})
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
