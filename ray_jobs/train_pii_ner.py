"""Fine-tune StarEncoder for PII NER with Ray Train, then evaluate it against the baseline.

    python ray_jobs/train_pii_ner.py --dataset outputs/pii_dataset \\
        --encoder outputs/starencoder/model --output outputs/pii_ner --set max_steps=800

The train split of ``build_pii_dataset.py``'s labelled files, less 15% of its
repos, is cut into windows of ``seq_len`` tokens (overlap ``stride``) with
BIO labels over StarCoder's six classes (``OUTPUT/data/windows.npz``); a
``BertForTokenClassification`` on the encoder is trained on them
(checkpoints and resume as in ``train_starencoder.py``) and published at
``OUTPUT/model``. The validation part of the real-file set then fixes the
thresholds of the learned system, stored in ``OUTPUT/model/pii_task.json``,
and the held-out split scores five systems per class against the bar of
``starcoder_pii.ner_training.criterion``. Table and verdict on stdout,
figures in ``OUTPUT/evaluation.json``. The recipe (hyperparameters, splits,
thresholds, bar) lives in ``starcoder_pii.ner_training``; this script wires it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from starcoder_jobs.config import parse_config
from starcoder_pii.jobs import PiiNerJob, training_overrides
from starcoder_pii.ner.windows import WindowConfig
from starcoder_pii.ner_training import criterion, evaluate_model, ner_recipe, prepare_windows
from starcoder_pii.training import MODEL_SUBDIR, NER, PiiTrainConfig
from starcoder_pii.training_driver import claim_output, run_training

__all__ = ["criterion", "main", "run"]  # criterion: the package's bar, as callers knew it


def train(job: PiiNerJob, dataset: Path, encoder: Path, output: Path) -> None:
    fields = ner_recipe().fields() | training_overrides(job.overrides)
    record = {"job": "train_pii_ner", "dataset": str(dataset), "encoder": str(encoder), **fields}
    claim_output(output, record, job.overwrite)
    windows = WindowConfig(window=fields["seq_len"], stride=fields["stride"])
    data = prepare_windows(dataset, encoder, output, windows)
    config = PiiTrainConfig(
        task=NER, data=str(data), tokenizer_dir=str(encoder), output_dir=str(output), **fields
    )
    run_training(config, job.address)


def run(job: PiiNerJob) -> dict:
    """Train (unless ``eval_only``), then evaluate against the baseline; the evaluation."""
    output, dataset = Path(job.output).resolve(), Path(job.dataset).resolve()
    encoder = Path(job.encoder).resolve()
    if not job.eval_only:
        train(job, dataset, encoder, output)
    return evaluate_model(dataset, output / MODEL_SUBDIR, output)  # prints the bar's verdict


def parse_args(argv: list[str] | None) -> PiiNerJob:
    return parse_config(PiiNerJob, argv, __doc__.split("\n\n")[0], check=PiiNerJob.check)


def main(argv: list[str] | None = None) -> int:
    run(parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
