"""The model card every published checkpoint carries: ``README.md`` in the HF convention.

StarCoder shipped its weights with a card that says what the model was trained
on and under which licenses, what was removed (PII, opted-out repositories),
how it scores, what it must not be used for, and how to find out whether a
completion was copied from the training set. This module writes the same card
for a pipeline run from the artifacts the stages left behind:
:func:`collect_card_facts` (``run_facts``) reads them into a typed, JSON-serialisable
:class:`ModelCardFacts` (a stage that did not run gives ``None``, rendered as
"not run"), :func:`render_model_card` turns the facts into Markdown with the
Hugging Face YAML front matter (``license``, ``model-index``, ...), and
:func:`write_model_card` puts it next to the weights.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

from starcoder_data.special_tokens import ENDOFTEXT, FIM_MIDDLE, FIM_PREFIX, FIM_SUFFIX

from .run_facts import (
    Count,
    CurationFacts,
    EvalEntry,
    ModelCardFacts,
    TrainingFacts,
)

NOT_RUN = "not run"
# Licenses the Hub does not know by an SPDX id: rendered as ``license: other`` with these.
LICENSE_LINKS = {
    "bigcode-openrail-m": "https://huggingface.co/spaces/bigcode/bigcode-model-license-agreement",
}
CARD_FILE = "README.md"
LICENSE_ROWS = 25  # the license table lists the largest ones, the rest in one row
LANGUAGE_ROWS = 20


def write_model_card(checkpoint_dir: Path, facts: ModelCardFacts) -> Path:
    """Write ``checkpoint_dir/README.md`` atomically (a reader never sees half a card)."""
    checkpoint_dir = Path(checkpoint_dir)
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    path = checkpoint_dir / CARD_FILE
    handle, temp = tempfile.mkstemp(prefix=".README.", suffix=".tmp", dir=checkpoint_dir)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(render_model_card(facts))
        os.chmod(temp, 0o644)  # mkstemp's 0600 would hide the card from other users
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path


def render_model_card(facts: ModelCardFacts) -> str:
    """The card: YAML front matter, then one Markdown section per part of the recipe."""
    sections = [section(facts) for section in _SECTIONS]
    return "---\n" + render_front_matter(facts) + "---\n\n" + "\n\n".join(sections) + "\n"


def front_matter(facts: ModelCardFacts) -> dict:
    """The Hub's metadata: license, library, task, tags and the evaluation ``model-index``."""
    meta: dict = {}
    license_id = facts.weights_license
    if license_id.lower() in LICENSE_LINKS:
        meta["license"] = "other"
        meta["license_name"] = license_id.lower()
        meta["license_link"] = LICENSE_LINKS[license_id.lower()]
    else:
        meta["license"] = license_id.lower()  # the Hub spells SPDX ids in lower case
    meta["library_name"] = "transformers"
    meta["pipeline_tag"] = "text-generation"
    meta["tags"] = ["code", "gpt_bigcode", "starcoder", "ray"]
    if facts.training and facts.training.fim_rate:
        meta["tags"].append("fill-in-the-middle")
    entries = tuple(e for e in facts.evaluation or () if math.isfinite(e.value))
    metrics = {"pass@": "code_eval", "exact_match": "exact_match", "perplexity": "perplexity"}
    used = [name for key, name in metrics.items() if any(e.metric.startswith(key) for e in entries)]
    if used:
        meta["metrics"] = used
    if entries:
        meta["model-index"] = [{"name": facts.model_name, "results": _model_index(entries)}]
    return meta


def _model_index(entries: tuple[EvalEntry, ...]) -> list[dict]:
    results = []
    for entry in entries:
        dataset = {"type": entry.dataset_type, "name": entry.dataset_name}
        if entry.dataset_config:
            dataset["config"] = entry.dataset_config
        metric = {"name": entry.metric, "type": entry.metric, "value": round(entry.value, 3)}
        results.append(
            {
                "task": {"type": "text-generation"},
                "dataset": dataset,
                "metrics": [metric | {"verified": False}],
            }
        )
    return results


def render_front_matter(facts: ModelCardFacts) -> str:
    import yaml

    return yaml.safe_dump(front_matter(facts), sort_keys=False, allow_unicode=True, width=100)


