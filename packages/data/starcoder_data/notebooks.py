"""Jupyter notebooks in the two training forms of StarCoder (Li et al. 2023, section 3.3).

* ``jupyter-scripts``: the notebook as a script in its kernel's language,
  written by Jupytext (markdown becomes comments). StarCoder let Jupytext pick
  the script from the kernel's file extension (bigcode-dataset
  ``preprocessing/jupyter-scripts/jupytext_conversion.py``), which gives the
  ``light`` format; notebooks without language information were guessed with
  Guesslang, here they are written as Python.
* ``jupyter-structured``: ``<jupyter_start>`` then, for each run of markdown
  cells followed by a run of code cells, ``<jupyter_text>`` markdown,
  ``<jupyter_code>`` code and ``<jupyter_output>`` the output of the run's last
  code cell, or ``<empty_output>``. Only Python notebooks were kept, cells with
  no source were skipped, a trailing markdown run (no code after it) was left
  out, and outputs were cut at 1000 characters with ``[...]``
  (bigcode-dataset ``preprocessing/jupyter-structured/``). Only text outputs
  count: a stream's text or a result's ``text/plain``; images and errors read
  as no output.

:class:`NotebookConverter` replaces each live notebook row by one row per form
(same repo, path, license, source and size; new ``language``, ``content`` and
``content_hash``), so a batch grows by one row per converted notebook when both
forms are on: the rows a run added are ``rows out - rows in`` of this stage,
and the report can state ``in = files read + rows added``. A form that cannot
be made for a notebook stays as a dropped row (``notebook:<reason>``), so the
count does not depend on the notebook's contents; only an unreadable
(``notebook:malformed``) or cell-less (``notebook:empty``) notebook stays one
row.
"""

from __future__ import annotations

import hashlib
import itertools
import warnings
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .languages import JUPYTER
from .schema import CONTENT, CONTENT_HASH, DROP_REASON, LANGUAGE
from .stage import live_mask

STAGE = "notebook"
JUPYTER_SCRIPTS = "jupyter-scripts"
JUPYTER_STRUCTURED = "jupyter-structured"

MALFORMED = f"{STAGE}:malformed"  # not JSON, not a notebook, or an nbformat Jupyter cannot read
EMPTY = f"{STAGE}:empty"  # a valid notebook without a cell that has source
NOT_PYTHON = f"{STAGE}:not_python"  # structured form: StarCoder kept Python notebooks only
NO_CODE = f"{STAGE}:no_code"  # structured form: no code cell to pair text with
SCRIPT_FAILED = f"{STAGE}:script_failed"  # scripts form: Jupytext failed or wrote nothing

START, TEXT, CODE, OUTPUT, EMPTY_OUTPUT = (
    "<jupyter_start>",
    "<jupyter_text>",
    "<jupyter_code>",
    "<jupyter_output>",
    "<empty_output>",
)
TRUNCATION_MARK = "[...]"


@dataclass(frozen=True, kw_only=True)
class NotebookConfig:
    """Which forms to emit and how outputs are cut."""

    emit_scripts: bool = True  # StarCoder: both forms
    emit_structured: bool = True  # StarCoder: both forms
    script_format: str = "light"  # StarCoder: Jupytext's default for a script extension
    # StarCoder's scripts began with Jupytext's YAML header (kernelspec, Jupytext
    # version); it holds no code and changes with the Jupytext release, so it is off.
    script_metadata_header: bool = False
    structured_python_only: bool = True  # StarCoder: Python notebooks only
    max_output_chars: int = 1000  # StarCoder: outputs cut at 1000 characters, then "[...]"

    def __post_init__(self):
        if not (self.emit_scripts or self.emit_structured):
            raise ValueError("NotebookConfig emits no form: enable scripts or structured")


def read_notebook(text: str):
    """The notebook in ``text`` as nbformat 4 (3 is upgraded), or None if unreadable."""
    import nbformat

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            notebook = nbformat.reads(text, as_version=4)
        except Exception:  # nbformat raises many types on bad input; all mean "not a notebook"
            return None
    if not isinstance(notebook.get("cells"), list):
        return None
    return notebook


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _cells_with_source(notebook) -> list:
    return [cell for cell in notebook.cells if _source(cell)]


def _kernel_language(notebook) -> str:
    metadata = notebook.get("metadata", {})
    kernelspec = metadata.get("kernelspec", {}) or {}
    language_info = metadata.get("language_info", {}) or {}
    for value in (kernelspec.get("language"), language_info.get("name"), kernelspec.get("name")):
        if isinstance(value, str) and value:
            return value.lower()
    return ""


