"""GitHub issues and commits: exact texts and drop reasons on inline records."""

from __future__ import annotations

import json
from dataclasses import replace

import pyarrow as pa
from starcoder_data.github import (
    CommitLicenseFilter,
    CommitsConfig,
    IssuesConfig,
    change_from_patch,
    detect_language,
    read_commits,
    read_issues,
    sample_keep,
    strip_email_reply,
    truncate_lines,
)
from starcoder_data.licenses import LicenseConfig
from starcoder_data.schema import FILE_SCHEMA, file_table

REPO_URL = "https://api.github.com/repos/octo-org/widgets"


def _write_lines(tmp_path, name: str, records: list) -> str:
    path = tmp_path / name
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _rows(batches) -> list[dict]:
    tables = list(batches)
    assert all(t.schema.equals(FILE_SCHEMA) for t in tables)
    return pa.concat_tables(tables).to_pylist() if tables else []


def _user(login: str, kind: str = "User") -> dict:
    return {"login": login, "type": kind}


def _issue(number: int, title: str, user: dict, body: str, comments: list, **extra) -> dict:
    return {
        "number": number,
        "title": title,
        "user": user,
        "body": body,
        "state": "open",
        "repository_url": REPO_URL,
        "comments_data": comments,
        **extra,
    }


LONG_BODY = "The widget crashes when resized below 10px. " * 5


def test_issue_is_formatted_anonymised_truncated_and_freed_of_bots(tmp_path):
    long_comment = "\n".join(f"line {i}" for i in range(100))
    record = _issue(
        7,
        "Crash on resize (reported by Alice)",
        _user("alice"),
        LONG_BODY + "cc @Bob",
        [
            {"user": _user("bob"), "body": "Thanks @alice, confirmed."},
            {"user": _user("dependabot[bot]"), "body": "Bumps widgets to 2.0"},
            {"user": _user("helper", "Bot"), "body": "Automated reply"},
            {"user": _user("codecov-io"), "body": "Coverage 90%"},
            {"user": _user("alice"), "body": long_comment},
        ],
        state="closed",
    )
    (row,) = _rows(read_issues(_write_lines(tmp_path, "i.jsonl", [record]), IssuesConfig()))
    tail = "\n".join(f"line {i}" for i in range(80, 100))
    head = "\n".join(f"line {i}" for i in range(60))
    assert row["content"] == (
        "<issue_start>Title: Crash on resize (reported by username_0)\n"
        f"username_0: {LONG_BODY.strip()} cc @username_1"
        "<issue_comment>username_1: Thanks @username_0, confirmed."
        f"<issue_comment>username_0: {head}\n[Truncated]\n{tail}"
        "<issue_closed>"
    )
    assert row["drop_reason"] is None
    assert row["repo"] == "octo-org/widgets"
    assert row["path"] == "issues/7"
    assert row["language"] == "github-issues"
    assert row["source"] == f"issues:{tmp_path / 'i.jsonl'}"
    assert row["size"] == len(json.dumps(record).encode())
    assert len(row["content_hash"]) == 64


def test_issue_of_bots_only_is_dropped(tmp_path):
    only_bots = _issue(
        1,
        "Dependency update",
        _user("renovate[bot]"),
        LONG_BODY,
        [{"user": _user("codecov-io"), "body": LONG_BODY}],
    )
    (row,) = _rows(read_issues(_write_lines(tmp_path, "i.jsonl", [only_bots]), IssuesConfig()))
    assert (row["drop_reason"], row["content"]) == ("issues:bot", None)


def test_issue_opened_by_a_bot_keeps_its_human_events(tmp_path):
    # bigcode-dataset removes bot events, and the issue only when none is left.
    record = _issue(
        2,
        "Bump lodash from 4.17.15 to 4.17.21",
        _user("dependabot[bot]"),
        "Bumps lodash. Release notes and commits follow.",
        [
            {"user": _user("carol"), "body": LONG_BODY},
            {"user": _user("travis-ci"), "body": "Build passed"},
            {"user": _user("dave"), "body": "Merged, thanks @carol."},
        ],
        state="closed",
    )
    (row,) = _rows(read_issues(_write_lines(tmp_path, "i.jsonl", [record]), IssuesConfig()))
    assert row["drop_reason"] is None
    assert row["content"] == (
        "<issue_start>Title: Bump lodash from 4.17.15 to 4.17.21\n"
        f"username_0: {LONG_BODY.strip()}"
        "<issue_comment>username_1: Merged, thanks @username_0.<issue_closed>"
    )


