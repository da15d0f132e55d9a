"""What the dump sensor does on one tick, without Dagster: list what landed, pick what to
import, and say why anything else is skipped.

Bounded cost, nothing missed:
- A tick lists, per source, only the date folders from `lookback_days` before that source's
  newest valid dump date on (`start_offset` on GCS): late files and re-uploads of recent dates
  are caught within a tick, at a cost that does not grow with the bucket.
- Every `reconcile_seconds` (and on the first tick) the tick lists each source's whole prefix,
  so a dump landing in any older folder, however late, is imported at the next reconciliation.
- A dump is requested only if its run key (`key@version`) is not among `imported` (the run keys
  the import job already has), so a reconciliation re-requests nothing.

Rules (README, "What happens when"): a file whose path is not `<source>/<YYYY-MM-DD>/<name>.sql[.gz]`
of a configured source, or whose date has no partition (before the configured start, or after
today), is skipped with its reason; a future date is imported once it has a partition. A folder
holding several dumps imports the one landed last (`layout.newest_dump`); the others are skipped
as superseded. Nothing in one folder stops the others.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from elt_pipeline.lib.storage import LandedFile, Landing
from elt_pipeline.lib.storage.layout import BadDumpPath, DumpPath, is_temporary, newest_dump, parse_dump_key

DEFAULT_LOOKBACK_DAYS = 7
DEFAULT_RECONCILE_SECONDS = 3600


@dataclass(frozen=True)
class DiscoveryState:
    """The sensor cursor: per source the newest valid dump date seen, when the landing area was
    last listed whole, and the files skipped last tick (so a reason is logged once, not per tick)."""

    newest: dict[str, str] = field(default_factory=dict)
    reconciled_at: float | None = None
    skipped: list[str] = field(default_factory=list)  # key@version

    def to_cursor(self) -> str:
        return json.dumps(
            {"newest": self.newest, "reconciled_at": self.reconciled_at, "skipped": self.skipped}, sort_keys=True
        )

    @classmethod
    def from_cursor(cls, cursor: str | None) -> DiscoveryState:
        raw = json.loads(cursor) if cursor else {}
        if "newest" not in raw:  # no cursor, or one from an older version of the sensor
            return cls()
        return cls(newest=raw["newest"], reconciled_at=raw["reconciled_at"], skipped=raw.get("skipped", []))


@dataclass(frozen=True)
class Skip:
    landed: LandedFile | None
    reason: str


@dataclass(frozen=True)
class Discovery:
    dumps: list[tuple[LandedFile, DumpPath]]
    skips: list[Skip]
    state: DiscoveryState
    listed: int  # objects listed this tick
    reconciled: bool  # this tick listed the whole landing area

    def new_skips(self, previous: DiscoveryState) -> list[Skip]:
        """Skips not already reported by the previous tick."""
        return [skip for skip in self.skips if skip.landed is None or _id(skip.landed) not in previous.skipped]


@dataclass(frozen=True)
class PartitionWindow:
    """The dump dates that have a partition now."""

    first: str
    last: str

    def reason_to_skip(self, dump_date: str) -> str | None:
        if dump_date < self.first:
            return f"dump date {dump_date} is before partitions_start_date {self.first}"
        if dump_date > self.last:
            return f"dump date {dump_date} has no partition yet (last: {self.last}); it is imported once it has one"
        return None


def discover_dumps(
    landing: Landing,
    sources: list[str],
    state: DiscoveryState,
    *,
    partitions: PartitionWindow,
    now: float,
    imported: Callable[[list[str]], set[str]],
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    reconcile_seconds: float = DEFAULT_RECONCILE_SECONDS,
) -> Discovery:
    """The dumps to import on this tick, the skips, and the next state. `imported(run_keys)`
    returns those of the given run keys that an import already has."""
    reconcile = state.reconciled_at is None or now - state.reconciled_at >= reconcile_seconds
    skips = [
        Skip(None, f"{name}: unknown source folder (configured: {', '.join(sources)})")
        for name in landing.top_level_names()
        if name not in sources and not is_temporary(name)
    ]
    folders: dict[tuple[str, str], list[LandedFile]] = {}
    newest = dict(state.newest)
    listed = 0
    for source in sources:
        start = "" if reconcile or source not in newest else _days_before(newest[source], lookback_days)
        for landed in landing.list_from(f"{source}/", f"{source}/{start}"):
            listed += 1
            if is_temporary(landed.key):  # still being written: not a skip, not yet a dump
                continue
            skip = _check(landed, sources, partitions)
            if skip is not None:
                skips.append(skip)
                continue
            dump_date = landed.key.split("/")[1]
            folders.setdefault((source, dump_date), []).append(landed)
            newest[source] = max(newest.get(source, dump_date), dump_date)

    winners = []
    for files in folders.values():
        winner = newest_dump(files)
        winners.append(winner)
        skips += [
            Skip(other, f"{other.key}: superseded by {winner.key}, landed later") for other in files if other != winner
        ]
    already = imported([landed.run_key for landed in winners])
    dumps = [
        (landed, parse_dump_key(landed.key, sources)) for landed in _by_key(winners) if landed.run_key not in already
    ]
    next_state = DiscoveryState(
        newest=newest,
        reconciled_at=now if reconcile else state.reconciled_at,
        skipped=sorted(_id(skip.landed) for skip in skips if skip.landed is not None),
    )
    return Discovery(dumps=dumps, skips=skips, state=next_state, listed=listed, reconciled=reconcile)


def _check(landed: LandedFile, sources: list[str], partitions: PartitionWindow) -> Skip | None:
    """Why a listed file is not a dump to import, or None."""
    try:
        dump_path = parse_dump_key(landed.key, sources)
    except BadDumpPath as reason:
        return Skip(landed, str(reason))
    reason = partitions.reason_to_skip(dump_path.dump_date)
    return Skip(landed, f"{landed.key}: {reason}") if reason else None


def _days_before(dump_date: str, days: int) -> str:
    return (date.fromisoformat(dump_date) - timedelta(days=days)).isoformat()


def _by_key(files: Iterable[LandedFile]) -> list[LandedFile]:
    return sorted(files, key=lambda landed: landed.key)


def _id(landed: LandedFile) -> str:
    return landed.run_key
