"""finetune.py and evaluate.py on a checkpoint of another family (Qwen2.5-Coder), on Ray.

One fine-tune of a tiny random-weight Qwen2 checkpoint on a plain folder of
code, FIM on: curated, packed with the checkpoint's own tokenizer (no
StarCoder metadata), trained by Ray Train + DeepSpeed, exported; then the
exported model's FIM benchmark in Qwen's infilling format.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from family_fixture import build_family_checkpoint
from family_shards_fixture import SOURCES, STDLIB
from starcoder_data.families import get_family
from training_fixture import train

from ray_jobs import evaluate, finetune

CACHE = Path(__file__).resolve().parents[2] / "data_cache" / "benchmarks"
QWEN = get_family("qwen2.5-coder")


@pytest.mark.integration
def test_a_qwen_checkpoint_fine_tunes_with_its_own_fim_exports_and_evaluates(ray_cluster, tmp_path):
    checkpoint = build_family_checkpoint("qwen2.5-coder", tmp_path / "qwen")
    folder = tmp_path / "my-code"
    folder.mkdir()
    for name in SOURCES:
        shutil.copy(STDLIB / name, folder / name)
    run_dir = tmp_path / "run"
    overrides = ("seq_len=64", "global_batch_tokens=512", "micro_batch_size=4", "max_steps=2",
                 "checkpoint_every=2", "eval_every=2", "num_workers=1",
                 "precision=fp32")  # fmt: skip
    argv = ["--checkpoint", str(checkpoint), "--folder", str(folder), "--output", str(run_dir)]
    summary = train(finetune, argv + [a for o in overrides for a in ("--set", o)])
    assert summary.steps == 2 and np.isfinite(summary.final_loss)

    from starcoder_data.tokens import TokenShards, special_ids_for
    from starcoder_model.training.data import TrainingSequences

    manifest = json.loads((run_dir / "tokens" / "manifest.json").read_text())
    assert manifest["config"]["metadata_rate"] == 0.0  # Qwen has no <reponame>/<filename>
    assert manifest["special_ids"] == special_ids_for(checkpoint).as_dict()
    shards = TokenShards.open(run_dir / "tokens", "train")
    rows = TrainingSequences(shards, fim_source=(checkpoint, _fim(0.5))).batch(np.arange(4))
    ids = {manifest["special_ids"][k] for k in ("fim_prefix", "fim_middle", "fim_suffix")}
    assert ids <= set(rows.ravel().tolist())  # Qwen's own sentinels in the packed rows

    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(run_dir / "model", local_files_only=True)
    tokenizer = AutoTokenizer.from_pretrained(run_dir / "model", local_files_only=True)
    assert model.config.model_type == "qwen2" and tokenizer.chat_template is not None
    assert set(QWEN.fim.sentinels) <= set(tokenizer.get_vocab())

    args = ["--checkpoint", str(run_dir / "model"), "--tasks", "fim", "--limit", "1",
            "--max-new-tokens", "4", "--actors", "1", "--benchmark-cache", str(CACHE),
            "--output", str(tmp_path / "eval")]  # fmt: skip
    evaluate.run(evaluate.parse_args(args))
    fim = json.loads((tmp_path / "eval" / "fim.json").read_text())
    assert fim["examples"] > 0 and 0.0 <= fim["exact_match"] <= 1.0
    generations = json.loads((tmp_path / "eval" / "generations_fim.json").read_text())
    assert not any(token in g for texts in generations for g in texts for token in QWEN.stop_tokens)


def _fim(rate: float):
    from starcoder_data.tokens import FimConfig

    return FimConfig(rate=rate, spm_rate=0.0, seed=0)
