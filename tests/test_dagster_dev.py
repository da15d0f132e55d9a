"""The README's first command for real: `dagster dev` (webserver + daemon + run queue) on the
local default, one running instance shared by scenarios that run in order:

1. dumps land; the sensors import, load and build everything, dbt once a date is complete;
   loads and dbt builds run in their run's process, one `warehouse` step at a time;
2. a range backfill of the dbt models alone, launched as the UI launches it (GraphQL
   `launchPartitionBackfill`), is one run over the whole range;
3. a range backfill of the raw tables and the dbt models together: load runs over ranges;
4. a corrected dump for an old date lands beside a future-dated and a misnamed one: the dump is
   imported and built, the others are skipped with their reasons on the sensor's ticks.
"""

from datetime import date
from itertools import pairwise

import pytest
from dagster import AssetKey, DagsterEventType, DagsterRunStatus, RunsFilter

from elt_pipeline.lib.sample_data import SourceHistory, dump_content, seed_landing
from elt_pipeline.settings import LOCAL_DEVELOPMENT_SALT
from tests.support.dagster_dev import DagsterDev, running_dagster_dev
from tests.support.expected import FEATURE_COLUMNS, assert_features_equal, expected_customer_features
from tests.support.orchestration import dbt_dates
from tests.support.pipelines import RAW_TABLES

pytestmark = pytest.mark.slow

DATES = [date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3)]
SOURCES = ["shop_eu", "shop_us", "shop_apac"]
DBT_KEYS = [
    ["staging", "stg_shop__customers"],
    ["staging", "stg_shop__orders"],
    ["staging", "stg_shop__order_items"],
    ["staging", "stg_shop__products"],
    ["intermediate", "int_orders__totals"],
    ["marts", "fct_customer_features"],
    ["marts", "customer_features_latest"],
]
PARTITIONS = sorted(f"{day.isoformat()}|{source}" for day in DATES for source in SOURCES)


@pytest.fixture(scope="module")
def dev(tmp_path_factory):
    with running_dagster_dev(tmp_path_factory.mktemp("dagster_dev")) as dev:
        dev.snapshots = {(s.source_db, s.dump_date): s for s in seed_landing(dev.landing, SOURCES, DATES)}
        yield dev


def runs(dev: DagsterDev, job_name: str, status=DagsterRunStatus.SUCCESS) -> list:
    return dev.instance.get_run_records(RunsFilter(job_name=job_name, statuses=[status]))


def dbt_step_starts(dev: DagsterDev, day: str) -> list[float]:
    """When each dbt run covering `day` started its dbt step (sensor runs and backfill runs)."""
    starts = []
    for record in dev.instance.get_run_records(RunsFilter(statuses=[DagsterRunStatus.SUCCESS])):
        run = record.dagster_run
        builds_dbt = run.job_name == "dbt_build" or {AssetKey(key) for key in DBT_KEYS} & set(run.asset_selection or ())
        if builds_dbt and day in dbt_dates(run.tags):
            step = dev.instance.get_records_for_run(run.run_id, of_type=DagsterEventType.STEP_START, limit=1).records
            starts += [step[0].timestamp] if step else []
    return starts


def loaded_partitions(dev: DagsterDev, run_ids: set[str]) -> list[str]:
    """The raw partitions these runs materialized (every table of each), sorted, once per load."""
    per_table = [
        sorted(
            r.partition_key
            for r in dev.instance.fetch_materializations(AssetKey(["raw", table]), limit=1000).records
            if r.run_id in run_ids
        )
        for table in RAW_TABLES
    ]
    assert all(partitions == per_table[0] for partitions in per_table), per_table
    return per_table[0]


def last_load_end(dev: DagsterDev, day: str) -> float:
    """When the last import or load of a partition of `day` ended (a run of its partition, or a
    load of a range holding it)."""
    records = dev.instance.fetch_materializations(AssetKey(["raw", RAW_TABLES[0]]), limit=1000).records
    loads = RunsFilter(run_ids=list({r.run_id for r in records if r.partition_key.startswith(f"{day}|")}))
    of_the_date = RunsFilter(tags={"dagster/partition/dump_date": day})
    ends = [r.end_time for runs in (loads, of_the_date) for r in dev.instance.get_run_records(runs)]
    return max(end for end in ends if end is not None)


def every_date_built_after_its_loads(dev: DagsterDev) -> bool:
    assert not dev.failed_runs(), dev.failed_runs()
    in_flight = dev.instance.get_run_ids(
        RunsFilter(statuses=[DagsterRunStatus.QUEUED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED]), limit=1
    )
    if in_flight:
        return False
    return all(
        any(start >= last_load_end(dev, day.isoformat()) for start in dbt_step_starts(dev, day.isoformat()))
        for day in DATES
    )


def assert_marts_hold_the_landed_dumps(dev: DagsterDev) -> None:
    for (source, day), snapshot in dev.snapshots.items():
        rows = dev.query(
            f"select customer_key, {', '.join(FEATURE_COLUMNS)} from elt_marts.fct_customer_features"
            " where _dump_date = ? and _source_db = ?",
            [day, source],
        )
        actual = {row[0]: dict(zip(FEATURE_COLUMNS, row[1:])) for row in rows}
        assert_features_equal(actual, expected_customer_features(snapshot, LOCAL_DEVELOPMENT_SALT))


