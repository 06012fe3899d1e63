"""Notebooks into StarCoder's jupyter-scripts and jupyter-structured forms."""

from __future__ import annotations

import hashlib
import json

import pytest
from starcoder_data.notebooks import (
    JUPYTER_SCRIPTS,
    JUPYTER_STRUCTURED,
    NotebookConfig,
    NotebookConverter,
    convert_notebook,
)
from starcoder_data.schema import FILE_SCHEMA, file_table

PYTHON_METADATA = {
    "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
    "language_info": {"name": "python", "file_extension": ".py"},
}


def _markdown(source):
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def _code(source, outputs=()):
    return {
        "cell_type": "code",
        "metadata": {},
        "execution_count": None,
        "source": source,
        "outputs": list(outputs),
    }


def _notebook(cells, metadata=PYTHON_METADATA) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": metadata, "cells": cells})


STREAM = {"output_type": "stream", "name": "stdout", "text": ["1\n"]}
RESULT = {
    "output_type": "execute_result",
    "execution_count": 2,
    "metadata": {},
    "data": {"text/plain": ["2"]},
}
IMAGE = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBORw0KGgo="}}

NOTEBOOK = _notebook(
    [
        _markdown(["# Load\n", "Read the data."]),
        _code(["x = 1\n", "print(x)"], [STREAM]),
        _code("x + 1", [RESULT]),
        _markdown("Plot it."),
        _code("plot(x)", [IMAGE]),
        _code(""),
        _code("y = 2"),
        _markdown("The end."),
    ]
)

SCRIPT = (
    "# # Load\n# Read the data.\n\nx = 1\nprint(x)\n\nx + 1\n\n# Plot it.\n\nplot(x)\n\n\n\n"
    "y = 2\n\n# The end.\n"
)
STRUCTURED = (
    "<jupyter_start><jupyter_text># Load\nRead the data.<jupyter_code>x = 1\nprint(x)\nx + 1"
    "<jupyter_output>2<jupyter_text>Plot it.<jupyter_code>plot(x)\ny = 2"
    "<jupyter_output><empty_output>"
)


def test_notebook_becomes_script_and_structured_text():
    assert convert_notebook(NOTEBOOK, NotebookConfig()) == [
        (JUPYTER_SCRIPTS, SCRIPT, None),
        (JUPYTER_STRUCTURED, STRUCTURED, None),
    ]


def test_stream_output_and_leading_code_without_text():
    notebook = _notebook([_code("print(1)", [STREAM]), _markdown("Done.")])
    [_, structured] = convert_notebook(notebook, NotebookConfig())
    assert structured == (
        JUPYTER_STRUCTURED,
        "<jupyter_start><jupyter_code>print(1)<jupyter_output>1",
        None,
    )


def test_long_output_is_cut_with_a_mark():
    long_stream = {"output_type": "stream", "name": "stdout", "text": "ab" * 10}
    notebook = _notebook([_code("show()", [long_stream])])
    config = NotebookConfig(emit_scripts=False, max_output_chars=5)
    assert convert_notebook(notebook, config) == [
        (
            JUPYTER_STRUCTURED,
            "<jupyter_start><jupyter_code>show()<jupyter_output>ababa[...]",
            None,
        )
    ]


def test_script_header_is_kept_when_asked():
    notebook = _notebook([_code("x = 1")])
    config = NotebookConfig(emit_structured=False, script_metadata_header=True)
    [(language, script, reason)] = convert_notebook(notebook, config)
    assert (language, reason) == (JUPYTER_SCRIPTS, None)
    assert script.startswith("# ---\n# jupyter:\n")
    assert script.endswith("# ---\n\nx = 1\n")


def test_r_notebook_script_in_r_and_no_structured_form():
    metadata = {"kernelspec": {"name": "ir", "language": "R", "display_name": "R"}}
    notebook = _notebook([_markdown("Sum."), _code("sum(1:3)")], metadata=metadata)
    assert convert_notebook(notebook, NotebookConfig()) == [
        (JUPYTER_SCRIPTS, "# Sum.\n\nsum(1:3)\n", None),
        (JUPYTER_STRUCTURED, None, "notebook:not_python"),
    ]


def test_notebook_without_language_is_written_as_python():
    notebook = _notebook([_code("x = 1")], metadata={})
    config = NotebookConfig(structured_python_only=False)
    assert convert_notebook(notebook, config) == [
        (JUPYTER_SCRIPTS, "x = 1\n", None),
        (
            JUPYTER_STRUCTURED,
            "<jupyter_start><jupyter_code>x = 1<jupyter_output><empty_output>",
            None,
        ),
    ]


