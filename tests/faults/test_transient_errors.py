"""Transient cloud errors, injected by a real HTTP proxy in front of the emulators (429/503 and
failed BigQuery jobs, as Google's APIs send them), while the real sensors import and load a dump
on the gcp environment: each run still succeeds and the raw tables end equal to a clean run's
(no duplicate rows); a Dagster-level retry shows in the event log; an error that never ends
fails the load clearly and leaves the partition as it was.
"""

from __future__ import annotations

import gzip
from datetime import date

import pytest
from dagster import DagsterEventType
from google.cloud.bigquery import retry as bigquery_retry

from elt_pipeline.defs.raw_tables import CONSISTENT_CHECK, HELD_BACK_METADATA
from elt_pipeline.lib.sample_data import SourceHistory, landing_key, render_dump
from elt_pipeline.lib.warehouse.bigquery import JOB_RETRY
from tests.support.faulty_proxy import CONCURRENT_UPDATE
from tests.support.orchestration import DBT_JOB, FOLLOW_UP_SENSOR, IMPORT_JOB, LANDING_SENSOR, LOAD_JOB
from tests.support.pipelines import RAW_TABLES
from tests.support.proxied_pipeline import import_and_load, proxied_pipeline, raw_contents

pytestmark = [pytest.mark.gcp, pytest.mark.slow]

SOURCE, DAY = "shop_eu", date(2024, 1, 1)
LANDING_DOWNLOAD = r"^/download/storage/v1/b/landing-[^/]+/o/"
STAGING_UPLOAD = r"^/upload/storage/v1/b/parquet-[^/]+/o"
MANIFEST_DOWNLOAD = r"^/download/storage/v1/b/parquet-[^/]+/o/.*_manifest\.json"
JOBS_INSERT = r"^/bigquery/v2/projects/[^/]+/jobs$|^/projects/[^/]+/jobs$"
QUERY_RESULTS = r"/projects/[^/]+/queries/"
REPLACE_MERGE = "WHEN MATCHED THEN DELETE"  # the MERGE that replaces a table's partition
LAST_REPLACE_MERGE = ".products` AS target"  # tables load in name order: products is the last


def retried_steps(result) -> list[str]:
    return [event.step_key for event in result.all_events if event.event_type == DagsterEventType.STEP_UP_FOR_RETRY]


@pytest.fixture(scope="module")
def clean_load(emulators, tmp_path_factory) -> dict[str, list]:
    """The raw tables after the dump loaded with no fault: what every faulty run must end with."""
    with proxied_pipeline(tmp_path_factory.mktemp("clean"), emulators, [SOURCE]) as (pipeline, gcs_proxy, bq_proxy):
        pipeline.land([DAY])
        results = import_and_load(pipeline)
        assert [r.success for r in results] == [True, True]
        assert gcs_proxy.injected() == bq_proxy.injected() == 0
        contents = raw_contents(pipeline)
    assert all(contents.values())
    return contents


def test_gcs_errors_on_download_publish_and_manifest_read_are_retried_by_the_client(emulators, tmp_path, clean_load):
    with proxied_pipeline(tmp_path, emulators, [SOURCE]) as (pipeline, gcs_proxy, _):
        pipeline.land([DAY])
        rules = [
            gcs_proxy.fail("GET", LANDING_DOWNLOAD, 503, times=2),
            gcs_proxy.fail("POST", STAGING_UPLOAD, 429, times=2, body="part-"),
            gcs_proxy.fail("POST", STAGING_UPLOAD, 503, times=1, body="_manifest.json"),
            gcs_proxy.fail("GET", MANIFEST_DOWNLOAD, 503, times=2),
        ]

        results = import_and_load(pipeline)

        assert [(r.dagster_run.job_name, r.success) for r in results] == [(IMPORT_JOB, True), (LOAD_JOB, True)]
        assert [rule.fired for rule in rules] == [2, 2, 1, 2]
        assert [retried_steps(r) for r in results] == [[], []]  # the storage client retried, not Dagster
        assert raw_contents(pipeline) == clean_load


def test_bigquery_errors_and_a_concurrent_update_conflict_on_the_load_are_retried(emulators, tmp_path, clean_load):
    with proxied_pipeline(tmp_path, emulators, [SOURCE]) as (pipeline, _, bq_proxy):
        pipeline.land([DAY])
        rules = [
            bq_proxy.fail("POST", JOBS_INSERT, 503, times=1, body="MERGE"),  # the claim's MERGE
            bq_proxy.fail("GET", QUERY_RESULTS, 429, times=2),
            # bqemulator serialises DML, so it never raises the conflict: the proxy answers two
            # MERGE jobs as BigQuery does when another source's MERGE wins the date partition.
            bq_proxy.fail_job(
                REPLACE_MERGE, CONCURRENT_UPDATE.format(table=f"{emulators.project}:raw.orders"), times=2
            ),
        ]

        results = import_and_load(pipeline)

        assert [(r.dagster_run.job_name, r.success) for r in results] == [(IMPORT_JOB, True), (LOAD_JOB, True)]
        assert [rule.fired for rule in rules] == [1, 2, 2]
        assert retried_steps(results[1]) == []  # the BigQuery client re-ran the jobs itself
        assert raw_contents(pipeline) == clean_load


