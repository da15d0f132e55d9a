"""Asset jobs: load dump partitions (one, or a range) into a source group's raw tables; `dbt build` dump dates.

Both run their single step in the run's own process (`in_process_executor`): no second
process start per run. The step still claims a slot of its `warehouse` pool first.
"""

from __future__ import annotations

from dagster import AssetsDefinition, AssetSelection, define_asset_job, in_process_executor
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from elt_pipeline.lib.pipeline_config import DEFAULT_GROUP


def load_job_name(group: str) -> str:
    """`load_raw_tables` (the default group), `load_<group>_raw_tables` (another)."""
    return "load_raw_tables" if group == DEFAULT_GROUP else f"load_{group}_raw_tables"


def build_load_job(group: str, raw_tables: AssetsDefinition) -> UnresolvedAssetJobDefinition:
    return define_asset_job(
        load_job_name(group),
        selection=_with_own_checks(raw_tables),
        tags={"elt/stage": "load"},
        executor_def=in_process_executor,
        description=(
            f"Replace (dump_date, source_db) partitions of the {group} group's raw tables from staging, "
            "each in one go: one partition, or a range of them"
        ),
    )


def build_dbt_job(dbt_models: AssetsDefinition) -> UnresolvedAssetJobDefinition:
    return define_asset_job(
        "dbt_build",
        selection=_with_own_checks(dbt_models),
        tags={"elt/stage": "dbt"},
        executor_def=in_process_executor,
        description="dbt build of a dump date or of a range of dates: every layer, all sources.",
    )


def _with_own_checks(assets: AssetsDefinition) -> AssetSelection:
    """The assets and the checks they compute themselves (the raw tables' checks, dbt tests),
    without checks defined elsewhere on them (the marts' freshness runs on its own schedule)."""
    return AssetSelection.assets(assets).without_checks() | AssetSelection.checks(assets)
