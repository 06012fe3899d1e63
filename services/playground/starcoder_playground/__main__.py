"""``python -m starcoder_playground --serve-url http://127.0.0.1:8000 --port 7860``.

``--api-key KEY`` (or ``$STARCODER_API_KEYS``) for a serve app that requires keys.
"""

from __future__ import annotations

import argparse
import os


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serve-url", default="http://127.0.0.1:8000")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--open-browser", action="store_true")
    parser.add_argument(
        "--api-key", default=None, help="the serve app's API key (default: $STARCODER_API_KEYS)"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from .ui import build_playground

    build_playground(args.serve_url, api_key=args.api_key).launch(
        server_name=args.host, server_port=args.port, inbrowser=args.open_browser
    )


if __name__ == "__main__":
    main()
