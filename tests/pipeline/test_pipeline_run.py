"""The whole pipeline at micro scale on the session's Ray: raw repos in, a served model out.

One run curates a few real repositories, redacts their PII, trains a tokenizer
and a micro model, evaluates it in the sandbox, indexes the training data,
writes the model card, serves the model with its playground and prints the
summary; a second run skips every stage; a third submits stages as Ray jobs
to the same cluster, the way a remote cluster is driven.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import sysconfig
import threading
from pathlib import Path

import httpx
import pytest
import yaml
from corpus_fixture import MIT

from ray_jobs import pipeline

STDLIB = Path(sysconfig.get_paths()["stdlib"])
REPOS = {
    "alpha": ["textwrap.py", "shlex.py", "fnmatch.py", "glob.py", "bisect.py", "heapq.py"],
    "beta": ["string.py", "numbers.py", "pprint.py", "calendar.py", "colorsys.py", "queue.py"],
    "gamma": ["json/decoder.py", "json/encoder.py", "json/scanner.py", "csv.py", "difflib.py"],
}
PLANTED_EMAIL = "maria.lopez@fastmail.com"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def repos(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("raw") / "repos"
    for repo, modules in REPOS.items():
        (root / repo).mkdir(parents=True)
        (root / repo / "LICENSE").write_text(MIT)
        for module in modules:
            (root / repo / Path(module).name).write_text((STDLIB / module).read_text())
    (root / "alpha" / "settings.py").write_text(f'CONTACT = "{PLANTED_EMAIL}"\nDEBUG = False\n')
    return root


def _argv(repos: Path, output: Path, *extra: str) -> list[str]:
    return ["--preset", "micro", "--source", f"directory:{repos}", "--output", str(output), *extra]


PIPELINE = Path(pipeline.__file__).resolve()


def _env(ray_cluster) -> dict:
    """The pipeline runs as its own driver on the session's cluster (not a second one)."""
    return {**os.environ, "RAY_ADDRESS": ray_cluster.get_runtime_context().gcs_address}


