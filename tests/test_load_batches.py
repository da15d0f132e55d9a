"""A catch-up loads many partitions per run: the follow-up sensor holds the imports published
while a load run is still queued, then loads them together, one range run per block of
consecutive dates x adjacent sources; each partition is still replaced, materialized and checked
as its own. Real imports and loads on a real instance, driven by `evaluate_tick`; the queued run
is recorded in run storage as the daemon records one (in-process execution cannot leave one queued).
"""

from datetime import date, timedelta
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterEventType, DagsterRunStatus

from elt_pipeline.defs.partitions import dump_partition_key
from elt_pipeline.defs.sensors.follow_up import RANGE_END_TAG, RANGE_START_TAG, _load_requests
from elt_pipeline.lib.sample_data import seed_landing
from tests.support.orchestration import FOLLOW_UP_SENSOR, LOAD_JOB, dbt_dates, dump_partitions_of, request_tags
from tests.support.pipelines import ALL_SOURCES, RAW_TABLES, pipeline_on

pytestmark = pytest.mark.slow

# Each scenario lands later dates than the one before: the landing sensor lists recent date folders.
ORDER_DATES, BATCH_DATES, FAILING_DATES = date(2024, 1, 1), date(2024, 1, 3), date(2024, 1, 6)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    with pipeline_on("local", tmp_path_factory.mktemp("load_batches"), ALL_SOURCES) as pipeline:
        yield pipeline


def days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=n) for n in range(count)]


def imported(pipeline, dates: list[date]) -> None:
    """Land every source's dump of `dates` and run the imports the landing sensor requests."""
    pipeline.land(dates)
    for request in pipeline.daemon.tick_landing_sensor():
        assert pipeline.daemon.execute("landed_dumps", request).success


def load_partitions(pipeline, request) -> list[str]:
    """The partition keys a load request covers: its own, or every key of its range."""
    return dump_partitions_of(request_tags(request), pipeline.defs.resolve_job_def(LOAD_JOB).partitions_def)


def materialization(pipeline, table: str, partition: str):
    """The newest materialization of a raw table's partition."""
    records = pipeline.daemon.instance.fetch_materializations(AssetKey(["raw", table]), limit=1000).records
    found = [record for record in records if record.partition_key == partition]
    assert found, (table, partition)
    return found[-1].asset_materialization


def test_landed_dumps_import_oldest_date_first_across_sources(pipeline):
    dates = days(ORDER_DATES, 2)
    pipeline.land(dates)
    requests = pipeline.daemon.tick_landing_sensor()
    order = [
        (key.keys_by_dimension["dump_date"], key.keys_by_dimension["source_db"])
        for key in (request.partition_key for request in requests)
    ]
    assert order == sorted(order) and len(order) == 2 * len(ALL_SOURCES)
    for request in requests:  # leave nothing for the next tests to trip over
        assert pipeline.daemon.execute("landed_dumps", request).success
    while follow_ups := pipeline.daemon.tick(FOLLOW_UP_SENSOR):
        for request in follow_ups:
            pipeline.daemon.execute(FOLLOW_UP_SENSOR, request)
    assert not pipeline.daemon.failures


