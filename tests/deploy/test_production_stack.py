"""The production stack, started from the deploy files themselves, without Docker: PostgreSQL
(Debian's package) as Dagster storage through deploy/dagster.yaml, compute logs in the GCS
emulator, and the code server, daemon and webserver run with the commands and environment
that terraform's VM definition gives them (compose.yaml must agree). A dump landed in the GCS
emulator flows to the marts in the BigQuery emulator."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

import pytest
import yaml

from tests.support import deploy_files
from tests.support.deploy_files import DEPLOY, VmContainer
from tests.support.emulators import free_port
from tests.support.pipelines import pipeline_on
from tests.support.postgres import running_postgres
from tests.support.processes import Processes

SOURCE = "shop_eu"
DUMP_DATE = date(2024, 3, 1)
JOBS = {"import_dump", "load_raw_tables", "dbt_build"}  # the three stages a dump goes through
VENV_BIN = Path(sys.executable).parent
RUNS = """
query { runsOrError { __typename ... on Runs { results { runId jobName status } } } }
"""


def test_deploy_files_agree_with_each_other():
    """The mismatches a VM would only show at start, checked before anything runs."""
    containers = deploy_files.vm_containers()
    for service, container in containers.items():
        missing = deploy_files.instance_environment() - deploy_files.container_environment(container)
        assert not missing, f"terraform starts the {service} container without {sorted(missing)} (dagster.yaml)"
    image_home, config_folder = deploy_files.image_dagster_home()
    assert image_home == config_folder, "the image's DAGSTER_HOME has no dagster.yaml"
    assert deploy_files.terraform_dagster_home() == image_home, "terraform's dagster_home is not the image's"
    compose = deploy_files.compose_commands()
    for service, container in containers.items():
        assert _without_workspace(compose[service]) == _without_workspace(container.command), service
    # The launcher's worker health check finds run workers by pid from the daemon.
    assert deploy_files.instance_run_launcher() == "MonitoredRunLauncher"
    compose_pids = deploy_files.compose_pid_namespaces()
    for service in ("code-location", "daemon"):
        assert "--pid=host" in containers[service].options, f"the VM's {service} is not in the host's pid namespace"
        assert compose_pids[service] == "host", f"compose's {service} is not in the host's pid namespace"


def _without_workspace(command: list[str]) -> list[str]:
    return command[: command.index("-w")] if "-w" in command else command


def _local_command(container: VmContainer, code_port: int, web_port: int, workspace: Path) -> list[str]:
    """The VM's command with this machine's ports and workspace path (nothing else changes)."""
    command = [str(workspace) if arg in container.mounts else arg for arg in container.command]
    for flag, local in (("-p", str(code_port if command[0] == "dagster" else web_port)), ("-h", "127.0.0.1")):
        if flag in command:
            command[command.index(flag) + 1] = local
    return command


def _graphql(port: int, query: str) -> dict | None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


@pytest.mark.slow
@pytest.mark.gcp
def test_production_stack_imports_a_landed_dump_into_the_marts(tmp_path, emulators):
    from google.cloud import storage

    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(DEPLOY / "dagster.yaml", home / "dagster.yaml")
    logs_bucket = f"logs-{tmp_path.name[-12:].lower().replace('_', '-')}"
    storage.Client(project=emulators.project).create_bucket(logs_bucket)
    code_port, web_port = free_port(), free_port()
    workspace = yaml.safe_load(yaml.safe_dump(deploy_files.vm_workspace()))
    workspace["load_from"][0]["grpc_server"] |= {"host": "127.0.0.1", "port": code_port}
    (tmp_path / "workspace.yaml").write_text(yaml.safe_dump(workspace))

    (tmp_path / "pipeline").mkdir()
    stack = Processes(tmp_path)
    with running_postgres() as postgres, pipeline_on("gcp", tmp_path / "pipeline", [SOURCE], emulators) as pipeline:
        settings = pipeline.settings
        local_values = {  # this machine's value of every variable the VM may set
            "ELT_ENV": "gcp",
            "ELT_GCP_PROJECT": settings.gcp_project,
            "ELT_LANDING_URI": settings.landing_uri,
            "ELT_PARQUET_URI": settings.parquet_uri,
            "ELT_RAW_DATASET": settings.raw_dataset,
            "ELT_STAGING_DATASET": settings.staging_dataset,
            "ELT_MARTS_DATASET": settings.marts_dataset,
            "ELT_BQ_LOCATION": settings.bq_location,
            "ELT_HASH_SALT": settings.hash_salt,
            "DAGSTER_HOME": str(home),
            **postgres.dagster_environment(),
            "DAGSTER_COMPUTE_LOGS_BUCKET": logs_bucket,
            "ELT_UI_BASE_URL": f"http://127.0.0.1:{web_port}",  # links in run-failure alerts
        }
        emulator_only = {"STORAGE_EMULATOR_HOST": emulators.gcs.endpoint, "ELT_BQ_API_ENDPOINT": emulators.bq.endpoint}
        try:
            for service in ("code-location", "daemon", "webserver"):
                container = deploy_files.vm_containers()[service]
                names = deploy_files.container_environment(container)
                assert names <= set(local_values), f"no local value for {sorted(names - set(local_values))}"
                environment = {
                    "PATH": f"{VENV_BIN}:/usr/bin:/bin",
                    "HOME": str(tmp_path),
                    **emulator_only,
                    **{name: local_values[name] for name in names},
                }
                stack.start(
                    service, _local_command(container, code_port, web_port, tmp_path / "workspace.yaml"), environment
                )
                if service == "code-location":
                    health = [str(VENV_BIN / "dagster"), "api", "grpc-health-check", "-p", str(code_port)]
                    stack.wait_for(
                        lambda h=health: subprocess.run(h, capture_output=True).returncode == 0, "the code server"
                    )

            stack.wait_for(lambda: _graphql(web_port, RUNS), "the webserver")
            pipeline.land([DUMP_DATE])

            def marts_built():
                runs = _graphql(web_port, RUNS)["data"]["runsOrError"]["results"]
                failed = [run for run in runs if run["status"] == "FAILURE"]
                assert not failed, f"failed runs {failed}:\n{stack.logs()}"
                done = {r["jobName"] for r in runs if r["status"] == "SUCCESS"} >= JOBS and len(runs) == sum(
                    r["status"] == "SUCCESS" for r in runs
                )
                return pipeline.mart_rows(DUMP_DATE, SOURCE) if done else None

            rows = stack.wait_for(marts_built, "the marts of the landed dump")
        finally:
            stack.stop()

        assert rows, "no customer features for the landed dump"
        assert pipeline.raw_count("orders", SOURCE, DUMP_DATE) > 0
        blobs = [b.name for b in storage.Client(project=emulators.project).list_blobs(logs_bucket)]
        assert any(name.startswith("dagster/compute-logs/") for name in blobs), blobs