def _run(ray_cluster, argv: list[str]) -> dict:
    """One pipeline run that stops after its summary; returns the summary."""
    done = subprocess.run(
        [sys.executable, str(PIPELINE), *argv, "--no-serve"],
        env=_env(ray_cluster),
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    output = Path(argv[argv.index("--output") + 1])
    return json.loads((output / "pipeline" / "summary.json").read_text())


@pytest.fixture(scope="module")
def first_run(ray_cluster, repos, tmp_path_factory):
    """The first run, serving at the end; stopped (SIGTERM, as `ray job stop` does) after use."""
    output = tmp_path_factory.mktemp("pipeline")
    ports = ["--port", str(_free_port()), "--playground-port", str(_free_port())]
    argv = [sys.executable, str(PIPELINE), *_argv(repos, output, "--no-browser", *ports)]
    process = subprocess.Popen(
        argv, env=_env(ray_cluster), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines = []
    try:
        for line in process.stdout:  # the last line before it blocks says it is serving
            lines.append(line)
            if line.startswith("serving until"):
                break
        assert process.poll() is None, "".join(lines[-100:])
        # keep draining its output, or a full pipe would block the server's logging
        threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True).start()
        summary = json.loads((output / "pipeline" / "summary.json").read_text())
        yield output, summary, process
    finally:
        _stop_serving(process)


def _stop_serving(process) -> None:
    """Stop the API and the playground; frees the replica's CPU for the later tests."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)


@pytest.mark.integration
def test_the_pipeline_runs_every_stage_and_serves_the_model(first_run):
    output, summary, process = first_run
    assert [(o["stage"], o["action"]) for o in summary["stages"]] == [
        (stage, "ran")
        for stage in ("curate", "redact", "tokenizer", "tokens", "pretrain", "evaluate", "index")
    ]
    assert summary["data"]["kept"]["files"] == sum(map(len, REPOS.values())) + 1
    assert summary["pii"]["spans"]["EMAIL"] >= 1
    assert Path(summary["training"]["loss_curve"]).stat().st_size > 10_000
    assert summary["evaluation"] == {"humaneval pass@1": 0.0}
    # 0.0 from programs that ran: every sample of every problem has its outcome from the sandbox
    humaneval = json.loads((output / "eval" / "humaneval.json").read_text())
    sampling = humaneval["sampling"]
    per_problem = 1 if sampling["greedy"] else sampling["n"]
    assert sum(humaneval["statuses"].values()) == humaneval["problems"] * per_problem > 0
    assert humaneval["sandbox"]["backend"] and "passed" not in humaneval["statuses"]
    # perplexity on the files packing held out of training (all Python here), per language
    assert list(summary["held_out_perplexity"]) == ["python"]
    assert summary["held_out_perplexity"]["python"] > 1.0
    assert summary["attribution"]["files"] == summary["data"]["kept"]["files"]
    # the index answers for a planted file: ten lines of alpha's textwrap.py
    from starcoder_attribution.attribute import Attributor

    lines = (STDLIB / "textwrap.py").read_text().splitlines()
    snippet = "\n".join(lines[100:110])
    found = Attributor(output / "attribution").attribute(snippet, top_k=1)
    assert found.member and found.matched_fraction > 0.8  # n-grams cut at the snippet's edges
    assert [(Path(s.repo).name, s.path) for s in found.sources] == [("alpha", "textwrap.py")]
    assert set(summary["urls"]) == {"API", "playground"}
    # the training data is the redacted copy: the planted address never reaches the model
    redacted = (output / "redacted" / "data").rglob("*.parquet")
    import pyarrow.parquet as pq

    texts = [t for f in redacted for t in pq.read_table(f, columns=["content"])["content"]]
    assert not any(PLANTED_EMAIL in str(t) for t in texts)
    assert any("<EMAIL>" in str(t) for t in texts)

    request = {"prompt": "def shorten(text, width):", "max_tokens": 8, "temperature": 0}
    request["attribution"] = {"membership": True, "top_k": 2}
    response = httpx.post(summary["urls"]["API"], json=request, timeout=60)
    assert response.status_code == 200, response.text
    choice = response.json()["choices"][0]
    assert choice["text"] and "member" in choice["attribution"]
    assert httpx.get(summary["urls"]["playground"], timeout=30).status_code == 200
    _stop_serving(process)
    assert process.returncode == 0


@pytest.mark.integration
def test_the_published_checkpoint_carries_a_model_card(first_run):
    output = first_run[0]
    card = (output / "pretrain" / "model" / "README.md").read_text()
    front = yaml.safe_load(card.split("---")[1])
    assert front["license"] == "other" and front["license_name"] == "bigcode-openrail-m"
    assert front["library_name"] == "transformers"
    assert "model-index" in front
    for words in ("MIT", "EMAIL", "starcoder_attribution check", "Limitations"):
        assert words in card


@pytest.mark.integration
def test_a_rerun_skips_every_stage_and_a_forced_stage_reruns_downstream(
    first_run, repos, ray_cluster
):
    output, first, _ = first_run
    again = _run(ray_cluster, _argv(repos, output))
    assert {o["action"] for o in again["stages"]} == {"skipped"}
    assert again["evaluation"] == first["evaluation"]
    forced = _run(ray_cluster, _argv(repos, output, "--force", "evaluate"))
    assert [o["stage"] for o in forced["stages"] if o["action"] == "ran"] == ["evaluate"]


@pytest.mark.integration
def test_stages_submitted_as_ray_jobs_decide_on_the_cluster(first_run, repos, ray_cluster):
    output = first_run[0]
    import ray._private.worker as ray_worker

    before = json.loads((output / "pipeline" / "stages" / "index.json").read_text())
    address = f"http://{ray_worker.global_worker.node.webui_url}"
    argv = _argv(repos, output, "--no-serve", "--address", address, "--job-python", sys.executable)
    argv += ["--cluster-repo", str(Path(pipeline.__file__).resolve().parents[1])]
    result = pipeline.run_pipeline([*argv, "--stages", "redact,index", "--force", "index"])
    assert [o.stage for o in result.outcomes] == ["redact", "index"]
    after = json.loads((output / "pipeline" / "stages" / "index.json").read_text())
    assert after["status"] == "done" and after["started"] > before["started"]
    redact = json.loads((output / "pipeline" / "stages" / "redact.json").read_text())
    assert redact["started"] < before["started"]  # skipped on the cluster: inputs unchanged
    with pytest.raises(SystemExit, match="absolute path"):
        pipeline.run_pipeline(
            ["--preset", "micro", "--output", "relative/run", "--address", address]
        )
