"""The README's first command for real: `dagster dev` (webserver + daemon) on the local default.

Dumps land; the sensors, running by default, import, load and build them through the run
queue; then a range backfill launched through the GraphQL API (what the UI's backfill dialog
sends) reloads every partition of the range and the marts follow.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date

import pytest
from dagster import AssetKey, DagsterInstance, DagsterRunStatus, RunsFilter
from dagster._core.execution.backfill import BulkActionStatus

from elt_pipeline.lib.sample_data import seed_landing
from elt_pipeline.lib.storage.local import LocalLanding
from elt_pipeline.settings import PACKAGE_DIR, PROJECT_DIR
from tests.support.pipelines import ALL_SOURCES as SOURCES
from tests.support.pipelines import RAW_TABLES

pytestmark = pytest.mark.slow

DATES = [date(2024, 1, 1), date(2024, 1, 2)]
TIMEOUT_SECONDS = 900

LAUNCH_BACKFILL = """
mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
  }
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, what: str, server: subprocess.Popen, log_path):
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"dagster dev exited while waiting for {what}:\n{log_path.read_text()[-5000:]}")
        value = condition()
        if value:
            return value
        time.sleep(3)
    pytest.fail(f"timed out waiting for {what}:\n{log_path.read_text()[-5000:]}")


def graphql(port: int, query: str, variables: dict) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def succeeded_partitions(instance: DagsterInstance, job_name: str) -> list[str]:
    runs = instance.get_runs(RunsFilter(job_name=job_name, statuses=[DagsterRunStatus.SUCCESS]))
    return sorted(run.tags["dagster/partition"] for run in runs)


def failed_runs(instance: DagsterInstance) -> list[str]:
    return [f"{r.job_name} {r.run_id}" for r in instance.get_runs(RunsFilter(statuses=[DagsterRunStatus.FAILURE]))]


@pytest.fixture
def dagster_dev(tmp_path):
    data_dir, home = tmp_path / "data", tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(PACKAGE_DIR / "dagster_local.yaml", home / "dagster.yaml")
    seed_landing(LocalLanding(data_dir / "landing"), SOURCES, DATES)
    instance = DagsterInstance.from_config(str(home))  # creates the storage before the server starts
    port = free_port()
    log_path = tmp_path / "dagster-dev.log"
    env = {**os.environ, "ELT_DATA_DIR": str(data_dir), "DAGSTER_HOME": str(home)}
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "dagster", "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
            cwd=PROJECT_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield server, port, instance, log_path
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=60)


def test_dumps_flow_through_the_daemon_and_a_range_backfill_reloads_every_partition(dagster_dev):
    server, port, instance, log_path = dagster_dev
    every_partition = sorted(f"{d.isoformat()}|{s}" for d in DATES for s in SOURCES)
    dates = [d.isoformat() for d in DATES]

    def marts_built():
        assert not failed_runs(instance), failed_runs(instance)
        return sorted(set(succeeded_partitions(instance, "dbt_build"))) == dates

    wait_for(marts_built, "the sensors to import, load and build every landed dump", server, log_path)
    assert succeeded_partitions(instance, "import_dump") == every_partition
    assert succeeded_partitions(instance, "load_raw_tables") == every_partition

    answer = graphql(
        port,
        LAUNCH_BACKFILL,
        {
            "params": {
                "partitionNames": every_partition,
                "assetSelection": [{"path": ["raw", table]} for table in RAW_TABLES],
            }
        },
    )
    launched = answer["data"]["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", answer
    backfill_id = launched["backfillId"]

    def backfill_done():
        backfill = instance.get_backfill(backfill_id)
        assert backfill.status in (BulkActionStatus.REQUESTED, BulkActionStatus.COMPLETED_SUCCESS), (
            backfill.status,
            failed_runs(instance),
        )
        return backfill.status == BulkActionStatus.COMPLETED_SUCCESS

    wait_for(backfill_done, f"backfill {backfill_id}", server, log_path)
    backfill_runs = instance.get_runs(RunsFilter(tags={"dagster/backfill": backfill_id}))
    assert sorted(run.tags["dagster/partition"] for run in backfill_runs) == every_partition
    assert all(run.status == DagsterRunStatus.SUCCESS for run in backfill_runs)
    for table in RAW_TABLES:
        records = instance.fetch_materializations(AssetKey(["raw", table]), limit=100).records
        by_partition = {}
        for record in records:
            by_partition[record.partition_key] = by_partition.get(record.partition_key, 0) + 1
        assert by_partition == {key: 2 for key in every_partition}, table  # sensor load + backfill

    loaded_at = {}  # dump date -> when its last backfilled load ended
    for record in instance.get_run_records(RunsFilter(tags={"dagster/backfill": backfill_id})):
        day = record.dagster_run.tags["dagster/partition/dump_date"]
        loaded_at[day] = max(loaded_at.get(day, 0.0), record.end_time)

    def marts_rebuilt():
        assert not failed_runs(instance), failed_runs(instance)
        builds = instance.get_run_records(RunsFilter(job_name="dbt_build", statuses=[DagsterRunStatus.SUCCESS]))
        partitions = [(record.dagster_run.tags["dagster/partition"], record.start_time) for record in builds]
        return {day for day, started in partitions if started >= loaded_at[day]} == set(dates)

    wait_for(marts_rebuilt, "a dbt build of every date started after its backfilled loads", server, log_path)
