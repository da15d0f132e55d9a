"""All-or-nothing partitions, driven through the real sensors on the local default: a dump that
lacks a table, changes a column's type or empties a table changes no raw table of its partition
and no mart row; what does load waits for a person rather than reaching dbt."""

import gzip
import re
from datetime import date

import pytest

from elt_pipeline.lib.sample_data import SourceHistory, landing_key, render_dump
from tests.support.orchestration import DBT_JOB, FOLLOW_UP_SENSOR, IMPORT_JOB, LOAD_JOB
from tests.support.pipelines import loaded_pipeline

pytestmark = pytest.mark.slow

DAY, NEXT_DAY = date(2024, 1, 1), date(2024, 1, 2)
SOURCES = ["shop_eu", "shop_us"]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    """One good night of dumps, loaded and built: the state every bad dump must leave untouched."""
    with loaded_pipeline(tmp_path_factory.mktemp("partition_faults"), SOURCES, [DAY]) as pipeline:
        yield pipeline


def dump_text(source: str, day: date) -> str:
    return render_dump(SourceHistory(source).snapshot(day))


def without_table(text: str, table: str) -> str:
    """The dump without `table`'s structure and data sections."""
    pattern = rf"--\n-- Table structure for table `{table}`\n.*?(?=--\n-- Table structure for table )"
    stripped, count = re.subn(pattern, "", text, count=1, flags=re.S)
    assert count == 1
    return stripped


def land(pipeline, source: str, day: date, text: str) -> str:
    key = landing_key(source, day)
    pipeline.landing.put(key, gzip.compress(text.encode()))
    return key


def failure_message(result, step: str) -> str:
    return result.failure_data_for_node(step).user_failure_data.description


def test_a_dump_lacking_a_configured_table_fails_its_import_naming_it(pipeline):
    before = pipeline.table_contents()
    manifest_before = pipeline.manifest("shop_eu", DAY)
    loads_before = pipeline.daemon.runs[LOAD_JOB]
    key = land(pipeline, "shop_eu", DAY, without_table(dump_text("shop_eu", DAY) + "\n", "orders"))

    pipeline.daemon.drain()

    failure = pipeline.daemon.failures.pop()
    assert failure.dagster_run.job_name == IMPORT_JOB
    message = failure_message(failure, "convert_dump")
    assert key in message and "orders" in message and "optional" in message, message
    assert pipeline.daemon.runs[LOAD_JOB] == loads_before
    assert pipeline.manifest("shop_eu", DAY) == manifest_before
    assert pipeline.table_contents() == before


def test_an_incompatible_type_change_in_the_last_table_changes_no_table(pipeline):
    before = pipeline.table_contents()
    text = dump_text("shop_us", DAY)
    drifted = text.replace(
        "`unit_price` decimal(10,2) NOT NULL,\n  `active`", "`unit_price` varchar(20) NOT NULL,\n  `active`"
    )
    assert drifted != text
    land(pipeline, "shop_us", DAY, drifted)
    dbt_before = pipeline.daemon.runs[DBT_JOB]

    pipeline.daemon.drain()

    failure = pipeline.daemon.failures.pop()
    assert failure.dagster_run.job_name == LOAD_JOB
    message = failure_message(failure, "raw_tables")
    assert "products.unit_price" in message and "nothing loaded" in message, message
    assert not pipeline.daemon.failures
    assert pipeline.daemon.runs[DBT_JOB] == dbt_before  # nothing committed, nothing to build
    assert pipeline.table_contents() == before  # customers, order_items, orders (loaded first) too


def test_a_table_emptied_by_a_dump_fails_a_blocking_check_and_its_date_is_not_built(pipeline):
    emptied = re.sub(r"INSERT INTO `orders` VALUES .*\n", "", dump_text("shop_eu", NEXT_DAY))
    land(pipeline, "shop_eu", NEXT_DAY, emptied)
    land(pipeline, "shop_us", NEXT_DAY, dump_text("shop_us", NEXT_DAY))
    dbt_before = pipeline.daemon.runs[DBT_JOB]

    pipeline.daemon.drain()

    failure = pipeline.daemon.failures.pop()
    assert failure.dagster_run.job_name == LOAD_JOB
    assert not pipeline.daemon.failures
    checks = {
        (evaluation.asset_key.path[-1], evaluation.check_name): evaluation.passed
        for evaluation in failure.get_asset_check_evaluations()
    }
    assert checks[("orders", "not_emptied")] is False
    assert checks[("customers", "not_emptied")] is True
    assert pipeline.daemon.runs[DBT_JOB] == dbt_before
    assert "not_emptied" in pipeline.daemon.skip_reasons[FOLLOW_UP_SENSOR]
    assert pipeline.mart_rows(NEXT_DAY, "shop_eu") == {}
    assert pipeline.mart_rows(NEXT_DAY, "shop_us") == {}  # the date waits for a person, all sources
    assert all(day == DAY for _, day in pipeline.latest_partitions())

    land(pipeline, "shop_eu", NEXT_DAY, dump_text("shop_eu", NEXT_DAY))  # the corrected dump
    pipeline.daemon.drain()

    assert not pipeline.daemon.failures
    assert pipeline.daemon.runs[DBT_JOB] == dbt_before + 1
    assert pipeline.mart_rows(NEXT_DAY, "shop_eu")
    assert (
        pipeline.raw_count("orders", "shop_eu", NEXT_DAY)
        == pipeline.manifest("shop_eu", NEXT_DAY).tables["orders"].row_count
    )