def _n(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def _size(num_bytes: int | None) -> str:
    """Bytes for people: decimal units (1 MB = 10^6 bytes), one decimal."""
    if num_bytes is None:
        return "?"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if num_bytes >= scale:
            return f"{num_bytes / scale:,.1f} {unit}"
    return f"{num_bytes:,} B"


def _metric(value: float | None) -> str:
    return "?" if value is None else f"{value:.3f}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def _table(header: tuple[str, ...], rows: list[tuple]) -> str:
    """A Markdown table; ``|`` inside a cell is escaped so expressions cannot break it."""

    def line(cells) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(header), line(["---"] * len(header)), *map(line, rows)])


def _not_run(title: str, what: str) -> str:
    return f"## {title}\n\n{NOT_RUN.capitalize()}: {what}"


def _top(counts: tuple[Count, ...], limit: int, label: str) -> list[tuple[str, int, int]]:
    """The ``limit`` first rows, the rest summed into one ``other`` row."""
    rows = [(c.name, c.files, c.bytes) for c in counts[:limit]]
    rest = counts[limit:]
    if rest:
        name = f"other ({len(rest)} {label})"
        rows.append((name, sum(c.files for c in rest), sum(c.bytes for c in rest)))
    return rows


_SOURCE_KINDS = {
    "local": "code found on the training machine itself (the Python standard library, installed "
    "packages and, where present, C headers, JavaScript, Perl and JDK sources)",
    "directory": "repositories in a directory",
    "folder": "one folder as one repository",
    "git": "a git repository",
    "archive": "repository archives",
    "issues": "GitHub issues",
    "commits": "git commits",
}


def _summary_section(facts: ModelCardFacts) -> str:
    t, data = facts.training, facts.data
    size = f"{_n(t.parameters)}-parameter " if t and t.parameters else ""
    shape = ""
    if t and t.layers:
        attention = "multi-query attention" if t.multi_query else "multi-head attention"
        shape = (
            f" ({t.layers} layers, hidden size {t.hidden_size}, {t.heads} heads with "
            f"{attention}, {_n(t.context_length)} positions)"
        )
    lines = [
        f"# {facts.model_name}",
        "",
        "## Model summary",
        "",
        f"`{facts.model_name}` is a {size}code language model with StarCoder's GPTBigCode "
        f"architecture{shape}, trained by starcoder-ray, an open, Ray-native reproduction of the "
        f"StarCoder recipe (Li et al. 2023): {_recipe_text(facts)}.",
    ]
    if data:
        lines += ["", f"- Training data: {_n(data.files)} files, {_size(data.bytes)} of code."]
    if t and t.tokens_seen:
        lines += [f"- Training: {_n(t.steps)} steps, {_n(t.tokens_seen)} tokens seen."]
    if t and t.parameters and t.parameters < 100_000_000:
        lines += [
            "",
            "This is a small model trained briefly: it demonstrates the recipe end to end and is "
            "not useful for writing code. Its scores below say so.",
        ]
    return "\n".join(lines)


def _recipe_text(facts: ModelCardFacts) -> str:
    """What this run did of the recipe, only the stages that ran."""
    steps = []
    if facts.curation:
        steps.append("permissively licensed source code, filtered, deduplicated and decontaminated")
    if facts.pii:
        steps.append("personal data redacted")
    if facts.tokenizer:
        steps.append("a byte-level BPE tokenizer with StarCoder's special tokens")
    t = facts.training
    if t:
        steps.append("next-token training" + (" with fill-in-the-middle" if t.fim_rate else ""))
    if not steps:
        return "no stage's artifacts were found"
    return ", ".join(steps[:-1]) + (" and " if len(steps) > 1 else "") + steps[-1]


def _sources_text(curation: CurationFacts) -> list[str]:
    lines = ["Sources given to the curation job:", ""]
    for source in curation.sources:
        kind = source.split(":", 1)[0]
        lines.append(f"- `{source}`: {_SOURCE_KINDS.get(kind, 'a custom source')}")
    if curation.license_policy:
        allowed = ", ".join(curation.allowed_licenses)
        lines += [
            "",
            f"License policy `{curation.license_policy}`: a file was kept only when the license "
            f"found for it is one of {len(curation.allowed_licenses)} permissive licenses "
            f"({allowed}); files without a license or under another one were dropped.",
        ]
    lines += ["", f"Opt-out list: {_n(curation.optout_entries)} entries."]
    return lines


