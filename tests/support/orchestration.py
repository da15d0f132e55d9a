"""Drive the real sensors and jobs in-process, the way the Dagster daemon would.

`InProcessDaemon` ticks the landing sensor with its cursor, skips run keys already used (as
the daemon does), executes each requested run on a persistent instance, and feeds finished
runs to the run-status sensors. Everything it runs is the project's own definitions.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from dagster import (
    DagsterInstance,
    Definitions,
    RunRequest,
    SensorResult,
    build_run_status_sensor_context,
    build_sensor_context,
)
from dagster._core.execution.execute_in_process_result import ExecuteInProcessResult

IMPORT_JOB, LOAD_JOB, DBT_JOB = "import_dump", "load_raw_tables", "dbt_build"
FOLLOW_UPS = {IMPORT_JOB: ("staged_dumps", LOAD_JOB), LOAD_JOB: ("loaded_partitions", DBT_JOB)}


@dataclass
class InProcessDaemon:
    defs: Definitions
    instance: DagsterInstance
    cursor: str | None = None
    used_run_keys: set[str] = field(default_factory=set)
    runs: Counter = field(default_factory=Counter)  # job name -> runs executed
    failures: list[ExecuteInProcessResult] = field(default_factory=list)
    last_skip_reason: str | None = None

    def tick_landing_sensor(self) -> list[RunRequest]:
        sensor = self.defs.resolve_sensor_def("landed_dumps")
        context = build_sensor_context(
            instance=self.instance,
            cursor=self.cursor,
            definitions=self.defs,
            sensor_name=sensor.name,
            resources=self.defs.resources,
        )
        result: SensorResult = sensor(context)
        self.cursor = result.cursor
        self.last_skip_reason = result.skip_reason.skip_message if result.skip_reason else None
        return self._new(result.run_requests or [])

    def _new(self, requests: list[RunRequest]) -> list[RunRequest]:
        fresh = [request for request in requests if request.run_key not in self.used_run_keys]
        self.used_run_keys.update(request.run_key for request in fresh)
        return fresh

    def execute(self, job_name: str, request: RunRequest) -> ExecuteInProcessResult:
        """One run, then (on success) the runs its run-status sensor requests, depth first."""
        result = self.defs.resolve_job_def(job_name).execute_in_process(
            run_config=request.run_config or {},
            partition_key=request.partition_key,
            tags=request.tags,
            instance=self.instance,
            raise_on_error=False,
        )
        self.runs[job_name] += 1
        if not result.success:
            self.failures.append(result)
            return result
        if job_name in FOLLOW_UPS:
            sensor_name, next_job = FOLLOW_UPS[job_name]
            for follow_up in self._new(self._run_status_requests(sensor_name, result)):
                self.execute(next_job, follow_up)
        return result

    def _run_status_requests(self, sensor_name: str, result: ExecuteInProcessResult) -> list[RunRequest]:
        context = build_run_status_sensor_context(
            sensor_name=sensor_name,
            dagster_event=result.get_run_success_event(),
            dagster_instance=self.instance,
            dagster_run=result.dagster_run,
        )
        answer = self.defs.resolve_sensor_def(sensor_name)(context)
        return [answer] if isinstance(answer, RunRequest) else []

    def drain(self) -> list[RunRequest]:
        """Tick the landing sensor once and run everything that follows from it."""
        requests = self.tick_landing_sensor()
        for request in requests:
            self.execute(IMPORT_JOB, request)
        return requests
