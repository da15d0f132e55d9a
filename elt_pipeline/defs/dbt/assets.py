"""The dbt project as assets: `dbt build --vars '{dump_date: ...}'` per dump-date partition."""

import json

from dagster import AssetExecutionContext, DailyPartitionsDefinition
from dagster_dbt import DbtCliResource, dbt_assets

from elt_pipeline.defs.dbt.project import export_dbt_env, prepared_dbt_project
from elt_pipeline.defs.dbt.translator import EltDbtTranslator
from elt_pipeline.defs.resources import WAREHOUSE_POOL
from elt_pipeline.settings import Settings


def build_dbt_models(settings: Settings, partitions_def: DailyPartitionsDefinition):
    project = prepared_dbt_project(settings)

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=EltDbtTranslator(),
        partitions_def=partitions_def,
        pool=WAREHOUSE_POOL,
    )
    def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource):
        """Rebuild (and test) the run's dump date in every selected model, all sources."""
        export_dbt_env(settings)
        dbt_vars = json.dumps({"dump_date": context.partition_key})
        yield from dbt.cli(["build", "--vars", dbt_vars], context=context).stream()

    return dbt_models
