"""Which stages a run does: fingerprints of job configs, code and inputs, stage to stage."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
import yaml
from starcoder_model.training.presets import PRETRAIN_PRESETS
from starcoder_pipeline.config import PIPELINE_PRESETS, pipeline_config
from starcoder_pipeline.fingerprint import read_record, start_record, write_record
from starcoder_pipeline.layout import RunLayout
from starcoder_pipeline.plan import plan_run
from starcoder_pipeline.stages import STAGE_NAMES, STAGES, downstream_of, select_stages

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def repo(tmp_path):
    """A copy of the code the fingerprints read (job scripts and packages), to edit freely."""
    copy = tmp_path / "repo"
    shutil.copytree(REPO / "ray_jobs", copy / "ray_jobs", ignore=shutil.ignore_patterns("__py*"))
    for package in ("data", "pii", "model", "eval", "attribution", "jobs"):
        shutil.copytree(
            REPO / "packages" / package / f"starcoder_{package}",
            copy / "packages" / package / f"starcoder_{package}",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    (copy / "data_cache" / "benchmarks").mkdir(parents=True)
    return copy


@pytest.fixture
def corpus(tmp_path):
    root = tmp_path / "corpus" / "alpha"
    root.mkdir(parents=True)
    (root / "main.py").write_text("print('hello')\n")
    return tmp_path / "corpus"


def _config(corpus, **changes):
    return pipeline_config("micro", sources=(f"directory:{corpus}",), **changes)


def _finish(layout: RunLayout, plan) -> None:
    """What a successful run leaves: each stage's done marker and a done record."""
    for planned in plan:
        if not planned.runs:
            continue
        output = Path(planned.stage.output(layout))
        output.mkdir(parents=True, exist_ok=True)
        (output / planned.stage.done_marker).write_text("{}")
        record = start_record(layout, planned.stage.name, planned.fingerprint, planned.config)
        record.status = "done"
        write_record(layout, record)


def _actions(plan) -> dict[str, str]:
    return {p.stage.name: p.decision.action if p.selected else "-" for p in plan}


def test_a_first_run_runs_everything_and_a_second_skips_everything(tmp_path, repo, corpus):
    layout = RunLayout.at(tmp_path / "run")
    first = plan_run(_config(corpus), layout, repo)
    assert _actions(first) == dict.fromkeys(STAGE_NAMES, "run")
    assert {p.decision.reason for p in first} == {"never run"}
    _finish(layout, first)
    second = plan_run(_config(corpus), layout, repo)
    assert _actions(second) == dict.fromkeys(STAGE_NAMES, "skip")
    assert [p.fingerprint for p in second] == [p.fingerprint for p in first]


def test_a_changed_setting_reruns_its_stage_and_those_after_it_only(tmp_path, repo, corpus):
    layout = RunLayout.at(tmp_path / "run")
    _finish(layout, plan_run(_config(corpus), layout, repo))
    config = _config(corpus)
    config = config.replace(tokenizer=dataclasses.replace(config.tokenizer, vocab_size=640))
    plan = plan_run(config, layout, repo)
    assert _actions(plan) == {
        "curate": "skip",
        "redact": "skip",
        "tokenizer": "run",
        "tokens": "run",
        "pretrain": "run",
        "evaluate": "run",
        "index": "skip",  # the index reads the redacted data, not the tokenizer
    }
    assert {p.decision.reason for p in plan if p.runs} == {"inputs changed"}


def test_an_edited_corpus_file_reruns_everything(tmp_path, repo, corpus):
    layout = RunLayout.at(tmp_path / "run")
    _finish(layout, plan_run(_config(corpus), layout, repo))
    (corpus / "alpha" / "main.py").write_text("print('hello, world')\n")
    assert set(_actions(plan_run(_config(corpus), layout, repo)).values()) == {"run"}