def test_markdown_only_notebook_has_no_structured_form():
    notebook = _notebook([_markdown("Only prose.")])
    assert convert_notebook(notebook, NotebookConfig()) == [
        (JUPYTER_SCRIPTS, "# Only prose.\n", None),
        (JUPYTER_STRUCTURED, None, "notebook:no_code"),
    ]


def test_nbformat_3_is_upgraded():
    notebook = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {"name": ""},
        "worksheets": [
            {
                "metadata": {},
                "cells": [
                    {
                        "cell_type": "code",
                        "language": "python",
                        "input": ["print(1)"],
                        "outputs": [{"output_type": "stream", "stream": "stdout", "text": ["1\n"]}],
                        "collapsed": False,
                        "metadata": {},
                    }
                ],
            }
        ],
    }
    config = NotebookConfig(structured_python_only=False)
    assert convert_notebook(json.dumps(notebook), config) == [
        (JUPYTER_SCRIPTS, "print(1)\n", None),
        (JUPYTER_STRUCTURED, "<jupyter_start><jupyter_code>print(1)<jupyter_output>1", None),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        "[]",
        '{"nbformat": 5, "nbformat_minor": 0, "metadata": {}, "cells": []}',
        '{"name": "package", "version": "1.0.0"}',
        '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "x"}]}',
    ],
)
def test_malformed_notebook_is_one_dropped_row(text):
    assert convert_notebook(text, NotebookConfig()) == [("jupyter", None, "notebook:malformed")]


def test_notebook_without_cells_is_empty():
    assert convert_notebook(_notebook([]), NotebookConfig()) == [
        ("jupyter", None, "notebook:empty")
    ]
    blank = _notebook([_code(""), _markdown([])])
    assert convert_notebook(blank, NotebookConfig()) == [("jupyter", None, "notebook:empty")]


def test_config_must_emit_a_form():
    with pytest.raises(ValueError):
        NotebookConfig(emit_scripts=False, emit_structured=False)


def _row(path, language, content, drop_reason=None):
    return {
        "repo": "o/r",
        "path": path,
        "source": "test:o/r",
        "license": "MIT",
        "license_source": "LICENSE",
        "size": 123,
        "language": language,
        "content": content,
        "content_hash": None if content is None else "h",
        "drop_reason": drop_reason,
    }


def test_converter_replaces_live_notebooks_in_place():
    batch = file_table(
        [
            _row("a.py", "python", "x = 1\n"),
            _row("nb.ipynb", "jupyter", NOTEBOOK),
            _row("bad.ipynb", "jupyter", "{"),
            _row("gone.ipynb", "jupyter", None, drop_reason="license:no_license"),
            _row("b.py", "python", "y = 2\n"),
        ]
    )
    out = NotebookConverter(NotebookConfig())(batch)
    assert out.schema == FILE_SCHEMA
    assert out.num_rows - batch.num_rows == 1  # rows added by the stage
    assert out.select(["path", "language", "drop_reason"]).to_pylist() == [
        {"path": "a.py", "language": "python", "drop_reason": None},
        {"path": "nb.ipynb", "language": JUPYTER_SCRIPTS, "drop_reason": None},
        {"path": "nb.ipynb", "language": JUPYTER_STRUCTURED, "drop_reason": None},
        {"path": "bad.ipynb", "language": "jupyter", "drop_reason": "notebook:malformed"},
        {"path": "gone.ipynb", "language": "jupyter", "drop_reason": "license:no_license"},
        {"path": "b.py", "language": "python", "drop_reason": None},
    ]
    rows = out.to_pylist()
    assert rows[1]["content"] == SCRIPT
    assert rows[2]["content"] == STRUCTURED
    assert rows[2]["content_hash"] == hashlib.sha256(STRUCTURED.encode()).hexdigest()
    assert rows[3]["content"] is None and rows[3]["content_hash"] is None
    assert {(r["license"], r["size"], r["source"]) for r in rows[1:3]} == {("MIT", 123, "test:o/r")}


def test_converter_leaves_batches_without_notebooks_untouched():
    batch = file_table([_row("a.py", "python", "x = 1\n")])
    assert NotebookConverter(NotebookConfig())(batch) is batch
    empty = FILE_SCHEMA.empty_table()
    assert NotebookConverter(NotebookConfig())(empty).num_rows == 0
