"""LoRA fine-tuning through ``peft``: wrap, checkpoint the adapter, merge and export.

LoRA (Hu et al. 2021) freezes the checkpoint and trains a low-rank update
``B @ A`` (rank ``r``, scaled by ``alpha / r``) beside chosen linear layers,
so gradients and AdamW state exist for a fraction of a percent of the weights
and a checkpoint holds only the adapter. The modules a family's adapter wraps
come from :data:`starcoder_data.families.FAMILIES` (``ModelFamily.lora_targets``:
GPTBigCode's ``c_attn``, ``c_proj``, ``c_fc``); ``TrainConfig.lora_targets``
overrides them.

A LoRA checkpoint directory holds ``adapter/`` (``PeftModel.save_pretrained``:
``adapter_config.json`` + ``adapter_model.safetensors``), DeepSpeed's resumable
state of the trainable weights only, and the trainer state. The base weights
are never written during training: a resumed worker reloads them from
``init_from``. At the end :func:`export_lora_run` merges the adapter into the
fp32 base and writes a plain HF checkpoint that loads without ``peft``.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path

from starcoder_model.training.config import TrainConfig

ADAPTER_SUBDIR = "adapter"  # the peft adapter inside a checkpoint and in a finished run
ADAPTER_WEIGHTS = "adapter_model.safetensors"
ADAPTER_CONFIG = "adapter_config.json"


def lora_targets(config: TrainConfig, model_type: str, vocab) -> tuple[str, ...]:
    """The module names the adapter wraps: the config's, else the model family's.

    ``vocab`` is the tokenizer's vocabulary (``family_for`` tells families that
    share an architecture apart by their FIM sentinels).
    """
    if config.lora_targets:
        return tuple(config.lora_targets)
    from starcoder_data.families import family_for

    family = family_for(model_type, vocab)
    if not family.lora_targets:
        raise ValueError(
            f"no default LoRA target modules for a {model_type!r} model (family {family.name!r}); "
            "name them with --lora-targets (e.g. q_proj, v_proj)"
        )
    return family.lora_targets


def lora_config(config: TrainConfig, targets: tuple[str, ...]):
    """``peft.LoraConfig`` of a run: rank, alpha and dropout from the ``TrainConfig``."""
    from peft import LoraConfig, TaskType

    return LoraConfig(
        task_type=TaskType.CAUSAL_LM,
        r=config.lora_rank,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=list(targets),
        bias="none",
    )


def check_lora(config: TrainConfig, model_config, vocab) -> tuple[str, ...]:
    """Refuse a LoRA run that cannot work, before any worker starts; return its targets.

    Builds the model on the meta device (no memory, no weights) to check that
    every target names at least one linear layer.
    """
    if config.init_from is None:
        raise ValueError("LoRA trains an adapter on a checkpoint: give init_from (--checkpoint)")
    if config.lora_rank < 1:
        raise ValueError(f"lora_rank must be at least 1, got {config.lora_rank}")
    if not 0.0 <= config.lora_dropout < 1.0:
        raise ValueError(f"lora_dropout must be in [0, 1), got {config.lora_dropout}")
    targets = lora_targets(config, model_config.model_type, vocab)
    import torch
    from transformers import AutoModelForCausalLM

    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(model_config)
    linear = {
        name.rsplit(".", 1)[-1]
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear)
    }
    missing = [t for t in targets if t not in linear]
    if missing:
        raise ValueError(
            f"LoRA target modules {missing} are not linear layers of this "
            f"{model_config.model_type!r} model; its linear layers: {sorted(linear)}"
        )
    return targets


def check_lora_run(config: TrainConfig) -> tuple[str, ...]:
    """:func:`check_lora` for a run's ``init_from`` checkpoint and tokenizer, on the driver."""
    if config.init_from is None:
        raise ValueError("LoRA trains an adapter on a checkpoint: give init_from (--checkpoint)")
    from transformers import AutoConfig

    from starcoder_model.training.setup import run_tokenizer

    model_config = AutoConfig.from_pretrained(config.init_from, local_files_only=True)
    return check_lora(config, model_config, run_tokenizer(config).get_vocab())


def wrap_with_lora(model, config: TrainConfig, vocab):
    """``model`` as a ``peft`` model: base weights frozen, LoRA ``A``/``B`` trainable.

    peft draws ``A`` from the torch RNG; it is seeded with the run's seed so
    every worker (and a resumed one) starts from the same adapter.
    """
    import torch
    from peft import get_peft_model

    targets = lora_targets(config, model.config.model_type, vocab)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        peft_model = get_peft_model(model, lora_config(config, targets))
    if config.gradient_checkpointing:
        # the frozen embedding's output has no grad; checkpointed blocks need one to backprop
        peft_model.enable_input_require_grads()
    return peft_model


def is_lora_model(model) -> bool:
    from peft import PeftModel

    return isinstance(model, PeftModel)


@contextmanager
def trainable_weights_only(engine):
    """Make DeepSpeed's ``save_checkpoint`` write the trainable weights and nothing else.

    ``exclude_frozen_parameters`` drops frozen weights by their first name only,
    so a tied one (GPTBigCode's ``lm_head.weight`` is ``wte.weight``: a
    vocabulary-sized matrix) would still be written under its second name.
    """
    trainable = {
        name
        for name, param in engine.module.named_parameters(remove_duplicate=False)
        if param.requires_grad
    }
    deepspeed_state_dict = engine.module_state_dict

    def module_state_dict(*args, **kwargs):
        state = deepspeed_state_dict(*args, **kwargs)
        return type(state)((name, value) for name, value in state.items() if name in trainable)

    engine.module_state_dict = module_state_dict
    try:
        yield
    finally:
        del engine.module_state_dict  # the engine's own method again


def save_adapter(engine, directory: Path, tokenizer, rank: int) -> None:
    """Write the engine's adapter and the tokenizer to ``directory/adapter`` (rank 0).

    Every rank takes part.

    Under ZeRO-3 the adapter's weights are partitioned: they are gathered (the
    trainable ones only) in a collective first.
    """
    if engine.zero_optimization_stage() == 3:
        state_dict = engine._zero3_consolidated_16bit_state_dict(exclude_frozen_parameters=True)
    else:
        state_dict = {
            name: param.detach()
            for name, param in engine.module.named_parameters()
            if param.requires_grad
        }
    if rank == 0:
        engine.module.save_pretrained(directory / ADAPTER_SUBDIR, state_dict=state_dict)
        if tokenizer is not None:
            tokenizer.save_pretrained(directory / ADAPTER_SUBDIR)


def export_lora_run(
    checkpoint_dir: Path, base_dir: str | Path, model_dest: Path, adapter_dest: Path
):
    """Publish a finished LoRA run: the adapter folder and the merged plain HF model.

    The merge starts from the fp32 base on disk (not the engine's 16-bit copy),
    so the exported weights are the base's exactly plus ``B @ A * alpha / r``.
    The tokenizer (saved with the adapter) goes with both.
    """
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    adapter = checkpoint_dir / ADAPTER_SUBDIR
    for destination in (model_dest, adapter_dest):
        if destination.exists():
            shutil.rmtree(destination)
    base = AutoModelForCausalLM.from_pretrained(
        str(base_dir), dtype=torch.float32, local_files_only=True
    )
    merged = PeftModel.from_pretrained(base, str(adapter)).merge_and_unload()
    merged.save_pretrained(model_dest)
    shutil.copytree(adapter, adapter_dest)
    AutoTokenizer.from_pretrained(str(adapter), local_files_only=True).save_pretrained(model_dest)
    return model_dest
