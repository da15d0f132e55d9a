"""Crash recovery on the production instance config (deploy/dagster.yaml: Postgres storage, its run
launcher, run monitoring, run retries, compute logs in GCS), with the code server and daemon
started by the VM's own commands. Two crashes of an import, on one running instance:

- its run worker is killed with SIGKILL: the code server sees its process die and fails the run;
- the code server is killed with its run worker (an OOM kill or restart of the `elt-code`
  container) and started again, as systemd does on the VM: nothing is left to see the worker
  die, so run monitoring fails the run through the launcher's worker health check.

Each time run retries launch the run again and the retry imports the dump. Here every process
shares one pid namespace; on the VM the containers share the host's (`--pid=host`, checked by
tests/test_terraform.py and test_production_stack.py).
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psutil
import pytest
import yaml
from dagster import DagsterEventType, DagsterInstance, DagsterRun, DagsterRunStatus, RunsFilter

from elt_pipeline.defs.sensors.follow_up import UNFINISHED
from elt_pipeline.lib.manifest import MANIFEST_NAME, Manifest
from elt_pipeline.lib.sample_data import SourceHistory, land_snapshot
from elt_pipeline.lib.storage.local import LocalLanding
from elt_pipeline.run_launcher import run_worker
from tests.support import deploy_files
from tests.support.deploy_files import DEPLOY
from tests.support.emulators import free_port
from tests.support.postgres import running_postgres
from tests.support.processes import Processes

pytestmark = [pytest.mark.slow, pytest.mark.gcp]  # compute logs go to the GCS emulator

SOURCE = "shop_eu"
CUSTOMERS = 100_000  # the import lasts seconds: the worker is still running when it is killed
TIMEOUT_SECONDS = 600
VENV_BIN = Path(sys.executable).parent


@dataclass
class ProductionInstance:
    """The code server and daemon of the VM on the production instance config."""

    root: Path
    code_port: int
    instance: DagsterInstance
    processes: Processes

    @property
    def data(self) -> Path:
        return self.root / "data"

    def start(self, service: str) -> None:
        self.processes.start(service, vm_command(service, self.code_port, self.root / "workspace.yaml"))

    def wait_for(self, condition: Callable[[], object], what: str, interval: float = 1):
        return self.processes.wait_for(condition, what, TIMEOUT_SECONDS, interval)

    def land(self, day: date) -> dict[str, list]:
        """Land a dump of `day` once nothing runs; its rows by table."""
        self.wait_for(lambda: not self.instance.get_run_ids(RunsFilter(statuses=UNFINISHED)), "a quiet instance")
        snapshot = SourceHistory(SOURCE, customers=CUSTOMERS).snapshot(day)
        land_snapshot(LocalLanding(self.data / "landing"), snapshot)
        return snapshot.tables

    def started_import(self) -> tuple[DagsterRun, int]:
        """The running import and its worker's pid, once the worker reported."""

        def started_worker():
            for run in self.instance.get_runs(RunsFilter(job_name="import_dump", statuses=[DagsterRunStatus.STARTED])):
                worker = run_worker(self.instance, run.run_id)
                if worker:
                    return run, worker[0]

        return self.wait_for(started_worker, "the import's run worker", interval=0.2)

    def failed_then_retried(self, killed: DagsterRun) -> DagsterRun:
        """The retry of `killed`, once `killed` failed and the retry succeeded."""
        status = lambda run_id: self.instance.get_run_by_id(run_id).status  # noqa: E731
        self.wait_for(lambda: status(killed.run_id) == DagsterRunStatus.FAILURE, "the killed run failed")

        def retry():
            (run,) = self.instance.get_runs(RunsFilter(tags={"dagster/parent_run_id": killed.run_id})) or (None,)
            return run

        retried = self.wait_for(retry, "run retries' new run")
        self.wait_for(lambda: status(retried.run_id) == DagsterRunStatus.SUCCESS, "the retried import")
        return retried

    def messages(self, run_id: str, of_type: DagsterEventType) -> list[str]:
        return [event.message for event in self.instance.all_logs(run_id, of_type=of_type)]

    def assert_imported(self, day: date, tables: dict[str, list], run: DagsterRun) -> None:
        """Staging holds the dump, every file written by `run`."""
        folder = self.data / "parquet" / SOURCE / day.isoformat()
        manifest = Manifest.from_json((folder / MANIFEST_NAME).read_text())
        assert {name: table.row_count for name, table in manifest.tables.items()} == {
            name: len(rows) for name, rows in tables.items()
        }
        assert all(f"part-{run.run_id[:8]}-" in relative for t in manifest.tables.values() for relative in t.files)


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


@pytest.fixture(scope="module")
def production(tmp_path_factory, emulators) -> Iterator[ProductionInstance]:
    from google.cloud import storage

    root = tmp_path_factory.mktemp("production")
    for folder in ("dagster_home", "data"):
        (root / folder).mkdir()
    shutil.copyfile(DEPLOY / "dagster.yaml", root / "dagster_home" / "dagster.yaml")
    logs_bucket = f"logs-{os.urandom(6).hex()}"
    storage.Client(project=emulators.project).create_bucket(logs_bucket)
    code_port = free_port()
    workspace = deploy_files.vm_workspace()
    workspace["load_from"][0]["grpc_server"] |= {"host": "127.0.0.1", "port": code_port}
    (root / "workspace.yaml").write_text(yaml.safe_dump(workspace))

    with running_postgres() as postgres, pytest.MonkeyPatch.context() as monkeypatch:
        for name, value in {
            **postgres.dagster_environment(),
            "DAGSTER_HOME": str(root / "dagster_home"),
            "DAGSTER_COMPUTE_LOGS_BUCKET": logs_bucket,
            "ELT_DATA_DIR": str(root / "data"),  # the local pipeline: only the instance is the production one
        }.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("ELT_ENV", raising=False)
        instance = DagsterInstance.get()
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.run_launcher).__name__ == "MonitoredRunLauncher"
        assert instance.run_monitoring_enabled and instance.run_retries_enabled
        production = ProductionInstance(root, code_port, instance, Processes(root))
        try:
            for service in ("code-location", "daemon"):
                production.start(service)
            yield production
        finally:
            production.processes.stop()


def test_a_killed_run_worker_is_failed_by_the_code_server_and_retried(production):
    day = date(2024, 2, 1)
    tables = production.land(day)
    killed, pid = production.started_import()
    os.kill(pid, signal.SIGKILL)

    retried = production.failed_then_retried(killed)
    messages = production.messages(killed.run_id, DagsterEventType.ENGINE_EVENT)
    assert any("was terminated by signal 9 (SIGKILL)" in message for message in messages), messages
    production.assert_imported(day, tables, retried)


def test_a_run_killed_with_its_code_server_is_failed_by_run_monitoring_and_retried(production):
    day = date(2024, 2, 2)
    tables = production.land(day)
    killed, pid = production.started_import()
    code_server = production.processes.running["code-location"]
    assert pid in {child.pid for child in psutil.Process(code_server.pid).children(recursive=True)}
    os.killpg(code_server.pid, signal.SIGKILL)  # the container's processes, worker included
    code_server.wait(timeout=30)
    killed_at = time.time()
    production.start("code-location")  # systemd's Restart=always

    retried = production.failed_then_retried(killed)
    print(f"the killed run was retried and imported {time.time() - killed_at:.0f}s after the kill")
    messages = production.messages(killed.run_id, DagsterEventType.RUN_FAILURE)
    assert any(f"run worker process {pid} no longer exists" in message for message in messages), messages
    production.assert_imported(day, tables, retried)
