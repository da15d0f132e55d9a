"""What follows an import: its load, then dbt. One sensor takes both decisions from one view
of the event log, so a dump date is never built while one of its imports or loads is between
two steps.

Loads: every import that published Parquet (an import of a superseded dump publishes nothing)
gets a load of its partition by its source group's load job. Partitions imported while a run of
that job has not started loading yet wait for it to start, then load together: one run per block
of consecutive dates x adjacent sources (a range run, as a UI backfill launches one; each
partition still replaced and materialized alone), a run of its own for a partition alone.

dbt follows every committed raw load: a `dbt build` of its dump date starts after the load
committed, never zero times, and once per burst rather than once per source. Dates ready on the
same tick that follow each other are built by one run over their range (one process start and
one dbt invocation for a catch-up of many dates, each date still materialized as its own
partition); a date alone keeps a run of its own partition.

Why a sensor and not Declarative Automation (`AutomationCondition.eager()`, which Dagster
recommends for asset-to-asset triggering): `eager()` considers only the latest time partition
(a late dump or a backfilled date would never be rebuilt), waits while any dependency partition
is missing (one source without a dump for a date would hold back every source's date), and
counts any materialization of the dbt assets as having handled a parent's update, so a load
that commits while a dbt run of its date is already reading is lost and the marts keep the old
data; nor can it see an import (an op job) as in flight. This sensor reads the event log
instead. On each tick it
1. marks the dump dates of raw materializations since its cursor as pending;
2. keeps a date pending while an import or load of that date is in flight (a load requested on
   this tick included), or while a backfill that builds the dbt models runs (it builds them);
3. drops a date that a dbt run covers: one that has not started reading yet, or whose dbt step
   started after the date's last load committed; keeps it pending while a dbt run that read it
   before that load still runs, so two builds of one date never overlap, whatever the instance's
   run limits;
4. requests a dbt run for each span of consecutive dates left, unless a dbt run has not started
   its build yet: the dates then join the run requested once it has.
A failed load does not hold the others back: once nothing of its date is in flight, what did
load gets its dbt run. A load that committed but failed a blocking check that matters for the
marts (`raw_tables.DBT_BLOCKING_CHECKS`: a partition left mixing two dumps, a table emptied) does
hold its date back, until a later materialization of the same table and partition passes them.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta

from dagster import (
    AssetKey,
    AssetRecordsFilter,
    DagsterEventType,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    DefaultSensorStatus,
    EventLogRecord,
    JobDefinition,
    RunRequest,
    RunsFilter,
    RunStatusChangeRecordsFilter,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition
from dagster._core.execution.backfill import BulkActionStatus

from elt_pipeline.defs.partitions import DATE_DIMENSION, dump_partition_key, partition_of
from elt_pipeline.defs.raw_tables import HELD_BACK_METADATA

PARTITION_TAG = "dagster/partition"
DATE_TAG = f"{PARTITION_TAG}/{DATE_DIMENSION}"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
BACKFILL_TAG = "dagster/backfill"
WAITING = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING]
UNFINISHED = [*WAITING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]
PUBLISH_STEP = "publish_parquet"
COVERED, READING, MISSING = "covered", "reading", "missing"  # what dbt does with a loaded date
PAGE = 1000


@dataclass
class Pending:
    """A dump date with loads not yet covered by a dbt run."""

    loaded_at: float  # when its last load committed
    storage_id: int  # event of that load
    backfills: list[str] = field(default_factory=list)  # backfills the loads ran in
    # "<partition> <asset>" -> the blocking checks its newest materialization failed: the date is
    # not built while any is held (a partially replaced partition, an emptied table)
    held: dict[str, str] = field(default_factory=dict)


@dataclass
class FollowUpState:
    imports_after: int | None = None  # storage id of the last import success read
    loads_after: int | None = None  # storage id of the last raw materialization read
    pending: dict[str, Pending] = field(default_factory=dict)
    # partition key -> the import that published it, waiting for its load job's queued run to start
    to_load: dict[str, str] = field(default_factory=dict)

    def to_cursor(self) -> str:
        pending = {day: asdict(load) for day, load in self.pending.items()}
        return json.dumps(
            {
                "imports_after": self.imports_after,
                "loads_after": self.loads_after,
                "pending": pending,
                "to_load": self.to_load,
            }
        )

    @classmethod
    def from_cursor(cls, cursor: str | None) -> FollowUpState:
        raw = json.loads(cursor) if cursor else {}
        pending = {day: Pending(**value) for day, value in raw.get("pending", {}).items()}
        return cls(raw.get("imports_after"), raw.get("loads_after"), pending, raw.get("to_load", {}))


def build_follow_up_sensor(
    import_job: JobDefinition,
    load_jobs: Mapping[str, UnresolvedAssetJobDefinition],
    dbt_job: UnresolvedAssetJobDefinition,
    raw_keys: set[AssetKey],
    dbt_keys: set[AssetKey],
):
    """`load_jobs`: source name -> the load job of its group, in the order of the group's sources."""
    jobs = {job.name: job for job in load_jobs.values()}
    sources_of = {name: [source for source, job in load_jobs.items() if job.name == name] for name in jobs}

    @sensor(
        name="loads_and_dbt",
        jobs=[*jobs.values(), dbt_job],
        minimum_interval_seconds=5,
        default_status=DefaultSensorStatus.RUNNING,
        description=(
            "Loads the partition of every import that published Parquet; once nothing of a dump date is "
            "in flight, dbt builds that date (after loads from the sensors, the UI or backfills alike)."
        ),
    )
    def loads_and_dbt(context: SensorEvaluationContext) -> SensorResult:
        instance = context.instance
        state = FollowUpState.from_cursor(context.cursor)
        for run in _new_published_imports(instance, import_job.name, state):
            source = partition_of(run.tags[PARTITION_TAG]).source_db
            if source in load_jobs:
                state.to_load[run.tags[PARTITION_TAG]] = run.run_id
            else:
                context.log.warning(f"import {run.run_id} published {source!r}, a source the config lacks: not loaded")
        unfinished, step_starts = instance.get_runs(RunsFilter(statuses=UNFINISHED)), StepStarts(instance)
        not_started = {  # load or dbt job -> one of its runs that has not started its step yet
            run.job_name: run.run_id
            for run in unfinished
            if run.job_name in [*jobs, dbt_job.name] and step_starts.first(run) is None
        }
        loads, loading = [], {partition_of(key).dump_date for key in state.to_load}
        for job_name, sources in sources_of.items():
            imports = {key: run_id for key, run_id in state.to_load.items() if partition_of(key).source_db in sources}
            if imports and job_name not in not_started:
                loads.extend(_load_requests(job_name, imports, sources))
                state.to_load = {key: run_id for key, run_id in state.to_load.items() if key not in imports}
        _mark_new_loads(instance, raw_keys, state)
        ready, waiting, reading, held = {}, [], [], []
        for day, load in sorted(state.pending.items()):
            if load.held:
                held.append(f"{day} ({'; '.join(f'{what}: {why}' for what, why in sorted(load.held.items()))})")
            busy = day in loading or any(_imports_or_loads(run, day) for run in unfinished)
            if load.held or busy or _backfill_builds_dbt(instance, load.backfills, dbt_keys):
                waiting.append(day)
                continue
            build = _dbt_build_of(
                instance,
                step_starts,
                unfinished,
                day,
                load.loaded_at,
                lambda run: _builds_dbt(run, dbt_job.name, dbt_keys),
            )
            if build == READING:
                reading.append(day)
            elif build == MISSING:
                ready[day] = load
        queued_build = not_started.get(dbt_job.name)
        state.pending = {day: state.pending[day] for day in [*waiting, *reading, *(ready if queued_build else [])]}
        builds = [] if queued_build else _dbt_requests(dbt_job.name, ready)
        if loads or builds:
            return SensorResult(run_requests=[*loads, *builds], cursor=state.to_cursor())
        reasons = [f"waiting for loads of {', '.join(waiting)} to finish"] if waiting else []
        if reading:
            reasons.append(f"waiting for the dbt runs that read {', '.join(reading)} before their last load to end")
        if state.to_load:
            reasons.append(f"{', '.join(sorted(state.to_load))} will load together once the queued load run starts")
        if ready:
            reasons.append(f"{', '.join(ready)} will join the dbt run after {queued_build}, which has not started yet")
        reason = "; ".join(reasons) or "nothing to load or build"
        if held:
            reason = f"not building dates whose raw partitions failed blocking checks: {', '.join(held)}. {reason}"
        return SensorResult(skip_reason=SkipReason(reason), cursor=state.to_cursor())

    return loads_and_dbt


