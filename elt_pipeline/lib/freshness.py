"""When the ML marts of a dump date are due: date D by a time of day (UTC) on D+1."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta


def deadline_of(dump_date: date, due: time) -> datetime:
    """The moment the marts of `dump_date` are due: `due` (UTC) on the next day."""
    return datetime.combine(dump_date + timedelta(days=1), due, tzinfo=UTC)


def due_dump_date(now: datetime, due: time) -> date:
    """The newest dump date whose deadline has passed at `now`."""
    now = now.astimezone(UTC)
    return now.date() - timedelta(days=1 if now.time() >= due else 2)