def _data_section(facts: ModelCardFacts) -> str:
    lines = ["## Data sources and licenses", ""]
    if facts.curation:
        lines += _sources_text(facts.curation) + [""]
    else:
        lines += [f"Curation: {NOT_RUN} (no curated/report.json).", ""]
    data = facts.data
    if data is None:
        return "\n".join(lines + [f"Training data licenses: {NOT_RUN} (no training Parquet)."])
    copy = "the PII-redacted copy" if data.redacted else "the curated data, not PII-redacted"
    lines += [
        f"The model was trained on `{data.data_dir}` ({copy}): {_n(data.files)} files, "
        f"{_size(data.bytes)}. Files and bytes per license (the `license` column):",
        "",
    ]
    rows = [
        (name, _n(files), _size(size), _share(size, data.bytes))
        for name, files, size in _top(data.licenses, LICENSE_ROWS, "licenses")
    ]
    lines += [_table(("License (SPDX)", "Files", "Bytes", "Share of bytes"), rows), ""]
    lines.append(
        "Every file keeps its own license. `A AND B` means the repository carries several "
        "licenses that all apply; `A OR B` offers a choice."
    )
    return "\n".join(lines)


def _curation_section(facts: ModelCardFacts) -> str:
    c = facts.curation
    if c is None:
        return _not_run("Curation statistics", "no curated/report.json.")
    totals = [(x.name, _n(x.files), _size(x.bytes)) for x in (c.total_in, c.kept, c.dropped)]
    stages = [(s.name, _n(s.files), _size(s.bytes)) for s in c.stages]
    reasons = [(r.name, _n(r.files), _size(r.bytes)) for r in c.reasons if r.files]
    languages = [
        (name, _n(files), _size(size), _share(size, c.kept.bytes))
        for name, files, size in _top(c.languages, LANGUAGE_ROWS, "languages")
    ]
    took = f" The curation job took {_duration(c.seconds)}." if c.seconds is not None else ""
    balanced = c.kept.files + c.dropped.files == c.total_in.files
    accounted = (
        "Every file read is accounted for: kept + dropped = in."
        if balanced
        else "Kept + dropped files do not add up to the files read: the report is incomplete."
    )
    return "\n\n".join(
        [
            "## Curation statistics",
            accounted + took,
            _table(("Files", "Count", "Bytes"), totals),
            "Dropped by stage, in pipeline order:",
            _table(("Stage", "Files dropped", "Bytes dropped"), stages),
            "Dropped by reason:",
            _table(("Reason", "Files", "Bytes"), reasons),
            "Kept, per language:",
            _table(("Language", "Files", "Bytes", "Share of bytes"), languages),
        ]
    )


def _pii_section(facts: ModelCardFacts) -> str:
    p = facts.pii
    if p is None:
        return _not_run(
            "PII redaction statistics",
            "no redacted/report.json; the model saw the curated files with any personal data "
            "they contain.",
        )
    detector = f"`{p.detector}`" + (f" (model `{p.model}`)" if p.model else "")
    status = [(name, _n(count), _share(count, p.files)) for name, count in p.status.items()]
    spans = [(name, _n(count)) for name, count in p.spans.items()]
    errors = f" {_n(p.errors)} files could not be scanned." if p.errors else ""
    return "\n\n".join(
        [
            "## PII redaction statistics",
            f"Detector {detector} over {_n(p.files)} files ({_size(p.bytes)}): "
            f"{_n(p.files_with_pii)} files had personal data replaced by placeholders "
            f"(`<NAME>`, `<EMAIL>`, `<KEY>`, `<PASSWORD>`; IP addresses by synthetic private "
            f"ones).{errors}",
            _table(("Status", "Files", "Share"), status),
            _table(("Class", "Spans replaced"), spans),
            "Detection is imperfect: personal data it missed is still in the training files, "
            "and some harmless strings may have been replaced. A class with 0 spans was not "
            "found by this detector (the rule-based `baseline` looks for no names or "
            "usernames), which does not mean the data holds none.",
        ]
    )


