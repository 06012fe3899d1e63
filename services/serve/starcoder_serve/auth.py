"""API keys: ``Authorization: Bearer KEY`` on every route but ``/health``.

Keys come from a file (one per line; blank lines and ``#`` comments skipped)
and from the ``STARCODER_API_KEYS`` environment variable (comma-separated).
With none, the server is open, as before (``ray_jobs/serve.py`` warns when it
listens beyond loopback). A key is compared with every configured key in
constant time, so the time of a refusal does not tell how much of it matched.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping
from pathlib import Path

__all__ = [
    "API_KEYS_ENV",
    "OPEN_PATHS",
    "exposure_warning",
    "is_authorized",
    "load_api_keys",
    "replica_keys",
    "set_replica_keys",
    "unauthorized_body",
]

API_KEYS_ENV = "STARCODER_API_KEYS"
# The keys of the replica running in this process. Held by this module, not by the
# FastAPI app: Serve pickles the ingress class with a copy of the app, so the app
# object a replica's __init__ sees is not always the one serving its requests.
_replica_keys: tuple[str, ...] = ()
OPEN_PATHS = ("/health",)  # load balancers and Serve's own probes carry no key
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def load_api_keys(
    key_file: str | Path | None, environ: Mapping[str, str] = os.environ
) -> tuple[str, ...]:
    """The configured keys: ``key_file``'s lines, then ``$STARCODER_API_KEYS``'s items."""
    keys: list[str] = []
    if key_file is not None:
        path = Path(key_file)
        if not path.is_file():
            raise FileNotFoundError(f"API key file {path} does not exist")
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                keys.append(line)
    keys += [key.strip() for key in environ.get(API_KEYS_ENV, "").split(",") if key.strip()]
    return tuple(dict.fromkeys(keys))


def set_replica_keys(keys: tuple[str, ...]) -> None:
    """Require ``keys`` on this process's routes (a replica calls it once, at start)."""
    global _replica_keys
    _replica_keys = tuple(keys)


def replica_keys() -> tuple[str, ...]:
    return _replica_keys


def is_authorized(authorization: str | None, keys: tuple[str, ...]) -> bool:
    """Whether an ``Authorization`` header carries one of ``keys`` (always true without keys)."""
    if not keys:
        return True
    scheme, _, presented = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        return False
    presented_bytes = presented.strip().encode()
    matched = False
    for key in keys:  # no early exit: every key is compared
        matched |= hmac.compare_digest(presented_bytes, key.encode())
    return matched


def unauthorized_body(has_header: bool) -> dict:
    """OpenAI's 401 body (the ``openai`` client raises ``AuthenticationError`` on it)."""
    message = (
        "Incorrect API key provided."
        if has_header
        else "You didn't provide an API key: send it as 'Authorization: Bearer KEY'."
    )
    return {
        "error": {
            "message": message,
            "type": "invalid_request_error",
            "param": None,
            "code": "invalid_api_key",
        }
    }


def exposure_warning(host: str, keys: tuple[str, ...]) -> str | None:
    """A warning when the API listens beyond this machine with no key required."""
    if keys or host in _LOOPBACK:
        return None
    return (
        f"warning: serving on {host} without API keys: anyone who can reach this port can "
        f"use the model. Pass --api-key-file FILE or set {API_KEYS_ENV}."
    )
