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


def test_cluster_has_cpu_workers_for_curation_and_gpu_workers_for_training_and_serving():
    config = prepare_config(yaml.safe_load(CLUSTER_YAML.read_text()))
    nodes = config["available_node_types"]
    assert nodes["head"]["resources"] == {"CPU": 0}  # the head only schedules
    assert nodes["gpu_worker"]["node_config"]["InstanceType"].startswith(("p4", "p5", "g5"))
    for name in ("cpu_worker", "gpu_worker"):
        assert 0 <= nodes[name]["min_workers"] <= nodes[name]["max_workers"]
    assert (
        sum(nodes[n]["max_workers"] for n in ("cpu_worker", "gpu_worker")) <= config["max_workers"]
    )


def test_every_node_runs_ray_from_the_projects_environment():
    config = yaml.safe_load(CLUSTER_YAML.read_text())
    assert "." in config["file_mounts"].values()  # the project itself is on every node
    for key in ("head_start_ray_commands", "worker_start_ray_commands"):
        starts = [c for c in config[key] if "ray start" in c]
        assert starts and all(".venv/bin/activate" in c for c in starts)


def test_the_serve_config_file_builds_a_valid_serve_app():
    from ray.serve.schema import ServeDeploySchema
    from starcoder_serve import ServeSettings

    path = CLUSTER_YAML.parent / "services/serve/starcoder_serve/serve_config.yaml"
    raw = yaml.safe_load(path.read_text())
    ServeDeploySchema.model_validate(raw)  # what `serve deploy` checks
    (app,) = raw["applications"]
    settings = ServeSettings.model_validate(app["args"])
    assert settings.engine == "torch"
    (deployment,) = app["deployments"]
    assert deployment["autoscaling_config"]["max_replicas"] > 1
