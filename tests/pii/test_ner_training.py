"""The NER recipe lives in the package: its fields are PiiTrainConfig's, its bar is recall-first."""

from dataclasses import fields

from starcoder_pii.ner_training import SECRET_F1_SLACK, criterion, ner_recipe
from starcoder_pii.training import NER, PiiTrainConfig


def test_recipe_fields_build_a_training_config():
    recipe = ner_recipe().fields()
    assert recipe == {
        "seq_len": 256, "stride": 64, "max_steps": 1500, "batch_size": 16, "lr": 1e-3,
        "warmup_steps": 50,
    }  # fmt: skip
    assert set(recipe) <= {f.name for f in fields(PiiTrainConfig)}
    config = PiiTrainConfig(task=NER, data="d", tokenizer_dir="t", output_dir="o", **recipe)
    assert config.seq_len == 256 and config.stride == 64


def test_criterion_asks_secret_recall_and_regex_parity():
    def scores(key, password, email=1.0, ip=1.0):
        return {"KEY": {"recall": key[0], "f1": key[1]},
                "PASSWORD": {"recall": password[0], "f1": password[1]},
                "EMAIL": {"f1": email}, "IP_ADDRESS": {"f1": ip}}  # fmt: skip

    baseline = scores((0.8, 0.9), (0.4, 0.5))
    assert criterion(baseline, scores((0.8, 0.9 - SECRET_F1_SLACK), (0.5, 0.6)))["holds"]
    assert criterion(baseline, scores((0.7, 0.95), (0.5, 0.6)))["summary"] == (
        "criterion fails on KEY"
    )
