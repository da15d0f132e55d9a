"""What a newer dump changes in the tables a pipeline config records: tables and columns added,
removed, or of another MySQL type. Pure data, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ColumnChange:
    table: str
    column: str
    old_type: str | None  # None: added
    new_type: str | None  # None: removed


@dataclass
class SchemaDiff:
    """What a dump changes in the configured tables."""

    added_tables: dict[str, dict[str, str]] = field(default_factory=dict)  # table -> column -> type
    removed_tables: list[str] = field(default_factory=list)
    columns: list[ColumnChange] = field(default_factory=list)  # of tables in both
    # Configured tables whose column types were never recorded (written by hand): recorded now,
    # their columns not treated as new (they are replicated already: no policy is suggested).
    recorded: dict[str, dict[str, str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.added_tables or self.removed_tables or self.columns or self.recorded)

    def lines(self) -> list[str]:
        """One line per change: `+ table`, `- table`, `+ column`, `- column`, `~ column old -> new`."""
        out = [f"+ table {name} ({len(columns)} columns)" for name, columns in self.added_tables.items()]
        out += [f"- table {name}" for name in self.removed_tables]
        out += [
            f"= table {name}: column types recorded ({len(columns)} columns)" for name, columns in self.recorded.items()
        ]
        for change in self.columns:
            where = f"{change.table}.{change.column}"
            if change.old_type is None:
                out.append(f"+ column {where} {change.new_type}")
            elif change.new_type is None:
                out.append(f"- column {where}")
            else:
                out.append(f"~ column {where} {change.old_type} -> {change.new_type}")
        return out


def diff_schema(known: Mapping[str, Mapping[str, str]], dumped: Mapping[str, Mapping[str, str]]) -> SchemaDiff:
    """The changes from `known` (table -> column -> MySQL type) to `dumped`, in dump order."""
    diff = SchemaDiff(
        added_tables={name: dict(columns) for name, columns in dumped.items() if name not in known},
        removed_tables=[name for name in known if name not in dumped],
    )
    for name, columns in dumped.items():
        if name in known and not known[name]:
            diff.recorded[name] = dict(columns)
        if name not in known or not known[name]:
            continue
        before = known[name]
        diff.columns += [
            ColumnChange(name, column, None, kind) for column, kind in columns.items() if column not in before
        ]
        diff.columns += [
            ColumnChange(name, column, kind, None) for column, kind in before.items() if column not in columns
        ]
        diff.columns += [
            ColumnChange(name, column, before[column], kind)
            for column, kind in columns.items()
            if column in before and before[column] != kind
        ]
    return diff