def to_script(notebook, config: NotebookConfig) -> str | None:
    """The notebook as a script in its kernel's language (Python when unknown), None on failure."""
    import jupytext
    from nbformat import NotebookNode

    if not config.script_metadata_header:
        metadata = {**notebook.metadata, "jupytext": {"notebook_metadata_filter": "-all"}}
        notebook = NotebookNode({**notebook, "metadata": NotebookNode(metadata)})
    for extension in ("auto", "py"):
        try:
            script = jupytext.writes(notebook, fmt=f"{extension}:{config.script_format}")
        except Exception:  # Jupytext raises format errors of many kinds; try the next extension
            continue
        return script if script.strip() else None
    return None


def _text_output(cell) -> str | None:
    """The first text output of a code cell: a stream's text or a result's ``text/plain``."""
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream":
            text = output.get("text")
        elif kind in ("execute_result", "display_data"):
            text = output.get("data", {}).get("text/plain")
        else:
            continue
        if text is not None:
            return "".join(text) if isinstance(text, list) else str(text)
    return None


def _format_output(output: str | None, max_chars: int) -> str:
    if output is None:
        return EMPTY_OUTPUT
    if len(output) > max_chars:
        output = output[:max_chars] + TRUNCATION_MARK
    return output.strip()


def to_structured(notebook, config: NotebookConfig) -> str | None:
    """StarCoder's structured text of the notebook, None when it has no code cell."""
    cells = [c for c in _cells_with_source(notebook) if c.cell_type in ("markdown", "code")]
    runs = [(kind, list(group)) for kind, group in itertools.groupby(cells, lambda c: c.cell_type)]
    if runs and runs[-1][0] == "markdown":
        runs.pop()
    if not runs:
        return None
    parts = [START]
    for kind, run in runs:
        if kind == "markdown":
            parts += [TEXT, "\n".join(_source(c) for c in run).strip()]
        else:
            output = _format_output(_text_output(run[-1]), config.max_output_chars)
            parts += [CODE, "\n".join(_source(c) for c in run).strip(), OUTPUT, output]
    return "".join(parts)


def _is_python(notebook) -> bool:
    return "python" in _kernel_language(notebook)


def _form(language: str, content: str | None, reason: str) -> tuple[str, str | None, str | None]:
    """(language, content, drop_reason) of one derived row: kept if ``content``, else dropped."""
    return (language, content, None) if content is not None else (language, None, reason)


def convert_notebook(text: str, config: NotebookConfig) -> list[tuple[str, str | None, str | None]]:
    """The rows one notebook becomes, as ``(language, content, drop_reason)``."""
    notebook = read_notebook(text)
    if notebook is None:
        return [(JUPYTER, None, MALFORMED)]
    if not _cells_with_source(notebook):
        return [(JUPYTER, None, EMPTY)]
    rows = []
    if config.emit_scripts:
        rows.append(_form(JUPYTER_SCRIPTS, to_script(notebook, config), SCRIPT_FAILED))
    if config.emit_structured:
        if config.structured_python_only and not _is_python(notebook):
            rows.append((JUPYTER_STRUCTURED, None, NOT_PYTHON))
        else:
            rows.append(_form(JUPYTER_STRUCTURED, to_structured(notebook, config), NO_CODE))
    return rows


def _sha256(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()


class NotebookConverter:
    """Stage replacing each live ``jupyter`` row by its scripts and structured rows.

    Other rows, and notebooks an earlier stage dropped, pass unchanged and in
    place; derived rows take the place of their notebook.
    """

    def __init__(self, config: NotebookConfig):
        self.config = config

    def __call__(self, batch: pa.Table) -> pa.Table:
        is_notebook = pc.fill_null(pc.equal(batch[LANGUAGE], JUPYTER), False)
        targets = np.flatnonzero(is_notebook.to_numpy(zero_copy_only=False) & live_mask(batch))
        if not len(targets):
            return batch
        notebooks = batch.take(pa.array(targets)).to_pylist()
        derived, order, cursor = [], [], batch.num_rows
        replaced = dict(zip(targets.tolist(), notebooks, strict=True))
        for row in range(batch.num_rows):
            if row not in replaced:
                order.append(row)
                continue
            record = replaced[row]
            for language, content, reason in convert_notebook(record[CONTENT], self.config):
                derived.append(
                    {
                        **record,
                        LANGUAGE: language,
                        CONTENT: content,
                        CONTENT_HASH: _sha256(content),
                        DROP_REASON: reason,
                    }
                )
                order.append(cursor)
                cursor += 1
        combined = pa.concat_tables([batch, pa.Table.from_pylist(derived, schema=batch.schema)])
        return combined.take(pa.array(order, pa.int64()))
