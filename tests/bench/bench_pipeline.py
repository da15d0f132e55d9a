"""Pipeline benchmark: land N dates x every source on the local default (or, `--env gcp`, in
fake-gcs-server with BigQuery on bqemulator), run the real `dagster dev` (daemon, run queue,
sensors), wait until every date's marts are built, land one more dump, then replay every
partition of the catch-up from the UI (a backfill of the raw tables and the dbt models, as the
Materialize dialog launches it), and read the instance's event log and print where the time went.

Figures printed:
- partitions per minute over the catch-up (landing of all dumps -> last dbt run done);
- landing-to-marts for the last dump of the catch-up, and for ONE more dump landed afterwards;
- launch -> last run's end for the replay;
- per stage (import, load, dbt): work (each step's STEP_START -> STEP_SUCCESS) against Dagster
  overhead: run queued -> first step start, last step end -> run end, and the trigger wait
  (sensor or backfill daemon) between the previous stage's end (or the landing, or the launch)
  and the run's creation. Summed over runs, so a run queued behind another's work counts that
  wait as its overhead;
- on the wall clock: the time at least one run was executing a step, against the time none was
  (process starts, sensor waits and queue hand-offs with nothing else to overlap them).

Not a timed test: run it by hand (see tests/bench/README.md).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT_DIR))

from dagster import (  # noqa: E402
    DagsterEventType,
    DagsterRun,
    DagsterRunStatus,
    MultiPartitionsDefinition,
    RunsFilter,
)

from elt_pipeline.defs.partitions import dump_partition_key, dump_partitions  # noqa: E402
from elt_pipeline.defs.sensors.follow_up import BACKFILL_TAG  # noqa: E402
from elt_pipeline.lib.pipeline_config import load_pipeline_config  # noqa: E402
from elt_pipeline.lib.sample_data import seed_landing  # noqa: E402
from elt_pipeline.lib.storage import Landing  # noqa: E402
from elt_pipeline.lib.storage.gcs import GcsLanding  # noqa: E402
from elt_pipeline.settings import load_settings  # noqa: E402
from tests.conftest import EMULATOR_PROJECT, Emulators  # noqa: E402
from tests.support.dagster_dev import DagsterDev, running_dagster_dev  # noqa: E402
from tests.support.emulators import start_bqemulator, start_fake_gcs  # noqa: E402
from tests.support.orchestration import dbt_dates, dump_partitions_of  # noqa: E402
from tests.support.pipelines import gcp_environment  # noqa: E402

FIRST_DATE = date(2024, 1, 1)
STAGES = {"import_dump": "import", "load_raw_tables": "load", "dbt_build": "dbt"}
SENSORS = ("landed_dumps", "loads_and_dbt")
LAYERS = ("raw", "staging", "intermediate", "marts")  # the assets a replay rebuilds
PHASE_TIMEOUT_SECONDS = 6 * 3600  # a phase of a slow tree (the before of a comparison) may take long


def dbt_done_dates(dev: DagsterDev) -> dict[str, float]:
    """Dump date -> end time of the last successful dbt run of that date (or of a range holding it)."""
    done: dict[str, float] = {}
    for record in dev.instance.get_run_records(RunsFilter(job_name="dbt_build", statuses=[DagsterRunStatus.SUCCESS])):
        for day in dbt_dates(record.dagster_run.tags):
            done[day] = max(done.get(day, 0.0), record.end_time or 0.0)
    return done


def wait_for_sensors(dev: DagsterDev) -> None:
    """Until both sensors ticked once: the dumps land on a running pipeline, not a starting one."""

    def ticked() -> bool:
        try:
            return dev.answers() and all(dev.sensor_ticks(name) for name in SENSORS)
        except (KeyError, TypeError):  # the code location is still loading
            return False

    dev.wait_for(ticked, "the first sensor ticks", timeout=600)


def idle(dev: DagsterDev) -> bool:
    unfinished = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING]
    return not dev.instance.get_runs(RunsFilter(statuses=[*unfinished, DagsterRunStatus.STARTED]), limit=1)


def wait_for_marts(dev: DagsterDev, days: list[str], since: float) -> float:
    """Wait until every day has a dbt run that ended after `since` and nothing runs; return that end."""

    def built():
        done = dbt_done_dates(dev)
        if all(done.get(day, 0.0) > since for day in days) and idle(dev):
            return max(done[day] for day in days)
        return None

    return dev.wait_for(built, f"marts of {len(days)} dates", timeout=PHASE_TIMEOUT_SECONDS)


def stage_of(run: DagsterRun) -> str | None:
    """import, load or dbt: by job, or for a backfill's run by the assets it materializes."""
    if run.job_name in STAGES:
        return STAGES[run.job_name]
    if BACKFILL_TAG not in run.tags or not run.asset_selection:
        return None
    return "load" if any(key.path[0] == "raw" for key in run.asset_selection) else "dbt"


