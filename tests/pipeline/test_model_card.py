"""The model card: facts read from a run's artifacts, HF front matter, sections, atomic write.

The artifacts are small copies of the shapes the jobs write (curate.py's
report, redact_pii.py's report, the tokenizer report, pretrain.py's config and
summary, evaluate.py's summary, build_index.py's manifest); the checkpoint is
the session's micro GPTBigCode.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from starcoder_pipeline.layout import RunLayout
from starcoder_pipeline.model_card import NOT_RUN, render_model_card, write_model_card
from starcoder_pipeline.run_facts import NamedCount, collect_card_facts, parameter_count

# (language, license, size): what the model trained on (the redacted copy)
TRAINING_ROWS = [
    ("python", "MIT", 1_500_000),
    ("python", "MIT", 500_000),
    ("python", "Apache-2.0", 2_000),
    ("c", "MIT", 1_000_000),
    ("c", "BSD-3-Clause AND MIT", 250),
    ("c", None, 10),
]


def write_json(path: Path, payload) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1), encoding="utf-8")


def write_parquet(folder: Path, rows, extra: dict | None = None) -> None:
    """Hive-partitioned files of the curated schema's columns (``language=<lang>/``)."""
    for language in sorted({row[0] for row in rows}):
        records = [
            {
                "repo": f"owner/repo{i}",
                "path": f"f{i}",
                "source": "local:",
                "license": license_,
                "license_source": "LICENSE",
                "stars": None,
                "size": size,
                "content_hash": "0" * 64,
                "content": "x = 1\n",
            }
            | (extra or {})
            for i, (lang, license_, size) in enumerate(rows)
            if lang == language
        ]
        target = folder / f"language={language}"
        target.mkdir(parents=True)
        pq.write_table(pa.Table.from_pylist(records), target / "part-0.parquet")


def curation_report():
    """A curation run's report, built by the curation package from per-language counts."""
    from starcoder_data.curation import CurationConfig, SourceSpec
    from starcoder_data.licenses import LicenseConfig
    from starcoder_data.optout import OptOutConfig
    from starcoder_data.report import Count, build_report

    counts = [
        {"language": "c", "status": "kept", "files": 6_640, "bytes": 55_286_762},
        {"language": "python", "status": "kept", "files": 18_864, "bytes": 302_966_234},
        {"language": "python", "status": "read:symlink", "files": 29, "bytes": 0},
        {"language": "python", "status": "read:too_large", "files": 111, "bytes": 1_440_287_983},
        {"language": "unknown", "status": "license:no_license", "files": 34_763,
         "bytes": 535_782_745},
    ]  # fmt: skip
    inputs = {
        "c": Count(6_640, 55_286_762),
        "python": Count(19_004, 1_743_254_217),
        "unknown": Count(34_763, 535_782_745),
        "lua": Count(0, 0),
    }
    config = CurationConfig(
        sources=(SourceSpec(kind="local"), SourceSpec(kind="git", location="g/r")),
        license=LicenseConfig(allowed=frozenset({"Apache-2.0", "MIT"})),
        optout=OptOutConfig(entries=frozenset({"someone/private"})),
    )
    return build_report(counts, inputs, files_read=60_407, seconds=440.4, config=config)


PII_REPORT = {
    "files": 25_504,
    "bytes": 358_252_996,
    "status": {"clean": 24_957, "redacted": 547},
    "errors": {},
    "spans": {"NAME": 0, "EMAIL": 1_006, "KEY": 63, "PASSWORD": 368, "IP_ADDRESS": 278},
    "files_with_pii": 547,
    "detector": "baseline",
    "model": None,
}

TOKENIZER_REPORT = {
    "vocab_size": 8192,
    "train": {"documents": 2421, "bytes": 33_411_643},
    "eval": {"documents": 687, "bytes": 7_906_746, "tokens": 2_423_545, "tokens_per_byte": 0.3071},
    "tokens_per_byte": {"c": 0.332, "python": 0.2977, "sql": 0.829},
}

TRAIN_CONFIG = {
    "preset": "micro",
    "max_steps": 100,
    "num_workers": 2,
    "use_gpu": False,
    "precision": "fp32",
    "zero_stage": 1,
    "seq_len": 64,
    "global_batch_tokens": 1024,
    "init_from": None,
    "optimizer": {"betas": [0.9, 0.95], "lr": 0.002, "warmup_steps": 15, "weight_decay": 0.1},
    "fim_rate": 0.5,  # FIM is drawn per training sample: the training config holds its rates
    "fim_spm_rate": 0.5,
}

