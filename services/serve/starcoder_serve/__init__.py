"""StarCoder serving: OpenAI-compatible completions and infilling on Ray Serve.

:mod:`.engine` decodes a batch of requests with a KV cache in plain PyTorch;
:mod:`.service` validates requests and turns them into sequences;
:mod:`.scheduler` keeps one batch decoding while requests join and leave;
:mod:`.chat` renders chat messages with the tokenizer's template; :mod:`.tgi`
is Text Generation Inference's request and event shapes; :mod:`.auth` the API
keys; :mod:`.app` is the Ray Serve deployment (FastAPI routes over the
scheduler) and its builder for ``serve run`` / ``serve deploy``;
:mod:`.vllm_app` the optional vLLM engine. Only :mod:`.app` imports Ray.
"""

from .config import ServeSettings
from .engine import BatchGenerator, GenerationSequence, SamplingParams
from .protocol import CompletionRequest, RequestError, build_prompt
from .scheduler import ContinuousScheduler
from .service import CompletionService

__all__ = [
    "BatchGenerator",
    "CompletionRequest",
    "CompletionService",
    "ContinuousScheduler",
    "GenerationSequence",
    "RequestError",
    "SamplingParams",
    "ServeSettings",
    "build_prompt",
]
