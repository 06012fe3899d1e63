"""finetune.py --lora on a plain folder: Ray Train + DeepSpeed ZeRO-3, a worker killed once."""

import json
import shutil
import sysconfig
from pathlib import Path

import pytest
import torch
from starcoder_model.training.driver import MODEL_SUBDIR
from starcoder_model.training.lora import ADAPTER_SUBDIR, ADAPTER_WEIGHTS
from starcoder_model.training.metrics import read_metrics
from training_fixture import train

from ray_jobs import finetune

STDLIB = Path(sysconfig.get_paths()["stdlib"])
TARGETS = ("c_attn", "c_proj", "c_fc")  # the starcoder family's (ModelFamily.lora_targets)


@pytest.fixture(scope="module")
def lora_run(ray_cluster, micro_checkpoint, tmp_path_factory):
    """Six LoRA steps on a folder of own code; rank 1 is SIGKILLed after step 5."""
    root = tmp_path_factory.mktemp("lora_finetune")
    folder = root / "my-code"
    folder.mkdir()
    for path in sorted((STDLIB / "email").glob("*.py"))[:10]:  # no license file: our own code
        shutil.copy(path, folder / path.name)
    output = root / "run"
    settings = {
        "seq_len": 64,
        "global_batch_tokens": 1024,
        "max_steps": 6,
        "checkpoint_every": 3,
        "report_every": 1,
        "eval_every": 6,
        "zero_stage": 3,
        "chaos_kill_at_step": 5,  # after checkpoint 3: the group restarts from it
    }
    argv = ["--checkpoint", str(micro_checkpoint), "--folder", str(folder)]
    argv += ["--output", str(output), "--lora", "--lora-rank", "4"]
    argv += [arg for name, value in settings.items() for arg in ("--set", f"{name}={value}")]
    summary = train(finetune, argv)
    return output, summary, Path(micro_checkpoint)


@pytest.mark.integration
def test_a_killed_lora_worker_resumes_from_the_adapter_checkpoint_with_the_same_losses(lora_run):
    output, summary, _ = lora_run
    logged = [json.loads(line) for line in (output / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in logged] == [1, 2, 3, 4, 5, 4, 5, 6]
    before_kill, after_resume = logged[3:5], logged[5:7]  # steps 4, 5 run twice
    assert [r["loss"] for r in after_resume] == [r["loss"] for r in before_kill]  # bit for bit
    assert summary.steps == 6 and {r["step"] for r in read_metrics(output)} == set(range(1, 7))
    config = json.loads((output / "train_config.json").read_text())
    assert config["lora"] and config["zero_stage"] == 3 and config["fim_rate"] == 0.5
    curated = json.loads((output / "curated" / "report.json").read_text())
    assert curated["totals"]["kept"]["files"] >= 8  # the folder went through curation


@pytest.mark.integration
def test_checkpoints_hold_the_adapter_only(lora_run):
    output, _, base = lora_run
    checkpoints = sorted((output / "ray_train").glob("checkpoint_0*"))
    assert [c.name for c in checkpoints] == ["checkpoint_00000003", "checkpoint_00000006"]
    full_model = (base / "model.safetensors").stat().st_size
    for checkpoint in checkpoints:
        assert not (checkpoint / "model.safetensors").exists()
        tensors = [p for p in checkpoint.rglob("*") if p.suffix in (".safetensors", ".pt")]
        assert sum(p.stat().st_size for p in tensors) < full_model / 3  # 2 ranks' shards
        assert (checkpoint / ADAPTER_SUBDIR / ADAPTER_WEIGHTS).stat().st_size < full_model / 10


@pytest.mark.integration
def test_the_merged_model_loads_without_peft_and_the_adapter_loads_on_the_base(lora_run):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    output, _, base_dir = lora_run
    merged = AutoModelForCausalLM.from_pretrained(output / MODEL_SUBDIR).eval()
    base = AutoModelForCausalLM.from_pretrained(base_dir).eval()
    tokenizer = AutoTokenizer.from_pretrained(output / MODEL_SUBDIR)
    batch = tokenizer(["def main(argv):\n    return 0\n"], return_tensors="pt")["input_ids"]
    merged_weights, base_weights = merged.state_dict(), base.state_dict()
    changed = {n for n, w in merged_weights.items() if not torch.equal(w, base_weights[n])}
    assert changed and all(n.split(".")[-2] in TARGETS for n in changed)  # the rest: bit-identical
    with torch.no_grad():
        expected = merged(input_ids=batch).logits
        adapted = PeftModel.from_pretrained(base, output / ADAPTER_SUBDIR).eval()
        assert torch.allclose(adapted(input_ids=batch).logits, expected, atol=1e-4)