GERMAN = (
    "Das Widget stürzt ab, wenn man das Fenster kleiner als zehn Pixel macht. "
    "Ich habe es mit der neuesten Version unter Linux und Windows ausprobiert, "
    "und jedes Mal kommt dieselbe Fehlermeldung. Weiß jemand, woran das liegt?"
)
JAPANESE = (
    "ウィンドウを十ピクセル未満に縮小すると、ウィジェットがクラッシュします。"
    "最新版をLinuxとWindowsの両方で試しましたが、毎回同じエラーが表示されます。"
    "原因に心当たりのある方はいらっしゃいますか。よろしくお願いします。"
)


def test_non_english_issues_are_removed(tmp_path):
    def issue(number, body, reply):
        return _issue(
            number, "Widget", _user("alice"), body, [{"user": _user("bob"), "body": reply}]
        )

    records = [
        issue(1, LONG_BODY, "Confirmed on my machine too."),
        issue(2, GERMAN, "Bei mir auch, danke für den Bericht."),
        issue(3, JAPANESE * 2, "私の環境でも再現しました。"),  # 200 characters at least
    ]
    path = _write_lines(tmp_path, "i.jsonl", records)
    rows = _rows(read_issues(path, IssuesConfig()))
    assert [r["drop_reason"] for r in rows] == [None, "issues:non_english", "issues:non_english"]
    assert all(r["content"] is None for r in rows[1:])
    every_language = _rows(read_issues(path, IssuesConfig(language=None)))
    assert [r["drop_reason"] for r in every_language] == [None, None, None]
    only_german = _rows(read_issues(path, IssuesConfig(language="de")))
    assert [r["drop_reason"] for r in only_german] == [
        "issues:other_language",
        None,
        "issues:other_language",
    ]


def test_language_id_runs_on_the_shipped_model():
    assert [detect_language(t) for t in (LONG_BODY, GERMAN, JAPANESE, "", " \n\t")] == [
        "en",
        "de",
        "ja",
        "unknown",
        "unknown",
    ]
    # Newlines are spaces to fastText; a text past MAX_CHARS is judged on its head.
    assert detect_language(GERMAN.replace(". ", ".\n")) == "de"
    assert detect_language(GERMAN * 100 + LONG_BODY * 1000) == "de"


def test_issue_size_and_user_filters(tmp_path):
    short = _issue(1, "Short", _user("alice"), "Too short to keep.", [])
    many = _issue(
        2, "Monologue", _user("alice"), "x" * 300, [{"user": _user("alice"), "body": "more"}] * 10
    )
    too_long = _issue(3, "Essay", _user("alice"), "y" * 7001, [])
    two_users = _issue(
        4, "Dialog", _user("alice"), "z" * 7001, [{"user": _user("bob"), "body": "ok"}]
    )
    path = _write_lines(tmp_path, "i.jsonl", [short, many, too_long, two_users])
    reasons = [r["drop_reason"] for r in _rows(read_issues(path, IssuesConfig()))]
    assert reasons == [
        "issues:too_short",
        "issues:single_user_too_many_events",
        "issues:single_user_too_long",
        None,
    ]


def test_issue_comments_may_be_given_under_comments(tmp_path):
    record = _issue(5, "Question", _user("alice"), LONG_BODY, [])
    del record["comments_data"]
    record["comments"] = [{"user": _user("bob"), "body": "Answer"}]
    (row,) = _rows(read_issues(_write_lines(tmp_path, "i.jsonl", [record]), IssuesConfig()))
    assert row["content"].endswith("<issue_comment>username_1: Answer")


def test_malformed_issue_lines_become_dropped_rows(tmp_path):
    good = _issue(9, "Fine", _user("alice"), LONG_BODY, [{"user": _user("bob"), "body": "yes"}])
    no_title = {k: v for k, v in good.items() if k != "title"}
    records = ["{not json", "[1, 2]", no_title, good, {**good, "user": None}]
    path = _write_lines(tmp_path, "i.jsonl", records)
    rows = _rows(read_issues(path, IssuesConfig(batch_rows=2)))
    assert [r["drop_reason"] for r in rows] == [
        "issues:malformed",
        "issues:malformed",
        "issues:malformed",
        None,
        "issues:malformed",
    ]
    assert [r["path"] for r in rows] == [
        "issues/line-1",
        "issues/line-2",
        "issues/9",
        "issues/9",
        "issues/9",
    ]
    assert rows[0]["repo"] == "" and rows[2]["repo"] == "octo-org/widgets"