def test_a_failed_load_job_is_retried_by_the_op_retry_policy(emulators, tmp_path, clean_load):
    with proxied_pipeline(tmp_path, emulators, [SOURCE]) as (pipeline, _, bq_proxy):
        pipeline.land([DAY])
        rule = bq_proxy.fail_job('"load"', "Error encountered during execution. Retrying may solve.", "backendError")

        results = import_and_load(pipeline)

        assert [(r.dagster_run.job_name, r.success) for r in results] == [(IMPORT_JOB, True), (LOAD_JOB, True)]
        assert rule.fired == 1
        assert retried_steps(results[1]) == ["raw_tables"]  # shown in the run's event log
        assert raw_contents(pipeline) == clean_load


@pytest.fixture
def short_client_deadlines(monkeypatch) -> None:
    """The clients' own deadlines (10 minutes a call in production), shortened to fail in seconds."""
    for policy in (JOB_RETRY, bigquery_retry.DEFAULT_RETRY, bigquery_retry._DEFAULT_QUERY_JOB_INSERT_RETRY):
        monkeypatch.setattr(policy, "_timeout", 2)


def land_a_redump(pipeline) -> None:
    """The loaded partition's dump landed again, with more rows (a re-dump of the same day)."""
    later = render_dump(SourceHistory(SOURCE).snapshot(date(2024, 1, 20)))
    pipeline.landing.put(landing_key(SOURCE, DAY), gzip.compress(later.encode()))


def raw_counts(pipeline) -> dict[str, int]:
    return {table: pipeline.raw_count(table, SOURCE, DAY) for table in RAW_TABLES}


def test_an_error_that_never_ends_fails_the_load_clearly_and_leaves_the_partition_as_it_was(
    emulators, tmp_path, clean_load, short_client_deadlines
):
    with proxied_pipeline(tmp_path, emulators, [SOURCE]) as (pipeline, _, bq_proxy):
        pipeline.land([DAY])
        assert all(r.success for r in import_and_load(pipeline))
        land_a_redump(pipeline)
        rule = bq_proxy.fail("POST", JOBS_INSERT, 503, times=None, body=REPLACE_MERGE)

        imported, loaded = import_and_load(pipeline)

        assert imported.success and not loaded.success
        assert retried_steps(loaded) == ["raw_tables"] * 3  # every op retry, then the failure
        failure = loaded.failure_data_for_node("raw_tables").error.to_string()
        assert "503" in failure and "injected by the test proxy" in failure, failure
        assert rule.fired > 4
        assert raw_contents(pipeline) == clean_load


def test_a_load_failing_after_its_first_tables_holds_dbt_back_until_a_replay_replaces_every_table(
    emulators, tmp_path, clean_load, short_client_deadlines
):
    """bqemulator runs no multi-statement transaction, so a partition's tables are replaced one
    MERGE each: an error that lasts past the op retries on the last one leaves the partition
    mixing two dumps. The replaced tables' blocking check `partition_consistent` fails, so the
    follow-up sensor does not build the date; once the error ends, a replay of the load (as from
    the UI) replaces every table and the date is built."""
    with proxied_pipeline(tmp_path, emulators, [SOURCE]) as (pipeline, _, bq_proxy):
        pipeline.land([DAY])
        assert all(r.success for r in import_and_load(pipeline))
        old = raw_counts(pipeline)
        land_a_redump(pipeline)
        rule = bq_proxy.fail("POST", JOBS_INSERT, 503, times=None, body=LAST_REPLACE_MERGE)
        daemon = pipeline.daemon
        assert all(daemon.execute(LANDING_SENSOR, request).success for request in daemon.tick_landing_sensor())
        new = {table: entry.row_count for table, entry in pipeline.manifest(SOURCE, DAY).tables.items()}
        [load] = daemon.tick(FOLLOW_UP_SENSOR)

        failed = daemon.execute(FOLLOW_UP_SENSOR, load)

        assert load.job_name == LOAD_JOB and not failed.success and rule.fired > 0
        mixed = {"customers": new["customers"], "order_items": new["order_items"], "orders": new["orders"]}
        assert raw_counts(pipeline) == {**mixed, "products": old["products"]} and mixed != {t: old[t] for t in mixed}
        consistent = {
            evaluation.asset_key.path[-1]: evaluation.passed
            for evaluation in failed.get_asset_check_evaluations()
            if evaluation.check_name == CONSISTENT_CHECK
        }
        assert consistent == dict.fromkeys(mixed, False)
        held_back = {
            event.asset_key.path[-1]: event.step_materialization_data.materialization.metadata[HELD_BACK_METADATA].value
            for event in failed.get_asset_materialization_events()
        }
        assert held_back == dict.fromkeys(mixed, CONSISTENT_CHECK)
        assert not [request for request in daemon.tick(FOLLOW_UP_SENSOR) if request.job_name == DBT_JOB]

        rule.times = rule.fired  # the outage ends
        replay = daemon.execute(FOLLOW_UP_SENSOR, load.with_replaced_attrs(run_key=None))

        assert replay.success
        assert raw_counts(pipeline) == new
        assert all(e.passed for e in replay.get_asset_check_evaluations() if e.check_name == CONSISTENT_CHECK)
        [build] = [request for request in daemon.tick(FOLLOW_UP_SENSOR) if request.job_name == DBT_JOB]
        assert build.partition_key == DAY.isoformat()
