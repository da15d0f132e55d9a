"""Crash recovery on the local default, with a real `dagster dev` (webserver, daemon, code server)
and a dump big enough that its runs take a while:

1. the import's run worker is killed with SIGKILL while it converts: the run fails, run retries
   launch it again;
2. the retry's worker is frozen (SIGSTOP) as soon as its first file appears in staging (the
   publish lasts under a second, shorter than the event log's latency, so the test watches the
   staging folder itself), then killed with SIGKILL. The window covered: the upload of the part
   files, before the manifest (asserted; the other stages of a publish are swept at storage
   level in tests/faults/test_publish_crash.py). The run fails, the second retry publishes, and
   staging ends with one complete import and no leftover of the killed publish;
3. the whole `dagster dev` (daemon, code server and the load's run worker with it) is killed with
   SIGKILL while the load step runs, as an OOM kill or a reboot would: the load run stays STARTED
   with nothing left to fail it. Once `dagster dev` is back, run monitoring fails it within a
   poll (the launcher's worker health check), its pool slot is freed, a retry loads the
   partition, and dbt builds the date;
4. the dbt build's run worker and its `dbt` child process are killed with SIGKILL while dbt runs,
   once its log reports a first model built (dbt has not exited, so not all): the run fails and
   run retries launch it again;
5. that retry's worker alone is killed the same way, its `dbt` process left running without it
   (the OOM killer picks one process): the run fails, the second retry builds the date. Every
   killed run's `warehouse` pool slot is freed, the DuckDB file is not left locked, and the
   warehouse equals the dump (raw tables and marts) without a duplicate row.
"""

import contextlib
import json
import os
import signal
import time
from datetime import date
from pathlib import Path

import duckdb
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


def step_succeeded(dev: DagsterDev, run_id: str, step_key: str) -> bool:
    events = dev.instance.get_records_for_run(run_id, of_type=DagsterEventType.STEP_SUCCESS).records
    return any(record.event_log_entry.step_key == step_key for record in events)


def holds_warehouse_slot(dev: DagsterDev, run_id: str) -> bool:
    return run_id in dev.instance.event_log_storage.get_concurrency_info("warehouse").active_run_ids


def assert_not_locked(dev: DagsterDev) -> None:
    """No process holds DuckDB's write lock once every run has ended (a killed dbt left none)."""
    duckdb.connect(str(dev.data_dir / "warehouse.duckdb")).close()


def status(dev: DagsterDev, run_id: str) -> DagsterRunStatus:
    return dev.instance.get_run_by_id(run_id).status


def retry_of(dev: DagsterDev, run_id: str):
    """The run that run retries launched for `run_id`, once it exists."""
    (retry,) = dev.instance.get_runs(RunsFilter(tags={"dagster/parent_run_id": run_id})) or (None,)
    return retry


