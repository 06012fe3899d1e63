"""One serve app (the micro checkpoint) for every integration test under tests/services."""

from __future__ import annotations

import socket

import pytest

MODEL_ID = "micro"
# The training set of the app's attribution index holds what the micro model samples
# after this prompt with this seed, so a completion can be traced back to a training file.
# (Its greedy output is only newlines, which normalise to nothing.)
MEMORISED_PROMPT = "def memorised(x):\n"
MEMORISED_TOKENS = 150
MEMORISED_SEED = 1234
MEMORISED_REPO, MEMORISED_PATH = "vendor/memorised", "lib/memorised.py"


def free_port() -> int:
    """A port free right now (the machine is shared: never a fixed port)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def attribution_index(ray_cluster, micro_checkpoint, tmp_path_factory):
    """An attribution index of real code plus the micro model's greedy completion."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from attribution_fixture import curated_rows
    from starcoder_serve import CompletionRequest, CompletionService

    from ray_jobs.build_index import main as build_index

    service = CompletionService.from_checkpoint(micro_checkpoint, model_id=MODEL_ID, device="cpu")
    request = CompletionRequest(
        prompt=MEMORISED_PROMPT, max_tokens=MEMORISED_TOKENS, temperature=1.0, seed=MEMORISED_SEED
    )
    [sequence] = service.prepare(request)
    service.generate([sequence])
    memorised = {
        "repo": MEMORISED_REPO,
        "path": MEMORISED_PATH,
        "license": "MIT",
        "stars": 42,
        "content": f"# vendored code\n{MEMORISED_PROMPT}{sequence.text}\n# end\n",
    }
    root = tmp_path_factory.mktemp("attribution_index")
    folder = root / "data" / "language=python"
    folder.mkdir(parents=True)
    rows = [{k: row[k] for k in memorised} for row in curated_rows()] + [memorised]
    pq.write_table(pa.Table.from_pylist(rows), folder / "part-0.parquet")
    assert build_index(["--data", str(root / "data"), "--output", str(root / "index")]) == 0
    return root / "index"


@pytest.fixture(scope="session")
def serve_url(ray_cluster, micro_checkpoint, attribution_index):
    """Base URL of the serve app on the session's Ray cluster; removed at the end."""
    from ray import serve
    from starcoder_serve.app import build_app

    port = free_port()
    serve.start(http_options={"host": "127.0.0.1", "port": port})
    settings = {
        "checkpoint": str(micro_checkpoint),
        "model_id": MODEL_ID,
        "num_cpus": 0,  # leave the session's two CPUs to the other tests' Ray work
        "torch_threads": 1,
        "min_replicas": 1,
        "max_replicas": 1,
        "attribution_index": str(attribution_index),
    }
    serve.run(build_app(settings), name="starcoder", route_prefix="/")
    yield f"http://127.0.0.1:{port}"
    serve.delete("starcoder")
    serve.shutdown()


KEYED_MODEL_ID = "micro-chat"
API_KEY = "sk-test-0123456789"


@pytest.fixture(scope="session")
def chat_checkpoint(micro_checkpoint, tmp_path_factory):
    """The micro checkpoint with a ChatML chat template on its tokenizer (ours has none)."""
    import shutil

    from family_fixture import CHATML_TEMPLATE
    from transformers import AutoTokenizer

    root = tmp_path_factory.mktemp("chat_checkpoint") / "model"
    shutil.copytree(micro_checkpoint, root)
    tokenizer = AutoTokenizer.from_pretrained(str(root))
    tokenizer.chat_template = CHATML_TEMPLATE
    tokenizer.save_pretrained(str(root))
    return root


@pytest.fixture(scope="session")
def keyed_url(serve_url, chat_checkpoint, tmp_path_factory):
    """A second app on the same Serve instance (under /keyed): API keys and a chat template."""
    from ray import serve
    from starcoder_serve.app import build_app

    key_file = tmp_path_factory.mktemp("keys") / "keys.txt"
    key_file.write_text(f"# test key\n{API_KEY}\nsk-other\n")
    settings = {
        "checkpoint": str(chat_checkpoint),
        "model_id": KEYED_MODEL_ID,
        "num_cpus": 0,
        "torch_threads": 1,
        "min_replicas": 1,
        "max_replicas": 1,
        "api_key_file": str(key_file),
    }
    serve.run(build_app(settings), name="starcoder-keyed", route_prefix="/keyed")
    yield f"{serve_url}/keyed"
    serve.delete("starcoder-keyed")
