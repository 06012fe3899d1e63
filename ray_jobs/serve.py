"""Serve a checkpoint (OpenAI-compatible API on Ray Serve) and open the playground on it.

    python ray_jobs/serve.py                                   # outputs/pretrain/model
    python ray_jobs/serve.py --checkpoint /models/starcoderbase-1b --device cuda --num-gpus 1
    python ray_jobs/serve.py --no-playground --port 8000       # the API only
    python ray_jobs/serve.py --host 0.0.0.0 --api-key-file keys.txt   # for editors on the network

The API listens on --port (``/v1/completions``, ``/v1/chat/completions``,
``/v1/models``, TGI's ``/generate``, ``/health``, ``/docs``); the Gradio
playground on --playground-port talks to it over HTTP. With API keys
(``--api-key-file`` or ``STARCODER_API_KEYS``) every route but ``/health`` needs
``Authorization: Bearer KEY``; the playground sends the first key.
Ctrl-C stops both. On a cluster, ``serve deploy`` the app's config file instead
(docs/serving.md).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import webbrowser
from dataclasses import dataclass
from pathlib import Path

from starcoder_jobs.config import parse_config
from starcoder_jobs.ray_runtime import init_ray
from starcoder_serve.jobs import DEFAULT_ATTRIBUTION_INDEX, DEFAULT_CHECKPOINT, ServeJob


def parse_args(argv: list[str] | None) -> ServeJob:
    return parse_config(ServeJob, argv, __doc__.split("\n\n")[0])


@dataclass
class RunningServices:
    """The API (and the playground) started by :func:`start_services`; ``close`` stops both."""

    api_url: str
    playground_url: str | None
    playground: object | None = None

    def close(self) -> None:
        from ray import serve

        if self.playground is not None:
            self.playground.close()
        serve.shutdown()


def start_services(args: ServeJob) -> RunningServices:
    """Deploy the model on Ray Serve and launch the playground; return once both answer."""
    checkpoint = Path(args.checkpoint)
    if not (checkpoint / "config.json").is_file():
        sys.exit(
            f"no checkpoint at {checkpoint}: run `make pipeline` (it writes "
            f"{DEFAULT_CHECKPOINT}) or pass --checkpoint"
        )
    index = args.attribution_index
    if index is None and (Path(DEFAULT_ATTRIBUTION_INDEX) / "manifest.json").is_file():
        index = DEFAULT_ATTRIBUTION_INDEX
    if index is not None and not (Path(index) / "manifest.json").is_file():
        sys.exit(f"no attribution index at {index}: run ray_jobs/build_index.py first")
    from starcoder_serve.auth import exposure_warning, load_api_keys

    try:
        keys = load_api_keys(args.api_key_file)
    except (FileNotFoundError, OSError) as error:
        sys.exit(str(error))
    warning = exposure_warning(args.host, keys)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    init_ray(address=args.address)
    from ray import serve
    from starcoder_serve.app import build_app

    serve.start(http_options={"host": args.host, "port": args.port})
    settings = {
        "checkpoint": str(checkpoint.resolve()),
        "model_id": args.model_id,
        "device": args.device,
        "num_gpus": args.num_gpus,
        "max_replicas": args.max_replicas,
        "attribution_index": str(Path(index).resolve()) if index else None,
        "api_key_file": str(Path(args.api_key_file).resolve()) if args.api_key_file else None,
    }
    serve.run(build_app(settings), name="starcoder", route_prefix="/")
    api_url = f"http://{args.host}:{args.port}"
    print(f"API: {api_url}/v1/completions (docs: {api_url}/docs)", flush=True)
    if args.no_playground:
        return RunningServices(api_url, None)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from starcoder_playground import build_playground

    playground = build_playground(api_url, api_key=keys[0] if keys else None)
    playground.launch(
        server_name=args.host, server_port=args.playground_port, prevent_thread_lock=True
    )
    url = f"http://{args.host}:{args.playground_port}"
    print(f"Playground: {url}", flush=True)
    if not args.no_browser:
        webbrowser.open(url)
    return RunningServices(api_url, url, playground)


def serve_until_interrupted(services: RunningServices) -> None:
    """Block until Ctrl-C (or SIGTERM), then stop the playground and the API."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)  # `ray job stop` and `kill` stop it cleanly
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        services.close()


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    serve_until_interrupted(start_services(parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
