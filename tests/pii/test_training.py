import numpy as np
import pytest
from starcoder_pii.corpus import encode_documents
from starcoder_pii.encoder import encoder_tokenizer
from starcoder_pii.ner.data import stack, training_windows
from starcoder_pii.ner.windows import WindowConfig
from starcoder_pii.spans import span_at
from starcoder_pii.training import (
    PiiTrainConfig,
    build_task,
    load_checkpoint,
    lr_factor,
    make_optimizer,
    save_checkpoint,
    train_step,
)


@pytest.fixture
def mlm_config(pii_tokenizer_dir, pii_corpus, tmp_path):
    tokenizer = encoder_tokenizer(pii_tokenizer_dir)
    np.savez(tmp_path / "docs.npz", **encode_documents(tokenizer, pii_corpus))
    return PiiTrainConfig(
        task="mlm",
        data=str(tmp_path / "docs.npz"),
        tokenizer_dir=str(pii_tokenizer_dir),
        output_dir=str(tmp_path),
        preset="micro",
        seq_len=64,
        batch_size=4,
        max_steps=30,
        lr=3e-3,
        warmup_steps=2,
    )


def test_lr_schedule():
    config = PiiTrainConfig(
        task="mlm", data="", tokenizer_dir="", output_dir="", max_steps=100, warmup_steps=10
    )
    assert lr_factor(0, config) == 0.1 and lr_factor(9, config) == 1.0
    assert lr_factor(100, config) == pytest.approx(0.1)


def test_mlm_steps_lower_the_loss_and_resume_exactly(mlm_config, tmp_path):
    import torch

    torch.manual_seed(0)
    model, tokenizer, batches = build_task(mlm_config)
    optimizer, schedule = make_optimizer(model, mlm_config)
    batch = batches.batch(0)
    losses = [
        train_step(model, batch, optimizer, schedule, mlm_config, "cpu")["loss"] for _ in range(15)
    ]
    assert losses[-1] < losses[0]
    save_checkpoint(tmp_path / "ckpt", model, tokenizer, optimizer, schedule, 15, mlm_config)
    again, _, batches_again = build_task(mlm_config)
    opt2, sched2 = make_optimizer(again, mlm_config)
    assert load_checkpoint(tmp_path / "ckpt", again, opt2, sched2) == 15
    for p, q in zip(model.parameters(), again.parameters(), strict=True):
        assert torch.equal(p, q)
    assert sched2.get_last_lr() == schedule.get_last_lr()
    # the rebuilt task serves the same masked batches, and the next step matches bit for bit
    # (weights, Adam moments and schedule all restored)
    following = batches.batch(3)
    assert all(np.array_equal(v, batches_again.batch(3)[k]) for k, v in following.items())
    runs = []
    for net, opt, sched in ((model, optimizer, schedule), (again, opt2, sched2)):
        torch.manual_seed(1)  # two steps: the second loss depends on the first update
        runs.append([train_step(net, following, opt, sched, mlm_config, "cpu")["loss"]
                     for _ in range(2)])  # fmt: skip
    assert runs[0] == runs[1]


def test_ner_windows_and_training_step(micro_encoder_dir, pii_corpus, tmp_path):
    from starcoder_pii.encoder import load_encoder_tokenizer

    tokenizer = load_encoder_tokenizer(micro_encoder_dir)
    text = pii_corpus[0] * 8
    spans = [span_at(text, 12, 20, "PASSWORD")]
    examples = training_windows(tokenizer, text, spans, WindowConfig(window=32, stride=8))
    assert len(examples) > 2 and all(e["input_ids"].shape == (32,) for e in examples)
    assert (examples[0]["labels"] > 0).any()
    np.savez(tmp_path / "windows.npz", **stack(examples))
    config = PiiTrainConfig(
        task="ner",
        data=str(tmp_path / "windows.npz"),
        tokenizer_dir=str(micro_encoder_dir),
        output_dir=str(tmp_path),
        seq_len=32,
        stride=8,
        batch_size=4,
        max_steps=5,
    )
    model, tokenizer, batches = build_task(config)
    assert model.config.num_labels == 13
    optimizer, schedule = make_optimizer(model, config)
    record = train_step(model, batches.batch(0), optimizer, schedule, config, "cpu")
    assert np.isfinite(record["loss"])
    saved = save_checkpoint(tmp_path / "ner", model, tokenizer, optimizer, schedule, 1, config)
    assert (saved / "model" / "pii_task.json").exists()