def running_step(dev: DagsterDev, job_name: str, step_key: str, partition: str = PARTITION):
    """The partition's run of `job_name` once it runs `step_key`."""

    def find():
        for record in dev.instance.get_run_records(
            RunsFilter(job_name=job_name, tags={"dagster/partition": partition}, statuses=[DagsterRunStatus.STARTED])
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
    processes = [parent, *parent.children(recursive=True)]
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.send_signal(signal.SIGKILL)
    psutil.wait_procs(processes, timeout=30)


def freeze(pid: int) -> None:
    """SIGSTOP a process where it is (the kill that follows lands exactly there)."""
    os.kill(pid, signal.SIGSTOP)


def dbt_build_process(worker_pid: int) -> psutil.Process | None:
    """The `dbt build` process dagster-dbt runs under the run worker, once it runs."""
    with contextlib.suppress(psutil.NoSuchProcess):
        for process in psutil.Process(worker_pid).children(recursive=True):
            with contextlib.suppress(psutil.NoSuchProcess):
                command = process.cmdline()
                is_dbt_build = any(part.endswith("dbt") for part in command[:2]) and "build" in command
                if is_dbt_build and "DBT_LOG_PATH" in process.environ():
                    return process
    return None


def staged_files(dev: DagsterDev, run_id: str) -> list[Path]:
    """Files of `run_id`'s import in staging (temporary copies included)."""
    folder = dev.data_dir / "parquet" / SOURCE / DAY.isoformat()
    marker = f"part-{run_id[:8]}-"
    with contextlib.suppress(FileNotFoundError):
        return [
            Path(table.path, name.name)
            for table in os.scandir(folder)
            if table.is_dir()
            for name in os.scandir(table.path)
            if marker in name.name
        ]
    return []


def uploading(dev: DagsterDev, run_id: str, worker_pid: int) -> None:
    """Return as soon as `run_id`'s import has a file in staging (polled without pause: the upload
    lasts well under a second)."""
    deadline = time.monotonic() + 900
    while not staged_files(dev, run_id):
        assert psutil.pid_exists(worker_pid), f"the import's worker exited before publishing:\n{dev.log_tail()}"
        assert time.monotonic() < deadline, f"no file of the import in staging:\n{dev.log_tail()}"


def models_built(dbt_log: Path) -> int:
    """Models dbt reports built so far ("N of M OK created ...")."""
    return dbt_log.read_text(errors="replace").count(" OK created ") if dbt_log.exists() else 0


def published_by(dev: DagsterDev, run_id: str) -> bool:
    """Whether staging's manifest is the one `run_id`'s import published."""
    path = dev.data_dir / "parquet" / SOURCE / DAY.isoformat() / MANIFEST_NAME
    return path.exists() and f"part-{run_id[:8]}-" in path.read_text()


def assert_staging_holds_one_import(dev: DagsterDev) -> None:
    """The manifest lists files that exist, all of one import, and no other part file remains."""
    folder = dev.data_dir / "parquet" / SOURCE / DAY.isoformat()
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    listed = {relative for table in manifest["tables"].values() for relative in table["files"]}
    assert all((folder / relative).is_file() for relative in listed)
    assert len({relative.split("/")[-1].split("-")[1] for relative in listed}) == 1, listed
    assert {path.relative_to(folder).as_posix() for path in folder.glob("*/part-*.parquet")} == listed
    assert not list(folder.glob("**/.*.tmp")), "a temporary copy of a killed publish remains"


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


def test_sigkill_during_import_publish_load_and_dbt_heals(root, snapshot):
    with running_dagster_dev(root) as dev:
        land_snapshot(dev.landing, snapshot)

        # 1. The import's run worker dies while it converts the dump.
        killed_import = running_step(dev, "import_dump", "convert_dump")
        pid, _ = run_worker(dev.instance, killed_import.run_id)
        os.kill(pid, signal.SIGKILL)
        dev.wait_for(lambda: status(dev, killed_import.run_id) == DagsterRunStatus.FAILURE, "the import failed", 120)
        retried = dev.wait_for(lambda: retry_of(dev, killed_import.run_id), "a retry of the import", 300)

        # 2. The retry's worker dies while it publishes.
        killed_publish = retried
        pid, _ = dev.wait_for(lambda: run_worker(dev.instance, killed_publish.run_id), "the retry's worker", 300)
        uploading(dev, killed_publish.run_id, pid)
        freeze(pid)
        uploaded = staged_files(dev, killed_publish.run_id)
        assert uploaded and not published_by(dev, killed_publish.run_id), "the kill missed the upload"
        os.kill(pid, signal.SIGKILL)
        print(f"publish killed after {len(uploaded)} of its files")
        dev.wait_for(lambda: status(dev, killed_publish.run_id) == DagsterRunStatus.FAILURE, "the publish failed", 120)
        retried = dev.wait_for(lambda: retry_of(dev, killed_publish.run_id), "a second retry of the import", 300)
        dev.wait_for(lambda: status(dev, retried.run_id) == DagsterRunStatus.SUCCESS, "the retried import", 600)
        assert published_by(dev, retried.run_id)
        assert_staging_holds_one_import(dev)

        # 3. Everything dies while the load step runs.
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

        # 4. The dbt build's worker and its dbt process die mid-build; 5. its retry's worker dies
        # alone, its dbt process left running without it.
        killed_dbt = running_step(dev, "dbt_build", "dbt_models", partition=DAY.isoformat())
        retried = kill_dbt_mid_build(dev, killed_dbt, with_dbt=True)
        orphaning = running_step(dev, "dbt_build", "dbt_models", partition=DAY.isoformat())
        assert orphaning.run_id == retried.run_id
        retried = kill_dbt_mid_build(dev, orphaning, with_dbt=False)
        dev.wait_for(lambda: status(dev, retried.run_id) == DagsterRunStatus.SUCCESS, "the second retry of dbt")

        for run in (killed_load, killed_dbt, orphaning):
            dev.wait_for(lambda run=run: not holds_warehouse_slot(dev, run.run_id), "the killed run's slot freed", 120)
        assert_staging_holds_one_import(dev)
        assert_warehouse_equals(dev, snapshot)
        assert_not_locked(dev)


def kill_dbt_mid_build(dev: DagsterDev, run, with_dbt: bool):
    """SIGKILL the dbt run's worker (and its `dbt build` process when `with_dbt`) once dbt has
    built a model; the run fails without its step succeeding, and run retries' new run."""
    pid, _ = run_worker(dev.instance, run.run_id)
    dbt = dev.wait_for(lambda: dbt_build_process(pid), "dbt running under the dbt_build worker", 300, interval=0.2)
    log = Path(dbt.cwd(), dbt.environ()["DBT_LOG_PATH"], "dbt.log")  # dagster-dbt's folder for this invocation
    dev.wait_for(lambda: models_built(log) and dbt.is_running(), "dbt's first model built", 300, interval=0.2)
    freeze(pid)
    freeze(dbt.pid)
    built = models_built(log)
    if with_dbt:
        kill_process_tree(pid)
    else:
        os.kill(pid, signal.SIGKILL)
        dbt.resume()  # runs on without the worker, as after an OOM kill of the worker alone
    killed = time.time()
    dev.wait_for(lambda: status(dev, run.run_id) == DagsterRunStatus.FAILURE, "the dbt build failed", 300)
    print(
        f"dbt build {'and dbt' if with_dbt else 'worker (dbt left running)'} killed after {built} models; "
        f"the run failed {time.time() - killed:.0f}s later"
    )
    assert not step_succeeded(dev, run.run_id, "dbt_models")  # killed mid-build
    return dev.wait_for(lambda: retry_of(dev, run.run_id), "a retry of the dbt build", 300)
