"""A job's settings: one dataclass gives its command line, its JSON and its report type."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from starcoder_jobs.config import (
    from_json,
    option,
    parse_config,
    parse_field_pairs,
    to_argv,
    to_json,
)
from starcoder_jobs.report import Report


@dataclass(frozen=True, kw_only=True)
class Inner:
    rate: float = 0.5


@dataclass(frozen=True, kw_only=True)
class ToyJob:
    sources: tuple[str, ...] = option(("local",), "where from", flag="--source")
    output: str = option("out", "folder")
    limit: int | None = option(None, "first N")
    rate: float = option(0.25)
    greedy: bool = option(False, "one sample")
    mode: str = option("a", choices=("a", "b"))
    overrides: dict = option(help="FIELD=VALUE", flag="--set", default_factory=dict)
    inner: Inner = option(default_factory=Inner, cli=False)

    def check(self) -> None:
        if self.limit is not None and self.limit < 1:
            raise ValueError("--limit must be at least 1")


def test_defaults_come_from_the_dataclass():
    assert parse_config(ToyJob, []) == ToyJob()
    assert parse_config(ToyJob, []).sources == ("local",)


def test_every_kind_of_field_parses():
    job = parse_config(
        ToyJob,
        ["--source", "a", "--source=b", "--limit", "3", "--rate", "0.5", "--greedy",
         "--mode", "b", "--set", "steps=8", "--set", "name=tiny", "--set", 'lr=1e-3']
    )  # fmt: skip
    assert job.sources == ("a", "b") and job.limit == 3 and job.rate == 0.5 and job.greedy
    assert job.mode == "b" and job.overrides == {"steps": 8, "name": "tiny", "lr": 1e-3}


@pytest.mark.parametrize(
    "argv", [["--mode", "c"], ["--rate", "fast"], ["--limit", "0"], ["--unknown"], ["--set", "x"]]
)
def test_bad_values_stop_with_the_parsers_usage_error(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        parse_config(ToyJob, argv, check=ToyJob.check)
    assert stop.value.code == 2 and "error:" in capsys.readouterr().err


def test_the_command_line_and_json_give_back_the_same_config():
    job = ToyJob(sources=("x", "y"), limit=2, greedy=True, overrides={"a": [1, 2], "b": "s"},
                 inner=Inner(rate=0.1))  # fmt: skip
    assert from_json(ToyJob, to_json(job)) == job
    assert parse_config(ToyJob, to_argv(job)) == ToyJob(**{**vars(job), "inner": Inner()})
    assert to_argv(ToyJob()) == []  # defaults are left out
    with pytest.raises(ValueError, match="no fields"):
        from_json(ToyJob, '{"nope": 1}')


def test_field_pairs_are_json_where_they_parse_and_checked_against_known_names():
    assert parse_field_pairs(["a=1", "b=x", "c=[1]", "d="]) == {"a": 1, "b": "x", "c": [1], "d": ""}
    with pytest.raises(ValueError, match="FIELD one of"):
        parse_field_pairs(["steps=1"], known={"max_steps"})


@dataclass(frozen=True, kw_only=True)
class ToyReport(Report):
    FILE = "toy.json"
    files: int = 0
    names: tuple[str, ...] = field(default_factory=tuple)


def test_a_report_round_trips_and_a_broken_one_names_its_path(tmp_path):
    assert ToyReport.read(tmp_path) is None
    report = ToyReport(files=2, names=("a", "b"))
    assert report.write(tmp_path) == tmp_path / "toy.json"
    assert ToyReport.read(tmp_path) == report
    (tmp_path / "toy.json").write_text("{broken")
    with pytest.raises(ValueError, match="toy.json"):
        ToyReport.read(tmp_path)


def test_every_preset_family_has_one_shape_and_one_error():
    from starcoder_data.tokens import PRESETS as PACKING
    from starcoder_jobs.presets import Presets, UnknownPresetError
    from starcoder_model.presets import PRESETS as MODELS
    from starcoder_model.training.presets import PRETRAIN_PRESETS
    from starcoder_pii.encoder import PRESETS as ENCODERS
    from starcoder_pipeline.config import PIPELINE_PRESETS

    families = {
        "model": MODELS, "training": PRETRAIN_PRESETS, "StarEncoder": ENCODERS,
        "packing": PACKING, "pipeline": PIPELINE_PRESETS,
    }  # fmt: skip
    for kind, family in families.items():
        assert isinstance(family, Presets) and family.kind == kind
        name = next(iter(family))
        assert family[name] == family[name]  # a config, made afresh each time
        with pytest.raises(ValueError, match=f"unknown {kind} preset 'nope'; known presets"):
            family["nope"]
        assert family.get("nope") is None  # a Mapping: get() still has its default
    assert str(UnknownPresetError("plain message")) == "plain message"
    assert PRETRAIN_PRESETS["tiny"].tokens_dir == "outputs/tokens"
