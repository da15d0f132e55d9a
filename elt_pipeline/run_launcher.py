"""The instances' run launcher: Dagster's `DefaultRunLauncher` plus a run worker health check,
so run monitoring can fail a run whose worker process died.

`DefaultRunLauncher` starts each run in a process of the code server, which marks the run failed
when that process dies, as long as the code server itself lives. When both die (an OOM kill of
the machine's biggest processes, a crashed or killed `dagster dev`, a container restart, a
reboot), nothing does: the run stays STARTED forever and keeps its `dagster/partition` and pool
slots. With this launcher the daemon's run monitoring (`run_monitoring` in `dagster_local.yaml`
and `deploy/dagster.yaml`) asks, every poll, whether the process the run reported as its worker
("Started process for run (pid: N)") still exists, fails the run when it does not, and
`run_retries` launches it again.

The pid is checked in the daemon's pid namespace, so the daemon and the code servers must share
one: `dagster dev` on one machine, or the VM's containers started with `--pid=host` (compose:
`pid: host`). A deployment that runs workers elsewhere uses a launcher that monitors them
(e.g. dagster-docker's `DockerRunLauncher`, the image's second home).
"""

from __future__ import annotations

import psutil
from dagster import DagsterEventType, DagsterInstance, DagsterRun, DefaultRunLauncher
from dagster._core.launcher import CheckRunHealthResult, WorkerStatus

# The engine event the code server's run process writes first (dagster._grpc.impl).
WORKER_STARTED_PREFIX = "Started process for run (pid: "
# Seconds a process may predate its own "started" event (clock granularity, event latency).
START_TOLERANCE_SECONDS = 5.0


class MonitoredRunLauncher(DefaultRunLauncher):
    """`DefaultRunLauncher` whose run workers run monitoring can check by process id."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        """RUNNING while the run's worker process exists, FAILED once it is gone."""
        worker = run_worker(self._instance, run.run_id)
        if worker is None:
            return CheckRunHealthResult(WorkerStatus.RUNNING, "the run worker has not reported its process yet")
        pid, started_at = worker
        if _process_alive(pid, started_at):
            return CheckRunHealthResult(WorkerStatus.RUNNING, run_worker_id=str(pid))
        return CheckRunHealthResult(
            WorkerStatus.FAILED, f"run worker process {pid} no longer exists", run_worker_id=str(pid)
        )


def run_worker(instance: DagsterInstance, run_id: str) -> tuple[int, float] | None:
    """(pid, when it reported) of the run's last worker process (a resumed run has several), or
    None before it reported ("Started process for run (pid: N)")."""
    workers = [
        (int(event.dagster_event.engine_event_data.metadata["pid"].value), event.timestamp)
        for event in instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT)
        if event.dagster_event is not None
        and (event.dagster_event.message or "").startswith(WORKER_STARTED_PREFIX)
        and "pid" in event.dagster_event.engine_event_data.metadata
    ]
    return workers[-1] if workers else None


def _process_alive(pid: int, started_at: float) -> bool:
    """True when process `pid` runs and is the one that started at `started_at` (not a later
    process that reused the id after a reboot)."""
    try:
        process = psutil.Process(pid)
        return (
            process.status() != psutil.STATUS_ZOMBIE and process.create_time() <= started_at + START_TOLERANCE_SECONDS
        )
    except (psutil.NoSuchProcess, psutil.AccessDenied):  # gone, or another user's process now
        return False
