"""The production deploy files: instance config valid, every setting documented (no Docker here)."""

from __future__ import annotations

import re
import shutil

import yaml

from elt_pipeline.settings import PACKAGE_DIR

DEPLOY = PACKAGE_DIR / "deploy"
INSTANCE_ENV = {
    "DAGSTER_PG_HOST": "postgres",
    "DAGSTER_PG_PORT": "5432",
    "DAGSTER_PG_DB": "dagster",
    "DAGSTER_PG_USER": "dagster",
    "DAGSTER_PG_PASSWORD": "secret",
    "DAGSTER_COMPUTE_LOGS_BUCKET": "logs-bucket",
}


def test_production_instance_config_is_valid(tmp_path, monkeypatch):
    from dagster._core.instance.config import dagster_instance_config

    for name, value in INSTANCE_ENV.items():
        monkeypatch.setenv(name, value)
    shutil.copyfile(DEPLOY / "dagster.yaml", tmp_path / "dagster.yaml")
    config, _ = dagster_instance_config(str(tmp_path))

    assert config["storage"]["postgres"]["postgres_db"]["hostname"] == {"env": "DAGSTER_PG_HOST"}
    assert config["compute_logs"]["class"] == "GCSComputeLogManager"
    assert config["compute_logs"]["config"]["bucket"] == {"env": "DAGSTER_COMPUTE_LOGS_BUCKET"}
    assert config["run_retries"] == {"enabled": True, "max_retries": 2, "retry_on_asset_or_op_failure": False}
    assert config["run_monitoring"]["enabled"] and config["run_monitoring"]["free_slots_after_run_end_seconds"] > 0
    limits = config["concurrency"]["runs"]["tag_concurrency_limits"]
    assert {"key": "dagster/partition", "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in limits
    assert config["concurrency"]["pools"]["default_limit"] >= 1


def test_env_example_documents_every_variable_settings_reads():
    source = (PACKAGE_DIR / "settings.py").read_text()
    read = set(re.findall(r"(?:environ\.get\(|environ, )\s*\"([A-Z0-9_]+)\"", source))
    read |= set(re.findall(r"_VARIABLE\s*=\s*\"([A-Z0-9_]+)\"", source))
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (DEPLOY / "env.example").read_text(), re.M))
    assert {"ELT_LANDING_URI", "ELT_PARQUET_URI", "ELT_ENV"} <= read, read
    assert read <= documented, sorted(read - documented)
    instance_yaml = (DEPLOY / "dagster.yaml").read_text()
    assert set(re.findall(r"env: ([A-Z0-9_]+)", instance_yaml)) <= documented


def test_compose_runs_webserver_daemon_and_code_location_from_one_image():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "code-location", "webserver", "daemon"} <= set(services)
    for name in ("code-location", "webserver", "daemon"):
        assert services[name]["build"]["dockerfile"] == "elt_pipeline/deploy/Dockerfile"
    workspace = yaml.safe_load((DEPLOY / "workspace.yaml").read_text())
    assert workspace["load_from"][0]["grpc_server"]["port"] == 4000
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "dagster.yaml" in dockerfile and "GOOGLE_APPLICATION_CREDENTIALS" not in dockerfile
    # The image parses dbt once and installs the wheel (tests/deploy/test_installed_package.py).
    assert "deploy/build-wheel.sh" in dockerfile
    for name in ("webserver", "daemon"):
        workspace_path = services[name]["command"][services[name]["command"].index("-w") + 1]
        assert f" {workspace_path}\n" in dockerfile, f"{name}: the image has no {workspace_path}"


def test_compose_publishes_ports_on_loopback_only():
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    published = [(name, port) for name, service in services.items() for port in service.get("ports", [])]
    assert published, "the webserver publishes no port"
    for name, port in published:
        assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} on every interface"
