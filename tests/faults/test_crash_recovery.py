"""Crash recovery on the local default, with a real `dagster dev` (webserver, daemon, code server)
and a dump big enough that its runs take a while:

1. the import's run worker is killed with SIGKILL while it converts: the run fails, run retries
   launch it again, and staging ends with one complete import;
2. the whole `dagster dev` (daemon, code server and the load's run worker with it) is killed with
   SIGKILL while the load step runs, as an OOM kill or a reboot would: the load run stays STARTED
   with nothing left to fail it. Once `dagster dev` is back, run monitoring fails it within a
   poll (the launcher's worker health check), its pool slot is freed, a retry loads the
   partition, dbt builds the date, and the warehouse equals the dump without a duplicate row.
"""

import contextlib
import json
import os
import signal
import time
from datetime import date

import psutil
import pytest
from dagster import DagsterEventType, DagsterRunStatus, RunsFilter

from elt_pipeline.lib.manifest import MANIFEST_NAME
from elt_pipeline.lib.sample_data import SourceHistory, land_snapshot
from elt_pipeline.run_launcher import run_worker
from elt_pipeline.settings import LOCAL_DEVELOPMENT_SALT
from tests.support.dagster_dev import DagsterDev, running_dagster_dev
from tests.support.expected import FEATURE_COLUMNS, assert_features_equal, expected_customer_features
from tests.support.pipelines import RAW_TABLES

pytestmark = pytest.mark.slow

DAY = date(2024, 1, 1)
SOURCE = "shop_eu"
PARTITION = f"{DAY.isoformat()}|{SOURCE}"
CUSTOMERS = 300_000  # ~22 MB gzipped, ~1.5M rows: the convert and load steps take seconds
POLL_INTERVAL_SECONDS = 30  # run_monitoring.poll_interval_seconds in dagster_local.yaml
PRIMARY_KEYS = {"customers": "id", "products": "id", "orders": "id", "order_items": "order_id, line_no"}


@pytest.fixture(scope="module")
def snapshot():
    return SourceHistory(SOURCE, customers=CUSTOMERS).snapshot(DAY)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return tmp_path_factory.mktemp("crash_recovery")


def step_started(dev: DagsterDev, run_id: str, step_key: str) -> bool:
    events = dev.instance.get_records_for_run(run_id, of_type=DagsterEventType.STEP_START).records
    return any(record.event_log_entry.step_key == step_key for record in events)


def status(dev: DagsterDev, run_id: str) -> DagsterRunStatus:
    return dev.instance.get_run_by_id(run_id).status


def retry_of(dev: DagsterDev, run_id: str):
    """The run that run retries launched for `run_id`, once it exists."""
    (retry,) = dev.instance.get_runs(RunsFilter(tags={"dagster/parent_run_id": run_id})) or (None,)
    return retry


def running_step(dev: DagsterDev, job_name: str, step_key: str):
    """The partition's run of `job_name` once it runs `step_key`."""

    def find():
        for record in dev.instance.get_run_records(
            RunsFilter(job_name=job_name, tags={"dagster/partition": PARTITION}, statuses=[DagsterRunStatus.STARTED])
        ):
            if step_started(dev, record.dagster_run.run_id, step_key):
                return record.dagster_run

    # A step of this dump lasts a second or two on an idle machine: look often.
    return dev.wait_for(find, f"{job_name} running {step_key}", timeout=600, interval=0.2)


def monitoring_since(dev: DagsterDev, since: float) -> bool:
    """Whether the run monitoring daemon has reported alive since `since` (epoch seconds)."""
    heartbeat = dev.instance.get_daemon_heartbeats().get("MONITORING")
    return heartbeat is not None and heartbeat.timestamp > since