def test_truncate_lines_keeps_first_60_and_last_20():
    text = "\n".join(str(i) for i in range(100))
    truncated = truncate_lines(text, 80, 20).split("\n")
    assert truncated[:60] == [str(i) for i in range(60)]
    assert truncated[60] == "[Truncated]"
    assert truncated[61:] == [str(i) for i in range(80, 100)]
    assert truncate_lines("a\nb", 80, 20) == "a\nb"


def test_email_reply_text_is_stripped_but_markdown_quotes_stay():
    email = (
        "Works for me now.\n\n"
        "On Mon, Jan 2, 2023 at 10:00 AM Alice <notifications@github.com> wrote:\n"
        "> Could you retry?\n"
        "Reply to this email directly, view it on GitHub"
    )
    assert strip_email_reply(email) == "Works for me now."
    assert strip_email_reply("I agree\n> quoted\nmore") == "I agree\n> quoted\nmore"


PATCH = (
    "@@ -1,4 +1,4 @@\n"
    " def area(r):\n"
    "-    return 3.14 * r * r\n"
    "+    return math.pi * r ** 2\n"
    " \n"
    " \n"
    "\\ No newline at end of file"
)


def _commit(files: list, message: str = "Use math.pi for the circle area", **extra) -> dict:
    return {
        "sha": "a1b2c3",
        "commit": {"message": message},
        "html_url": "https://github.com/octo-org/widgets/commit/a1b2c3",
        "files": files,
        **extra,
    }


KEEP_ALL = CommitsConfig(small_change_keep=1.0, short_subject_keep=1.0)


def test_commit_text_from_a_patch(tmp_path):
    record = _commit([{"filename": "geo/area.py", "status": "modified", "patch": PATCH}])
    (row,) = _rows(read_commits(_write_lines(tmp_path, "c.jsonl", [record]), KEEP_ALL))
    assert row["content"] == (
        "<commit_before>def area(r):\n    return 3.14 * r * r\n\n\n"
        "<commit_msg>Use math.pi for the circle area"
        "<commit_after>def area(r):\n    return math.pi * r ** 2\n\n\n"
    )
    assert row["repo"] == "octo-org/widgets"
    assert row["path"] == "commits/a1b2c3/geo/area.py"
    assert row["language"] == "git-commits"
    assert row["source"] == f"commits:{tmp_path / 'c.jsonl'}"


def test_change_span_counts_lines_across_hunks():
    patch = "@@ -1,2 +1,2 @@\n-a\n+b\n c\n@@ -300,2 +300,2 @@\n d\n-e\n+f\n"
    change = change_from_patch(patch)
    assert (change.before, change.after, change.span) == ("a\nc\nd\ne\n", "b\nc\nd\nf\n", 301)
    assert change_from_patch("not a diff") is None


def test_commit_with_full_contents_whole_file_or_window(tmp_path):
    old = "".join(f"l{i}\n" for i in range(10))
    new = old.replace("l5\n", "L5\n")
    file = {"filename": "a.py", "old_contents": old, "new_contents": new}
    path = _write_lines(tmp_path, "c.jsonl", [_commit([file])])
    (whole,) = _rows(read_commits(path, replace(KEEP_ALL, full_file_keep=1.0)))
    assert (
        whole["content"]
        == f"<commit_before>{old}<commit_msg>Use math.pi for the circle area<commit_after>{new}"
    )
    config = replace(KEEP_ALL, full_file_keep=0.0, max_window_lines=0)
    (window,) = _rows(read_commits(path, config))
    assert (
        window["content"]
        == "<commit_before>l5\n<commit_msg>Use math.pi for the circle area<commit_after>L5\n"
    )


