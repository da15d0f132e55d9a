"""Per-partition freshness of the ML marts: the newest dump date past its deadline is built.

Dagster's time-partition freshness checks expect the partition of the current day, which an
`end_offset=1` daily partitioning (today's date exists before its dumps land) makes the wrong
one; this check asks for the date the deadline speaks of. A schedule runs it at the deadline,
and it can be run from the UI at any time.
"""

from collections.abc import Iterator, Sequence
from datetime import time

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSpec,
    AssetKey,
    AssetRecordsFilter,
    AssetSelection,
    DefaultScheduleStatus,
    MetadataValue,
    ScheduleDefinition,
    define_asset_job,
    multi_asset_check,
)
from dagster._time import get_current_datetime  # Dagster's clock (its freshness checks' too)

from elt_pipeline.lib.freshness import deadline_of, due_dump_date

FRESHNESS_CHECK = "dump_date_built_by_deadline"


def build_marts_freshness_checks(marts: Sequence[AssetKey], due: time, first_date: str) -> AssetChecksDefinition:
    """One check per mart: fails while the newest dump date past its deadline (D, due at `due`
    UTC on D+1) has no materialization."""

    @multi_asset_check(
        name="ml_marts_freshness_checks",
        specs=[
            AssetCheckSpec(
                FRESHNESS_CHECK,
                asset=key,
                description=f"The dump date D is built by {due:%H:%M} UTC on D+1.",
            )
            for key in marts
        ],
        can_subset=True,
    )
    def ml_marts_freshness(context: AssetCheckExecutionContext) -> Iterator[AssetCheckResult]:
        dump_date = due_dump_date(get_current_datetime(), due)
        deadline = deadline_of(dump_date, due)
        for check_key in context.selected_asset_check_keys:
            key = check_key.asset_key
            metadata = {"dump_date": dump_date.isoformat(), "deadline": MetadataValue.timestamp(deadline)}
            if dump_date.isoformat() < first_date:
                yield AssetCheckResult(asset_key=key, passed=True, metadata={**metadata, "note": "no partition yet"})
                continue
            records = context.instance.fetch_materializations(
                AssetRecordsFilter(asset_key=key, asset_partitions=[dump_date.isoformat()]), limit=1
            ).records
            if records:
                built_at = records[0].timestamp
                metadata["built_at"] = MetadataValue.timestamp(built_at)
                metadata["minutes_late"] = max(0, round((built_at - deadline.timestamp()) / 60))
            yield AssetCheckResult(asset_key=key, passed=bool(records), metadata=metadata)

    return ml_marts_freshness


def build_freshness_schedule(checks: AssetChecksDefinition, due: time) -> ScheduleDefinition:
    """Runs the freshness checks every day at the deadline."""
    job = define_asset_job(
        "ml_marts_freshness",
        selection=AssetSelection.checks(checks),
        description="Checks that the newest dump date past its deadline is built in every ML mart.",
    )
    return ScheduleDefinition(
        name="ml_marts_freshness_at_deadline",
        job=job,
        cron_schedule=f"{due.minute} {due.hour} * * *",
        execution_timezone="UTC",
        default_status=DefaultScheduleStatus.RUNNING,
        description=f"At {due:%H:%M} UTC, checks that yesterday's dump date is built in every ML mart.",
    )
