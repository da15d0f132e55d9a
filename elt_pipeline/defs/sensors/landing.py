"""The landing sensor: new dump versions start an import run; anything else says why not."""

from __future__ import annotations

import time

from dagster import (
    DagsterInstance,
    DefaultSensorStatus,
    JobDefinition,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from elt_pipeline.defs.partitions import dump_date_partitions, dump_partition_key
from elt_pipeline.defs.resources import LandingResource
from elt_pipeline.lib.discovery import DiscoveryState, PartitionWindow, discover_dumps
from elt_pipeline.lib.pipeline_config import PipelineConfig

RUN_KEY_TAG = "dagster/run_key"
RUN_KEY_BATCH = 500  # run keys per query (SQL parameter limits)


def build_landed_dump_sensor(config: PipelineConfig, import_job: JobDefinition):
    partitions_def = dump_date_partitions(config)

    @sensor(
        name="landed_dumps",
        job=import_job,
        minimum_interval_seconds=5,
        default_status=DefaultSensorStatus.RUNNING,
        description=(
            "Lists each source's recent date folders every tick and the whole landing area every hour; "
            "one import run per new dump version; every skipped file says why."
        ),
    )
    def landed_dumps(context: SensorEvaluationContext, landing: LandingResource) -> SensorResult:
        window = PartitionWindow(partitions_def.get_first_partition_key(), partitions_def.get_last_partition_key())
        previous = DiscoveryState.from_cursor(context.cursor)
        discovery = discover_dumps(
            landing.open(),
            config.all_source_names,
            previous,
            partitions=window,
            now=time.time(),
            imported=lambda run_keys: _imported(context.instance, import_job.name, run_keys),
        )
        for skip in discovery.new_skips(previous):
            context.log.warning(f"skipped {skip.reason}")
        context.log.info(
            f"listed {discovery.listed} objects ({'whole landing area' if discovery.reconciled else 'recent folders'})"
        )
        requests = [
            RunRequest(
                run_key=landed.run_key,
                partition_key=dump_partition_key(dump_path.source_db, dump_path.dump_date),
                run_config={"ops": {"fetch_dump": {"config": {"key": landed.key, "version": landed.version}}}},
                tags={"elt/dump_uri": landed.uri},
            )
            # Oldest date first, every source: a catch-up completes (and builds) date after date.
            for landed, dump_path in sorted(discovery.dumps, key=lambda dump: (dump[1].dump_date, dump[1].source_db))
        ]
        cursor = discovery.state.to_cursor()
        if requests:
            return SensorResult(run_requests=requests, cursor=cursor)
        reasons = "; ".join(skip.reason for skip in discovery.skips)
        return SensorResult(
            skip_reason=SkipReason(f"no new dumps. Skipped: {reasons}" if reasons else "no new dumps"), cursor=cursor
        )

    return landed_dumps


def _imported(instance: DagsterInstance, job_name: str, run_keys: list[str]) -> set[str]:
    """The run keys among `run_keys` that an import run already has (whatever its outcome)."""
    found = set()
    for start in range(0, len(run_keys), RUN_KEY_BATCH):
        batch = run_keys[start : start + RUN_KEY_BATCH]
        runs = instance.get_runs(RunsFilter(job_name=job_name, tags={RUN_KEY_TAG: batch}))
        found |= {run.tags[RUN_KEY_TAG] for run in runs}
    return found
