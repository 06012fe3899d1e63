"""The PII NER model as a detector: batched windows in, character spans out."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..spans import CLASSES, PiiSpan, resolve_overlaps, span_at
from .data import encode_file
from .postprocess import PostprocessConfig, postprocess
from .windows import LABEL_IDS, OUTSIDE, WindowConfig, decode_spans, plan_windows, snap_to_word

# Shortest value reported per class, from the class registry (``spans.CLASSES``).
MIN_CHARS: dict[str, int] = {c.name: c.min_chars for c in CLASSES}


@dataclass(frozen=True, kw_only=True)
class NerConfig:
    windows: WindowConfig = WindowConfig()
    min_chars: tuple[tuple[str, int], ...] = tuple(MIN_CHARS.items())
    batch_size: int = 16  # windows per forward pass
    device: str = "auto"  # "cuda" when available, else "cpu"
    max_chars: int = 1_000_000  # larger files: the caller falls back to the baseline
    # StarCoder's rules on the model's spans (section 4.4); None: the raw predictions.
    postprocess: PostprocessConfig | None = PostprocessConfig()


@dataclass(frozen=True)
class NerOutput:
    """The model's view of one file: its spans (before post-processing) and tag probabilities.

    ``probs[i]`` is the distribution over :data:`LABELS` of token ``i``, whose
    characters are ``offsets[i]``; a combination with the baseline asks it how
    likely a candidate span is to be PII at all (:meth:`pii_probability`).
    """

    spans: tuple[PiiSpan, ...]
    offsets: np.ndarray  # (tokens, 2): character [start, end) of each token
    probs: np.ndarray  # (tokens, labels)

    def pii_probability(self, start: int, end: int) -> float:
        """Mean over the tokens overlapping ``[start, end)`` of 1 - P(O); 0.0 if none."""
        rows = self._rows(start, end)
        if not len(rows):
            return 0.0
        return float(1.0 - self.probs[rows, LABEL_IDS[OUTSIDE]].mean())

    def class_probability(self, start: int, end: int, label: str) -> float:
        """Mean over the tokens overlapping ``[start, end)`` of P(B-label) + P(I-label)."""
        rows = self._rows(start, end)
        if not len(rows):
            return 0.0
        columns = [LABEL_IDS[f"B-{label}"], LABEL_IDS[f"I-{label}"]]
        return float(self.probs[np.ix_(rows, columns)].sum(1).mean())

    def _rows(self, start: int, end: int) -> np.ndarray:
        a, b = self.offsets[:, 0], self.offsets[:, 1]
        return np.flatnonzero((a < end) & (start < b) & (a < b))


class NerDetector:
    """A ``BertForTokenClassification`` checkpoint, run over files in batches of windows.

    ``detect_batch`` packs the windows of many files into shared forward
    passes (padded to the longest window of each batch), so short files
    do not each pay for a whole batch.
    """

    name = "ner"

    def __init__(self, model_dir: str | Path, config: NerConfig | None = None):
        import torch
        from transformers import AutoModelForTokenClassification

        from ..encoder.tokenizer import load_encoder_tokenizer

        self.config = config or NerConfig()
        device = self.config.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        self.tokenizer = load_encoder_tokenizer(model_dir)
        self.model = AutoModelForTokenClassification.from_pretrained(str(model_dir))
        self.model.to(self.device).eval()
        limit = self.model.config.max_position_embeddings
        if self.config.windows.window > limit:
            raise ValueError(f"window {self.config.windows.window} exceeds the model's {limit}")

    def __call__(self, text: str, path: str = "file.txt") -> list[PiiSpan]:
        return self.detect_batch([text], [path])[0]

    def detect_batch(self, texts: list[str], paths: list[str] | None = None) -> list[list[PiiSpan]]:
        """Each file's spans, post-processed unless ``config.postprocess`` is None."""
        outputs = self.analyse_batch(texts, paths)
        if self.config.postprocess is None:
            return [list(out.spans) for out in outputs]
        return [postprocess(list(out.spans), self.config.postprocess) for out in outputs]

    def analyse_batch(self, texts: list[str], paths: list[str] | None = None) -> list[NerOutput]:
        """Spans (not post-processed) and per-token tag probabilities of each file."""
        encoded = [encode_file(self.tokenizer, text) for text in texts]
        jobs = []  # (file index, window, ids)
        for index, (ids, _) in enumerate(encoded):
            for window in plan_windows(len(ids), self.config.windows):
                jobs.append((index, window, ids[window.start : window.end]))
        n_labels = self.model.config.num_labels
        probs = [np.zeros((len(ids), n_labels), np.float32) for ids, _ in encoded]
        for lo in range(0, len(jobs), self.config.batch_size):
            chunk = jobs[lo : lo + self.config.batch_size]
            for (index, window, _), window_probs in zip(chunk, self._predict(chunk), strict=True):
                keep = slice(window.keep_start - window.start, window.keep_end - window.start)
                probs[index][window.keep_start : window.keep_end] = window_probs[keep]
        outputs = []
        for text, (_, offsets), file_probs in zip(texts, encoded, probs, strict=True):
            spans = decode_spans(text, offsets, file_probs.argmax(-1))
            output = NerOutput((), np.asarray(offsets, np.int64).reshape(-1, 2), file_probs)
            outputs.append(replace(output, spans=tuple(self._finish(text, spans, output))))
        return outputs

    def _finish(self, text: str, spans: list[PiiSpan], output: NerOutput) -> list[PiiSpan]:
        """Drop spans shorter than their class's floor, widen the rest to whole values.

        Each span's ``score`` is the model's mean probability of its class over its tokens.
        """
        floor = dict(self.config.min_chars)
        kept = []
        for span in spans:
            if len(span.value) >= floor.get(span.label, 1):
                start, end = snap_to_word(text, span.start, span.end, span.label)
                score = output.class_probability(start, end, span.label)
                span = span_at(text, start, end, span.label, span.source)
                kept.append(replace(span, score=score))
        return resolve_overlaps(kept)

    def _predict(self, chunk) -> list[np.ndarray]:
        import torch

        tok = self.tokenizer
        width = max(len(ids) for _, _, ids in chunk) + 2
        input_ids = np.full((len(chunk), width), tok.pad_token_id, np.int64)
        mask = np.zeros((len(chunk), width), np.int64)
        for row, (_, _, ids) in enumerate(chunk):
            input_ids[row, : len(ids) + 2] = [tok.cls_token_id, *ids, tok.sep_token_id]
            mask[row, : len(ids) + 2] = 1
        with torch.inference_mode():
            logits = self.model(
                input_ids=torch.from_numpy(input_ids).to(self.device),
                attention_mask=torch.from_numpy(mask).to(self.device),
            ).logits
        probs = torch.softmax(logits.float(), -1).cpu().numpy()
        return [probs[row, 1 : len(ids) + 1] for row, (_, _, ids) in enumerate(chunk)]