def _load_requests(load_job: str, imports: Mapping[str, str], sources: list[str]) -> list[RunRequest]:
    """Loads of the imported partitions (key -> import run id) of a group (`sources` in its
    partition order): one run per block of consecutive dates x adjacent sources with that span,
    the partition's own run for a block of one."""
    partitions = {key: partition_of(key) for key in imports}
    spans: dict[tuple[str, str], list[str]] = defaultdict(list)  # (first, last date) -> its sources
    for source in sources:
        days = sorted(partition.dump_date for partition in partitions.values() if partition.source_db == source)
        for span in _consecutive_spans(days):
            spans[span[0], span[-1]].append(source)
    requests = []
    for (first, last), block_sources in spans.items():
        for block in _adjacent(block_sources, sources):
            start, end = str(dump_partition_key(block[0], first)), str(dump_partition_key(block[-1], last))
            covered = sorted(
                imports[key]
                for key, partition in partitions.items()
                if partition.source_db in block and first <= partition.dump_date <= last
            )
            run_key = f"load-{start}..{end}-after-{hashlib.sha1(' '.join(covered).encode()).hexdigest()[:16]}"
            if start == end:
                requests.append(RunRequest(job_name=load_job, run_key=run_key, partition_key=start))
            else:
                tags = {RANGE_START_TAG: start, RANGE_END_TAG: end}
                requests.append(RunRequest(job_name=load_job, run_key=run_key, tags=tags))
    return requests