def _tokenizer_section(facts: ModelCardFacts) -> str:
    k = facts.tokenizer
    if k is None:
        return _not_run("Tokenizer", "no tokenizer/tokenizer_report.json.")
    lines = [
        "## Tokenizer",
        "",
        f"Byte-level BPE, {_n(k.vocab_size)} tokens with StarCoder's special tokens "
        f"(`{ENDOFTEXT}`, the fill-in-the-middle and metadata tokens), trained on "
        f"{_n(k.train_documents)} files ({_size(k.train_bytes)}). On held-out files it takes "
        f"{_metric(k.tokens_per_byte)} tokens per byte.",
    ]
    by_language = sorted(k.tokens_per_byte_by_language.items(), key=lambda kv: kv[1])
    if by_language:
        (low, low_v), (high, high_v) = by_language[0], by_language[-1]
        lines[-1] += f" Per language: from {_metric(low_v)} ({low}) to {_metric(high_v)} ({high})."
    return "\n".join(lines)


_OPTIMIZER_LABELS = (
    ("weight_decay", "weight decay"),
    ("warmup_steps", "warmup steps"),
    ("grad_clip", "gradient clipping"),
    ("min_lr_ratio", "min lr ratio"),
)


def _optimizer_text(optimizer: dict) -> str:
    if not optimizer:
        return "?"
    betas = optimizer.get("betas")
    parts = [f"lr {optimizer['lr']}" if "lr" in optimizer else None]
    parts.append(f"betas ({betas[0]}, {betas[1]})" if betas else None)
    for key, label in _OPTIMIZER_LABELS:
        if key in optimizer:
            parts.append(f"{label} {optimizer[key]}")
    return "AdamW, " + ", ".join(p for p in parts if p) + ", cosine decay"


def _training_rows(t: TrainingFacts) -> list[tuple[str, str]]:
    attention = None
    if t.multi_query is not None:
        attention = f"multi-query ({t.kv_heads} key/value head)" if t.multi_query else "multi-head"
    device = None if t.use_gpu is None else ("GPU" if t.use_gpu else "CPU")
    workers = f"{t.workers} ({device})" if t.workers and device else _n(t.workers)
    rows = [
        ("Preset", t.preset),
        ("Architecture", "GPTBigCode (`GPTBigCodeForCausalLM`)"),
        ("Parameters", _n(t.parameters)),
        ("Layers", _n(t.layers)),
        ("Hidden size", _n(t.hidden_size)),
        ("Attention heads", _n(t.heads)),
        ("Attention", attention),
        ("Context length (positions)", _n(t.context_length)),
        ("Training sequence length", _n(t.seq_len)),
        ("Vocabulary", _n(t.vocab_size)),
        ("Fill-in-the-middle rate", _fim_text(t)),
        ("Initialised from", t.init_from or "random (pretraining)"),
        ("Steps", _n(t.steps)),
        ("Tokens per step", _n(t.global_batch_tokens)),
        ("Tokens seen", _n(t.tokens_seen)),
        ("Optimizer", _optimizer_text(t.optimizer)),
        ("Precision", t.precision),
        ("ZeRO stage", None if t.zero_stage is None else str(t.zero_stage)),
        ("Workers", workers),
        ("Wall time", _duration(t.wall_s)),
        ("Throughput", f"{_n(round(t.tokens_per_s))} tokens/s" if t.tokens_per_s else None),
        ("Final train loss", _metric(t.final_loss)),
        ("Final validation loss", _metric(t.final_val_loss)),
        ("Unigram entropy of the data", _metric(t.unigram_entropy)),
    ]
    return [(name, value) for name, value in rows if value not in (None, "?")]


def _fim_text(t: TrainingFacts) -> str | None:
    if t.fim_rate is None:
        return None
    spm = f" (of which SPM {t.fim_spm_rate})" if t.fim_spm_rate is not None else ""
    return f"{t.fim_rate}{spm}"