def test_landed_dumps_are_imported_loaded_and_built_once_per_date(dev):
    dev.wait_for(lambda: len(runs(dev, "import_dump")) == len(PARTITIONS), "an import of every landed dump")
    dev.wait_for(lambda: every_date_built_after_its_loads(dev), "a dbt build of every date after its loads")

    assert sorted(r.dagster_run.tags["dagster/partition"] for r in runs(dev, "import_dump")) == PARTITIONS
    loads = runs(dev, "load_raw_tables")  # how many depends on timing: imports published meanwhile load together
    assert loaded_partitions(dev, {r.dagster_run.run_id for r in loads}) == PARTITIONS  # each loaded once
    dbt_runs = runs(dev, "dbt_build")
    assert set().union(*(dbt_dates(r.dagster_run.tags) for r in dbt_runs)) == {d.isoformat() for d in DATES}
    assert len(dbt_runs) < len(PARTITIONS), "dbt ran once per load, not once per date or range of dates"
    assert_marts_hold_the_landed_dumps(dev)


def test_loads_and_dbt_builds_run_in_the_run_process_one_warehouse_step_at_a_time(dev):
    """No step subprocess (in-process executor), yet the `warehouse` pool (limit 1) still lets
    one load or dbt step write at a time."""
    steps = []
    for job in ("load_raw_tables", "dbt_build"):
        for record in runs(dev, job):
            events = [entry for entry in dev.instance.all_logs(record.dagster_run.run_id) if entry.dagster_event]
            kinds = [entry.dagster_event.event_type for entry in events]
            assert DagsterEventType.STEP_WORKER_STARTED not in kinds, f"{job} started a step subprocess"
            times = {kind: entry.timestamp for kind, entry in zip(kinds, events)}
            steps.append((times[DagsterEventType.STEP_START], times[DagsterEventType.STEP_SUCCESS]))
    steps.sort()
    assert len(steps) == len(runs(dev, "load_raw_tables")) + len(runs(dev, "dbt_build")) >= 2  # a step per run
    assert all(end <= next_start for (_, end), (next_start, _) in pairwise(steps)), steps
    assert dev.instance.event_log_storage.get_concurrency_info("warehouse").slot_count == 1


def test_a_range_backfill_of_the_dbt_models_is_one_run_over_the_range(dev):
    backfill_id = dev.launch_backfill(
        {"assetSelection": [{"path": key} for key in DBT_KEYS], "partitionNames": [d.isoformat() for d in DATES]}
    )
    dev.wait_for_backfill(backfill_id)

    (record,) = dev.instance.get_run_records(RunsFilter(tags={"dagster/backfill": backfill_id}))
    tags = record.dagster_run.tags
    assert record.dagster_run.status == DagsterRunStatus.SUCCESS
    assert (tags["dagster/asset_partition_range_start"], tags["dagster/asset_partition_range_end"]) == (
        DATES[0].isoformat(),
        DATES[-1].isoformat(),
    )
    assert_marts_hold_the_landed_dumps(dev)


def test_a_range_backfill_of_raw_tables_and_dbt_models_reloads_and_rebuilds_once(dev):
    sensor_dbt_runs = len(dev.instance.get_run_records(RunsFilter(job_name="dbt_build")))
    keys = [["raw", table] for table in RAW_TABLES] + DBT_KEYS
    backfill_id = dev.launch_backfill({"assetSelection": [{"path": key} for key in keys], "partitionNames": PARTITIONS})
    dev.wait_for_backfill(backfill_id)
    dev.wait_for(lambda: every_date_built_after_its_loads(dev), "the backfill's dbt build after its loads")

    backfill_runs = dev.instance.get_run_records(RunsFilter(tags={"dagster/backfill": backfill_id}))
    assert all(r.dagster_run.status == DagsterRunStatus.SUCCESS for r in backfill_runs)
    raw = AssetKey(["raw", RAW_TABLES[0]])
    loads = {r.dagster_run.run_id for r in backfill_runs if raw in (r.dagster_run.asset_selection or ())}
    assert loaded_partitions(dev, loads) == PARTITIONS  # each partition materialized once
    assert len(loads) < len(PARTITIONS)  # runs over ranges (Dagster cuts a backfill's ranges per date)

    def settled() -> bool:
        return "nothing to load or build" in (dev.sensor_ticks("loads_and_dbt")[0]["skipReason"] or "")

    dev.wait_for(settled, "the follow-up sensor to settle")
    assert (
        len(dev.instance.get_run_records(RunsFilter(job_name="dbt_build"))) == sensor_dbt_runs
    )  # the backfill built dbt
    assert_marts_hold_the_landed_dumps(dev)


def test_a_corrected_old_dump_is_built_and_odd_landings_beside_it_say_why_they_wait(dev):
    corrected = SourceHistory("shop_us", seed=99).snapshot(DATES[0])
    dev.landing.put("shop_us/2099-01-01/shop_us.sql.gz", dump_content(corrected))
    dev.landing.put("shop_eu/2024-1-2/shop_eu.sql.gz", dump_content(corrected))
    dev.landing.put(f"shop_us/{DATES[0].isoformat()}/shop_us.sql.gz", dump_content(corrected))
    dev.snapshots[("shop_us", DATES[0])] = corrected
    imports_before = len(runs(dev, "import_dump"))

    dev.wait_for(lambda: len(runs(dev, "import_dump")) == imports_before + 1, "the corrected dump's import")
    dev.wait_for(lambda: every_date_built_after_its_loads(dev), "a dbt build after the corrected load")
    assert_marts_hold_the_landed_dumps(dev)

    def reasons() -> str:
        ticks = dev.sensor_ticks("landed_dumps")
        messages = [tick["skipReason"] or "" for tick in ticks]
        messages += [event["message"] for tick in ticks for event in tick["logEvents"]["events"]]
        return " | ".join(messages)

    dev.wait_for(lambda: "2099-01-01 has no partition yet" in reasons(), "the future date's reason on a tick")
    assert "'2024-1-2' is not a YYYY-MM-DD dump date" in reasons()
    assert len(runs(dev, "import_dump")) == imports_before + 1  # nothing else was imported
