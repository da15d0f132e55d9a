"""Asset jobs: load one dump partition into the raw tables; `dbt build` one dump date.

Both run their single step in the run's own process (`in_process_executor`): no second
process start per run. The step still claims a slot of its `warehouse` pool first.
"""

from __future__ import annotations

from dagster import AssetsDefinition, AssetSelection, define_asset_job, in_process_executor
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition


def build_load_job(raw_tables: AssetsDefinition) -> UnresolvedAssetJobDefinition:
    return define_asset_job(
        "load_raw_tables",
        selection=_with_own_checks(raw_tables),
        tags={"elt/stage": "load"},
        executor_def=in_process_executor,
        description="Replace one (dump_date, source_db) partition of every raw table from staging.",
    )


def build_dbt_job(dbt_models: AssetsDefinition) -> UnresolvedAssetJobDefinition:
    return define_asset_job(
        "dbt_build",
        selection=_with_own_checks(dbt_models),
        tags={"elt/stage": "dbt"},
        executor_def=in_process_executor,
        description="dbt build of one dump date: every layer (staging, intermediate, ML marts), all sources.",
    )


def _with_own_checks(assets: AssetsDefinition) -> AssetSelection:
    """The assets and the checks they compute themselves (the raw tables' checks, dbt tests),
    without checks defined elsewhere on them (the marts' freshness runs on its own schedule)."""
    return AssetSelection.assets(assets).without_checks() | AssetSelection.checks(assets)
