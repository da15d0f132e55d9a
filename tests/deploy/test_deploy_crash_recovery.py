"""Crash recovery on the production instance config (deploy/dagster.yaml: Postgres storage, run
monitoring, run retries, compute logs in GCS), with the code server and daemon started by the
VM's own commands: the run worker of an import is killed with SIGKILL, the run is marked failed,
run retries launch it again, and the retry imports the dump.

There runs are subprocesses of the code server (DefaultRunLauncher): the code server sees its
run process die and fails the run; run monitoring has no worker health check to run with that
launcher (the local instance's pid check cannot see another container's processes).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
import yaml
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter

from elt_pipeline.lib.manifest import MANIFEST_NAME, Manifest
from elt_pipeline.lib.sample_data import SourceHistory, land_snapshot
from elt_pipeline.lib.storage.local import LocalLanding
from elt_pipeline.run_launcher import run_worker
from tests.support import deploy_files
from tests.support.dagster_dev import stop_process_group
from tests.support.deploy_files import DEPLOY
from tests.support.emulators import free_port
from tests.support.postgres import running_postgres

pytestmark = [pytest.mark.slow, pytest.mark.gcp]  # compute logs go to the GCS emulator

SOURCE, DAY = "shop_eu", date(2024, 2, 1)
CUSTOMERS = 100_000  # the import lasts seconds: the worker is still running when it is killed
TIMEOUT_SECONDS = 600
VENV_BIN = Path(sys.executable).parent


def wait_for(condition, what: str, processes: dict[str, subprocess.Popen], logs: Path, interval: float = 1):
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        for name, process in processes.items():
            assert process.poll() is None, f"{name} exited waiting for {what}:\n{tail(logs)}"
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}:\n{tail(logs)}")


def tail(logs: Path) -> str:
    return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}" for log in sorted(logs.glob("*.log")))


def vm_command(service: str, code_port: int, workspace: Path) -> list[str]:
    """The VM container's command, with this machine's port, host and workspace path."""
    command = [
        str(workspace) if arg.endswith("workspace.yaml") else arg
        for arg in deploy_files.vm_containers()[service].command
    ]
    if "-p" in command:
        command[command.index("-p") + 1] = str(code_port)
    if "-h" in command:
        command[command.index("-h") + 1] = "127.0.0.1"
    return [str(VENV_BIN / command[0]), *command[1:]]


def test_a_killed_run_worker_is_failed_and_retried_on_the_production_instance(tmp_path, emulators, monkeypatch):
    from google.cloud import storage

    home, data, logs = tmp_path / "dagster_home", tmp_path / "data", tmp_path / "logs"
    for folder in (home, data, logs):
        folder.mkdir()
    shutil.copyfile(DEPLOY / "dagster.yaml", home / "dagster.yaml")
    logs_bucket = f"logs-{os.urandom(6).hex()}"
    storage.Client(project=emulators.project).create_bucket(logs_bucket)
    code_port = free_port()
    workspace = deploy_files.vm_workspace()
    workspace["load_from"][0]["grpc_server"] |= {"host": "127.0.0.1", "port": code_port}
    (tmp_path / "workspace.yaml").write_text(yaml.safe_dump(workspace))

    with running_postgres() as postgres:
        for name, value in {
            "DAGSTER_HOME": str(home),
            "DAGSTER_PG_HOST": postgres.host,
            "DAGSTER_PG_PORT": str(postgres.port),
            "DAGSTER_PG_DB": postgres.db,
            "DAGSTER_PG_USER": postgres.user,
            "DAGSTER_PG_PASSWORD": postgres.password,
            "DAGSTER_COMPUTE_LOGS_BUCKET": logs_bucket,
            "ELT_DATA_DIR": str(data),  # the local pipeline: only the instance is the production one
        }.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("ELT_ENV", raising=False)
        instance = DagsterInstance.get()
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert instance.run_monitoring_enabled and instance.run_retries_enabled

        processes: dict[str, subprocess.Popen] = {}
        try:
            for service in ("code-location", "daemon"):
                with (logs / f"{service}.log").open("wb") as log:
                    processes[service] = subprocess.Popen(
                        vm_command(service, code_port, tmp_path / "workspace.yaml"),
                        cwd=tmp_path,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
            snapshot = SourceHistory(SOURCE, customers=CUSTOMERS).snapshot(DAY)
            land_snapshot(LocalLanding(data / "landing"), snapshot)

            def started_worker():
                for run in instance.get_runs(RunsFilter(job_name="import_dump", statuses=[DagsterRunStatus.STARTED])):
                    worker = run_worker(instance, run.run_id)
                    if worker:
                        return run, worker[0]

            killed, pid = wait_for(started_worker, "the import's run worker", processes, logs, interval=0.2)
            os.kill(pid, signal.SIGKILL)
            killed_at = time.time()

            def status(run_id: str) -> DagsterRunStatus:
                return instance.get_run_by_id(run_id).status

            wait_for(
                lambda: status(killed.run_id) == DagsterRunStatus.FAILURE, "the killed run failed", processes, logs
            )
            print(f"the killed run failed {time.time() - killed_at:.0f}s after its worker was killed")
            events = [
                event.message for event in instance.all_logs(killed.run_id, of_type=DagsterEventType.ENGINE_EVENT)
            ]
            assert any("was terminated by signal 9 (SIGKILL)" in message for message in events), events

            def retry():
                (run,) = instance.get_runs(RunsFilter(tags={"dagster/parent_run_id": killed.run_id})) or (None,)
                return run

            retried = wait_for(retry, "run retries' new run", processes, logs)
            wait_for(lambda: status(retried.run_id) == DagsterRunStatus.SUCCESS, "the retried import", processes, logs)
        finally:
            for process in processes.values():
                stop_process_group(process)

        folder = data / "parquet" / SOURCE / DAY.isoformat()
        manifest = Manifest.from_json((folder / MANIFEST_NAME).read_text())
        assert {name: table.row_count for name, table in manifest.tables.items()} == {
            name: len(rows) for name, rows in snapshot.tables.items()
        }
        assert all(f"part-{retried.run_id[:8]}-" in relative for t in manifest.tables.values() for relative in t.files)
