"""Serve a checkpoint (OpenAI-compatible API on Ray Serve) and open the playground on it.

    python ray_jobs/serve.py                                   # outputs/pretrain/model
    python ray_jobs/serve.py --checkpoint /models/starcoderbase-1b --device cuda --num-gpus 1
    python ray_jobs/serve.py --no-playground --port 8000       # the API only

The API listens on --port (``/v1/completions``, ``/v1/models``, ``/health``,
``/docs``); the Gradio playground on --playground-port talks to it over HTTP.
Ctrl-C stops both. On a cluster, ``serve deploy`` the app's config file instead
(docs/serving.md).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import webbrowser
from dataclasses import dataclass
from pathlib import Path

from _cluster import init_ray

DEFAULT_CHECKPOINT = "outputs/pretrain/model"
DEFAULT_ATTRIBUTION_INDEX = "outputs/attribution"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT)
    parser.add_argument("--model-id", default=None, help="default: the checkpoint's folder name")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--playground-port", type=int, default=7860)
    parser.add_argument("--no-playground", action="store_true")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--num-gpus", type=float, default=0.0, help="per replica")
    parser.add_argument("--max-replicas", type=int, default=1)
    parser.add_argument("--address", default=None, help="a running Ray cluster")
    parser.add_argument(
        "--attribution-index",
        default=None,
        help=f"index from build_index.py (default: {DEFAULT_ATTRIBUTION_INDEX} when it exists)",
    )
    return parser.parse_args(argv)


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


def start_services(args: argparse.Namespace) -> RunningServices:
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
    }
    serve.run(build_app(settings), name="starcoder", route_prefix="/")
    api_url = f"http://{args.host}:{args.port}"
    print(f"API: {api_url}/v1/completions (docs: {api_url}/docs)", flush=True)
    if args.no_playground:
        return RunningServices(api_url, None)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from starcoder_playground import build_playground

    playground = build_playground(api_url)
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


def main(argv: list[str] | None = None) -> None:
    serve_until_interrupted(start_services(parse_args(argv)))


if __name__ == "__main__":
    main(sys.argv[1:])