TRAIN_SUMMARY = {
    "steps": 100,
    "tokens_seen": 1_638_400,
    "final_loss": 5.907466,
    "final_val_loss": 5.671150,
    "unigram_entropy": 6.7153,
    "tokens_per_s": 3715.48,
    "wall_s": 464.2,
}

EVAL_SUMMARY = [
    {
        "task": "humaneval",
        "pass_at_k": {"pass@1": 0.0},
        "problems": 164,
        "statuses": {"failed": 100, "error": 64},
        "skipped": {},
    },
    {
        "task": "multiple-cpp",
        "pass_at_k": {"pass@1": 0.0125, "pass@10": 0.05},
        "problems": 161,
        "statuses": {"passed": 2, "failed": 159},
        "skipped": {"HumanEval_1": "needs a library"},
    },
    {"task": "fim-single-line", "exact_match": 0.0, "examples": 164},
    {
        "task": "perplexity",
        "held_out": "outputs/curated/data",
        "languages": {
            "python": {"documents": 200, "tokens": 12_345, "nll": 3.7193, "perplexity": 41.23456}
        },
    },
]


@pytest.fixture
def full_run(tmp_path, micro_checkpoint) -> RunLayout:
    """A run where every stage left its artifacts."""
    layout = RunLayout.at(tmp_path / "run")
    curation_report().write(layout.curated)
    write_parquet(layout.curated / "data", [("python", "Zlib", 7)])  # not what the model saw
    write_parquet(layout.training_data, TRAINING_ROWS, {"pii_status": "clean"})
    write_json(layout.redacted / "report.json", PII_REPORT)
    write_json(layout.tokenizer / "tokenizer_report.json", TOKENIZER_REPORT)
    write_json(layout.tokens / "manifest.json", {"config": {"seq_len": 64}})
    write_json(layout.pretrain / "train_config.json", TRAIN_CONFIG)
    write_json(layout.pretrain / "summary.json", TRAIN_SUMMARY)
    shutil.copytree(micro_checkpoint, layout.model)
    write_json(layout.eval / "summary.json", EVAL_SUMMARY)
    from starcoder_attribution.index_dir import IndexManifest, write_manifest
    from starcoder_attribution.membership import MembershipConfig

    layout.attribution.mkdir(parents=True)
    manifest = IndexManifest(
        membership=MembershipConfig(),
        files=25_504,
        ngrams=5_880_235,
        distinct_ngrams=5_672_846,
        text_bytes=358_252_990,
        sources=[str(layout.training_data)],
    )
    write_manifest(layout.attribution, manifest)
    return layout


def split_card(card: str) -> tuple[dict, str]:
    assert card.startswith("---\n")
    header, body = card[4:].split("\n---\n", 1)
    return yaml.safe_load(header), body


def section(body: str, title: str) -> str:
    return body.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_front_matter_has_the_license_and_the_model_index(full_run):
    meta, _ = split_card(render_model_card(collect_card_facts(full_run, model_name="tiny-coder")))
    assert meta["license"] == "other"
    assert meta["license_name"] == "bigcode-openrail-m"
    assert meta["license_link"].startswith("https://")
    assert meta["library_name"] == "transformers"
    assert meta["pipeline_tag"] == "text-generation"
    assert {"code", "gpt_bigcode", "fill-in-the-middle"} <= set(meta["tags"])
    assert meta["metrics"] == ["code_eval", "exact_match", "perplexity"]
    assert "datasets" not in meta  # the data is a local corpus, not a Hub dataset
    (index,) = meta["model-index"]
    assert index["name"] == "tiny-coder"
    got = [
        (r["dataset"]["name"], r["dataset"].get("config"), m["type"], m["value"])
        for r in index["results"]
        for m in r["metrics"]
    ]
    assert got == [
        ("HumanEval", None, "pass@1", 0.0),
        ("MultiPL-HumanEval (C++)", "humaneval-cpp", "pass@1", 0.013),
        ("MultiPL-HumanEval (C++)", "humaneval-cpp", "pass@10", 0.05),
        ("HumanEval single-line infilling", None, "exact_match", 0.0),
        ("data (python)", "python", "perplexity", 41.235),
    ]
    assert all(r["task"]["type"] == "text-generation" for r in index["results"])


def test_an_spdx_weights_license_is_written_as_is(full_run):
    facts = collect_card_facts(full_run, weights_license="Apache-2.0")
    meta, body = split_card(render_model_card(facts))
    assert meta["license"] == "apache-2.0" and "license_name" not in meta
    assert "released under `Apache-2.0`" in section(body, "License")


