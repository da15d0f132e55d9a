"""Drive the real sensors and jobs in-process, the way the Dagster daemon does.

`InProcessDaemon` evaluates each sensor with `evaluate_tick` on a persistent instance, keeping
its cursor between ticks; drops run requests whose run key the sensor already used; and
executes each requested run in-process, tagged as the daemon tags sensor runs. Everything it
runs is the project's own definitions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from dagster import (
    DagsterInstance,
    Definitions,
    MultiPartitionsDefinition,
    PartitionKeyRange,
    RunRequest,
    build_sensor_context,
)
from dagster._core.execution.execute_in_process_result import ExecuteInProcessResult

from elt_pipeline.defs.sensors.follow_up import PARTITION_TAG, RANGE_END_TAG, RANGE_START_TAG

IMPORT_JOB, LOAD_JOB, DBT_JOB = "import_dump", "load_raw_tables", "dbt_build"
LANDING_SENSOR = "landed_dumps"
FOLLOW_UP_SENSOR = "loads_and_dbt"  # import -> load -> dbt


def dbt_dates(tags: Mapping[str, str]) -> set[str]:
    """The dump dates a dbt run builds, from its tags: its partition, or each date of its range."""
    if PARTITION_TAG in tags:
        return {tags[PARTITION_TAG]}
    if RANGE_START_TAG not in tags:
        return set()
    start, end = (date.fromisoformat(tags[tag]) for tag in (RANGE_START_TAG, RANGE_END_TAG))
    return {(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)}


def dump_partitions_of(tags: Mapping[str, str], partitions: MultiPartitionsDefinition) -> list[str]:
    """The (date, source) partitions an import or load run covers, from its tags: its own, or
    every key of its range."""
    if PARTITION_TAG in tags:
        return [tags[PARTITION_TAG]]
    bounds = PartitionKeyRange(tags[RANGE_START_TAG], tags[RANGE_END_TAG])
    return [str(key) for key in partitions.get_partition_keys_in_range(bounds)]


def request_tags(request: RunRequest) -> dict[str, str]:
    """A run request's tags as its run carries them: with its partition, when it has one."""
    return {**request.tags, **({PARTITION_TAG: str(request.partition_key)} if request.partition_key else {})}


@dataclass
class InProcessDaemon:
    defs: Definitions
    instance: DagsterInstance
    cursors: dict[str, str | None] = field(default_factory=dict)
    used_run_keys: dict[str, set[str]] = field(default_factory=dict)
    skip_reasons: dict[str, str | None] = field(default_factory=dict)
    runs: Counter = field(default_factory=Counter)  # job name -> runs executed
    failures: list[ExecuteInProcessResult] = field(default_factory=list)

    @property
    def last_skip_reason(self) -> str | None:
        return self.skip_reasons.get(LANDING_SENSOR)

    def tick(self, sensor_name: str) -> list[RunRequest]:
        """One evaluation of a sensor; the requests whose run keys it had not used before."""
        sensor = self.defs.resolve_sensor_def(sensor_name)
        context = build_sensor_context(
            instance=self.instance,
            cursor=self.cursors.get(sensor_name),
            definitions=self.defs,
            sensor_name=sensor_name,
            resources=self.defs.resources,
        )
        data = sensor.evaluate_tick(context)
        if data.cursor is not None:
            self.cursors[sensor_name] = data.cursor
        self.skip_reasons[sensor_name] = data.skip_message
        used = self.used_run_keys.setdefault(sensor_name, set())
        fresh = [request for request in data.run_requests or [] if request.run_key not in used]
        used.update(request.run_key for request in fresh)
        return [request.with_replaced_attrs(job_name=request.job_name or sensor.job_name) for request in fresh]

    def tick_landing_sensor(self) -> list[RunRequest]:
        return self.tick(LANDING_SENSOR)

    def execute(self, sensor_name: str, request: RunRequest) -> ExecuteInProcessResult:
        tags = {**request.tags, "dagster/sensor_name": sensor_name}
        if request.run_key:
            tags["dagster/run_key"] = request.run_key
        result = self.defs.resolve_job_def(request.job_name).execute_in_process(
            run_config=request.run_config or {},
            partition_key=request.partition_key,
            tags=tags,
            instance=self.instance,
            raise_on_error=False,
        )
        self.runs[request.job_name] += 1
        if not result.success:
            self.failures.append(result)
        return result

    def drain(self) -> list[RunRequest]:
        """Tick the landing sensor once, then the follow-up sensor until it requests nothing;
        return the landing sensor's requests."""
        landed = self.tick_landing_sensor()
        for request in landed:
            self.execute(LANDING_SENSOR, request)
        while requests := self.tick(FOLLOW_UP_SENSOR):
            for request in requests:
                self.execute(FOLLOW_UP_SENSOR, request)
        return landed
