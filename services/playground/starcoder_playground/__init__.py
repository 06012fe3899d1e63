"""The Gradio playground: completion and infilling against the serve app, over HTTP only."""

from .client import CompletionSettings, PlaygroundClient, ServeError
from .ui import build_playground, parse_stop

__all__ = ["CompletionSettings", "PlaygroundClient", "ServeError", "build_playground", "parse_stop"]
