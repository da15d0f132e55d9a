"""The ML refresh: every morning, rebuild yesterday's dump date in every dbt model.

A dump date D holds the databases as of the end of day D; its dumps land overnight, so at
06:00 UTC on D+1 the newest complete date is D (the same date the marts' freshness deadline
speaks of).
"""

from __future__ import annotations

from datetime import timedelta

from dagster import DefaultScheduleStatus, RunRequest, ScheduleEvaluationContext, schedule
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

REFRESH_CRON = "0 6 * * *"


def build_ml_refresh_schedule(dbt_job: UnresolvedAssetJobDefinition):
    @schedule(
        name="ml_marts_daily_refresh",
        cron_schedule=REFRESH_CRON,
        execution_timezone="UTC",
        job=dbt_job,
        default_status=DefaultScheduleStatus.STOPPED,
        description="At 06:00 UTC, rebuilds yesterday's dump date in every dbt model (its dumps landed overnight).",
    )
    def ml_marts_daily_refresh(context: ScheduleEvaluationContext) -> RunRequest:
        yesterday = (context.scheduled_execution_time - timedelta(days=1)).date().isoformat()
        return RunRequest(run_key=f"refresh-{yesterday}", partition_key=yesterday)

    return ml_marts_daily_refresh
