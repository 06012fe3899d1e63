"""The playground's only link to the model: the serve app's HTTP API (OpenAI completions).

With an API key (``api_key``, or the first of ``$STARCODER_API_KEYS``) every
request carries ``Authorization: Bearer KEY``. Streaming reads the server-sent
events of ``"stream": true`` and yields the text so far after each event, which
is what a Gradio output box displays.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

__all__ = ["CompletionSettings", "PlaygroundClient", "ServeError"]


class ServeError(RuntimeError):
    """The serve app refused a request or could not be reached; the message says why."""


@dataclass(frozen=True, kw_only=True)
class CompletionSettings:
    """The generation settings of the playground's sliders."""

    max_tokens: int = 64
    temperature: float = 0.2  # StarCoder's paper samples at 0.2 for pass@1
    top_p: float = 0.95
    seed: int | None = None
    stop: tuple[str, ...] = ()

    def request_fields(self) -> dict:
        fields = {
            "max_tokens": int(self.max_tokens),
            "temperature": float(self.temperature),
            "top_p": float(self.top_p),
        }
        if self.seed is not None:
            fields["seed"] = int(self.seed)
        if self.stop:
            fields["stop"] = list(self.stop)
        return fields


class PlaygroundClient:
    """Completion and infilling requests to one serve app."""

    def __init__(self, base_url: str, *, api_key: str | None = None, timeout_s: float = 300.0):
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.api_key = api_key if api_key is not None else default_api_key()

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def model_id(self) -> str:
        """The served model's id (the first of ``GET /v1/models``)."""
        try:
            response = httpx.get(f"{self.base_url}/v1/models", headers=self.headers, timeout=10)
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise ServeError(f"cannot reach the serve app at {self.base_url}: {error}") from error
        return response.json()["data"][0]["id"]

    def stream(
        self, prompt: str, settings: CompletionSettings, *, suffix: str | None = None
    ) -> Iterator[str]:
        """Yield the completion's text so far after each streamed piece (the middle with FIM)."""
        for text, _ in self.stream_attributed(prompt, settings, suffix=suffix):
            yield text

    def stream_attributed(
        self,
        prompt: str,
        settings: CompletionSettings,
        *,
        suffix: str | None = None,
        attribution: dict | None = None,
    ) -> Iterator[tuple[str, dict | None]]:
        """Like :meth:`stream`, with the ``attribution`` extension's answer on the last piece."""
        body = {"prompt": prompt, "stream": True, **settings.request_fields()}
        if suffix is not None:
            body["suffix"] = suffix
        if attribution is not None:
            body["attribution"] = attribution
        text = ""
        try:
            with httpx.stream(
                "POST",
                f"{self.base_url}/v1/completions",
                json=body,
                headers=self.headers,
                timeout=self.timeout_s,
            ) as response:
                if response.status_code >= 400:
                    raise ServeError(_error_message(response.read(), response.status_code))
                for event in _events(response.iter_lines()):
                    if "error" in event:
                        raise ServeError(event["error"]["message"])
                    choice = event["choices"][0]
                    text += choice["text"]
                    yield text, choice.get("attribution")
        except httpx.HTTPError as error:
            raise ServeError(f"the serve app at {self.base_url} failed: {error}") from error


def default_api_key() -> str | None:
    """The first key of ``$STARCODER_API_KEYS`` (the variable the serve app reads too)."""
    keys = [k.strip() for k in os.environ.get("STARCODER_API_KEYS", "").split(",") if k.strip()]
    return keys[0] if keys else None


def _events(lines: Iterator[str]) -> Iterator[dict]:
    for line in lines:
        if not line.startswith("data: "):
            continue
        data = line.removeprefix("data: ")
        if data == "[DONE]":
            return
        yield json.loads(data)


def _error_message(body: bytes, status: int) -> str:
    try:
        return f"{status}: {json.loads(body)['error']['message']}"
    except (ValueError, KeyError, TypeError):
        return f"{status}: {body[:200].decode('utf-8', 'replace')}"