def test_license_table_counts_the_training_parquet(full_run):
    facts = collect_card_facts(full_run)
    assert facts.data.redacted and facts.data.data_dir == str(full_run.training_data)
    assert facts.data.licenses == (
        NamedCount(name="MIT", files=3, bytes=3_000_000),
        NamedCount(name="Apache-2.0", files=1, bytes=2_000),
        NamedCount(name="BSD-3-Clause AND MIT", files=1, bytes=250),
        NamedCount(name="(none found)", files=1, bytes=10),
    )
    assert (facts.data.files, facts.data.bytes) == (6, 3_002_260)
    table = section(split_card(render_model_card(facts))[1], "Data sources and licenses")
    assert "| MIT | 3 | 3.0 MB | 99.9% |" in table
    assert "| Apache-2.0 | 1 | 2.0 kB | 0.1% |" in table
    assert "| (none found) | 1 | 10 B | 0.0% |" in table
    assert "`git:g/r`" in table and "Opt-out list: 1 entries." in table


def test_license_table_falls_back_to_the_curated_data(full_run):
    shutil.rmtree(full_run.redacted)
    facts = collect_card_facts(full_run)
    assert not facts.data.redacted
    assert facts.data.licenses == (NamedCount(name="Zlib", files=1, bytes=7),)
    assert facts.pii is None
    assert "not PII-redacted" in render_model_card(facts)


def test_numbers_are_formatted_for_people(full_run):
    _, body = split_card(render_model_card(collect_card_facts(full_run)))
    curation = section(body, "Curation statistics")
    assert "| in | 60,407 | 2.3 GB |" in curation
    assert "| read:too_large | 111 | 1.4 GB |" in curation
    assert "read:symlink" in curation and "7 min 20 s" in curation
    assert "| python | 18,864 | 303.0 MB | 84.6% |" in curation
    assert "| lua |" not in curation  # languages with nothing kept are left out
    pii = section(body, "PII redaction statistics")
    assert "| EMAIL | 1,006 |" in pii and "547 files had personal data replaced" in pii
    training = section(body, "Training configuration")
    assert "| Tokens seen | 1,638,400 |" in training
    assert "| Final validation loss | 5.671 |" in training
    assert "| Workers | 2 (CPU) |" in training
    assert "| Wall time | 7 min 44 s |" in training
    assert "0.307 tokens per byte" in section(body, "Tokenizer")


def test_training_facts_come_from_the_checkpoint(full_run):
    t = collect_card_facts(full_run).training
    config = json.loads((full_run.model / "config.json").read_text())
    assert (t.layers, t.hidden_size, t.heads) == (
        config["n_layer"],
        config["n_embd"],
        config["n_head"],
    )
    assert t.multi_query is True and t.kv_heads == 1
    assert t.context_length == config["n_positions"] and t.seq_len == 64
    from starcoder_model.sizing import parameter_count as from_config
    from transformers import GPTBigCodeConfig

    assert t.parameters == from_config(GPTBigCodeConfig.from_dict(config)) > 0
    assert t.fim_rate == 0.5 and t.preset == "micro"
    assert collect_card_facts(full_run).model_name == "starcoder-ray-micro"


def test_parameter_count_falls_back_to_the_config(full_run, tmp_path):
    config = json.loads((full_run.model / "config.json").read_text())
    assert parameter_count(tmp_path, config) == parameter_count(full_run.model, config)
    assert parameter_count(tmp_path, None) is None


def test_evaluation_table_is_honest_about_zero_scores(full_run):
    body = split_card(render_model_card(collect_card_facts(full_run)))[1]
    evaluation = section(body, "Evaluation results")
    assert "| HumanEval | pass@1 | 0.000 | 164 | error 64, failed 100 |" in evaluation
    cpp = "| MultiPL-HumanEval (C++) | pass@1 | 0.013 | 161 | failed 159, passed 2; 1 skipped |"
    assert cpp in evaluation
    assert "| data (python) | perplexity | 41.235 | 200 | 12,345 tokens |" in evaluation
    assert "A score of 0.000 means no problem was solved" in evaluation

    write_json(full_run.eval / "summary.json", [EVAL_SUMMARY[0], EVAL_SUMMARY[2]])
    body = split_card(render_model_card(collect_card_facts(full_run)))[1]
    assert "Every score is 0" in section(body, "Evaluation results")