def read_window_config(model_dir: str | Path) -> WindowConfig:
    """The window the model was fine-tuned with (``pii_task.json``), else StarCoder's 512."""
    import json

    task_file = Path(model_dir) / "pii_task.json"
    if not task_file.exists():
        return WindowConfig()
    task = json.loads(task_file.read_text())
    return WindowConfig(window=task["window"], stride=task["stride"])


class CachedNer:
    """A detector's outputs per text, computed once for every system built on the same model.

    ``detect_batch`` gives the raw spans (as ``NerDetector`` with ``postprocess=None``).
    """

    def __init__(self, detector: NerDetector):
        self.detector, self.config, self._outputs = detector, detector.config, {}

    def analyse_batch(self, texts: list[str], paths: list[str] | None = None) -> list[NerOutput]:
        paths = paths or ["file.txt"] * len(texts)
        todo = {t: p for t, p in zip(texts, paths, strict=True) if t not in self._outputs}
        if todo:
            found = self.detector.analyse_batch(list(todo), list(todo.values()))
            self._outputs.update(zip(todo, found, strict=True))
        return [self._outputs[t] for t in texts]

    def detect_batch(self, texts: list[str], paths: list[str] | None = None) -> list[list[PiiSpan]]:
        return [list(out.spans) for out in self.analyse_batch(texts, paths)]


class PostProcessedNer:
    """The cached model's spans after StarCoder's post-processing."""

    def __init__(self, ner: CachedNer, config: PostprocessConfig | None = None):
        self.ner, self.config = ner, config or PostprocessConfig()

    def detect_batch(self, texts: list[str], paths: list[str] | None = None) -> list[list[PiiSpan]]:
        return [
            postprocess(list(o.spans), self.config) for o in self.ner.analyse_batch(texts, paths)
        ]
