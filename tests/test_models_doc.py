"""docs/models.md shows the model-family table exactly as ``starcoder_data.families`` has it."""

from __future__ import annotations

from pathlib import Path

from starcoder_data.families import FAMILIES, ModelFamily

MODELS_DOC = Path(__file__).resolve().parents[1] / "docs" / "models.md"
HEADER = (
    "| family | `model_type` | FIM prompt | middle ends at | end of text | stop tokens "
    "| metadata tokens | LoRA targets | released checkpoints |\n"
    "|---|---|---|---|---|---|---|---|---|"
)


def _code(text: str | None) -> str:
    """A Markdown code span; ``|`` escaped so a token like ``<|endoftext|>`` stays in its cell."""
    return f"`{text.replace('|', chr(92) + '|')}`" if text else "none"


def family_row(family: ModelFamily) -> str:
    fim = family.fim_prompt("PRE", "SUF") if family.fim else None
    middle = family.fim.end_of_middle if family.fim and family.fim.end_of_middle else None
    cells = [
        family.name,
        ", ".join(_code(t) for t in family.model_types),
        _code(fim),
        _code(middle or family.end_of_text),
        _code(family.end_of_text),
        " ".join(_code(t) for t in family.stop_tokens) or "none",
        "yes" if family.metadata_tokens else "no",
        ", ".join(family.lora_targets) or "none",
        ", ".join(family.examples),
    ]
    return "| " + " | ".join(cells) + " |"


def family_table() -> str:
    return "\n".join([HEADER, *(family_row(f) for f in FAMILIES)])


def test_the_models_page_shows_the_family_table_of_the_code():
    assert family_table() in MODELS_DOC.read_text(encoding="utf-8"), (
        "docs/models.md is out of date; paste this table into it:\n" + family_table()
    )