def _training_section(facts: ModelCardFacts) -> str:
    t = facts.training
    if t is None:
        return _not_run("Training configuration", "no pretrain/ artifacts.")
    parts = ["## Training configuration", _table(("Setting", "Value"), _training_rows(t))]
    if t.final_val_loss is not None and t.unigram_entropy is not None:
        verdict = "below" if t.final_val_loss < t.unigram_entropy else "not below"
        parts.append(
            f"Losses are in nats per token. The validation loss is {verdict} the unigram entropy "
            "of the training tokens (the loss of predicting token frequencies alone)."
        )
    return "\n\n".join(parts)


def _eval_section(facts: ModelCardFacts) -> str:
    entries = facts.evaluation
    if entries is None:
        return _not_run("Evaluation results", "no eval/summary.json.")
    if not entries:
        return "## Evaluation results\n\nThe evaluation ran no task."
    rows = [(e.dataset_name, e.metric, _metric(e.value), _n(e.n), e.note or "-") for e in entries]
    parts = [
        "## Evaluation results",
        "Greedy or sampled completions executed in a sandbox (pass@k, estimated as in Chen et "
        "al. 2021), exact match of single-line infilling, perplexity on held-out files.",
        _table(("Benchmark", "Metric", "Value", "n", "Outcomes"), rows),
    ]
    scores = [e for e in entries if e.metric != "perplexity"]
    zeros = [e for e in scores if e.value == 0]
    if scores and len(zeros) == len(scores):
        parts.append(
            "Every score is 0: this model solves none of the problems. A model this small, "
            "trained this briefly, does not yet write working programs; these runs check the "
            "evaluation end to end, not the quality of the recipe."
        )
    elif zeros:
        names = ", ".join(sorted({e.dataset_name for e in zeros}))
        parts.append(f"A score of 0.000 means no problem was solved ({names}).")
    return "\n\n".join(parts)


def _intended_use_section(facts: ModelCardFacts) -> str:
    return "\n".join(
        [
            "## Intended use",
            "",
            "Research and teaching: studying how data curation, PII redaction, tokenization, "
            "training and evaluation of a code model fit together, and testing tools (serving, "
            "evaluation, attribution) against a real checkpoint. Like StarCoder, it is a "
            "completion model over source code, not an instruction-following chat model: prompt "
            "it with the start of a file or function, or with fill-in-the-middle tokens "
            f"(`{FIM_PREFIX}`, `{FIM_SUFFIX}`, `{FIM_MIDDLE}`).",
            "",
            "It is not meant for writing code that others rely on, nor for any use the weights' "
            "license restricts.",
        ]
    )


def _limitations_section(facts: ModelCardFacts) -> str:
    lines = ["## Limitations and biases", ""]
    t = facts.training
    if t and t.parameters and t.parameters < 100_000_000:
        lines.append(
            f"- Tiny model: {_n(t.parameters)} parameters trained on {_n(t.tokens_seen)} tokens "
            "(StarCoderBase: 15.5 billion parameters, 1 trillion tokens). Its completions are "
            "rarely correct programs."
        )
    c = facts.curation
    if c and any(source.startswith("local") for source in c.sources):
        mix = ""
        if c.languages and c.kept.bytes:
            top = c.languages[0]
            mix = f" Of the kept bytes, {_share(top.bytes, c.kept.bytes)} are {top.name}."
        lines.append(
            "- Trained on one machine's own code: the standard library and packages installed "
            "there. Its languages, styles and licenses reflect that machine, not the code people "
            f"write.{mix}"
        )
    lines += [
        "- PII detection is imperfect: the training data may still hold names, emails, keys "
        "or passwords, and the model may emit them.",
        "- It may reproduce training code verbatim, including its license header or lack of one. "
        "Check a completion with the attribution tools below before reusing it, and respect "
        "the license of any file it came from.",
        "- Generated code can be insecure or wrong; run it only in a sandbox.",
    ]
    return "\n".join(lines)


