"""Opt-out: repos and owners removed case-insensitively, with exact reasons."""

from __future__ import annotations

import pytest
from starcoder_data.optout import OptOutConfig, OptOutFilter, OptOutListError, load_optout_list
from starcoder_data.schema import file_table


def _batch(repos: list[str]):
    rows = [
        {"repo": r, "path": "a.py", "source": "t", "size": 1, "content": "x = 1\n"} for r in repos
    ]
    return file_table(rows)


def test_load_optout_list_skips_comments_and_blanks(tmp_path):
    path = tmp_path / "optout.txt"
    path.write_text("# opted out\n\nSome-User\nOrg/Repo  # asked in 2023\n   \n")
    assert load_optout_list(path) == frozenset({"some-user", "org/repo"})


@pytest.mark.parametrize("bad", ["a/b/c", "/repo", "owner/", "two words"])
def test_malformed_lines_are_named(tmp_path, bad):
    path = tmp_path / "optout.txt"
    path.write_text(f"ok/repo\n{bad}\n")
    with pytest.raises(OptOutListError, match=r"optout.txt:2: expected 'owner' or 'owner/name'"):
        load_optout_list(path)


def test_repos_and_owners_are_dropped_with_their_reason(tmp_path):
    path = tmp_path / "optout.txt"
    path.write_text("gone-user\n")
    optout = OptOutFilter(OptOutConfig(path=str(path), entries=frozenset({"Org/Private"})))
    batch = optout(
        _batch(["org/private", "ORG/public", "Gone-User/anything", "gone-user", "other/repo", ""])
    )
    assert batch["drop_reason"].to_pylist() == [
        "optout:repo",
        None,
        "optout:owner",
        "optout:repo",  # a repo known only by its name (e.g. one folder of a directory source)
        None,
        None,
    ]
    assert batch["content"].to_pylist() == [None, "x = 1\n", None, None, "x = 1\n", "x = 1\n"]


def test_empty_config_keeps_everything():
    batch = OptOutFilter(OptOutConfig())(_batch(["a/b"]))
    assert batch["drop_reason"].to_pylist() == [None]
