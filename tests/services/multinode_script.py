"""Run by test_multinode.py in its own process: a 3-node local cluster spreads the work.

``ray.cluster_utils.Cluster`` starts a head and two worker "nodes" (separate
raylets on this machine), the shape of cluster.yaml's head + CPU workers.
Prints one JSON line: the node each task and each actor ran on.
"""

from __future__ import annotations

import json
import sys
import tempfile

import ray
from ray.cluster_utils import Cluster


@ray.remote(num_cpus=1)
def where_task() -> str:
    return ray.get_runtime_context().get_node_id()


@ray.remote(num_cpus=1)
class Worker:
    def node(self) -> str:
        return ray.get_runtime_context().get_node_id()


def main() -> None:
    temp_dir = tempfile.mkdtemp(prefix="ray-multinode-")
    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 0, "temp_dir": temp_dir, "include_dashboard": False},
    )
    workers = [cluster.add_node(num_cpus=1) for _ in range(2)]
    cluster.wait_for_nodes()
    ray.init(address=cluster.address)
    try:
        tasks = ray.get(
            [where_task.options(scheduling_strategy="SPREAD").remote() for _ in range(4)]
        )
        actors = [Worker.options(scheduling_strategy="SPREAD").remote() for _ in range(2)]
        actor_nodes = ray.get([actor.node.remote() for actor in actors])
        result = {
            "worker_nodes": sorted(node.node_id for node in workers),
            "head_node": cluster.head_node.node_id,
            "task_nodes": tasks,
            "actor_nodes": actor_nodes,
        }
        print(json.dumps(result))
    finally:
        ray.shutdown()
        cluster.shutdown()


if __name__ == "__main__":
    sys.exit(main())
