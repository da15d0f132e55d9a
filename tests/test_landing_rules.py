"""Every landed dump arrives exactly once, whatever folder it lands in and whenever, and nothing in
one folder blocks another: late and corrected dumps for old dates, dates without a partition
beside valid dumps, and folders holding several dumps, through the real sensors
(`evaluate_tick`) and jobs, checked in the marts."""

import gzip
import json
import os
from datetime import date

import pytest

from elt_pipeline.defs.partitions import dump_partition_key
from elt_pipeline.lib.sample_data import SourceHistory, dump_content, render_dump
from elt_pipeline.lib.storage import ManifestNotFound
from tests.support.expected import assert_features_equal, expected_customer_features
from tests.support.orchestration import DBT_JOB, IMPORT_JOB, LANDING_SENSOR, LOAD_JOB
from tests.support.pipelines import loaded_pipeline, pipeline_on

pytestmark = pytest.mark.slow

SOURCES = ["shop_eu", "shop_us"]
NEWEST = date(2024, 1, 20)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    with loaded_pipeline(tmp_path_factory.mktemp("landing_rules"), SOURCES, [NEWEST]) as pipeline:
        yield pipeline


def land(pipeline, key: str, snapshot, landed_at: float | None = None, database: str | None = None) -> None:
    content = dump_content(snapshot)
    if database is not None:  # the same dump, written from a database of another name
        text = render_dump(snapshot).replace(f"Database: {snapshot.source_db}", f"Database: {database}")
        content = gzip.compress(text.replace(f"`{snapshot.source_db}`", f"`{database}`").encode())
    pipeline.landing.put(key, content)
    if landed_at is not None:
        os.utime(pipeline.settings.landing_dir / key, (landed_at, landed_at))


def an_hour_passes(pipeline) -> None:
    """Move the landing sensor's last reconciliation an hour back."""
    cursor = json.loads(pipeline.daemon.cursors[LANDING_SENSOR])
    cursor["reconciled_at"] -= 3600
    pipeline.daemon.cursors[LANDING_SENSOR] = json.dumps(cursor)


def assert_marts_hold(pipeline, snapshot) -> None:
    expected = expected_customer_features(snapshot, pipeline.settings.hash_salt)
    assert_features_equal(pipeline.mart_rows(snapshot.dump_date, snapshot.source_db), expected)


def test_a_late_dump_for_a_recent_date_is_imported_on_the_next_tick(pipeline):
    late = SourceHistory("shop_eu").snapshot(date(2024, 1, 18))
    pipeline.land_snapshot(late)
    requests = pipeline.daemon.drain()
    assert [r.partition_key for r in requests] == [dump_partition_key("shop_eu", "2024-01-18")]
    assert not pipeline.daemon.failures
    assert_marts_hold(pipeline, late)


def test_a_dump_for_an_old_date_is_imported_by_the_next_reconciliation(pipeline):
    corrected = SourceHistory("shop_us", seed=99).snapshot(date(2024, 1, 3))  # 17 days before the newest
    pipeline.land_snapshot(corrected)
    assert pipeline.daemon.drain() == []  # not in the recent folders a tick lists
    an_hour_passes(pipeline)
    requests = pipeline.daemon.drain()
    assert [r.partition_key for r in requests] == [dump_partition_key("shop_us", "2024-01-03")]
    assert_marts_hold(pipeline, corrected)
    an_hour_passes(pipeline)
    assert pipeline.daemon.drain() == []  # a reconciliation imports nothing twice


