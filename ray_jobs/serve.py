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
import sys
import threading
import webbrowser
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


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
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
    try:
        if args.no_playground:
            threading.Event().wait()
        else:
            _run_playground(api_url, args)
    except KeyboardInterrupt:
        pass
    finally:
        serve.shutdown()


def _run_playground(api_url: str, args: argparse.Namespace) -> None:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from starcoder_playground import build_playground

    url = f"http://{args.host}:{args.playground_port}"
    print(f"Playground: {url}", flush=True)
    if not args.no_browser:
        threading.Timer(3.0, webbrowser.open, (url,)).start()
    build_playground(api_url).launch(server_name=args.host, server_port=args.playground_port)


if __name__ == "__main__":
    main(sys.argv[1:])
