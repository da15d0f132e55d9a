"""Bad dumps and bad paths: a clear error naming the file, and nothing lost or half-written."""

import gzip
from datetime import date

import pytest

from elt_pipeline.lib.sample_data import SourceHistory, landing_key, render_dump
from elt_pipeline.lib.storage import ManifestNotFound
from tests.support.orchestration import IMPORT_JOB, LOAD_JOB
from tests.support.pipelines import ALL_SOURCES, loaded_pipeline

pytestmark = pytest.mark.slow

DAY = date(2024, 1, 1)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    """One good night of dumps, loaded: the state every bad input must leave untouched."""
    with loaded_pipeline(tmp_path_factory.mktemp("bad_input"), ALL_SOURCES, [DAY]) as pipeline:
        yield pipeline


def failure_description(result) -> str:
    return result.failure_data_for_node("convert_dump").user_failure_data.description


def test_a_truncated_reupload_fails_clearly_and_keeps_the_loaded_partition(pipeline):
    before = pipeline.table_contents()
    manifest_before = pipeline.manifest("shop_eu", DAY)
    dump = gzip.compress(render_dump(SourceHistory("shop_eu").snapshot(DAY)).encode())
    key = landing_key("shop_eu", DAY)
    pipeline.landing.put(key, dump[: len(dump) // 2])
    runs_before = dict(pipeline.daemon.runs)

    requests = pipeline.daemon.drain()

    assert len(requests) == 1
    failure = pipeline.daemon.failures.pop()
    assert failure.dagster_run.job_name == IMPORT_JOB
    message = failure_description(failure)
    assert key in message and "line" in message, message
    assert pipeline.daemon.runs[LOAD_JOB] == runs_before[LOAD_JOB]  # no load was requested
    assert pipeline.manifest("shop_eu", DAY) == manifest_before
    assert pipeline.table_contents() == before


def test_a_dump_without_its_trailer_is_refused(pipeline):
    before = pipeline.table_contents()
    text = render_dump(SourceHistory("shop_us").snapshot(date(2024, 1, 2)))
    key = landing_key("shop_us", date(2024, 1, 2))
    pipeline.landing.put(key, gzip.compress(text.split("-- Dump completed")[0].encode()))

    pipeline.daemon.drain()

    failure = pipeline.daemon.failures.pop()
    message = failure_description(failure)
    assert key in message and "Dump completed" in message, message
    with pytest.raises(ManifestNotFound):
        pipeline.manifest("shop_us", date(2024, 1, 2))
    assert pipeline.table_contents() == before


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("shop_mars/2024-01-01/shop_mars.sql.gz", "unknown source"),
        ("shop_eu/20240101/shop_eu.sql.gz", "is not a YYYY-MM-DD dump date"),
        ("shop_eu/2024-01-01/readme.txt", "not a dump file"),
        ("shop_eu/2024-01-01/extra/shop_eu.sql.gz", "expected <source_db>/<YYYY-MM-DD>/<name>"),
    ],
)
def test_bad_paths_are_skipped_with_a_reason_and_start_nothing(pipeline, key, reason):
    before = pipeline.table_contents()
    pipeline.landing.put(key, b"-- not used\n")
    try:
        assert pipeline.daemon.tick_landing_sensor() == []
        assert reason in pipeline.daemon.last_skip_reason, pipeline.daemon.last_skip_reason
        subject = key.split("/")[0] if reason == "unknown source" else key
        assert subject in pipeline.daemon.last_skip_reason
    finally:
        (pipeline.settings.landing_dir / key).unlink()
    assert pipeline.table_contents() == before


def test_files_still_being_written_are_ignored(pipeline):
    pipeline.landing.put("shop_apac/2024-01-03/.shop_apac.sql.gz.tmp", b"partial")
    pipeline.landing.put("shop_apac/2024-01-03/shop_apac.sql.gz.part", b"partial")
    assert pipeline.daemon.tick_landing_sensor() == []
