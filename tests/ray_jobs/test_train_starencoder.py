"""The PII model chain on the session's Ray: StarEncoder -> NER -> redact_pii with the model."""

from __future__ import annotations

import json

import pyarrow.dataset as pads
import pytest
from pii_corpus_fixture import write_pii_corpus

from ray_jobs import build_pii_dataset, redact_pii, train_pii_ner, train_starencoder

MICRO = [
    "--set",
    "seq_len=64",
    "--set",
    "batch_size=4",
    "--set",
    "checkpoint_every=2",
    "--set",
    "log_every=1",
    "--set",
    "cpus_per_worker=1",
]


@pytest.mark.integration
def test_pretrain_finetune_and_redact_with_the_model(ray_cluster, training_inputs, tmp_path):
    tokenizer_dir, _ = training_inputs
    data, rows = write_pii_corpus(tmp_path / "curated")
    encoder = tmp_path / "starencoder"
    train_starencoder.main(
        [
            "--data",
            str(data),
            "--tokenizer",
            str(tokenizer_dir),
            "--output",
            str(encoder),
            "--preset",
            "micro",
            "--sample-mb",
            "1",
            "--set",
            "max_steps=3",
            *MICRO,
        ]
    )
    assert (encoder / "model" / "model.safetensors").exists()
    steps = [json.loads(line)["step"] for line in (encoder / "metrics.jsonl").open()]
    assert steps == [1, 2, 3]
    # Rerunning the finished run resumes from its last checkpoint and trains no further.
    train_starencoder.main(
        [
            "--data",
            str(data),
            "--tokenizer",
            str(tokenizer_dir),
            "--output",
            str(encoder),
            "--preset",
            "micro",
            "--sample-mb",
            "1",
            "--set",
            "max_steps=3",
            *MICRO,
        ]
    )
    assert len((encoder / "metrics.jsonl").read_text().splitlines()) == 3

    dataset = tmp_path / "pii_dataset"
    build_pii_dataset.main(
        ["--data", str(data), "--output", str(dataset), "--test-fraction", "0.5"]
    )
    ner = tmp_path / "ner"
    train_pii_ner.main(
        [
            "--dataset",
            str(dataset),
            "--encoder",
            str(encoder / "model"),
            "--output",
            str(ner),
            "--set",
            "max_steps=2",
            "--set",
            "stride=16",
            *MICRO,
        ]
    )
    evaluation = json.loads((ner / "evaluation.json").read_text())
    systems = {"baseline", "ner", "ner+post", "ner+post+regex", "learned"}
    assert set(evaluation) >= systems and evaluation["learned_system"] == "learned"
    assert set(evaluation["ner"]["overlap"]) >= {"KEY", "PASSWORD", "ALL"}
    assert set(evaluation["criterion"]["classes"]) == {"KEY", "PASSWORD", "EMAIL", "IP_ADDRESS"}
    task = json.loads((ner / "model" / "pii_task.json").read_text())
    assert set(task["learned"]["verify"]) == {"KEY", "PASSWORD"}  # calibrated on validation

    out = tmp_path / "redacted"
    report = redact_pii.run(
        redact_pii.parse_args(
            [
                "--data",
                str(data),
                "--output",
                str(out),
                "--model",
                str(ner / "model"),
                "--actors",
                "1",
            ]
        )
    )
    assert report.detector == "learned" and report.files == rows
    assert report.status.get("error", 0) == 0
    table = pads.dataset(str(out / "data"), format="parquet", partitioning="hive").to_table()
    assert table.num_rows == rows
    assert report.spans["EMAIL"] >= 1 and report.spans["IP_ADDRESS"] >= 2


def test_criterion_is_recall_first_on_secrets():
    def scores(**values):
        return {label: {"recall": r, "f1": f1} for label, (r, f1) in values.items()}

    baseline = scores(KEY=(0.8, 0.9), PASSWORD=(0.4, 0.5), EMAIL=(1, 1.0), IP_ADDRESS=(1, 0.98))
    # keeps every rule-based key, a little less precise: holds
    wider = scores(KEY=(0.85, 0.89), PASSWORD=(0.5, 0.6), EMAIL=(1, 1.0), IP_ADDRESS=(1, 0.98))
    assert train_pii_ner.criterion(baseline, wider)["holds"]
    # a better F1 that misses keys the rules found: fails
    vetoing = scores(KEY=(0.78, 0.95), PASSWORD=(0.5, 0.6), EMAIL=(1, 1.0), IP_ADDRESS=(1, 0.98))
    verdict = train_pii_ner.criterion(baseline, vetoing)
    assert not verdict["holds"] and verdict["summary"] == "criterion fails on KEY"
    # recall kept but precision given away wholesale: fails too
    noisy = scores(KEY=(0.9, 0.7), PASSWORD=(0.5, 0.6), EMAIL=(1, 1.0), IP_ADDRESS=(1, 0.97))
    verdict = train_pii_ner.criterion(baseline, noisy)
    assert verdict["summary"] == "criterion fails on KEY, IP_ADDRESS"
