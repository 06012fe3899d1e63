"""Fine-tune a causal LM checkpoint (ours, StarCoder's or another family's) on more code.

    # StarCoder's Python fine-tune: Python files of the curated data, FIM kept on (in training)
    python ray_jobs/finetune.py --checkpoint outputs/pretrain/model \\
        --data outputs/curated/data --languages python

    # your own code: a plain folder (any language) -> curation -> tokens -> training with FIM
    python ray_jobs/finetune.py --checkpoint outputs/pretrain/model --folder ~/my-sql-files

    # token shards packed already with the checkpoint's tokenizer
    python ray_jobs/finetune.py --checkpoint CKPT --tokens outputs/tokens-python

    # LoRA: a small adapter on the frozen checkpoint (model/ is then base + adapter merged)
    python ray_jobs/finetune.py --checkpoint CKPT --folder ~/my-code --lora --lora-rank 8

    # another family by hub id, from the local Hugging Face cache (never downloaded here)
    python ray_jobs/finetune.py --checkpoint Qwen/Qwen2.5-Coder-0.5B --folder ~/my-code

--checkpoint is a folder or a hub id already in the local cache
(``huggingface-cli download ID`` fills it); any causal LM loads (docs/models.md).
The FIM transform lays out the checkpoint family's own sentinels; a family
without StarCoder's metadata tokens is packed without metadata.

Outputs under --output (default outputs/finetune): ``curated/`` and ``tokens/``
when made here, then what pretrain.py writes (``model/``, metrics, loss curve);
with ``--lora`` also ``adapter/`` (the peft adapter alone).
A rerun with the same arguments resumes; other arguments are refused.
"""

from __future__ import annotations

import sys
from pathlib import Path

from starcoder_data.jobs import CurateJob, PackTokensJob
from starcoder_data.run_dir import RunDirectory
from starcoder_jobs.config import parse_config
from starcoder_model.jobs import FinetuneJob, training_overrides
from starcoder_model.training.config import TrainConfig
from starcoder_model.training.driver import claim_run, resolve_paths, run_training
from starcoder_model.training.presets import python_finetune, python_lora_finetune
from starcoder_model.training.report import TrainingReport


def checkpoint_dir(job: FinetuneJob) -> str:
    """``--checkpoint``'s folder: as given, or a hub id's folder in the local cache."""
    from starcoder_model.checkpoints import resolve_checkpoint

    try:
        return str(resolve_checkpoint(job.checkpoint))
    except FileNotFoundError as error:
        raise SystemExit(f"cannot fine-tune: {error}") from None


def train_config(job: FinetuneJob) -> TrainConfig:
    output = Path(job.output).resolve()
    tokens = Path(job.tokens) if job.tokens else output / "tokens"
    init_from = checkpoint_dir(job)
    preset = python_lora_finetune if job.lora else python_finetune
    options = {"fim_rate": job.fim_rate, **job.lora_fields()}
    return resolve_paths(
        preset(str(tokens), str(output), init_from=init_from).with_overrides(
            **options | training_overrides(job)  # --set wins over the named options
        )
    )


def run(job: FinetuneJob) -> TrainingReport:
    """Curate and pack what ``job`` names (unless packed already), then train; the summary."""
    config = train_config(job)
    if job.tokens:  # packed already: run_training claims the run with the shards' hash
        return run_training(config, address=job.address, overwrite=job.overwrite)
    output = Path(config.output_dir)
    inputs = {"data": job.data, "folder": job.folder, "languages": job.languages}
    resumed = claim_run(config, inputs, overwrite=job.overwrite)
    steps = RunDirectory(output)
    data = job.data
    if job.folder:
        data = str(_curate_folder(job, steps, output / "curated"))
    if data and not steps.is_done("tokens"):
        _pack(job, data, config)
        steps.finish("tokens")
    return run_training(config, address=job.address, resumed=resumed)


def _curate_folder(job: FinetuneJob, steps: RunDirectory, out: Path) -> Path:
    """Curation of the user's own folder: every StarCoder filter except the license one."""
    if not steps.is_done("curated"):
        from ray_jobs import curate

        folder = f"folder:{Path(job.folder).resolve()}"
        curate.run(
            CurateJob(sources=(folder,), license_policy="any", output=str(out), address=job.address)
        )
        steps.finish("curated")
    return out / "data"


def _pack(job: FinetuneJob, data: str, config: TrainConfig) -> None:
    from ray_jobs import pack_tokens

    pack_tokens.run(
        PackTokensJob(
            data=data,
            tokenizer=config.init_from,
            output=config.tokens_dir,
            seq_len=config.seq_len,
            languages=job.languages,
            overwrite=True,
            address=job.address,
        )
    )


def parse_args(argv: list[str] | None) -> FinetuneJob:
    return parse_config(FinetuneJob, argv, __doc__.split("\n\n")[0], check=FinetuneJob.check)


def main(argv: list[str] | None = None) -> int:
    run(parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
