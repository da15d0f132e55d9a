"""Sensors: a landed dump starts its import; a finished import its load; a load its dbt run."""

from datetime import date

from dagster import (
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    DefaultSensorStatus,
    JobDefinition,
    RunRequest,
    RunsFilter,
    RunStatusSensorContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    run_status_sensor,
    sensor,
)
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from elt_pipeline.defs.partitions import DATE_DIMENSION, dump_partition_key
from elt_pipeline.defs.resources import LandingResource
from elt_pipeline.lib.discovery import discover_dumps
from elt_pipeline.lib.pipeline_config import PipelineConfig

PARTITION_TAG = "dagster/partition"
WAITING = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED]
BACKFILL_TAG = "dagster/backfill"


def build_landed_dump_sensor(config: PipelineConfig, import_job: JobDefinition):
    @sensor(
        name="landed_dumps",
        job=import_job,
        minimum_interval_seconds=30,
        default_status=DefaultSensorStatus.RUNNING,
        description="Lists each source's landing prefix from its cursor; one import run per new dump version.",
    )
    def landed_dumps(context: SensorEvaluationContext, landing: LandingResource) -> SensorResult:
        discovery = discover_dumps(landing.open(), config.source_names, context.cursor)
        skipped = list(discovery.skipped)
        requests = []
        for landed, dump_path in discovery.dumps:
            if date.fromisoformat(dump_path.dump_date) < config.partitions_start_date:
                skipped.append(f"{landed.key}: before partitions_start_date {config.partitions_start_date}")
                continue
            requests.append(
                RunRequest(
                    run_key=landed.run_key,
                    partition_key=dump_partition_key(dump_path.source_db, dump_path.dump_date),
                    run_config={"ops": {"fetch_dump": {"config": {"key": landed.key, "version": landed.version}}}},
                    tags={"elt/dump_uri": landed.uri},
                )
            )
        for reason in skipped:
            context.log.warning(f"skipped {reason}")
        if requests:
            return SensorResult(run_requests=requests, cursor=discovery.cursor)
        return SensorResult(skip_reason=SkipReason("; ".join(skipped) or "no new dumps"), cursor=discovery.cursor)

    return landed_dumps


def build_staged_dump_sensor(import_job: JobDefinition, load_job: UnresolvedAssetJobDefinition):
    @run_status_sensor(
        name="staged_dumps",
        run_status=DagsterRunStatus.SUCCESS,
        monitored_jobs=[import_job],
        request_job=load_job,
        minimum_interval_seconds=10,
        default_status=DefaultSensorStatus.RUNNING,
        description="When an import succeeds, load exactly its partition into the raw tables.",
    )
    def staged_dumps(context: RunStatusSensorContext) -> RunRequest:
        run = context.dagster_run
        return RunRequest(run_key=f"load-after-{run.run_id}", partition_key=run.tags[PARTITION_TAG])

    return staged_dumps


def build_loaded_partition_sensor(
    raw_keys: set[AssetKey], dbt_keys: set[AssetKey], dbt_job: UnresolvedAssetJobDefinition
):
    """Any successful run that loaded raw partitions (sensor-requested, replayed or backfilled
    from the UI) requests the dbt run of its dump date, unless its backfill builds dbt itself
    or a dbt run of that date is still waiting in the queue (it will see this load)."""

    @run_status_sensor(
        name="loaded_partitions",
        run_status=DagsterRunStatus.SUCCESS,
        request_job=dbt_job,
        minimum_interval_seconds=10,
        default_status=DefaultSensorStatus.RUNNING,
        description="When a raw partition loads, rebuild the dbt models for its dump date (all sources).",
    )
    def loaded_partitions(context: RunStatusSensorContext) -> RunRequest | SkipReason:
        run = context.dagster_run
        dump_date = run.tags.get(f"{PARTITION_TAG}/{DATE_DIMENSION}")
        if dump_date is None or not _materialized(context.instance, run.run_id) & raw_keys:
            return SkipReason(f"run {run.run_id} loaded no raw partition")
        backfill = context.instance.get_backfill(run.tags[BACKFILL_TAG]) if BACKFILL_TAG in run.tags else None
        if backfill is not None and set(backfill.asset_selection or ()) & dbt_keys:
            return SkipReason(f"backfill {backfill.backfill_id} builds the dbt models itself")
        waiting = context.instance.get_run_ids(
            RunsFilter(job_name=dbt_job.name, statuses=WAITING, tags={PARTITION_TAG: dump_date}), limit=1
        )
        if waiting:
            return SkipReason(f"dbt run {waiting[0]} for {dump_date} has not started: it will include this load")
        return RunRequest(run_key=f"dbt-after-{run.run_id}", partition_key=dump_date)

    return loaded_partitions


def _materialized(instance: DagsterInstance, run_id: str) -> set[AssetKey]:
    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records
    return {record.event_log_entry.dagster_event.asset_key for record in records}