def test_dates_without_a_partition_are_skipped_with_their_reason_beside_a_valid_dump(pipeline):
    valid = SourceHistory("shop_eu").snapshot(date(2024, 1, 21))
    land(pipeline, "shop_eu/2099-01-01/shop_eu.sql.gz", valid)
    land(pipeline, "shop_us/2024-1-21/shop_us.sql.gz", valid)
    pipeline.land_snapshot(valid)

    requests = pipeline.daemon.drain()

    assert [r.partition_key for r in requests] == [dump_partition_key("shop_eu", "2024-01-21")]
    assert not pipeline.daemon.failures
    assert_marts_hold(pipeline, valid)
    cursor = json.loads(pipeline.daemon.cursors[LANDING_SENSOR])
    assert cursor["newest"]["shop_eu"] == "2024-01-21"  # never 2099
    assert pipeline.daemon.drain() == []
    reason = pipeline.daemon.last_skip_reason
    assert "2099-01-01 has no partition yet" in reason and "'2024-1-21' is not a YYYY-MM-DD dump date" in reason


def test_a_folder_with_several_dumps_imports_the_one_landed_last_whoever_asks(pipeline):
    day = date(2024, 1, 22)
    first, second = SourceHistory("shop_us").snapshot(day), SourceHistory("shop_us", seed=99).snapshot(day)
    land(pipeline, "shop_us/2024-01-22/a.sql.gz", second, landed_at=2_000_000_000)
    land(pipeline, "shop_us/2024-01-22/b.sql.gz", first, landed_at=1_900_000_000)

    requests = pipeline.daemon.drain()

    assert [r.run_config["ops"]["fetch_dump"]["config"]["key"] for r in requests] == ["shop_us/2024-01-22/a.sql.gz"]
    assert_marts_hold(pipeline, second)

    runs_before = dict(pipeline.daemon.runs)
    stale = pipeline.defs.resolve_job_def(IMPORT_JOB).execute_in_process(
        partition_key=dump_partition_key("shop_us", day.isoformat()),
        run_config={"ops": {"fetch_dump": {"config": {"key": "shop_us/2024-01-22/b.sql.gz"}}}},
        instance=pipeline.daemon.instance,
    )
    assert stale.success and not stale.is_node_success("publish_parquet")  # superseded: published nothing
    assert pipeline.daemon.drain() == [] and dict(pipeline.daemon.runs) == runs_before  # no load, no dbt
    assert "b.sql.gz: superseded by shop_us/2024-01-22/a.sql.gz" in pipeline.daemon.last_skip_reason
    assert_marts_hold(pipeline, second)

    replay = pipeline.defs.resolve_job_def(IMPORT_JOB).execute_in_process(
        partition_key=dump_partition_key("shop_us", day.isoformat()), instance=pipeline.daemon.instance
    )
    assert replay.success and pipeline.manifest("shop_us", day).dump_uri.endswith("a.sql.gz")
    pipeline.daemon.drain()
    assert pipeline.daemon.runs[LOAD_JOB] == runs_before[LOAD_JOB] + 1
    assert pipeline.daemon.runs[DBT_JOB] == runs_before[DBT_JOB] + 1
    assert_marts_hold(pipeline, second)


def test_a_dump_of_another_database_fails_its_import_naming_both(pipeline):
    day = date(2024, 1, 23)
    land(pipeline, f"shop_eu/{day}/shop_eu.sql.gz", SourceHistory("shop_us").snapshot(day))

    pipeline.daemon.drain()

    failure = pipeline.daemon.failures.pop()
    assert pipeline.daemon.failures == []
    message = failure.failure_data_for_node("convert_dump").user_failure_data.description
    assert "holds database 'shop_us'" in message and "expects 'shop_eu'" in message and "database: shop_us" in message
    with pytest.raises(ManifestNotFound):
        pipeline.manifest("shop_eu", day)


def test_a_source_mapped_to_its_database_name_loads_dumps_of_that_database(tmp_path):
    options = {"shop_us": {"database": "us_production"}}
    with pipeline_on("local", tmp_path, ["shop_us"], source_options=options) as mapped:
        snapshot = SourceHistory("shop_us").snapshot(NEWEST)
        land(mapped, f"shop_us/{NEWEST}/shop_us.sql.gz", snapshot, database="us_production")
        mapped.daemon.drain()
        assert not mapped.daemon.failures
        assert mapped.manifest("shop_us", NEWEST).database == "us_production"
        assert_marts_hold(mapped, snapshot)