def _license_section(facts: ModelCardFacts) -> str:
    license_id = facts.weights_license
    link = LICENSE_LINKS.get(license_id.lower())
    named = f"[{license_id}]({link})" if link else f"`{license_id}`"
    extra = ""
    if license_id.lower() == "bigcode-openrail-m":
        extra = (
            " (StarCoder's license: open use and redistribution, with use restrictions that "
            "every derivative must carry on)"
        )
    return "\n".join(
        [
            "## License",
            "",
            f"The weights are released under {named}{extra}. The training files keep their own "
            "licenses (see the license table above); the weights' license does not relicense "
            "them, and code the model reproduces from them is under their license.",
        ]
    )


def _attribution_section(facts: ModelCardFacts) -> str:
    a, index = facts.attribution, facts.attribution_dir
    lines = ["## How to check attribution", ""]
    if a is None:
        lines += [
            f"Attribution index: {NOT_RUN} (no `{index}/manifest.json`). Build it with "
            f"`python ray_jobs/build_index.py --data <training data> --output {index}`, then use "
            "the commands below.",
            "",
        ]
    else:
        sources = ", ".join(f"`{s}`" for s in a.sources) or "?"
        lines += [
            f"The index at `{index}` covers {_n(a.files)} files ({_size(a.text_bytes)} of text) "
            f"from {sources}: a membership filter of {_n(a.distinct_ngrams)} distinct "
            f"{a.ngram_width}-character n-grams (taken every {a.ngram_stride} characters, "
            f"{a.false_positive_rate * 100:g}% false positives per n-gram, a match needs "
            f"{a.min_chain} stored n-grams in a row) and a {a.search_backend} full-text index "
            "that returns the source files with their repository, path and license."
            + _index_note(facts),
            "",
        ]
    lines += [
        "```bash",
        f"python -m starcoder_attribution check --index {index} file.py        # copied spans",
        f"python -m starcoder_attribution in-data --index {index} owner/repo   # is my repo in?",
        "```",
        "",
        "The serve API answers the same per completion: add "
        '`"attribution": {"membership": true, "top_k": 3}` to a completions request (with the '
        '`openai` client: `extra_body={"attribution": {"top_k": 3}}`) and read each choice\'s '
        "`attribution` (`member`, `matched_fraction`, `spans`, `sources` with their licenses).",
    ]
    return "\n".join(lines)


def _index_note(facts: ModelCardFacts) -> str:
    """Says so when the index was built from other files than the ones the model saw."""
    if facts.data is None or facts.attribution is None:
        return ""
    if any(
        Path(s).resolve() == Path(facts.data.data_dir).resolve() for s in facts.attribution.sources
    ):
        return ""
    return f" The model itself trained on `{facts.data.data_dir}`."


def _loading_section(facts: ModelCardFacts) -> str:
    path = facts.model_dir
    return "\n".join(
        [
            "## How to load it",
            "",
            "```python",
            "from transformers import AutoModelForCausalLM, AutoTokenizer",
            "",
            f'tokenizer = AutoTokenizer.from_pretrained("{path}")',
            f'model = AutoModelForCausalLM.from_pretrained("{path}")',
            'inputs = tokenizer("def fibonacci(n):", return_tensors="pt")',
            "outputs = model.generate(**inputs, max_new_tokens=40)",
            "print(tokenizer.decode(outputs[0]))",
            "```",
        ]
    )


def _citation_section(facts: ModelCardFacts) -> str:
    return "\n".join(
        [
            "## Citation",
            "",
            "This model reproduces the recipe of StarCoder (Li et al. 2023, "
            "[arXiv:2305.06161](https://arxiv.org/abs/2305.06161)):",
            "",
            "```bibtex",
            "@article{li2023starcoder,",
            "  title={StarCoder: may the source be with you!},",
            "  author={Li, Raymond and Ben Allal, Loubna and Zi, Yangtian and Muennighoff, Niklas "
            "and others},",
            "  journal={arXiv preprint arXiv:2305.06161},",
            "  year={2023}",
            "}",
            "```",
        ]
    )


_SECTIONS = (
    _summary_section,
    _data_section,
    _curation_section,
    _pii_section,
    _tokenizer_section,
    _training_section,
    _eval_section,
    _intended_use_section,
    _limitations_section,
    _license_section,
    _attribution_section,
    _loading_section,
    _citation_section,
)