def _adjacent(subset: list[str], order: list[str]) -> list[list[str]]:
    """`subset` (in `order`) cut where it skips a member of `order`: a, b, d of a..d -> [a, b], [d]."""
    blocks: list[list[str]] = []
    for item in subset:
        if blocks and order.index(item) == order.index(blocks[-1][-1]) + 1:
            blocks[-1].append(item)
        else:
            blocks.append([item])
    return blocks


class StepStarts:
    """When each run started its first step (None: not yet, waiting in the queue or for its pool
    slot), read from the event log once per run and tick."""

    def __init__(self, instance: DagsterInstance):
        self._instance = instance
        self._first: dict[str, float | None] = {}

    def first(self, run: DagsterRun) -> float | None:
        if run.status in WAITING:
            return None
        if run.run_id not in self._first:
            records = self._instance.get_records_for_run(run.run_id, of_type=DagsterEventType.STEP_START, limit=1)
            self._first[run.run_id] = records.records[0].timestamp if records.records else None
        return self._first[run.run_id]


def _new_published_imports(instance: DagsterInstance, import_job: str, state: FollowUpState) -> list[DagsterRun]:
    """Import runs that succeeded after the cursor and published Parquet; advances the cursor."""
    published, cursor = [], None
    while True:
        # Every job's successes: Postgres (production) storage refuses a `job_names` filter.
        result = instance.fetch_run_status_changes(
            RunStatusChangeRecordsFilter(DagsterEventType.RUN_SUCCESS, after_storage_id=state.imports_after),
            limit=PAGE,
            cursor=cursor,
            ascending=True,
        )
        for record in result.records:
            state.imports_after = max(state.imports_after or 0, record.storage_id)
            if record.event_log_entry.job_name != import_job:
                continue
            steps = instance.get_records_for_run(record.run_id, of_type=DagsterEventType.STEP_SUCCESS).records
            if any(step.event_log_entry.step_key == PUBLISH_STEP for step in steps):
                published.append(instance.get_run_by_id(record.run_id))
        if not result.has_more:
            return published
        cursor = result.cursor


def _mark_new_loads(instance: DagsterInstance, raw_keys: set[AssetKey], state: FollowUpState) -> None:
    """Mark the dump date of every raw materialization after the cursor pending; advance it."""
    backfill_of: dict[str, str | None] = {}
    newest = state.loads_after
    for key in sorted(raw_keys):
        cursor = None
        while True:
            result = instance.fetch_materializations(
                AssetRecordsFilter(asset_key=key, after_storage_id=state.loads_after),
                limit=PAGE,
                cursor=cursor,
                ascending=True,
            )
            for record in result.records:
                if record.partition_key is None:
                    continue
                if record.run_id not in backfill_of:
                    run = instance.get_run_by_id(record.run_id)
                    backfill_of[record.run_id] = run.tags.get(BACKFILL_TAG) if run else None
                backfill = backfill_of[record.run_id]
                day = partition_of(record.partition_key).dump_date
                pending = state.pending.setdefault(day, Pending(record.timestamp, record.storage_id))
                pending.loaded_at = max(pending.loaded_at, record.timestamp)
                pending.storage_id = max(pending.storage_id, record.storage_id)
                if backfill and backfill not in pending.backfills:
                    pending.backfills.append(backfill)
                _track_held(pending, f"{record.partition_key} {key.to_user_string()}", record)
                newest = max(newest or 0, record.storage_id)
            if not result.has_more:
                break
            cursor = result.cursor
    state.loads_after = newest


