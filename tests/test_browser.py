"""The README's demo in a real browser (headless Chromium from Debian's packages), as a new user
meets it, in order on one running demo:

1. the first-run dialog is dismissed; the asset catalog lists every raw and dbt asset the code
   location defines, with no error banner;
2. `raw/orders` shows its partition grid; one (dump date, source) partition materialized with the
   UI's own buttons (Materialize -> dump date and source -> Launch 1 run) succeeds, on the run
   page and in the instance.
"""

from datetime import date
from pathlib import Path
from urllib.parse import urlparse

import pytest
from dagster import AssetKey, DagsterRunStatus, RunsFilter

from elt_pipeline.cli import demo_dates
from elt_pipeline.definitions import build_definitions
from elt_pipeline.settings import load_settings
from tests.support.browser import DagsterUi, chromium, chromium_missing, launched_run_prefix
from tests.support.dagster_dev import DagsterDev, running_demo
from tests.support.required import skip_or_fail

pytestmark = pytest.mark.slow

SOURCES = ["shop_eu", "shop_us", "shop_apac"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    reason = chromium_missing()
    if reason:
        skip_or_fail(reason)
    with running_demo(tmp_path_factory.mktemp("demo")) as demo:
        demo.wait_for(demo.answers, "the web UI")
        yield demo


@pytest.fixture(scope="module")
def ui(demo):
    with chromium(width=1400, height=2000) as driver:  # tall: the catalog renders only rows in view
        ui = DagsterUi(driver, demo.url)
        ui.open("/assets")
        ui.dismiss_first_run_dialog()
        yield ui


def served_asset_keys(demo: DagsterDev) -> set[tuple[str, ...]]:
    """Every asset key of the code location the demo serves (its own pipeline config)."""
    config = Path(demo.instance.root_directory) / "pipeline.yaml"  # written by `elt-pipeline demo`
    settings = load_settings({"ELT_DATA_DIR": str(demo.data_dir), "ELT_PIPELINE_CONFIG": str(config)})
    return {tuple(key.path) for key in build_definitions(settings).resolve_asset_graph().get_all_asset_keys()}


def test_the_catalog_lists_every_raw_and_dbt_asset_without_an_error(demo, ui):
    expected = served_asset_keys(demo)
    assert {("raw", "orders"), ("staging", "stg_shop__orders"), ("marts", "fct_customer_features")} <= expected

    assert ui.catalog_asset_keys(expected) == expected
    assert ui.error_texts() == []


def test_one_partition_launched_from_the_ui_materializes_and_succeeds(demo, ui):
    dates = [day.isoformat() for day in demo_dates(date.today())]
    imported = RunsFilter(job_name="import_dump", statuses=[DagsterRunStatus.SUCCESS])
    record = demo.wait_for(lambda: demo.instance.get_run_records(imported, limit=1), "an import of a sample dump")[0]
    partition = record.dagster_run.tags["dagster/partition"]  # its Parquet is what the load reads
    day, source = partition.split("|")

    ui.open_partitions("raw/orders")
    grid = ui.page_text()
    assert all(name in grid for name in [*dates, *SOURCES])
    ui.open_materialize_dialog()
    ui.select_partitions(day, source)
    run_id_prefix = launched_run_prefix(ui.launch("Launch 1 run"))
    ui.open_run_from_runs_page(run_id_prefix)

    assert ui.wait_for_run_to_finish() == "SUCCESS"
    assert ui.error_texts() == []
    run = demo.instance.get_run_by_id(urlparse(ui.driver.current_url).path.rsplit("/", 1)[-1])
    assert run.run_id.startswith(run_id_prefix)
    assert run.status == DagsterRunStatus.SUCCESS
    assert run.tags["dagster/partition"] == partition
    assert run.asset_selection == {AssetKey(["raw", "orders"])}
    materialized = demo.instance.fetch_materializations(AssetKey(["raw", "orders"]), limit=100).records
    assert [record.partition_key for record in materialized if record.run_id == run.run_id] == [partition]
