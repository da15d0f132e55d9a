"""The whole local pipeline, in-process: landing -> sensors -> import -> load -> dbt -> marts.

Expected values come from the sample generator's snapshots (tests/support/expected.py), never
from the pipeline itself.
"""

from datetime import date

import pytest
from dagster import (
    DagsterEventType,
    DagsterRunStatus,
    RunRequest,
    RunsFilter,
    SkipReason,
    build_run_status_sensor_context,
)

from elt_pipeline.defs.partitions import dump_partition_key
from elt_pipeline.lib.sample_data import SourceHistory, landing_key, write_dump
from tests.support.expected import FEATURE_COLUMNS, assert_features_equal, expected_customer_features
from tests.support.local_pipeline import RAW_TABLES, SOURCES, make_local_pipeline
from tests.support.orchestration import IMPORT_JOB, LOAD_JOB, MARTS_JOB

DATES = [date(2024, 1, 1), date(2024, 1, 2)]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    """Two nights of dumps from three sources, landed and run through every sensor and job."""
    pipeline = make_local_pipeline(tmp_path_factory.mktemp("local"))
    pipeline.snapshots = pipeline.seed(DATES)
    pipeline.first_requests = pipeline.daemon.drain()
    return pipeline


def mart_rows(pipeline, dump_date: date, source_db: str) -> dict[str, dict]:
    columns = ", ".join(FEATURE_COLUMNS)
    rows = pipeline.query(
        f"select customer_key, {columns} from elt_marts.fct_customer_features where _dump_date = ? and _source_db = ?",
        [dump_date, source_db],
    )
    return {row[0]: dict(zip(FEATURE_COLUMNS, row[1:])) for row in rows}


def test_every_dump_is_imported_loaded_and_built_once(pipeline):
    daemon = pipeline.daemon
    assert not daemon.failures
    assert len(pipeline.first_requests) == len(SOURCES) * len(DATES)
    assert daemon.runs == {IMPORT_JOB: 6, LOAD_JOB: 6, MARTS_JOB: 6}
    assert daemon.tick_landing_sensor() == []  # nothing new: no second import


def test_raw_tables_hold_every_partition_with_the_column_policy_applied(pipeline):
    for snapshot in pipeline.snapshots:
        for table in RAW_TABLES:
            (count,) = pipeline.query(
                f"select count(*) from elt_raw.{table} where _source_db = ? and _dump_date = ?",
                [snapshot.source_db, snapshot.dump_date],
            )[0]
            assert count == len(snapshot.tables[table]), (snapshot.source_db, snapshot.dump_date, table)
    columns = {row[0] for row in pipeline.query("select column_name from (describe elt_raw.customers)")}
    assert "password_hash" not in columns
    assert {"email", "_source_db", "_dump_date"} <= columns


def test_marts_equal_values_computed_from_the_source_data(pipeline):
    salt = pipeline.settings.hash_salt
    for snapshot in pipeline.snapshots:
        assert_features_equal(
            mart_rows(pipeline, snapshot.dump_date, snapshot.source_db),
            expected_customer_features(snapshot, salt),
        )


def test_latest_view_serves_each_sources_newest_date(pipeline):
    rows = pipeline.query("select distinct _source_db, _dump_date from elt_marts.customer_features_latest")
    assert sorted(rows) == sorted((source, DATES[-1]) for source in SOURCES)


def test_replaying_a_partition_changes_nothing(pipeline):
    before = pipeline.table_contents()
    key = dump_partition_key("shop_us", DATES[0].isoformat())
    replay = pipeline.defs.resolve_job_def(IMPORT_JOB).execute_in_process(
        partition_key=key, instance=pipeline.daemon.instance
    )
    assert replay.success
    for job in (LOAD_JOB, MARTS_JOB):
        partition = key if job == LOAD_JOB else DATES[0].isoformat()
        result = pipeline.defs.resolve_job_def(job).execute_in_process(
            partition_key=partition, instance=pipeline.daemon.instance
        )
        assert result.success
    assert pipeline.table_contents() == before


def test_a_reuploaded_dump_updates_exactly_its_partition_and_its_date(pipeline):
    source, day = "shop_eu", DATES[1]
    before_outside = pipeline.table_contents(excluding=(source, day))
    changed = SourceHistory(source, seed=99).snapshot(day)  # a different database, same partition
    write_dump(changed, pipeline.landing / landing_key(source, day))

    requests = pipeline.daemon.drain()

    assert [r.partition_key for r in requests] == [dump_partition_key(source, day.isoformat())]
    assert not pipeline.daemon.failures
    assert_features_equal(
        mart_rows(pipeline, day, source), expected_customer_features(changed, pipeline.settings.hash_salt)
    )
    assert pipeline.table_contents(excluding=(source, day)) == before_outside


def test_a_load_does_not_request_dbt_while_a_dbt_run_of_its_date_has_not_started(pipeline):
    instance = pipeline.daemon.instance
    load = instance.get_runs(RunsFilter(job_name=LOAD_JOB, statuses=[DagsterRunStatus.SUCCESS]), limit=1)[0]
    dump_date = load.tags["dagster/partition/dump_date"]
    sensor = pipeline.defs.resolve_sensor_def("loaded_partitions")

    def evaluate():
        success = instance.get_records_for_run(load.run_id, of_type=DagsterEventType.RUN_SUCCESS).records[0]
        return sensor(
            build_run_status_sensor_context(
                sensor_name=sensor.name,
                dagster_event=success.event_log_entry.dagster_event,
                dagster_instance=instance,
                dagster_run=load,
            )
        )

    assert isinstance(evaluate(), RunRequest) and evaluate().partition_key == dump_date
    queued = instance.create_run_for_job(
        pipeline.defs.resolve_job_def(MARTS_JOB),
        status=DagsterRunStatus.NOT_STARTED,
        tags={"dagster/partition": dump_date},
    )
    try:
        assert isinstance(evaluate(), SkipReason) and queued.run_id in evaluate().skip_message
    finally:
        instance.delete_run(queued.run_id)
