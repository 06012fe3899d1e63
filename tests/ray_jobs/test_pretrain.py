"""pretrain.py and finetune.py on Ray Train + DeepSpeed (2 CPU workers): the real stack."""

import json
import shutil
import sysconfig
from pathlib import Path

import pytest
import torch
from starcoder_model.training.driver import MODEL_SUBDIR
from starcoder_model.training.metrics import read_metrics
from training_fixture import MICRO_ARGS, train

from ray_jobs import finetune, pretrain

STDLIB = Path(sysconfig.get_paths()["stdlib"])
MICRO_RUN = [
    *MICRO_ARGS,
    "--set",
    "max_steps=10",
    "--set",
    "checkpoint_every=4",
    "--set",
    "report_every=1",
    "--set",
    "eval_every=5",
]


def pretrain_args(training_inputs, output, *extra):
    tokenizer_dir, tokens_dir = training_inputs
    return [
        "--tokens",
        str(tokens_dir),
        "--tokenizer",
        str(tokenizer_dir),
        "--output",
        str(output),
        *MICRO_RUN,
        *extra,
    ]


@pytest.fixture(scope="module")
def uninterrupted(ray_cluster, training_inputs, tmp_path_factory):
    output = tmp_path_factory.mktemp("pretrain")
    summary = train(pretrain, pretrain_args(training_inputs, output))
    return output, summary


@pytest.mark.integration
def test_pretraining_publishes_an_hf_model_that_loads_and_samples(uninterrupted):
    output, summary = uninterrupted
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(output / MODEL_SUBDIR)
    tokenizer = AutoTokenizer.from_pretrained(output / MODEL_SUBDIR)
    prompt = tokenizer("def main(", return_tensors="pt")
    torch.manual_seed(0)
    sample = model.generate(**prompt, max_new_tokens=8, do_sample=True, pad_token_id=0)
    assert sample.shape[1] > prompt["input_ids"].shape[1]
    records = read_metrics(output)
    assert [r["step"] for r in records] == list(range(1, 11))
    assert summary.steps == 10 and summary.tokens_seen == 10 * 1024
    assert records[-1]["loss"] < records[0]["loss"]
    assert {"val_loss", "tokens_per_s", "lr"} <= set(records[-1])
    assert (output / "loss_curve.png").stat().st_size > 10_000
    assert any((output / "tensorboard").iterdir())
    assert json.loads((output / "summary.json").read_text())["final_val_loss"] is not None


@pytest.mark.integration
def test_a_killed_worker_resumes_from_the_last_checkpoint_with_the_same_losses(
    uninterrupted, training_inputs, tmp_path
):
    output, _ = uninterrupted
    # Rank 1 is SIGKILLed after step 6; Ray Train restarts the group from checkpoint 4.
    train(pretrain, pretrain_args(training_inputs, tmp_path, "--set", "chaos_kill_at_step=6"))
    logged = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in logged] == [1, 2, 3, 4, 5, 6, 5, 6, 7, 8, 9, 10]
    expected = {r["step"]: r["loss"] for r in read_metrics(output)}
    assert {r["step"]: r["loss"] for r in logged} == expected  # every step, bit for bit


@pytest.mark.integration
def test_finetuning_continues_the_pretrained_checkpoint(uninterrupted, training_inputs, tmp_path):
    output, _ = uninterrupted
    _, tokens_dir = training_inputs
    summary = train(
        finetune,
        [
            "--checkpoint",
            str(output / MODEL_SUBDIR),
            "--tokens",
            str(tokens_dir),
            "--output",
            str(tmp_path),
            "--set",
            "seq_len=64",
            "--set",
            "global_batch_tokens=1024",
            "--set",
            "max_steps=4",
            "--set",
            "checkpoint_every=4",
        ],
    )
    first = read_metrics(tmp_path)[0]
    assert first["loss"] < read_metrics(output)[0]["loss"]  # starts from learned weights
    assert summary.steps == 4
    assert first["lr"] < 5e-5  # StarCoder's Python fine-tune schedule


@pytest.mark.integration
def test_finetuning_on_a_plain_folder_of_own_code_keeps_fim_on(uninterrupted, tmp_path):
    """The documented one command: folder -> curation (any license) -> tokens -> FIM training."""
    output, _ = uninterrupted
    folder = tmp_path / "my-code"
    folder.mkdir()
    for path in sorted((STDLIB / "email").glob("*.py"))[:20]:  # no license file: our own code
        shutil.copy(path, folder / path.name)
    run_dir = tmp_path / "run"
    summary = train(
        finetune,
        [
            "--checkpoint",
            str(output / MODEL_SUBDIR),
            "--folder",
            str(folder),
            "--output",
            str(run_dir),
            "--set",
            "seq_len=64",
            "--set",
            "global_batch_tokens=1024",
            "--set",
            "max_steps=2",
            "--set",
            "checkpoint_every=2",
        ],
    )
    curated = json.loads((run_dir / "curated" / "report.json").read_text())
    assert curated["totals"]["kept"]["files"] >= 15
    train_config = json.loads((run_dir / "train_config.json").read_text())
    assert train_config["fim_rate"] == 0.5  # infilling stays on: drawn per training sample
    assert summary.steps == 2
