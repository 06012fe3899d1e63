"""The NER fine-tuning recipe: hyperparameters, data, thresholds, evaluation and its bar.

``ray_jobs/train_pii_ner.py`` parses arguments and calls these; what the run
decides lives here, importable and tested without Ray:

* :func:`ner_recipe`: the CPU run's hyperparameters (a :class:`NerRecipe`);
* :func:`prepare_windows`: the train split, less :data:`VALIDATION_FRACTION`
  of its repos, cut into labelled windows;
* :func:`calibrate_learned`: the learned system's thresholds, chosen on the
  validation part of the real-file set (:mod:`starcoder_pii.real_eval.split`)
  and stored next to the model;
* :func:`evaluate_model`: five systems on the held-out injected split, and
  :func:`criterion`, the bar the learned system must clear there.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .combined import CombinedDetector
from .dataset import carve_validation, read_labelled
from .detectors import BaselineDetector
from .detectors.rules import RulesDetector
from .evaluate import evaluate_detector, format_table, save_results
from .learned import LearnedConfig, LearnedDetector, calibrate, write_learned_config
from .ner.detector import CachedNer, NerConfig, NerDetector, PostProcessedNer, read_window_config
from .ner.windows import WindowConfig
from .spans import EMAIL, IP_ADDRESS, KEY, PASSWORD

FILES = "files.parquet"  # build_pii_dataset.py's labelled files
VALIDATION_FRACTION = 0.15  # share of the train repos kept out of the training windows
SECRET_F1_SLACK = 0.02  # F1 a secret class may give up for recall (over-redaction, not leaks)
BASELINE, LEARNED = "baseline", "learned"


@dataclass(frozen=True, kw_only=True)
class NerRecipe:
    """The fine-tuning run's fields of :class:`~starcoder_pii.training.PiiTrainConfig`."""

    # Picked on the validation repos (learned system's F1, KEY / PASSWORD): 600 steps
    # 0.968 / 0.592, 1500 steps 0.982 / 0.730; about 5-9 min on two CPU cores.
    seq_len: int = 256  # StarCoder: 512; 256 halves the CPU cost
    stride: int = 64
    max_steps: int = 1500
    batch_size: int = 16
    lr: float = 1e-3  # a tiny encoder takes a larger rate than BERT's 5e-5
    warmup_steps: int = 50

    def fields(self) -> dict:
        return asdict(self)


def ner_recipe() -> NerRecipe:
    """The run ``make pii`` trains (two CPU cores)."""
    return NerRecipe()


def prepare_windows(dataset: Path, encoder: Path, output: Path, config: WindowConfig) -> Path:
    """``OUTPUT/data/windows.npz``: BIO-labelled windows of the train repos (made once)."""
    from .encoder import load_encoder_tokenizer
    from .ner.data import stack, training_windows

    path = output / "data" / "windows.npz"
    if path.exists():
        return path
    tokenizer = load_encoder_tokenizer(encoder)
    train, _ = carve_validation(read_labelled(dataset / FILES, "train"), VALIDATION_FRACTION)
    examples = []
    for f in train:
        examples += training_windows(tokenizer, f.text, list(f.spans), config)
    if not examples:
        raise SystemExit(f"error: {dataset / FILES} has no train files")
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **stack(examples))
    print(f"{len(examples):,} training windows of {config.window} tokens -> {path}", flush=True)
    return path


def load_ner(model: Path) -> CachedNer:
    config = NerConfig(windows=read_window_config(model), batch_size=32, postprocess=None)
    return CachedNer(NerDetector(model, config))


def calibrate_learned(model: Path, ner: CachedNer) -> LearnedConfig:
    """Thresholds of the learned system, picked on the real-file set's validation part.

    The candidates are the learned system's own (:class:`RulesDetector`), so the
    choice is made on what the redactor runs; the test part stays unseen.
    """
    from .real_eval import VALIDATION, load_real_windows, split_windows

    windows = split_windows(load_real_windows())[VALIDATION]
    rules = RulesDetector()
    spans = [rules(w.text, w.path) for w in windows]
    outputs = ner.analyse_batch([w.text for w in windows], [w.path for w in windows])
    config, chosen = calibrate(windows, spans, outputs)
    write_learned_config(model, config, chosen)
    print(f"learned thresholds on {len(windows)} real validation windows: {json.dumps(chosen)}")
    return config


def evaluate_model(dataset: Path, model: Path, output: Path) -> dict:
    """Five systems on the held-out injected split; ``OUTPUT/evaluation.json``."""
    ner = load_ner(model)
    learned = calibrate_learned(model, ner)
    files = read_labelled(dataset / FILES, "test")
    baseline = BaselineDetector()
    post = PostProcessedNer(ner)
    systems = {
        BASELINE: baseline.detect_batch,
        "ner": ner.detect_batch,  # the raw predictions
        "ner+post": post.detect_batch,  # StarCoder's post-processing (section 4.4)
        "ner+post+regex": CombinedDetector(post, baseline).detect_batch,  # StarCoder's pipeline
        LEARNED: LearnedDetector(ner, baseline, learned).detect_batch,
    }
    results = {name: evaluate_detector(files, detect) for name, detect in systems.items()}
    verdict = criterion(results[BASELINE]["overlap"], results[LEARNED]["overlap"])
    record = {
        **results,
        "test_files": len(files),
        "learned_system": LEARNED,
        "learned_thresholds": learned.as_dict(),
        "criterion": verdict,
    }
    save_results(record, output / "evaluation.json")
    print(format_table(results) + "\n\n" + format_table(results, "exact"))
    print(f"\nthe learned system is {LEARNED!r}: {verdict['summary']}")
    return record


def criterion(baseline: dict, learned: dict) -> dict:
    """The bar, recall first: never miss a secret the rules find, nowhere a worse F1.

    On KEY and PASSWORD the learned system's recall must reach the baseline's
    (a missed secret is a leak) and its F1 may not fall more than
    ``SECRET_F1_SLACK`` below (a redacted digest costs little); on EMAIL and
    IP_ADDRESS, where both use the same regexes, its F1 must match.
    """
    checks = {}
    for label in (KEY, PASSWORD):
        ours, theirs = learned[label], baseline[label]
        checks[label] = {
            "learned_recall": ours["recall"], "baseline_recall": theirs["recall"],
            "learned_f1": ours["f1"], "baseline_f1": theirs["f1"],
            "holds": ours["recall"] >= theirs["recall"]
            and ours["f1"] >= theirs["f1"] - SECRET_F1_SLACK,
        }  # fmt: skip
    for label in (EMAIL, IP_ADDRESS):
        ours, theirs = learned[label]["f1"], baseline[label]["f1"]
        checks[label] = {"learned_f1": ours, "baseline_f1": theirs, "holds": ours >= theirs}
    holds = all(c["holds"] for c in checks.values())
    failing = [label for label, c in checks.items() if not c["holds"]]
    summary = "criterion holds" if holds else f"criterion fails on {', '.join(failing)}"
    return {"holds": holds, "classes": checks, "summary": summary}
