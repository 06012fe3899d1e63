import json

import pyarrow as pa
import pytest
from starcoder_pii.detectors import BaselineDetector
from starcoder_pii.stage import (
    COUNTS,
    STATUS,
    PiiRedactor,
    RedactorConfig,
    summarise,
)

PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEpAIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu3aumgsmQ4e3ubIBfZKvZNI3Lr9\n"
    "-----END RSA PRIVATE KEY-----\n"
)


def batch(contents, paths=None):
    paths = paths or [f"f{i}.py" for i in range(len(contents))]
    return pa.table({"repo": ["r"] * len(contents), "path": paths, "content": contents})


def test_redacts_counts_and_marks_each_file():
    out = PiiRedactor()(batch(['PASSWORD = "Tr0ub4dor&3"\nmail = "bob@gmail.com"\n', "x = 1\n"]))
    assert out["content"].to_pylist() == ['PASSWORD = "<PASSWORD>"\nmail = "<EMAIL>"\n', "x = 1\n"]
    assert out[STATUS].to_pylist() == ["redacted", "clean"]
    assert json.loads(out[COUNTS][0].as_py()) == {"EMAIL": 1, "PASSWORD": 1}


def test_bad_inputs_never_crash_and_are_all_kept():
    noise = bytes(range(256)).decode("latin-1") * 50
    invalid = b"caf\xe9 \xff\xfe password = 'x'".decode("utf-8", errors="replace")
    huge = "x = 1\n" * 200_000 + 'TOKEN = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"\n'
    out = PiiRedactor()(batch([noise, invalid, PEM, huge, None, ""]))
    assert out.num_rows == 6
    assert out["content"][2].as_py() == PEM.replace(PEM.splitlines()[1], "<KEY>")
    assert out["content"][3].as_py().endswith('TOKEN = "<KEY>"\n')
    assert out[STATUS].to_pylist() == ["clean", "clean", "redacted", "redacted", "clean", "clean"]


class _Flaky:
    """A detector that fails on one file, as a model might on pathological input."""

    name = "flaky"

    def __init__(self):
        self.baseline = BaselineDetector()

    def __call__(self, text, path):
        if "boom" in text:
            raise RuntimeError("model failure")
        return self.baseline(text, path)

    def detect_batch(self, texts, paths):
        return [self(t, p) for t, p in zip(texts, paths, strict=True)]


def test_an_error_on_one_file_falls_back_and_keeps_the_others():
    redactor = PiiRedactor()
    redactor.detector = _Flaky()
    out = redactor(batch(['boom; ip = "34.201.12.77"', 'ip = "34.201.12.77"']))
    assert out[STATUS].to_pylist() == ["baseline_fallback", "redacted"]
    assert "34.201.12.77" not in "".join(out["content"].to_pylist())


def test_error_in_every_detector_is_reported_not_raised():
    redactor = PiiRedactor()
    redactor.detector = redactor.baseline = _Flaky()
    out = redactor(batch(["boom", "fine = 1"]))
    assert out[STATUS].to_pylist() == ["error:RuntimeError", "clean"]
    assert out["content"].to_pylist() == ["boom", "fine = 1"]


def test_second_pass_changes_nothing():
    redactor = PiiRedactor(RedactorConfig(detector="baseline", keep_spans=True))
    once = redactor(batch(['KEY = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"', "a = 2"]))
    spans = json.loads(once["pii_spans"][0].as_py())
    assert [(s["label"], s["start"], s["end"]) for s in spans] == [("KEY", 7, 47)]
    again = redactor(once.drop_columns(["pii_passed"]))
    assert again["pii_passed"].to_pylist() == [True, True]
    assert again.drop_columns(["pii_passed"]).equals(once.drop_columns(["pii_passed"]))


def test_summary_of_a_rerun_counts_nothing_new():
    report = summarise(["redacted", "clean"], ['{"KEY": 2}', "{}"], [1, 1], [True, True])
    assert report["status"] == {"already_redacted": 2} and report["spans"]["KEY"] == 0


def test_summary_counts_statuses_and_classes():
    report = summarise(
        ["redacted", "clean", "error:ValueError", "baseline_fallback"],
        ['{"KEY": 2}', "{}", None, '{"EMAIL": 1}'],
        [10, 20, 30, 40],
    )
    assert report["files"] == 4 and report["bytes"] == 100
    assert report["status"] == {"baseline_fallback": 1, "clean": 1, "error": 1, "redacted": 1}
    assert report["errors"] == {"error:ValueError": 1}
    assert report["spans"]["KEY"] == 2 and report["files_with_pii"] == 2


def test_learned_detector_needs_a_model():
    with pytest.raises(ValueError, match="model_dir"):
        RedactorConfig(detector="ner")


def test_rules_detector_needs_no_model_and_redacts_what_the_context_says():
    text = "__author__ = 'Ann Lee'\nsmtp.login(USER, 'Jaguar#8812')\npassword = 'changeme'\n"
    out = PiiRedactor(RedactorConfig(detector="rules"))(batch([text]))
    assert out["content"][0].as_py() == (
        "__author__ = '<NAME>'\nsmtp.login(USER, '<PASSWORD>')\npassword = 'changeme'\n"
    )
    assert json.loads(out[COUNTS][0].as_py()) == {"NAME": 1, "PASSWORD": 1}