def run_timings(dev: DagsterDev, since: float, partitions: MultiPartitionsDefinition) -> list[dict]:
    """One row per run created after `since`: stage, partitions (imports, loads) or dates (dbt),
    created, first step start, work, end."""
    rows = []
    for record in dev.instance.get_run_records(RunsFilter(created_after=None)):
        run = record.dagster_run
        created, stage = record.create_timestamp.timestamp(), stage_of(run)
        if stage is None or created < since or record.end_time is None:
            continue
        starts, work, first_step, last_step = {}, 0.0, None, None
        for entry in dev.instance.all_logs(run.run_id):
            event = entry.dagster_event
            if event is None:
                continue
            if event.event_type == DagsterEventType.STEP_START:
                starts[event.step_key] = entry.timestamp
                first_step = entry.timestamp if first_step is None else min(first_step, entry.timestamp)
            elif event.event_type == DagsterEventType.STEP_SUCCESS and event.step_key in starts:
                work += entry.timestamp - starts[event.step_key]
                last_step = entry.timestamp if last_step is None else max(last_step, entry.timestamp)
        rows.append(
            {
                "stage": stage,
                "partitions": dump_partitions_of(run.tags, partitions) if stage != "dbt" else [],
                "dates": sorted(dbt_dates(run.tags)) if stage == "dbt" else [],
                "created": created,
                "first_step": first_step or record.end_time,
                "last_step": last_step or record.end_time,
                "end": record.end_time,
                "work": work,
            }
        )
    return rows


def stage_report(rows: list[dict], landed_at: float) -> dict[str, dict[str, float]]:
    """Sum per stage of work, run overhead and the trigger wait before each run (from the end of
    the last import of its partitions, or of the last load of its dates; from `landed_at`, the
    landing or a replay's launch, when there is none)."""
    imports_end = {row["partitions"][0]: row["end"] for row in rows if row["stage"] == "import"}
    loads_end: dict[str, float] = defaultdict(float)
    for row in rows:
        for partition in row["partitions"] if row["stage"] == "load" else []:
            day = partition.split("|")[0]
            loads_end[day] = max(loads_end[day], row["end"])
    report: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in rows:
        stage = report[row["stage"]]
        stage["runs"] += 1
        stage["partitions"] += len(row["partitions"] or row["dates"])
        stage["work"] += row["work"]
        stage["start"] += row["first_step"] - row["created"]
        stage["steps_gap_and_end"] += (row["end"] - row["created"]) - (row["first_step"] - row["created"]) - row["work"]
        previous = {
            "import": landed_at,
            "load": max((imports_end.get(key, landed_at) for key in row["partitions"]), default=landed_at),
            "dbt": max((loads_end.get(day, landed_at) for day in row["dates"]), default=landed_at),
        }[row["stage"]]
        stage["trigger_wait"] += max(0.0, row["created"] - previous)
    return report


def print_report(
    title: str, rows: list[dict], landed_at: float, done_at: float, partitions: int, start: str = "landing"
) -> None:
    minutes = (done_at - landed_at) / 60
    print(f"\n== {title}: {partitions} partitions, {start} -> last marts {done_at - landed_at:.1f} s")
    print(f"   {partitions / minutes:.2f} partitions per minute")
    print(
        f"   {'stage':<7}{'runs':>5}{'covering':>9}{'work s':>9}{'queued->step s':>16}{'step gaps+end s':>17}"
        f"{'trigger wait s':>15}"
    )
    total_work = total_overhead = 0.0
    for stage_name, stage in stage_report(rows, landed_at).items():
        overhead = stage["start"] + stage["steps_gap_and_end"] + stage["trigger_wait"]
        total_work += stage["work"]
        total_overhead += overhead
        print(
            f"   {stage_name:<7}{int(stage['runs']):>5}{int(stage['partitions']):>9}{stage['work']:>9.1f}"
            f"{stage['start']:>16.1f}{stage['steps_gap_and_end']:>17.1f}{stage['trigger_wait']:>15.1f}"
        )
    ratio = total_overhead / total_work if total_work else float("inf")
    print(f"   summed over runs: work {total_work:.1f} s, Dagster overhead {total_overhead:.1f} s ({ratio:.2f} x work)")
    busy = busy_seconds(rows, landed_at, done_at)
    idle = done_at - landed_at - busy
    print(f"   wall clock: a step running {busy:.1f} s, no step running {idle:.1f} s ({idle / busy:.2f} x the former)")


