"""The dbt project as assets: `dbt build` of a range of dump dates, all sources, in one invocation.

A single partition is a range of one date; a backfill over many dates is one run and one dbt
invocation (dagster-dbt's default single-run backfill policy for time partitions), which
rebuilds exactly those dates (BigQuery: `insert_overwrite` of each; DuckDB: every row of those
dates deleted, then the new rows inserted).
Each model's materialization carries what the warehouse holds after the build, read back by
dagster-dbt: its row count (tables; whole table, every date) and its columns with their types,
plus column lineage from the compiled SQL.
dbt unit tests are for development and CI (tests/test_dbt_project.py), not production runs.
"""

import json
import sys
import time
from pathlib import Path

from dagster import AssetExecutionContext, DailyPartitionsDefinition
from dagster_dbt import DbtCliResource, dbt_assets

from elt_pipeline.defs.dbt.project import dbt_project, dbt_vars, manifest_for
from elt_pipeline.defs.dbt.translator import EltDbtTranslator
from elt_pipeline.defs.resources import WAREHOUSE_POOL
from elt_pipeline.lib.warehouse.duckdb import connect
from elt_pipeline.settings import Settings

# A dbt left running by a killed run worker finishes its build: minutes at most locally.
DBT_LOCK_WAIT_SECONDS = 600


def build_dbt_models(settings: Settings, partitions_def: DailyPartitionsDefinition):
    project = dbt_project(settings.dbt_target)

    @dbt_assets(
        manifest=manifest_for(settings),
        project=project,
        dagster_dbt_translator=EltDbtTranslator(),
        partitions_def=partitions_def,
        pool=WAREHOUSE_POOL,
    )
    def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource):
        """Rebuild (and test) the run's dump dates in every selected model, all sources."""
        if settings.dbt_target == "duckdb":
            _wait_for_duckdb_file(context, settings.duckdb_path)
        dates = context.partition_key_range
        variables = dbt_vars(settings, dates.start, dates.end)
        args = ["build", "--exclude-resource-type", "unit_test", "--vars", json.dumps(variables)]
        events = dbt.cli(args, context=context).stream()
        try:
            yield from events.fetch_row_counts().fetch_column_metadata()
        finally:
            _release_duckdb_file()

    return dbt_models


def _wait_for_duckdb_file(context: AssetExecutionContext, path: Path) -> None:
    """Wait while another process holds the DuckDB file's write lock, which dbt would fail on at
    once: a `dbt` whose run worker was killed runs on to its end without it (the run's pool
    slot is freed by then). Bounded: past `DBT_LOCK_WAIT_SECONDS` the lock error fails the step."""
    started = time.monotonic()
    with connect(path, wait_seconds=DBT_LOCK_WAIT_SECONDS):
        pass
    waited = time.monotonic() - started
    if waited > 1:
        context.log.info(f"waited {waited:.0f}s for another process to release {path}")


def _release_duckdb_file() -> None:
    """Close the DuckDB database dbt-duckdb keeps open in this process after dagster-dbt read the
    row counts and columns back (read-only): a later step in the same process (an in-process
    run, a test) can then open the file to write. A no-op unless dbt-duckdb was used."""
    connections = sys.modules.get("dbt.adapters.duckdb.connections")
    if connections is not None:
        environment = connections.DuckDBConnectionManager._ENV
        connections.DuckDBConnectionManager.close_all_connections()
        if environment is not None:
            environment.close()
