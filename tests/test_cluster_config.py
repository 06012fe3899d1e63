"""cluster.yaml passes the checks `ray up` applies before launching anything."""

from pathlib import Path

import yaml
from ray.autoscaler._private.util import prepare_config, validate_config

CLUSTER_YAML = Path(__file__).resolve().parents[1] / "cluster.yaml"


def test_cluster_yaml_is_valid_for_the_cluster_launcher():
    config = prepare_config(yaml.safe_load(CLUSTER_YAML.read_text()))
    validate_config(config)
    assert config["head_node_type"] == "head"
    assert {"cpu_worker", "gpu_worker"} <= set(config["available_node_types"])


def test_cluster_setup_installs_the_project_with_its_own_make_target():
    config = yaml.safe_load(CLUSTER_YAML.read_text())
    assert any("make install" in command for command in config["setup_commands"])
