"""dbt follows every committed load of a dump date once nothing of that date is in flight, and
never zero times: the follow-up sensor evaluated with `evaluate_tick` on a real instance.

Runs that are queued or still executing cannot be produced by in-process execution, so those
runs are created in the instance's run storage with the status (and step-start event) a daemon
would record; every load in these tests is a real run of the load job.
"""

from datetime import date

import pytest
from dagster import AssetKey, DagsterEvent, DagsterEventType, DagsterRunStatus, RunRequest

from elt_pipeline.defs.partitions import dump_partition_key
from elt_pipeline.defs.sensors.follow_up import Pending, _dbt_requests
from tests.support.orchestration import DBT_JOB, FOLLOW_UP_SENSOR, LOAD_JOB
from tests.support.pipelines import loaded_pipeline

pytestmark = pytest.mark.slow

DAY = date(2024, 1, 1)
SOURCES = ["shop_eu", "shop_us"]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    with loaded_pipeline(tmp_path_factory.mktemp("follow_up"), SOURCES, [DAY]) as pipeline:
        assert pipeline.daemon.runs[DBT_JOB] == 1
        yield pipeline


def dbt_keys(pipeline) -> set[AssetKey]:
    return {key for key in pipeline.defs.resolve_asset_graph().get_all_asset_keys() if key.path[0] != "raw"}


def recorded_run(pipeline, job: str, status: DagsterRunStatus, tags: dict, asset_selection=None):
    """A run as the daemon records it before or while it executes."""
    return pipeline.daemon.instance.create_run_for_job(
        pipeline.defs.resolve_job_def(job), status=status, tags=tags, asset_selection=asset_selection
    )


def start_step(pipeline, run) -> None:
    event = DagsterEvent(event_type_value=DagsterEventType.STEP_START.value, job_name=run.job_name, step_key="dbt")
    pipeline.daemon.instance.report_dagster_event(event, run_id=run.run_id)


def load(pipeline, source: str) -> None:
    request = RunRequest(job_name=LOAD_JOB, partition_key=dump_partition_key(source, DAY.isoformat()))
    assert pipeline.daemon.execute("test", request).success


def dbt_requests(pipeline) -> list[str]:
    return [r.partition_key for r in pipeline.daemon.tick(FOLLOW_UP_SENSOR) if r.job_name == DBT_JOB]


def test_a_load_committed_while_dbt_of_its_date_reads_gets_another_dbt_run_once_that_one_ends(pipeline):
    """Never two builds of one date at once, whatever the instance's run limits."""
    day = DAY.isoformat()
    reading = recorded_run(pipeline, DBT_JOB, DagsterRunStatus.STARTED, {"dagster/partition": day})
    start_step(pipeline, reading)
    load(pipeline, "shop_eu")
    try:
        assert dbt_requests(pipeline) == []
        assert pipeline.daemon.skip_reasons[FOLLOW_UP_SENSOR] == (
            f"waiting for the dbt runs that read {day} before their last load to end"
        )
        pipeline.daemon.instance.report_run_failed(reading)
        assert dbt_requests(pipeline) == [day]
        assert dbt_requests(pipeline) == []  # once
    finally:
        pipeline.daemon.instance.delete_run(reading.run_id)


def test_dates_ready_together_are_built_by_one_run_per_span_of_consecutive_dates():
    days = ["2024-01-01", "2024-01-02", "2024-01-04"]
    ready = {day: Pending(loaded_at=0.0, storage_id=n) for n, day in enumerate(days)}
    span, alone = _dbt_requests(DBT_JOB, ready)
    assert span.partition_key is None and span.tags == {
        "dagster/asset_partition_range_start": "2024-01-01",
        "dagster/asset_partition_range_end": "2024-01-02",
    }
    assert (alone.partition_key, alone.tags) == ("2024-01-04", {})
    assert span.run_key == "dbt-2024-01-01..2024-01-02-after-1"


def test_a_dbt_run_that_has_not_started_reading_covers_the_load(pipeline):
    day = DAY.isoformat()
    range_tags = {"dagster/asset_partition_range_start": "2023-12-30", "dagster/asset_partition_range_end": day}
    waiting_runs = [
        (DagsterRunStatus.NOT_STARTED, {"dagster/partition": day}, None),  # queued by the sensor
        (DagsterRunStatus.STARTED, {"dagster/partition": day}, None),  # started, waiting for its pool slot
        (DagsterRunStatus.NOT_STARTED, range_tags, dbt_keys(pipeline)),  # a UI backfill over a range holding it
    ]
    for status, tags, selection in waiting_runs:
        waiting = recorded_run(pipeline, DBT_JOB, status, tags, selection)
        load(pipeline, "shop_us")
        try:
            assert dbt_requests(pipeline) == [], (status, tags)
            assert pipeline.daemon.skip_reasons[FOLLOW_UP_SENSOR] == "nothing to load or build"
        finally:
            pipeline.daemon.instance.delete_run(waiting.run_id)


def test_loads_in_flight_hold_dbt_back_until_the_last_one_ends_even_if_it_fails(pipeline):
    tags = {"dagster/partition/dump_date": DAY.isoformat(), "dagster/partition/source_db": "shop_us"}
    in_flight = recorded_run(pipeline, LOAD_JOB, DagsterRunStatus.STARTED, tags)
    load(pipeline, "shop_eu")
    assert dbt_requests(pipeline) == []
    assert pipeline.daemon.skip_reasons[FOLLOW_UP_SENSOR] == f"waiting for loads of {DAY.isoformat()} to finish"

    pipeline.daemon.instance.report_run_failed(in_flight)
    assert dbt_requests(pipeline) == [DAY.isoformat()]  # what did load is built
    assert dbt_requests(pipeline) == []  # once