def busy_seconds(rows: list[dict], since: float, until: float) -> float:
    """Seconds of [since, until] during which at least one run was executing its steps."""
    busy, reached = 0.0, since
    for start, end in sorted((row["first_step"], row["last_step"]) for row in rows):
        start, end = max(start, reached), min(end, until)
        if end > start:
            busy += end - start
            reached = end
    return busy


def replay(dev: DagsterDev, partitions: list[str]) -> tuple[float, float]:
    """Backfill the raw tables and dbt models over `partitions`, as the UI's Materialize dialog
    launches it; wait until it completes. Returns (launched at, last run's end)."""
    keys = [key for key in dev.instance.get_asset_keys() if key.path[0] in LAYERS]
    launched_at = time.time()
    backfill_id = dev.launch_backfill(
        {"assetSelection": [{"path": key.path} for key in keys], "partitionNames": partitions}
    )
    dev.wait_for_backfill(backfill_id, timeout=PHASE_TIMEOUT_SECONDS)
    records = dev.instance.get_run_records(RunsFilter(tags={BACKFILL_TAG: backfill_id}))
    return launched_at, max(record.end_time or 0.0 for record in records)


@contextmanager
def environment(kind: str, root: Path) -> Iterator[Callable[[DagsterDev], Landing]]:
    """The environment to run on: the local default, or gcp against fake-gcs-server and
    bqemulator (started here) with a deployment's variables set for this process and `dagster
    dev`. Yields where the dumps land."""
    if kind == "local":
        yield lambda dev: dev.landing
        return
    (root / "emulators").mkdir(parents=True, exist_ok=True)
    gcs = start_fake_gcs(root / "emulators")
    try:
        bq = start_bqemulator(root / "emulators", gcs.root, EMULATOR_PROJECT)
        try:
            emulators = Emulators(gcs=gcs, bq=bq)
            os.environ.update(emulators.environ)  # the storage client finds the emulator through it
            os.environ.update(gcp_environment(emulators))
            yield lambda dev: GcsLanding(os.environ["ELT_LANDING_URI"])
        finally:
            bq.stop()
    finally:
        gcs.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dates", type=int, default=30, help="dump dates to land (x every source)")
    parser.add_argument("--env", choices=("local", "gcp"), default="local", help="gcp: against the emulators")
    parser.add_argument("--workdir", help="keep the instance and data here (default: a temp folder)")
    args = parser.parse_args()
    root = Path(args.workdir or tempfile.mkdtemp(prefix="bench-pipeline-"))
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    print(f"load before: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    config = load_pipeline_config(load_settings().pipeline_config_path)
    sources, partitions = config.source_names, dump_partitions(config)
    days = [FIRST_DATE + timedelta(days=n) for n in range(args.dates)]
    with environment(args.env, root) as landing_of, running_dagster_dev(root) as dev:
        wait_for_sensors(dev)
        landed_at = time.time()
        seed_landing(landing_of(dev), sources, days)
        done_at = wait_for_marts(dev, [day.isoformat() for day in days], landed_at)
        timings = run_timings(dev, landed_at, partitions)
        print_report("catch-up", timings, landed_at, done_at, len(days) * len(sources))
        one_day = FIRST_DATE + timedelta(days=args.dates)
        one_landed_at = time.time()
        seed_landing(landing_of(dev), sources[:1], [one_day])
        one_done_at = wait_for_marts(dev, [one_day.isoformat()], one_landed_at)
        print_report("one more dump", run_timings(dev, one_landed_at, partitions), one_landed_at, one_done_at, 1)
        keys = [str(dump_partition_key(source, day.isoformat())) for day in days for source in sources]
        launched_at, replayed_at = replay(dev, keys)
        replayed = run_timings(dev, launched_at, partitions)
        print_report("replay from the UI", replayed, launched_at, replayed_at, len(keys), start="launch")
    print(f"load after: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
