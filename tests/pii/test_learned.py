import json

import numpy as np
from starcoder_pii.dataset import LabelledFile, carve_validation
from starcoder_pii.encoder import build_ner_model, load_encoder_tokenizer, save_hf
from starcoder_pii.learned import (
    NEVER,
    LearnedConfig,
    LearnedDetector,
    calibrate,
    combine,
    read_learned_config,
    write_learned_config,
)
from starcoder_pii.ner.detector import NerConfig, NerDetector, NerOutput
from starcoder_pii.ner.windows import LABEL_IDS, LABELS, WindowConfig
from starcoder_pii.spans import PiiSpan, span_at

TEXT = (
    'SRI = "sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC"\n'
    'API_KEY = "Xk9mQ2vL8pR4tN7wZ3yB"\n'
    "# Old key, rotated: Qz8Lm3Vx9Tr2Wp7Ks4Nb\n"
    "total = self.variance\n"
    'mail = "bob@gmail.com"\n'
)


def at(value: str, label: str, source: str = "", score: float = 1.0) -> PiiSpan:
    start = TEXT.index(value)
    span = span_at(TEXT, start, start + len(value), label, source)
    return PiiSpan(span.start, span.end, span.label, span.value, source, score)


SRI = "sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC"
BASELINE = [at(SRI, "KEY"), at("Xk9mQ2vL8pR4tN7wZ3yB", "KEY"), at("bob@gmail.com", "EMAIL")]
GOLD = (at("Xk9mQ2vL8pR4tN7wZ3yB", "KEY"), at("Qz8Lm3Vx9Tr2Wp7Ks4Nb", "KEY"))


def model_output(beliefs: dict[str, tuple[str, float]]) -> NerOutput:
    """One token per character; ``value -> (class, probability)``, every other token ``O``."""
    offsets = np.asarray([(i, i + 1) for i in range(len(TEXT))], np.int64)
    probs = np.zeros((len(TEXT), len(LABELS)), np.float32)
    probs[:, LABEL_IDS["O"]] = 1.0
    spans = []
    for value, (label, p) in beliefs.items():
        span = at(value, label, "ner", p)
        probs[span.start : span.end, LABEL_IDS["O"]] = 1 - p
        probs[span.start : span.end, LABEL_IDS[f"I-{label}"]] = p
        spans.append(span)
    return NerOutput(tuple(spans), offsets, probs)


OUTPUT = model_output(
    {
        "Xk9mQ2vL8pR4tN7wZ3yB": ("KEY", 0.9),
        "Qz8Lm3Vx9Tr2Wp7Ks4Nb": ("KEY", 0.8),
        "self.variance": ("KEY", 0.9),  # reads as words: post-processing drops it
        "bob@gmail.com": ("EMAIL", 0.9),  # emails are the regexes' business
    }
)


def test_model_probabilities_over_spans():
    key = at("Xk9mQ2vL8pR4tN7wZ3yB", "KEY")
    assert np.isclose(OUTPUT.pii_probability(key.start, key.end), 0.9)
    assert np.isclose(OUTPUT.class_probability(key.start, key.end, "KEY"), 0.9)
    assert OUTPUT.class_probability(key.start, key.end, "PASSWORD") == 0.0
    assert OUTPUT.pii_probability(0, 3) == 0.0 and OUTPUT.pii_probability(5, 5) == 0.0


def test_combine_verifies_baseline_keys_and_adds_the_models():
    config = LearnedConfig(verify={"KEY": 0.5}, accept={"KEY": 0.7})
    found = combine(BASELINE, OUTPUT, config)
    assert [(s.label, s.value) for s in found] == [
        ("KEY", "Xk9mQ2vL8pR4tN7wZ3yB"),  # the baseline's, confirmed (the SRI hash is vetoed)
        ("KEY", "Qz8Lm3Vx9Tr2Wp7Ks4Nb"),  # the model's, above its threshold
        ("EMAIL", "bob@gmail.com"),  # the regex's
    ]
    assert found[0].source == "" and found[1].source == "ner"
    baseline_only = LearnedConfig(verify={"KEY": 0.0}, accept={})
    assert combine(BASELINE, OUTPUT, baseline_only) == sorted(BASELINE)
    strict = LearnedConfig(verify={"KEY": 0.95}, accept={"KEY": 0.95})
    assert [s.value for s in combine(BASELINE, OUTPUT, strict)] == ["bob@gmail.com"]


def test_calibrate_picks_thresholds_on_validation_files():
    files = [LabelledFile("r", "a.py", "python", "train", TEXT, GOLD)]
    config, chosen = calibrate(files, [BASELINE], [OUTPUT])
    assert config.verify["KEY"] == 0.1  # the lowest that vetoes the SRI hash
    assert config.accept["KEY"] == 0.8  # the highest that still adds the commented key
    assert chosen["KEY"]["f1"] == 1.0
    assert config.accept["NAME"] == NEVER  # no NAME evidence: never trust the model blindly
    assert combine(BASELINE, OUTPUT, config) == [
        GOLD[0],
        at("Qz8Lm3Vx9Tr2Wp7Ks4Nb", "KEY", "ner", 0.8),
        BASELINE[2],
    ]


def test_thresholds_round_trip_through_pii_task(tmp_path):
    (tmp_path / "pii_task.json").write_text(json.dumps({"window": 64, "stride": 16}))
    assert read_learned_config(tmp_path) == LearnedConfig()
    config = LearnedConfig(verify={"KEY": 0.3, "PASSWORD": 0.0}, accept={"KEY": 0.9})
    write_learned_config(tmp_path, config, {"KEY": {"verify": 0.3, "accept": 0.9, "f1": 0.5}})
    task = json.loads((tmp_path / "pii_task.json").read_text())
    assert task["window"] == 64 and task["learned"]["validation"]["KEY"]["f1"] == 0.5
    assert read_learned_config(tmp_path) == config


def test_learned_detector_runs_the_model(micro_encoder_dir, tmp_path):
    model = build_ner_model(micro_encoder_dir, list(LABELS))
    directory = save_hf(model, load_encoder_tokenizer(micro_encoder_dir), tmp_path / "ner")
    windows = WindowConfig(window=64, stride=16)
    ner = NerDetector(directory, NerConfig(windows=windows, batch_size=2))
    detector = LearnedDetector(ner, lambda text, path: list(BASELINE))
    verify_all = LearnedDetector(ner, lambda text, path: list(BASELINE), LearnedConfig())
    outputs = ner.analyse_batch([TEXT, ""])
    assert outputs[0].probs.shape == (len(outputs[0].offsets), len(LABELS))
    assert np.allclose(outputs[0].probs.sum(-1), 1.0, atol=1e-5)
    assert outputs[1].probs.shape == (0, len(LABELS)) and outputs[1].spans == ()
    found = detector(TEXT, "a.py")
    assert set(BASELINE) <= set(found) and found == verify_all.detect_batch([TEXT], ["a.py"])[0]


def test_carve_validation_is_by_repo_and_stable():
    files = [LabelledFile(f"repo{i % 40}", f"{i}.py", "python", "train", "x\n") for i in range(200)]
    train, validation = carve_validation(files, 0.25)
    assert len(train) + len(validation) == 200 and validation
    assert not {f.repo for f in train} & {f.repo for f in validation}
    assert carve_validation(files, 0.25) == (train, validation)
    assert carve_validation(files, 0.0) == (files, [])