def test_edited_code_reruns_the_stages_that_run_it(tmp_path, repo, corpus):
    layout = RunLayout.at(tmp_path / "run")
    _finish(layout, plan_run(_config(corpus), layout, repo))
    with open(repo / "packages/attribution/starcoder_attribution/ngrams.py", "a") as f:
        f.write("\n# an edit\n")
    assert _actions(plan_run(_config(corpus), layout, repo))["index"] == "run"
    assert list(_actions(plan_run(_config(corpus), layout, repo)).values()).count("run") == 1
    with open(repo / "packages/jobs/starcoder_jobs/ray_runtime.py", "a") as f:  # every job's
        f.write("\n# an edit\n")
    assert set(_actions(plan_run(_config(corpus), layout, repo)).values()) == {"run"}


def test_the_run_folder_can_move_without_invalidating_it(tmp_path, repo, corpus):
    layout = RunLayout.at(tmp_path / "run")
    _finish(layout, plan_run(_config(corpus), layout, repo))
    (tmp_path / "run").rename(tmp_path / "moved")
    plan = plan_run(_config(corpus), RunLayout.at(tmp_path / "moved"), repo)
    assert set(_actions(plan).values()) == {"skip"}


def test_force_reruns_the_stage_and_everything_downstream(tmp_path, repo, corpus):
    layout = RunLayout.at(tmp_path / "run")
    _finish(layout, plan_run(_config(corpus), layout, repo))
    plan = plan_run(_config(corpus), layout, repo, force=("tokens",))
    ran = {name for name, action in _actions(plan).items() if action == "run"}
    assert ran == {"tokens", "pretrain", "evaluate"}
    assert {p.decision.reason for p in plan if p.runs} == {"forced"}
    assert set(_actions(plan_run(_config(corpus), layout, repo, force=("all",))).values()) == {
        "run"
    }
    with pytest.raises(ValueError, match="unknown stages"):
        plan_run(_config(corpus), layout, repo, force=("tokenize",))


def test_an_interrupted_stage_resumes_only_where_the_job_checkpoints(tmp_path, repo, corpus):
    layout = RunLayout.at(tmp_path / "run")
    plan = plan_run(_config(corpus), layout, repo)
    by_name = {p.stage.name: p for p in plan}
    for name in ("curate", "tokenizer", "pretrain"):
        start_record(layout, name, by_name[name].fingerprint, by_name[name].config)
    after = {p.stage.name: p for p in plan_run(_config(corpus), layout, repo)}
    assert after["curate"].decision.action == "resume"
    assert after["pretrain"].decision.action == "resume"
    assert after["tokenizer"].decision.action == "run"
    # a resumed job keeps its checkpoints: no overwrite; a fresh run replaces the folder
    assert not after["curate"].job_config().overwrite
    assert plan_run(_config(corpus, max_repos=1), layout, repo)[0].job_config().overwrite
    assert read_record(layout, "curate").status == "running"


def test_a_deleted_output_is_rebuilt(tmp_path, repo, corpus):
    layout = RunLayout.at(tmp_path / "run")
    _finish(layout, plan_run(_config(corpus), layout, repo))
    shutil.rmtree(layout.attribution)
    plan = {p.stage.name: p.decision for p in plan_run(_config(corpus), layout, repo)}
    assert plan["index"].action == "run" and plan["index"].reason == "output missing"


def test_selecting_stages_leaves_the_others_alone(tmp_path, repo, corpus):
    layout = RunLayout.at(tmp_path / "run")
    plan = plan_run(_config(corpus), layout, repo, stages="curate,redact")
    assert [p.stage.name for p in plan if p.runs] == ["curate", "redact"]
    with pytest.raises(ValueError, match="unknown stages"):
        select_stages("curate,train")
    assert downstream_of({"redact"}) == set(STAGE_NAMES) - {"curate"}