def kill_process_tree(pid: int) -> None:
    """SIGKILL a process and every descendant at once, as the OOM killer or a reboot would."""
    parent = psutil.Process(pid)
    for process in [parent, *parent.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.send_signal(signal.SIGKILL)
    psutil.wait_procs([parent], timeout=30)


def assert_staging_holds_one_import(dev: DagsterDev) -> None:
    """The manifest lists files that exist, all of one import, and no other part file remains."""
    folder = dev.data_dir / "parquet" / SOURCE / DAY.isoformat()
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    listed = {relative for table in manifest["tables"].values() for relative in table["files"]}
    assert all((folder / relative).is_file() for relative in listed)
    assert len({relative.split("/")[-1].split("-")[1] for relative in listed}) == 1, listed
    assert {path.relative_to(folder).as_posix() for path in folder.glob("*/part-*.parquet")} == listed


def assert_warehouse_equals(dev: DagsterDev, snapshot) -> None:
    """Every raw table's partition holds the dump's rows, each once; the marts hold its features."""
    for table in RAW_TABLES:
        where = "where _source_db = ? and _dump_date = ?"
        ((rows, distinct),) = dev.query(
            f"select count(*), count(distinct ({PRIMARY_KEYS[table]})) from elt_raw.{table} {where}", [SOURCE, DAY]
        )
        assert rows == distinct == len(snapshot.tables[table]), (table, rows, distinct)
    rows = dev.query(
        f"select customer_key, {', '.join(FEATURE_COLUMNS)} from elt_marts.fct_customer_features"
        " where _dump_date = ? and _source_db = ?",
        [DAY, SOURCE],
    )
    actual = {row[0]: dict(zip(FEATURE_COLUMNS, row[1:])) for row in rows}
    assert_features_equal(actual, expected_customer_features(snapshot, LOCAL_DEVELOPMENT_SALT))


def test_sigkill_of_the_import_worker_and_of_the_whole_instance_during_the_load_heal(root, snapshot):
    with running_dagster_dev(root) as dev:
        land_snapshot(dev.landing, snapshot)

        # 1. The import's run worker dies while it converts the dump.
        killed_import = running_step(dev, "import_dump", "convert_dump")
        pid, _ = run_worker(dev.instance, killed_import.run_id)
        os.kill(pid, signal.SIGKILL)
        dev.wait_for(lambda: status(dev, killed_import.run_id) == DagsterRunStatus.FAILURE, "the import failed", 120)
        retried = dev.wait_for(lambda: retry_of(dev, killed_import.run_id), "a retry of the import", 300)
        dev.wait_for(lambda: status(dev, retried.run_id) == DagsterRunStatus.SUCCESS, "the retried import", 600)
        assert_staging_holds_one_import(dev)

        # 2. Everything dies while the load step runs.
        killed_load = running_step(dev, "load_raw_tables", "raw_tables")
        kill_process_tree(dev.server.pid)

    assert status(dev, killed_load.run_id) == DagsterRunStatus.STARTED  # a zombie: nothing can fail it

    with running_dagster_dev(root) as dev:
        restarted = time.time()
        dev.wait_for(lambda: monitoring_since(dev, restarted), "the restarted run monitoring daemon")
        monitoring = time.time()
        dev.wait_for(lambda: status(dev, killed_load.run_id) == DagsterRunStatus.FAILURE, "the zombie load failed")
        detected_after = time.time() - monitoring
        print(f"daemon up {monitoring - restarted:.0f}s after the restart; zombie failed {detected_after:.0f}s later")
        assert detected_after < 2 * POLL_INTERVAL_SECONDS + 30  # within a poll or two

        retried = dev.wait_for(lambda: retry_of(dev, killed_load.run_id), "a retry of the load", 300)
        dev.wait_for(lambda: status(dev, retried.run_id) == DagsterRunStatus.SUCCESS, "the retried load")

        def built() -> bool:
            runs = dev.instance.get_runs(RunsFilter(job_name="dbt_build", tags={"dagster/partition": DAY.isoformat()}))
            return any(run.status == DagsterRunStatus.SUCCESS for run in runs)

        dev.wait_for(built, "a dbt build of the date")
        assert killed_load.run_id not in dev.instance.event_log_storage.get_concurrency_info("warehouse").active_run_ids
        assert_staging_holds_one_import(dev)
        assert_warehouse_equals(dev, snapshot)
