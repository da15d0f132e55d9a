"""A real `dagster dev` (webserver + daemon + run queue) on the local default, for scenario tests
that share one running instance; its GraphQL API is what the UI calls."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter
from dagster._core.execution.backfill import BulkActionStatus

from elt_pipeline.lib.storage.local import LocalLanding
from elt_pipeline.settings import PACKAGE_DIR, PROJECT_DIR
from tests.support.processes import TIMEOUT_SECONDS, poll, stop_process_group

LOCATION = "elt_pipeline"

LAUNCH_BACKFILL = """
mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
  }
}"""

SENSOR_TICKS = """
query Ticks($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    __typename
    ... on Sensor { sensorState { ticks(limit: 20) { status skipReason logEvents { events { message } } } } }
  }
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class DagsterDev:
    server: subprocess.Popen
    port: int
    instance: DagsterInstance
    data_dir: Path
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def landing(self) -> LocalLanding:
        return LocalLanding(self.data_dir / "landing")

    def wait_for(
        self, condition: Callable[[], object], what: str, timeout: float = TIMEOUT_SECONDS, interval: float = 3
    ):
        """Poll `condition` every `interval` seconds until it returns a truthy value; fail with the
        server log otherwise."""
        return poll(condition, what, {"dagster dev": self.server}, self.log_tail, timeout, interval)

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def graphql(self, query: str, variables: dict) -> dict:
        request = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": query, "variables": variables}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)

    def answers(self) -> bool:
        """Whether the webserver answers GraphQL yet."""
        try:
            return bool(self.graphql("{ version }", {})["data"]["version"])
        except OSError:
            return False

    def launch_backfill(self, params: dict) -> str:
        """What the UI's Materialize dialog sends; returns the backfill id."""
        answer = self.graphql(LAUNCH_BACKFILL, {"params": params})
        launched = answer["data"]["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", answer
        return launched["backfillId"]

    def wait_for_backfill(self, backfill_id: str, timeout: float = TIMEOUT_SECONDS) -> None:
        def done():
            status = self.instance.get_backfill(backfill_id).status
            assert status in (BulkActionStatus.REQUESTED, BulkActionStatus.COMPLETED_SUCCESS), (
                status,
                self.failed_runs(),
            )
            return status == BulkActionStatus.COMPLETED_SUCCESS

        self.wait_for(done, f"backfill {backfill_id}", timeout)

    def sensor_ticks(self, sensor_name: str) -> list[dict]:
        selector = {"repositoryLocationName": LOCATION, "repositoryName": "__repository__", "sensorName": sensor_name}
        answer = self.graphql(SENSOR_TICKS, {"selector": selector})
        return answer["data"]["sensorOrError"]["sensorState"]["ticks"]

    def failed_runs(self) -> list[str]:
        runs = self.instance.get_runs(RunsFilter(statuses=[DagsterRunStatus.FAILURE]))
        return [f"{run.job_name} {run.run_id} {run.tags.get('dagster/partition')}" for run in runs]

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        """Read the warehouse (waits while a run holds DuckDB's write lock)."""

        def read():
            try:
                with duckdb.connect(str(self.data_dir / "warehouse.duckdb"), read_only=True) as connection:
                    return [connection.execute(sql, params or []).fetchall()]
            except duckdb.IOException:
                return None

        return self.wait_for(read, "a read of the warehouse")[0]


@contextmanager
def running_dagster_dev(root: Path) -> Iterator[DagsterDev]:
    """`dagster dev -w workspace.yaml` with the local instance config, as the README's demo runs it."""
    with _serving(
        root, lambda port: ["-m", "dagster", "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", port]
    ) as dev:
        yield dev


@contextmanager
def running_demo(root: Path) -> Iterator[DagsterDev]:
    """The README's first command, `elt-pipeline demo`: sample dumps for the three days before
    today, partitions from the first of them, `dagster dev` serving the UI."""
    with _serving(root, lambda port: ["-m", "elt_pipeline.cli", "demo", "--host", "127.0.0.1", "--port", port]) as dev:
        yield dev


@contextmanager
def _serving(root: Path, arguments: Callable[[str], list[str]]) -> Iterator[DagsterDev]:
    """Run `python <arguments(free port)>` on a fresh data dir and `DAGSTER_HOME` under `root`."""
    data_dir, home = root / "data", root / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)  # exists when restarting on the same root
    shutil.copyfile(PACKAGE_DIR / "dagster_local.yaml", home / "dagster.yaml")
    instance = DagsterInstance.from_config(str(home))  # creates the storage before the server starts
    port = free_port()
    log_path = root / "dagster-dev.log"
    env = {**os.environ, "ELT_DATA_DIR": str(data_dir), "DAGSTER_HOME": str(home)}
    with open(log_path, "ab") as log:
        server = subprocess.Popen(
            [sys.executable, *arguments(str(port))],
            cwd=PROJECT_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield DagsterDev(server, port, instance, data_dir, log_path)
    finally:
        stop_process_group(server)