def test_missing_artifacts_give_not_run_sections(tmp_path):
    facts = collect_card_facts(RunLayout.at(tmp_path / "empty"))
    assert (facts.data, facts.curation, facts.pii, facts.tokenizer) == (None,) * 4
    assert (facts.training, facts.evaluation, facts.attribution) == (None,) * 3
    meta, body = split_card(render_model_card(facts))
    assert meta["license"] == "other" and "model-index" not in meta and "metrics" not in meta
    for title in (
        "Curation statistics",
        "PII redaction statistics",
        "Tokenizer",
        "Training configuration",
        "Evaluation results",
    ):
        assert section(body, title).strip().startswith(NOT_RUN.capitalize()), title
    assert f"licenses: {NOT_RUN}" in section(body, "Data sources and licenses")
    assert f"Attribution index: {NOT_RUN}" in section(body, "How to check attribution")
    assert "## Citation" in body and "2305.06161" in body


def test_attribution_section_gives_the_commands_and_what_is_indexed(full_run):
    body = split_card(render_model_card(collect_card_facts(full_run)))[1]
    attribution = section(body, "How to check attribution")
    index = full_run.attribution
    assert f"python -m starcoder_attribution check --index {index} file.py" in attribution
    assert f"python -m starcoder_attribution in-data --index {index} owner/repo" in attribution
    assert "covers 25,504 files (358.3 MB of text)" in attribution
    assert '"attribution": {' in attribution
    assert "The model itself trained on" not in attribution

    manifest = json.loads((index / "manifest.json").read_text())
    write_json(index / "manifest.json", manifest | {"sources": [str(full_run.curated / "data")]})
    attribution = section(
        render_model_card(collect_card_facts(full_run)), "How to check attribution"
    )
    assert f"The model itself trained on `{full_run.training_data}`." in attribution
    loading = section(body, "How to load it")
    assert f'AutoModelForCausalLM.from_pretrained("{full_run.model}")' in loading


def test_facts_are_json_serialisable(full_run):
    facts = collect_card_facts(full_run)
    restored = json.loads(json.dumps(dataclasses.asdict(facts)))
    assert restored["data"]["licenses"][0] == {"name": "MIT", "files": 3, "bytes": 3_000_000}
    assert restored["evaluation"][1]["metric"] == "pass@1"
    with pytest.raises(dataclasses.FrozenInstanceError):
        facts.model_name = "other"


def test_a_broken_artifact_names_its_path(full_run):
    (full_run.eval / "summary.json").write_text("{not json")
    with pytest.raises(ValueError, match="summary.json"):
        collect_card_facts(full_run)


def test_write_model_card_replaces_the_readme_atomically(full_run):
    facts = collect_card_facts(full_run)
    (full_run.model / "README.md").write_text("old card")
    path = write_model_card(full_run.model, facts)
    assert path == full_run.model / "README.md"
    assert path.read_text(encoding="utf-8") == render_model_card(facts)
    assert not [p for p in full_run.model.iterdir() if p.name.endswith(".tmp")]
    assert path.stat().st_mode & 0o777 == 0o644


def test_huggingface_hub_reads_the_card(full_run):
    repocard = pytest.importorskip("huggingface_hub")
    path = write_model_card(full_run.model, collect_card_facts(full_run, model_name="tiny-coder"))
    card = repocard.ModelCard.load(path)
    assert card.data.license == "other"
    assert card.data.license_name == "bigcode-openrail-m"
    assert card.data.model_name == "tiny-coder"
    results = [(r.dataset_name, r.metric_type, r.metric_value) for r in card.data.eval_results]
    assert results[0] == ("HumanEval", "pass@1", 0.0)
    assert ("MultiPL-HumanEval (C++)", "pass@10", 0.05) in results
    assert ("HumanEval single-line infilling", "exact_match", 0.0) in results
    assert len(results) == 5
    (index,) = repocard.metadata_load(path)["model-index"]
    # One result per benchmark, its metrics together (the Hub's layout); HumanEval and its
    # infilling variant share the dataset type openai_humaneval but stay apart.
    assert [len(r["metrics"]) for r in index["results"]] == [1, 2, 1, 1]


def test_the_run_summary_reports_held_out_perplexity_per_language(full_run):
    from starcoder_pipeline.summary import build_summary, format_summary

    summary = build_summary(collect_card_facts(full_run), full_run, [])
    assert summary["held_out_perplexity"] == {"python": 41.23456}
    assert "perplexity" not in " ".join(summary["evaluation"])
    line = next(x for x in format_summary(summary).splitlines() if "perplexity" in x)
    assert line.split() == ["held-out", "perplexity", "python", "41.23"]
