"""The Gradio playground: a completion tab and an infilling tab with streamed output.

It is a plain client of the serve app (:class:`.client.PlaygroundClient`), so
it runs anywhere the API is reachable: beside it on the cluster or on a laptop.
"""

from __future__ import annotations

from collections.abc import Iterator

from .attribution_view import ATTRIBUTION_OPTIONS, render_attribution
from .client import CompletionSettings, PlaygroundClient, ServeError

__all__ = ["build_playground", "parse_stop"]

EXAMPLE_PREFIX = "def fibonacci(n):\n    "
EXAMPLE_INFILL_PREFIX = "def average(values):\n    "
EXAMPLE_INFILL_SUFFIX = "\n    return total / len(values)\n"


def parse_stop(text: str) -> tuple[str, ...]:
    """Stop sequences from a text box: one per line, ``\\n`` written as a backslash-n."""
    return tuple(line.replace("\\n", "\n") for line in text.splitlines() if line)


def _settings(max_tokens, temperature, top_p, seed, stop) -> CompletionSettings:
    return CompletionSettings(
        max_tokens=int(max_tokens),
        temperature=float(temperature),
        top_p=float(top_p),
        seed=None if seed in (None, "") else int(seed),
        stop=parse_stop(stop or ""),
    )


def build_playground(
    serve_url: str, *, api_key: str | None = None, title: str = "StarCoder playground"
):
    """The Gradio ``Blocks`` app, talking to the serve app at ``serve_url`` (with ``api_key``)."""
    import gradio as gr

    client = PlaygroundClient(serve_url, api_key=api_key)

    def stream(prompt, suffix, attribute, *settings) -> Iterator[tuple[str, str]]:
        options = ATTRIBUTION_OPTIONS if attribute else None
        try:
            for text, found in client.stream_attributed(
                prompt, _settings(*settings), suffix=suffix, attribution=options
            ):
                yield text, render_attribution(text, found)
        except ServeError as error:
            raise gr.Error(str(error)) from error

    def complete(prompt, attribute, *settings):
        yield from stream(prompt, None, attribute, *settings)

    with gr.Blocks(title=title) as demo:
        gr.Markdown(f"# {title}\nServed by `{serve_url}` (OpenAI-compatible `/v1/completions`).")
        with gr.Accordion("Generation settings", open=True):
            with gr.Row():
                max_tokens = gr.Slider(1, 512, value=64, step=1, label="Max new tokens")
                temperature = gr.Slider(0.0, 2.0, value=0.2, step=0.05, label="Temperature")
                top_p = gr.Slider(0.05, 1.0, value=0.95, step=0.05, label="Top-p")
            with gr.Row():
                seed = gr.Number(value=0, precision=0, label="Seed")
                stop = gr.Textbox(value="", lines=2, label="Stop sequences (one per line, \\n)")
            attribute = gr.Checkbox(
                value=False,
                label="Attribution: look the completion up in the training data, flag secrets",
                elem_id="attribute",
            )
        settings = [max_tokens, temperature, top_p, seed, stop]
        with gr.Tab("Completion"):
            prompt = gr.Textbox(EXAMPLE_PREFIX, lines=8, label="Code", elem_id="prompt")
            complete_button = gr.Button("Complete", variant="primary", elem_id="complete")
            completion = gr.Textbox(lines=10, label="Completion", elem_id="completion")
            completion_sources = gr.HTML(elem_id="completion-attribution")
        with gr.Tab("Infill"):
            prefix = gr.Textbox(
                EXAMPLE_INFILL_PREFIX, lines=6, label="Before the gap", elem_id="prefix"
            )
            suffix = gr.Textbox(
                EXAMPLE_INFILL_SUFFIX, lines=6, label="After the gap", elem_id="suffix"
            )
            infill_button = gr.Button("Fill in the middle", variant="primary", elem_id="infill")
            middle = gr.Textbox(lines=6, label="Middle", elem_id="middle")
            middle_sources = gr.HTML(elem_id="middle-attribution")
        complete_button.click(
            complete, [prompt, attribute, *settings], [completion, completion_sources]
        )
        infill_button.click(
            stream, [prefix, suffix, attribute, *settings], [middle, middle_sources]
        )
    return demo
