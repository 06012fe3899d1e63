"""Fine-tune StarEncoder for PII NER with Ray Train, then evaluate it against the baseline.

    python ray_jobs/train_pii_ner.py --dataset outputs/pii_dataset \\
        --encoder outputs/starencoder/model --output outputs/pii_ner --set max_steps=800

The train split of ``build_pii_dataset.py``'s labelled files is cut into
windows of ``seq_len`` tokens (overlap ``stride``) with BIO labels over
StarCoder's six classes (``OUTPUT/data/windows.npz``); a
``BertForTokenClassification`` on the encoder is trained on them (checkpoints
and resume as in ``train_starencoder.py``) and published at ``OUTPUT/model``.
The held-out split (other repos) then scores four systems per class:
the baseline, the NER model alone, the NER model with the baseline's
email / IP regexes (StarCoder's final pipeline), and that plus the
baseline's keys and passwords (``ensemble``). Table on stdout, figures in
``OUTPUT/evaluation.json``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from _training import add_overrides_argument
from starcoder_pii.combined import CombinedDetector
from starcoder_pii.dataset import read_labelled
from starcoder_pii.detectors import BaselineDetector
from starcoder_pii.encoder import load_encoder_tokenizer
from starcoder_pii.evaluate import evaluate_detector, format_table, save_results
from starcoder_pii.ner.data import stack, training_windows
from starcoder_pii.ner.detector import NerConfig, NerDetector, read_window_config
from starcoder_pii.ner.windows import WindowConfig
from starcoder_pii.training import MODEL_SUBDIR, NER, PiiTrainConfig
from train_starencoder import claim_output, parse_overrides, run_training

FILES = "files.parquet"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="outputs/pii_dataset", help="build_pii_dataset output")
    parser.add_argument("--encoder", default="outputs/starencoder/model", help="StarEncoder dir")
    parser.add_argument("--output", default="outputs/pii_ner", help="run directory")
    add_overrides_argument(parser, "override a PiiTrainConfig field (repeatable)")
    parser.add_argument("--eval-only", action="store_true", help="evaluate OUTPUT/model only")
    parser.add_argument("--address", default=None, help="Ray cluster address")
    parser.add_argument("--overwrite", action="store_true", help="replace another run in --output")
    return parser.parse_args(argv)


def prepare_windows(dataset: Path, encoder: Path, output: Path, config: WindowConfig) -> Path:
    path = output / "data" / "windows.npz"
    if path.exists():
        return path
    tokenizer = load_encoder_tokenizer(encoder)
    examples = []
    for f in read_labelled(dataset / FILES, "train"):
        examples += training_windows(tokenizer, f.text, list(f.spans), config)
    if not examples:
        raise SystemExit(f"error: {dataset / FILES} has no train files")
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **stack(examples))
    print(f"{len(examples):,} training windows of {config.window} tokens -> {path}", flush=True)
    return path


def evaluate(dataset: Path, model: Path, output: Path) -> dict:
    files = read_labelled(dataset / FILES, "test")
    baseline = BaselineDetector()
    ner = _Memo(NerDetector(model, NerConfig(windows=read_window_config(model), batch_size=32)))
    systems = {
        "baseline": baseline.detect_batch,
        "ner": ner.detect_batch,
        "ner+regex": CombinedDetector(ner, baseline).detect_batch,
        "ensemble": CombinedDetector(ner, baseline, union_classes=("KEY", "PASSWORD")).detect_batch,
    }
    results = {name: evaluate_detector(files, detect) for name, detect in systems.items()}
    results["test_files"] = len(files)
    save_results(results, output / "evaluation.json")
    shown = {k: v for k, v in results.items() if k != "test_files"}
    print(format_table(shown) + "\n\n" + format_table(shown, "exact"))
    return results


class _Memo:
    """The model's spans per file, computed once for the three systems that use them."""

    def __init__(self, detector):
        self.detector, self.cache = detector, {}

    def detect_batch(self, texts, paths):
        todo = [i for i, t in enumerate(texts) if t not in self.cache]
        found = self.detector.detect_batch([texts[i] for i in todo], [paths[i] for i in todo])
        self.cache.update({texts[i]: spans for i, spans in zip(todo, found, strict=True)})
        return [self.cache[t] for t in texts]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    output, dataset = Path(args.output).resolve(), Path(args.dataset).resolve()
    encoder = Path(args.encoder).resolve()
    if not args.eval_only:
        defaults = {
            "seq_len": 256,
            "stride": 64,
            "max_steps": 600,
            "batch_size": 16,
            "lr": 1e-3,
            "warmup_steps": 50,
        }
        fields = defaults | parse_overrides(args.overrides)
        record = {
            "job": "train_pii_ner",
            "dataset": str(dataset),
            "encoder": str(encoder),
            **fields,
        }
        claim_output(output, record, args.overwrite)
        windows = WindowConfig(window=fields["seq_len"], stride=fields["stride"])
        data = prepare_windows(dataset, encoder, output, windows)
        config = PiiTrainConfig(
            task=NER, data=str(data), tokenizer_dir=str(encoder), output_dir=str(output), **fields
        )
        run_training(config, args.address)
    evaluate(dataset, output / MODEL_SUBDIR, output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
