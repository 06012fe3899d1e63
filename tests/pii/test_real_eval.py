"""The real-file PII set: the data file's integrity, its separation from training, its scoring."""

from collections import Counter

import pytest
from starcoder_pii.detectors import BaselineDetector
from starcoder_pii.evaluate import count_leaks
from starcoder_pii.real_eval import (
    LEAK_CLASSES,
    PERMISSIVE_LICENSES,
    RealWindow,
    build_systems,
    disjoint_windows,
    evaluate_windows,
    excluded_repos,
    load_real_windows,
    read_records,
)
from starcoder_pii.spans import PII_CLASSES, PiiSpan


@pytest.fixture(scope="module")
def records():
    return read_records()


def test_every_span_is_in_range_and_matches_its_value(records):
    for record in records:
        text = record["text"]
        previous_end = 0
        for start, end, label, value in record["spans"]:
            assert 0 <= start < end <= len(text), record["id"]
            assert text[start:end] == value, (record["id"], value)
            assert label in PII_CLASSES, (record["id"], label)
            assert start >= previous_end, f"{record['id']}: spans overlap or are unsorted"
            previous_end = end
            assert value == value.strip(), f"{record['id']}: {value!r} has outer blanks"


def test_every_record_is_permissively_licensed_and_sourced(records):
    for record in records:
        assert record["license"] in PERMISSIVE_LICENSES, (record["id"], record["license"])
        assert record["source"].startswith("/usr/"), record["id"]
        assert record["package"], record["id"]
    assert len({r["id"] for r in records}) == len(records)


def test_flags_agree_with_the_spans(records):
    for record in records:
        assert record["hard_negative"] == (not record["spans"]), record["id"]
        assert isinstance(record["injected"], bool)
        assert 5 <= record["text"].count("\n") <= 60, record["id"]  # windows of whole lines
    injected = [s for r in records if r["injected"] for s in r["spans"]]
    assert {s[2] for s in injected} <= {"KEY", "PASSWORD", "IP_ADDRESS"}


def test_the_set_is_large_and_covers_every_class():
    windows = load_real_windows()
    labels = Counter(s.label for w in windows for s in w.spans)
    assert len(windows) >= 300 and sum(labels.values()) >= 800
    assert set(labels) == set(PII_CLASSES)
    assert sum(w.hard_negative for w in windows) >= 50
    real = load_real_windows(injected=False)
    assert real and not any(w.injected for w in real) and len(real) < len(windows)
    assert {"NAME", "EMAIL", "USERNAME"} <= {s.label for w in real for s in w.spans}


def test_no_window_comes_from_a_tree_the_training_corpus_reads():
    from starcoder_data.readers.local import local_corpus_roots

    roots = [root.path for root in local_corpus_roots() if not root.path.endswith(".zip")]
    windows = load_real_windows()
    for window in windows:
        assert not any(window.source.startswith(root + "/") for root in roots), window.id
    # packages that also install headers the corpus reads: their repos are to be skipped
    excluded = excluded_repos(windows)
    assert excluded == {repo for w in windows for repo in w.corpus_repos}
    assert "usr-include/openssl" in excluded  # libssl-dev's copyright is in the set
    apart = disjoint_windows(windows, {"usr-include/openssl"})
    assert [w.package for w in windows if w not in apart] == ["libssl-dev", "libssl-dev"]


def test_count_leaks_finds_values_left_anywhere():
    text = "k = 'Xk9mQ2vL8pR4tN7wZ3yB'\nprint('Xk9mQ2vL8pR4tN7wZ3yB')\nmail = 'bob@gmail.com'\n"
    key = PiiSpan(5, 25, "KEY", "Xk9mQ2vL8pR4tN7wZ3yB")
    mail = PiiSpan(text.index("bob"), text.index("bob") + 13, "EMAIL", "bob@gmail.com")
    half = text[:5] + "<KEY>" + text[25:]  # the repeat in print() was missed
    assert count_leaks([key, mail], half, LEAK_CLASSES) == {
        "EMAIL": {"gold": 1, "leaked": 1},
        "KEY": {"gold": 1, "leaked": 1},
        "PASSWORD": {"gold": 0, "leaked": 0},
        "IP_ADDRESS": {"gold": 0, "leaked": 0},
    }


def _window(id_, text, spans=()):
    return RealWindow(id_, "/usr/x.py", "x", "MIT", (), bool(spans), not spans, text, tuple(spans))


def test_evaluate_windows_counts_matches_leaks_and_touched_negatives():
    key_text = 'AWS_ACCESS_KEY_ID = "AKIA4J7ZQX2M5NBVK3WP"\nsmtp.login(USER, "Jaguar#8812")\n'
    key = PiiSpan(21, 41, "KEY", "AKIA4J7ZQX2M5NBVK3WP")
    pw_start = key_text.index("Jaguar")
    password = PiiSpan(pw_start, pw_start + 11, "PASSWORD", "Jaguar#8812")
    windows = [
        _window("secrets", key_text, [key, password]),
        _window("placeholder", "password = 'changeme'\n"),
        _window(
            "digest", "EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'\n"
        ),
    ]
    result = evaluate_windows(windows, BaselineDetector().detect_batch)
    assert result["overlap"]["KEY"]["tp"] == 1
    assert result["overlap"]["PASSWORD"]["fn"] == 1  # a positional login() password: no keyword
    assert result["leaks"]["KEY"] == {"gold": 1, "leaked": 0}
    assert result["leaks"]["PASSWORD"] == {"gold": 1, "leaked": 1}
    assert result["leaks"]["secrets"] == {"gold": 2, "leaked": 1}
    assert result["windows_leaking"] == ["secrets"]
    assert result["hard_negatives"] == 2
    assert result["hard_negatives_changed_ids"] == ["placeholder"]  # detect-secrets calls it one


def test_the_model_free_systems_run_on_the_whole_set_and_the_rules_leak_no_more():
    systems = build_systems()
    assert list(systems) == ["baseline", "rules"]
    result = evaluate_windows(load_real_windows(), systems["baseline"])
    assert result["overlap"]["NAME"]["tp"] == 0  # the baseline has no names
    assert result["overlap"]["EMAIL"]["recall"] > 0.95
    assert result["leaks"]["ALL"]["gold"] == sum(
        1 for w in load_real_windows() for s in w.spans if s.label in LEAK_CLASSES
    )
    rules = evaluate_windows(load_real_windows(), systems["rules"])
    for label in LEAK_CLASSES:
        assert rules["leaks"][label]["leaked"] <= result["leaks"][label]["leaked"]
    assert rules["hard_negatives_changed"] <= result["hard_negatives_changed"]


def test_the_training_sample_never_reads_the_sets_packages(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    from starcoder_pii.corpus import read_curated_sample

    held_out = sorted(excluded_repos())[0]
    table = pa.table(
        {
            "repo": [held_out, "other/project"],
            "path": ["AUTHORS", "main.c"],
            "content": ["Jane Roe <jane@roe.example>\n", "int main(void) { return 0; }\n"],
            "language": ["text", "c"],
            "size": [29, 30],
        }
    )
    pq.write_table(table, tmp_path / "part-0.parquet")
    assert [r["repo"] for r in read_curated_sample(tmp_path, 10_000)] == ["other/project"]
    everything = read_curated_sample(tmp_path, 10_000, exclude_repos=frozenset())
    assert sorted(r["repo"] for r in everything) == sorted([held_out, "other/project"])
