"""Asset jobs: load one dump partition into the raw tables; rebuild one dump date in dbt."""

from __future__ import annotations

from dagster import AssetsDefinition, AssetSelection, define_asset_job
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition


def build_load_job(raw_tables: AssetsDefinition) -> UnresolvedAssetJobDefinition:
    return define_asset_job(
        "load_raw_tables",
        selection=AssetSelection.assets(raw_tables),
        tags={"elt/stage": "load"},
        description="Replace one (dump_date, source_db) partition of every raw table from staging.",
    )


def build_marts_job(dbt_models: AssetsDefinition) -> UnresolvedAssetJobDefinition:
    return define_asset_job(
        "build_marts",
        selection=AssetSelection.assets(dbt_models),
        tags={"elt/stage": "dbt"},
        description="dbt build of one dump date: staging, intermediate and ML marts, all sources.",
    )
