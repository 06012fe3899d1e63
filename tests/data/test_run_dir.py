import pytest
from starcoder_data.run_dir import RunConflictError, RunDirectory


def test_same_config_resumes_and_keeps_finished_steps(tmp_path):
    run = RunDirectory(tmp_path / "out")
    assert run.claim({"a": 1}) is False
    run.start("step1").mkdir(parents=True)
    run.finish("step1")
    (run.start("step2") / "partial.parquet").parent.mkdir(parents=True)
    (run.step("step2") / "partial.parquet").write_text("half")

    again = RunDirectory(tmp_path / "out")
    assert again.claim({"a": 1}) is True
    assert again.is_done("step1") and not again.is_done("step2")
    assert not again.start("step2").exists()


def test_other_config_is_refused_with_the_difference(tmp_path):
    RunDirectory(tmp_path / "out").claim({"a": 1, "b": {"c": 2}})
    with pytest.raises(RunConflictError, match=r"b.c: 2 -> 3"):
        RunDirectory(tmp_path / "out").claim({"a": 1, "b": {"c": 3}})
    assert RunDirectory(tmp_path / "out").claim({"a": 1, "b": {"c": 3}}, overwrite=True) is False


def test_a_folder_that_is_not_a_run_is_refused(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "precious.txt").write_text("x")
    with pytest.raises(RunConflictError, match="not empty"):
        RunDirectory(tmp_path / "out").claim({"a": 1})
    assert (tmp_path / "out" / "precious.txt").exists()