def test_imports_published_while_a_load_run_is_queued_load_together_once_it_starts(pipeline):
    dates = days(BATCH_DATES, 3)
    imported(pipeline, dates)
    instance = pipeline.daemon.instance
    queued = instance.create_run_for_job(
        pipeline.defs.resolve_job_def(LOAD_JOB),
        status=DagsterRunStatus.NOT_STARTED,  # as the sensor queues one
        tags={"dagster/partition": str(dump_partition_key("shop_eu", "2023-12-31"))},
    )
    assert pipeline.daemon.tick(FOLLOW_UP_SENSOR) == []
    assert "will load together once the queued load run starts" in pipeline.daemon.skip_reasons[FOLLOW_UP_SENSOR]
    instance.delete_run(queued.run_id)

    [load] = pipeline.daemon.tick(FOLLOW_UP_SENSOR)  # every source's three dates: one range run
    expected = {str(dump_partition_key(source, day.isoformat())) for source in ALL_SOURCES for day in dates}
    assert load.job_name == LOAD_JOB and set(load_partitions(pipeline, load)) == expected
    result = pipeline.daemon.execute(FOLLOW_UP_SENSOR, load)
    assert result.success

    for key in sorted(expected):  # each partition replaced and described as its own
        source, day = key.split("|")[1], date.fromisoformat(key.split("|")[0])
        manifest = pipeline.manifest(source, day)
        for table in RAW_TABLES:
            rows = manifest.tables[table].row_count
            assert pipeline.raw_count(table, source, day) == rows > 0
            metadata = materialization(pipeline, table, key).metadata
            assert metadata["dagster/row_count"].value == rows
            assert metadata["dump_sha256"].value == manifest.dump_sha256
    checks = [
        event.event_specific_data
        for event in result.all_events
        if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
    ]
    assert len(checks) == 5 * len(RAW_TABLES)  # one result per check of each table, for the whole range
    assert all(check.passed and check.metadata["partitions"].value == len(expected) for check in checks)

    [build] = pipeline.daemon.tick(FOLLOW_UP_SENSOR)  # dbt of the three dates, once the range run ended
    assert built_dates(build) == {day.isoformat() for day in dates}
    assert pipeline.daemon.execute(FOLLOW_UP_SENSOR, build).success
    assert all(pipeline.mart_rows(day, source) for day in dates for source in ALL_SOURCES)


def test_a_partition_failing_in_a_range_run_leaves_the_others_loaded_and_names_it(pipeline):
    good, bad = days(FAILING_DATES, 2)
    seed_landing(pipeline.landing, ["shop_us"], [good, bad])
    for request in pipeline.daemon.tick_landing_sensor():
        assert pipeline.daemon.execute("landed_dumps", request).success
    orders = pipeline.manifest("shop_us", bad).tables["orders"].files[0]
    Path(pipeline.parquet.file_uri("shop_us", bad.isoformat(), orders)).unlink()  # staging lost a file

    [load] = pipeline.daemon.tick(FOLLOW_UP_SENSOR)
    assert set(load_partitions(pipeline, load)) == {f"{good}|shop_us", f"{bad}|shop_us"}
    result = pipeline.daemon.execute(FOLLOW_UP_SENSOR, load)
    assert not result.success
    [failure] = [event for event in result.all_events if event.event_type == DagsterEventType.STEP_FAILURE]
    message = failure.step_failure_data.error.message
    assert "shop_us" in message and bad.isoformat() in message and orders in message  # partition and file
    manifest = pipeline.manifest("shop_us", good)
    for table in RAW_TABLES:
        assert pipeline.raw_count(table, "shop_us", good) == manifest.tables[table].row_count > 0
        assert pipeline.raw_count(table, "shop_us", bad) == 0  # nothing of the failed partition written
        materialization(pipeline, table, f"{good}|shop_us")
        assert not has_materialization(pipeline, table, f"{bad}|shop_us")

    [build] = pipeline.daemon.tick(FOLLOW_UP_SENSOR)  # what loaded is built
    assert built_dates(build) == {good.isoformat()}


def test_imported_partitions_load_as_rectangles_of_consecutive_dates_and_adjacent_sources():
    order = ["a", "b", "c"]
    keys = {str(dump_partition_key(source, f"2024-01-0{day}")) for source in order for day in (1, 2, 3)}
    keys -= {"2024-01-02|b", "2024-01-03|c"}
    requests = _load_requests(LOAD_JOB, {key: f"run-{key}" for key in keys}, order)
    covered = [
        (request.partition_key,)
        if request.partition_key
        else (request.tags[RANGE_START_TAG], request.tags[RANGE_END_TAG])
        for request in requests
    ]
    assert sorted(covered) == sorted(
        [
            ("2024-01-01|a", "2024-01-03|a"),  # a: 1-3 alone, as b and c lack a date
            ("2024-01-01|b",),
            ("2024-01-03|b",),
            ("2024-01-01|c", "2024-01-02|c"),
        ]
    )
    assert len({request.run_key for request in requests}) == len(requests)


def built_dates(request) -> set[str]:
    """The dump dates a dbt request builds: its partition, or each date of its range."""
    return dbt_dates(request_tags(request))


def has_materialization(pipeline, table: str, partition: str) -> bool:
    records = pipeline.daemon.instance.fetch_materializations(AssetKey(["raw", table]), limit=1000).records
    return any(record.partition_key == partition for record in records)