def _track_held(pending: Pending, what: str, record: EventLogRecord) -> None:
    """Hold `what` while its newest materialization failed a blocking check; release it otherwise."""
    entry = record.asset_materialization.metadata.get(HELD_BACK_METADATA) if record.asset_materialization else None
    failed = entry.value if entry is not None else ""
    if failed:
        pending.held[what] = failed
    else:
        pending.held.pop(what, None)


def _imports_or_loads(run: DagsterRun, day: str) -> bool:
    """The run imports or loads a partition of this dump date: its own, or one of its range."""
    if run.tags.get(DATE_TAG) == day:
        return True
    start, end = run.tags.get(RANGE_START_TAG, ""), run.tags.get(RANGE_END_TAG, "")
    return "|" in start and partition_of(start).dump_date <= day <= partition_of(end).dump_date


def _backfill_builds_dbt(instance: DagsterInstance, backfill_ids: list[str], dbt_keys: set[AssetKey]) -> bool:
    """One of these backfills is still running and builds the dbt models itself."""
    for backfill_id in backfill_ids:
        backfill = instance.get_backfill(backfill_id)
        if (
            backfill
            and backfill.status == BulkActionStatus.REQUESTED
            and set(backfill.asset_selection or ()) & dbt_keys
        ):
            return True
    return False


def _dbt_build_of(
    instance: DagsterInstance,
    step_starts: StepStarts,
    unfinished: list[DagsterRun],
    day: str,
    loaded_at: float,
    builds_dbt: Callable[[DagsterRun], bool],
) -> str:
    """COVERED: a dbt run of `day` reads after `loaded_at`, because it has not started its step
    yet or started it after the load committed (whatever its outcome: a failed build is for a
    person to see). READING: none does, but one that read before still runs. MISSING otherwise."""
    recent = instance.get_runs(RunsFilter(updated_after=datetime.fromtimestamp(loaded_at, UTC)))
    build = MISSING
    for run in {run.run_id: run for run in [*unfinished, *recent]}.values():
        if not (builds_dbt(run) and _covers(run, day)):
            continue
        started = step_starts.first(run)
        if started is None and run.status in UNFINISHED:
            return COVERED  # queued, or started and still waiting for its pool slot
        if started is not None and started >= loaded_at:
            return COVERED
        if started is not None and run.status in UNFINISHED:
            build = READING
    return build


def _dbt_requests(dbt_job: str, ready: Mapping[str, Pending]) -> list[RunRequest]:
    """A dbt run per span of consecutive dates: a run of the partition for a date alone, a run of
    the range (as a UI backfill launches it) for several."""
    requests = []
    for span in _consecutive_spans(sorted(ready)):
        after = max(ready[day].storage_id for day in span)
        if len(span) == 1:
            requests.append(RunRequest(job_name=dbt_job, run_key=f"dbt-{span[0]}-after-{after}", partition_key=span[0]))
        else:
            tags = {RANGE_START_TAG: span[0], RANGE_END_TAG: span[-1]}
            requests.append(RunRequest(job_name=dbt_job, run_key=f"dbt-{span[0]}..{span[-1]}-after-{after}", tags=tags))
    return requests


def _consecutive_spans(days: list[str]) -> list[list[str]]:
    """Sorted ISO dates cut where a day is missing: [1, 2, 3, 5] -> [[1, 2, 3], [5]]."""
    spans: list[list[str]] = []
    for day in days:
        if spans and date.fromisoformat(day) - date.fromisoformat(spans[-1][-1]) == timedelta(days=1):
            spans[-1].append(day)
        else:
            spans.append([day])
    return spans


def _builds_dbt(run: DagsterRun, dbt_job: str, dbt_keys: set[AssetKey]) -> bool:
    """A run of the dbt job (whose full runs record no asset selection), or any run whose asset
    selection holds dbt models (UI launches, backfills)."""
    return run.job_name == dbt_job or bool(set(run.asset_selection or ()) & dbt_keys)


def _covers(run: DagsterRun, day: str) -> bool:
    if run.tags.get(PARTITION_TAG) == day:
        return True
    start, end = run.tags.get(RANGE_START_TAG), run.tags.get(RANGE_END_TAG)
    return start is not None and end is not None and start <= day <= end
