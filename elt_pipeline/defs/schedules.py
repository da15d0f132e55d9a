"""The ML refresh: rebuild yesterday's dump date of every dbt model each morning."""

from __future__ import annotations

from dagster import DefaultScheduleStatus, build_schedule_from_partitioned_job
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition


def build_ml_refresh_schedule(dbt_job: UnresolvedAssetJobDefinition):
    return build_schedule_from_partitioned_job(
        dbt_job,
        name="ml_marts_daily_refresh",
        hour_of_day=6,
        default_status=DefaultScheduleStatus.STOPPED,
        description="Rebuilds the newest dump date's marts at 06:00 UTC (after late dumps have landed).",
    )
