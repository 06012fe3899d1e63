"""Recall-first secrets: the learned system may add spans, never drop a rule-based key or password.

The model here is real (a micro StarEncoder NER head whose bias makes it call
every token ``O``), so it dislikes the key exactly as a trained model that
misreads a line would, and the detectors and the redactor are the ones
``redact_pii.py`` runs.
"""

import json

import pyarrow as pa
import pytest
from starcoder_pii.detectors import BaselineDetector
from starcoder_pii.encoder import build_ner_model, load_encoder_tokenizer, save_hf
from starcoder_pii.learned import (
    LearnedConfig,
    LearnedDetector,
    read_learned_config,
    recall_first,
    write_learned_config,
)
from starcoder_pii.ner.detector import NerConfig, NerDetector
from starcoder_pii.ner.windows import LABEL_IDS, LABELS, WindowConfig
from starcoder_pii.redact import redact
from starcoder_pii.stage import PiiRedactor, RedactorConfig

KEY = "AKIA4J7ZQX2M5NBVK3WP"
PASSWORD = "Jaguar#8812"
TEXT = f'import boto3\nAWS_ACCESS_KEY_ID = "{KEY}"\ndb = connect(password="{PASSWORD}")\n'
CALIBRATED = LearnedConfig(verify={"KEY": 0.9, "PASSWORD": 0.9}, accept={})


@pytest.fixture(scope="module")
def sceptical_model(micro_encoder_dir, tmp_path_factory):
    """A NER model that scores every token as not-PII, saved with calibrated veto thresholds."""
    model = build_ner_model(micro_encoder_dir, list(LABELS))
    model.classifier.bias.data[LABEL_IDS["O"]] = 20.0  # P(O) ~ 1 everywhere
    directory = save_hf(
        model, load_encoder_tokenizer(micro_encoder_dir), tmp_path_factory.mktemp("ner")
    )
    (directory / "pii_task.json").write_text(json.dumps({"window": 64, "stride": 16}))
    write_learned_config(directory, CALIBRATED, {})
    return directory


def _ner(directory):
    return NerDetector(
        directory, NerConfig(windows=WindowConfig(window=64, stride=16), batch_size=2)
    )


def test_the_model_dislikes_the_rule_based_secrets(sceptical_model):
    baseline = BaselineDetector()(TEXT, "settings.py")
    assert {(s.label, s.value) for s in baseline} == {("KEY", KEY), ("PASSWORD", PASSWORD)}
    output = _ner(sceptical_model).analyse_batch([TEXT])[0]
    assert all(output.pii_probability(s.start, s.end) < 0.01 for s in baseline)
    veto = LearnedDetector(
        _ner(sceptical_model), BaselineDetector(), CALIBRATED, veto=("KEY", "PASSWORD")
    )
    assert veto(TEXT, "settings.py") == []  # with the veto switched on, both would leak


def test_learned_detector_keeps_every_rule_based_secret_by_default(sceptical_model):
    thresholds = read_learned_config(sceptical_model)
    assert thresholds.verify == {"KEY": 0.9, "PASSWORD": 0.9}
    detector = LearnedDetector(_ner(sceptical_model), BaselineDetector(), thresholds)
    found = detector(TEXT, "settings.py")
    assert {(s.label, s.value) for s in found} == {("KEY", KEY), ("PASSWORD", PASSWORD)}
    redacted = redact(TEXT, found).text
    assert KEY not in redacted and PASSWORD not in redacted
    assert '"<KEY>"' in redacted and '"<PASSWORD>"' in redacted


def test_redaction_job_stage_keeps_the_secrets(sceptical_model):
    config = RedactorConfig(detector="learned", model_dir=str(sceptical_model), ner_batch_size=2)
    out = PiiRedactor(config)(pa.table({"content": [TEXT], "path": ["settings.py"]}))
    content = out["content"][0].as_py()
    assert KEY not in content and PASSWORD not in content
    assert json.loads(out["pii_counts"][0].as_py()) == {"KEY": 1, "PASSWORD": 1}


def test_veto_is_explicit_and_validated():
    assert recall_first(CALIBRATED).verify == {"KEY": 0.0, "PASSWORD": 0.0}
    assert recall_first(CALIBRATED, ("KEY",)).verify == {"KEY": 0.9, "PASSWORD": 0.0}
    with pytest.raises(ValueError, match="EMAIL"):
        recall_first(CALIBRATED, ("EMAIL",))
    with pytest.raises(ValueError, match="key"):
        LearnedDetector(None, None, CALIBRATED, veto=("key",))


def test_learned_detector_adds_the_names_of_author_contexts(sceptical_model):
    detector = LearnedDetector(_ner(sceptical_model), BaselineDetector(), CALIBRATED)
    text = '__author__ = "Ana María Gómez"\n' + TEXT
    found = {(s.label, s.value) for s in detector(text, "settings.py")}
    assert found == {("NAME", "Ana María Gómez"), ("KEY", KEY), ("PASSWORD", PASSWORD)}


HEADER_KEY = "f4da12cb8a564148975f99d62bc014495e6a33d3"
CONTEXT_TEXT = (
    f"headers = {{'Authorization': 'token {HEADER_KEY}'}}\nsmtp.login(USER, 'Jaguar#8812')\n"
)


def test_a_key_only_the_context_rules_find_is_redacted_whatever_the_model_thinks(sceptical_model):
    assert BaselineDetector()(CONTEXT_TEXT, "client.py") == []  # the baseline misses both
    veto = LearnedDetector(
        _ner(sceptical_model), BaselineDetector(), CALIBRATED, veto=("KEY", "PASSWORD")
    )
    assert veto(CONTEXT_TEXT, "client.py") == []  # the model would drop both
    thresholds = read_learned_config(sceptical_model)
    found = LearnedDetector(_ner(sceptical_model), BaselineDetector(), thresholds)(
        CONTEXT_TEXT, "client.py"
    )
    assert {(s.label, s.value) for s in found} == {("KEY", HEADER_KEY), ("PASSWORD", "Jaguar#8812")}
    config = RedactorConfig(detector="learned", model_dir=str(sceptical_model), ner_batch_size=2)
    out = PiiRedactor(config)(pa.table({"content": [CONTEXT_TEXT], "path": ["client.py"]}))
    content = out["content"][0].as_py()
    assert HEADER_KEY not in content and "Jaguar#8812" not in content
    assert "'token <KEY>'" in content