def test_commit_message_and_shape_filters(tmp_path):
    patch_file = {"filename": "a.py", "patch": PATCH}
    records = [
        "{broken",
        {"sha": "x", "files": []},
        _commit([], message="Add things"),
        _commit([patch_file], message="   \n"),
        _commit([patch_file], message="Update README.md"),
        _commit([patch_file], message="v1.2.3"),
        _commit([patch_file], message="0123456789abcdef0123456789abcdef"),
        _commit([{"filename": "bin.py", "status": "added"}]),
        _commit([patch_file, {"filename": "b.py", "patch": PATCH}]),
        _commit([{"filename": "logo.png", "patch": PATCH}]),
        _commit([{"filename": "notes.txt", "patch": PATCH}, patch_file]),
    ]
    rows = _rows(read_commits(_write_lines(tmp_path, "c.jsonl", records), KEEP_ALL))
    assert [(r["path"], r["drop_reason"]) for r in rows] == [
        ("commits/line-1", "commits:malformed"),
        ("commits/line-2", "commits:malformed"),
        ("commits/a1b2c3", "commits:no_files"),
        ("commits/a1b2c3/a.py", "commits:empty_message"),
        ("commits/a1b2c3/a.py", "commits:automatic_message"),
        ("commits/a1b2c3/a.py", "commits:version_message"),
        ("commits/a1b2c3/a.py", "commits:hash_message"),
        ("commits/a1b2c3/bin.py", "commits:no_diff"),
        ("commits/a1b2c3/a.py", "commits:multi_file"),
        ("commits/a1b2c3/b.py", "commits:multi_file"),
        ("commits/a1b2c3/logo.png", "commits:extension_not_listed"),
        ("commits/a1b2c3/notes.txt", "commits:extension_not_listed"),
        ("commits/a1b2c3/a.py", "commits:multi_file"),
    ]
    assert all(r["content"] is None for r in rows)


def test_sampling_is_deterministic_and_seeded():
    shas = [f"{i:040x}" for i in range(2000)]
    first = [sample_keep(0, sha, "a.py", "small_change", 0.5) for sha in shas]
    assert first == [sample_keep(0, sha, "a.py", "small_change", 0.5) for sha in shas]
    assert first != [sample_keep(1, sha, "a.py", "small_change", 0.5) for sha in shas]
    assert 900 < sum(first) < 1100
    assert all(sample_keep(0, sha, "a.py", "r", 1.0) for sha in shas)
    assert not any(sample_keep(0, sha, "a.py", "r", 0.0) for sha in shas)


def test_small_change_sampling_drops_with_reason_and_repeats(tmp_path):
    records = [
        {**_commit([{"filename": "a.py", "patch": PATCH}]), "sha": f"{i:040x}"} for i in range(40)
    ]
    path = _write_lines(tmp_path, "c.jsonl", records)
    config = CommitsConfig(short_subject_keep=1.0)
    reasons = [r["drop_reason"] for r in _rows(read_commits(path, config))]
    assert reasons == [r["drop_reason"] for r in _rows(read_commits(path, config))]
    assert set(reasons) == {None, "commits:small_change"}


def test_commit_license_comes_from_the_record_and_filters_commits_only(tmp_path):
    file = {"filename": "a.py", "patch": PATCH}
    records = [
        {**_commit([file]), "license": "MIT"},
        {**_commit([file]), "repository": {"license": {"spdx_id": "Apache-2.0"}}},
        {**_commit([file]), "license": "GPL-3.0-only"},
        {**_commit([file]), "repository": {"license": None}},
        {
            **_commit([file]),
            "license": "  ",
            "repository": {"license": {"spdx_id": "BSD-3-Clause"}},
        },
    ]
    commits = pa.concat_tables(read_commits(_write_lines(tmp_path, "c.jsonl", records), KEEP_ALL))
    assert commits["license"].to_pylist() == [
        "MIT",
        "Apache-2.0",
        "GPL-3.0-only",
        None,
        "BSD-3-Clause",
    ]
    issue = _issue(1, "Crash", _user("alice"), LONG_BODY, [{"user": _user("bob"), "body": "Same"}])
    issues = pa.concat_tables(
        read_issues(_write_lines(tmp_path, "i.jsonl", [issue]), IssuesConfig())
    )
    batch = pa.concat_tables([commits, issues])
    reasons = CommitLicenseFilter(LicenseConfig())(batch)["drop_reason"].to_pylist()
    assert reasons == [
        None,
        None,
        "license:not_permissive",
        "license:no_license",
        None,
        None,  # an issue carries no license and is not judged by it
    ]
    keep_all = CommitLicenseFilter(LicenseConfig(policy="any"))(batch)
    assert keep_all["drop_reason"].to_pylist() == [None] * 6


def test_commit_license_filter_on_an_empty_batch():
    empty = file_table([])
    assert CommitLicenseFilter(LicenseConfig())(empty).num_rows == 0


def test_language_id_loads_only_the_model_inside_the_wheel():
    from starcoder_data.github.language_id import _detector

    detect_language(LONG_BODY)
    # "low_memory" is the packaged lid.176.ftz; "high_memory" would be the downloaded .bin.
    assert list(_detector()._models) == ["low_memory"]
    assert _detector().config.max_input_length is None