def test_the_stages_pass_each_job_the_run_layout(tmp_path, corpus):
    layout = RunLayout.at(tmp_path / "run")
    jobs = {s.name: s.job_config(_config(corpus), layout) for s in STAGES}
    assert jobs["curate"].output == str(layout.curated)
    assert jobs["curate"].sources == (f"directory:{corpus}",)
    assert (jobs["redact"].data, jobs["redact"].output) == (
        str(layout.curated / "data"),
        str(layout.redacted),
    )
    assert jobs["redact"].chosen_detector() == "rules"  # no NER model given
    for name in ("tokenizer", "tokens", "index"):  # everything after redaction sees redacted data
        assert jobs[name].data == str(layout.training_data)
    assert jobs["tokens"].tokenizer == jobs["pretrain"].tokenizer == str(layout.tokenizer)
    assert jobs["pretrain"].tokens == str(layout.tokens)
    assert jobs["evaluate"].checkpoint == str(layout.model)
    assert jobs["evaluate"].allow_code_execution
    assert jobs["evaluate"].task_list() == ["humaneval", "perplexity"]
    assert jobs["evaluate"].held_out == str(layout.tokens)


def test_the_pipeline_config_round_trips_through_json():
    """What cluster mode hands each stage's job: the same typed config, every preset."""
    from starcoder_pipeline.config import PipelineConfig

    for preset in PIPELINE_PRESETS:
        config = pipeline_config(preset, sources=("directory:/code",), pii_model="/models/pii")
        again = PipelineConfig.from_json(config.to_json())
        assert again == config and again.curate.sources == ("directory:/code",)
        assert again.redact.model == "/models/pii"


@pytest.mark.parametrize("preset", sorted(PIPELINE_PRESETS))
def test_each_preset_packs_sequences_as_long_as_its_model_trains_on(preset, tmp_path):
    from starcoder_data.tokens import PRESETS as PACK_PRESETS

    config = pipeline_config(preset)
    seq_len = config.tokens.seq_len or PACK_PRESETS[config.tokens.preset].seq_len
    train = PRETRAIN_PRESETS[config.pretrain.preset]
    assert config.pretrain.overrides.get("seq_len", train.seq_len) == seq_len


def test_the_gpu_preset_fits_the_gpu_workers_of_cluster_yaml():
    cluster = yaml.safe_load((REPO / "cluster.yaml").read_text())
    gpu_node = cluster["available_node_types"]["gpu_worker"]
    gpus_per_node = {"p4d.24xlarge": 8, "p4de.24xlarge": 8, "p5.48xlarge": 8}[
        gpu_node["node_config"]["InstanceType"]
    ]
    gpus = gpus_per_node * gpu_node["max_workers"]
    config = pipeline_config("gpu-1b")
    train = PRETRAIN_PRESETS[config.pretrain.preset]
    assert train.use_gpu and train.num_workers <= gpus
    assert train.num_workers % gpus_per_node == 0  # whole nodes: NVLink within one
    assert config.serve.num_gpus * config.serve.max_replicas <= gpus
    assert config.evaluate.gpus_per_actor * config.evaluate.actors <= gpus
    assert config.tokenizer.vocab_size == 49_152 and train.seq_len == 8192  # StarCoder's


def test_a_copy_of_the_project_plans_the_same_run(tmp_path, repo, corpus):
    """A Ray job's working directory is a copy of the project: its decisions must agree."""
    (repo / "data_cache" / "benchmarks" / "humaneval.jsonl").write_text('{"task_id": 0}\n')
    copy = tmp_path / "elsewhere" / "repo"
    shutil.copytree(repo, copy)
    layout = RunLayout.at(tmp_path / "run")
    here = [p.fingerprint for p in plan_run(_config(corpus), layout, repo)]
    assert [p.fingerprint for p in plan_run(_config(corpus), layout, copy)] == here
    (copy / "data_cache" / "benchmarks" / "humaneval.jsonl").write_text('{"task_id": 1}\n')
    changed = {
        p.stage.name for p in plan_run(_config(corpus), layout, copy) if p.fingerprint not in here
    }
    assert changed == set(STAGE_NAMES)  # decontamination reads the benchmarks: all of it
