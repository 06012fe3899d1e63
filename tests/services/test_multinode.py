"""Work spreads over the nodes of a multi-node cluster (head + 2 workers, one machine)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

SCRIPT = Path(__file__).with_name("multinode_script.py")


def test_tasks_and_actors_land_on_distinct_worker_nodes():
    # its own process: a Cluster cannot share a driver with the session's ray.init
    run = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=180, check=False
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    workers = set(result["worker_nodes"])
    assert len(workers) == 2
    assert set(result["task_nodes"]) == workers  # the head has no CPUs: all on the workers
    assert set(result["actor_nodes"]) == workers  # one actor per worker node
    assert result["head_node"] not in workers
