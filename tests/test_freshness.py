"""The ML marts' freshness: the dump date due at the deadline from the config (D by 07:00 UTC
on D+1) is built, checked per partition on a real instance after a real pipeline run, with
Dagster's clock fixed where the check reads it."""

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from dagster import AssetCheckKey, AssetKey
from dagster._core.test_utils import freeze_time

from elt_pipeline.defs.freshness import FRESHNESS_CHECK
from elt_pipeline.lib.freshness import deadline_of, due_dump_date
from tests.support.orchestration import DBT_JOB
from tests.support.pipelines import pipeline_on

DAY = date(2024, 1, 1)  # the config's partitions_start_date
MARTS = [AssetKey(["marts", "fct_customer_features"]), AssetKey(["marts", "customer_features_latest"])]


@pytest.mark.parametrize(
    ("now", "due"),
    [
        (datetime(2024, 1, 2, 7, 0, tzinfo=UTC), date(2024, 1, 1)),
        (datetime(2024, 1, 2, 6, 59, tzinfo=UTC), date(2023, 12, 31)),
        (datetime(2024, 1, 2, 8, 30, tzinfo=timezone(timedelta(hours=2))), date(2023, 12, 31)),  # 06:30 UTC
    ],
)
def test_the_date_due_is_the_newest_whose_deadline_passed(now, due):
    assert due_dump_date(now, time(7, 0)) == due
    assert deadline_of(due, time(7, 0)) <= now < deadline_of(due + timedelta(days=1), time(7, 0))


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    with pipeline_on("local", tmp_path_factory.mktemp("freshness"), ["shop_eu"]) as pipeline:
        pipeline.land([DAY])
        pipeline.daemon.drain()
        assert not pipeline.daemon.failures and pipeline.daemon.runs[DBT_JOB] == 1
        yield pipeline


def check_results(pipeline, now: datetime) -> dict[AssetKey, tuple[bool, dict]]:
    """Run the freshness job at `now`, as its schedule does; each mart's result."""
    with freeze_time(now):
        result = pipeline.defs.resolve_job_def("ml_marts_freshness").execute_in_process(
            instance=pipeline.daemon.instance
        )
    evaluations = result.get_asset_check_evaluations()
    assert {e.asset_check_key for e in evaluations} == {AssetCheckKey(key, FRESHNESS_CHECK) for key in MARTS}
    return {e.asset_key: (e.passed, {k: v.value for k, v in e.metadata.items()}) for e in evaluations}


@pytest.mark.slow
def test_a_date_built_before_its_deadline_passes_and_a_date_not_built_fails_after_its_deadline(pipeline):
    on_time = check_results(pipeline, datetime(2024, 1, 2, 7, 0, tzinfo=UTC))  # 2024-01-01 due: built
    assert {key: passed for key, (passed, _) in on_time.items()} == dict.fromkeys(MARTS, True)
    metadata = on_time[MARTS[0]][1]
    assert metadata["dump_date"] == "2024-01-01" and metadata["deadline"] == deadline_of(DAY, time(7)).timestamp()
    assert "built_at" in metadata

    late = check_results(pipeline, datetime(2024, 1, 3, 7, 0, tzinfo=UTC))  # 2024-01-02 due: never landed
    assert {key: passed for key, (passed, _) in late.items()} == dict.fromkeys(MARTS, False)
    assert late[MARTS[0]][1]["dump_date"] == "2024-01-02" and "built_at" not in late[MARTS[0]][1]

    before_any_deadline = check_results(pipeline, datetime(2024, 1, 2, 6, 59, tzinfo=UTC))  # 2023-12-31: no partition
    assert all(passed and meta["note"] == "no partition yet" for passed, meta in before_any_deadline.values())


@pytest.mark.slow
def test_the_freshness_schedule_runs_at_the_configured_deadline(pipeline):
    schedule = pipeline.defs.resolve_schedule_def("ml_marts_freshness_at_deadline")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 7 * * *", "UTC")
    assert schedule.job_name == "ml_marts_freshness"
    assert list(pipeline.defs.resolve_job_def(DBT_JOB).graph.node_dict) == ["dbt_models"]  # not run by dbt builds
