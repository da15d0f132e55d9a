"""The dbt project as assets: `dbt build` of a range of dump dates, all sources, in one invocation.

A single partition is a range of one date; a backfill over many dates is one run and one dbt
invocation (dagster-dbt's default single-run backfill policy for time partitions), which
rebuilds exactly those dates (BigQuery: `insert_overwrite` of each; DuckDB: every row of those
dates deleted, then the new rows inserted).
dbt unit tests are for development and CI (tests/test_dbt_project.py), not production runs.
"""

import json

from dagster import AssetExecutionContext, DailyPartitionsDefinition
from dagster_dbt import DbtCliResource, dbt_assets

from elt_pipeline.defs.dbt.project import dbt_project, dbt_vars
from elt_pipeline.defs.dbt.translator import EltDbtTranslator
from elt_pipeline.defs.resources import WAREHOUSE_POOL
from elt_pipeline.settings import Settings


def build_dbt_models(settings: Settings, partitions_def: DailyPartitionsDefinition):
    project = dbt_project(settings.dbt_target)

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=EltDbtTranslator(settings),
        partitions_def=partitions_def,
        pool=WAREHOUSE_POOL,
    )
    def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource):
        """Rebuild (and test) the run's dump dates in every selected model, all sources."""
        dates = context.partition_key_range
        variables = dbt_vars(settings, dates.start, dates.end)
        args = ["build", "--exclude-resource-type", "unit_test", "--vars", json.dumps(variables)]
        yield from dbt.cli(args, context=context).stream()

    return dbt_models
