"""The tables a dump's statements leave on the server, per database, and the objects it skips.

Which database is converted (the source): the one named by `database` when the caller gives
it (tables of other databases are only checked for syntax); otherwise the one database the
dump's tables belong to. A dump with tables in several databases (`--databases a b`,
`--all-databases`) is refused unless `database` says which one is the source. A table belongs
to the database its name is qualified with, else the last `USE`, else the one the header
comment names (`-- Host: ...    Database: x`, phpMyAdmin's `-- Database: x`), else none known.
"""

from __future__ import annotations

from .errors import Problem
from .schema import Table


class Catalog:
    def __init__(self, database: str | None):
        self.wanted = database
        self.converted: str | None = database  # the source database, once known
        self.databases: list[str] = []  # declared by comments, CREATE DATABASE or USE, in order
        self.skipped: dict[tuple[str, str | None, str], None] = {}  # (kind, database, name), in order
        self.triggers: dict[tuple[str | None, str], tuple[str | None, str]] = {}  # trigger -> its table
        self._tables: dict[tuple[str | None, str], Table] = {}
        self._current: str | None = None  # USE
        self._header: str | None = None  # named by the header comment

    def declare_database(self, name: str, *, header: bool = False) -> None:
        if name not in self.databases:
            self.databases.append(name)
        if header and self._header is None:
            self._header = name

    def use(self, name: str) -> None:
        self.declare_database(name)
        self._current = name

    def drop_database(self, name: str) -> list[str]:
        """Forget the database's tables; their names (of the converted database)."""
        gone = [key for key in self._tables if key[0] == name]
        for key in gone:
            del self._tables[key]
        return [table for database, table in gone if self.converts(database)]

    def database_of(self, qualifier: str | None) -> str | None:
        return qualifier or self._current or self._header

    def converts(self, database: str | None) -> bool:
        """True if tables of `database` (as `database_of` gives it) are converted."""
        return database is None or self.converted is None or database == self.converted

    def table(self, database: str | None, name: str) -> Table | None:
        return self._tables.get((database, name))

    def add(self, database: str | None, table: Table, line: int) -> None:
        """Record a created table; the first table fixes the source database if `database` was not given."""
        if database is not None and self.converted is None:
            self.converted = database
        elif database is not None and database != self.converted and self.wanted is None:
            raise Problem(
                f"the dump holds tables of databases {self.converted!r} and {database!r}: "
                "say which one is the source (the source's `database` setting)",
                table=table.name,
                line=line,
            )
        self._tables[(database, table.name)] = table

    def remove(self, database: str | None, name: str) -> Table | None:
        """Forget a table (and its triggers, which the server drops with it)."""
        self.triggers = {trigger: table for trigger, table in self.triggers.items() if table != (database, name)}
        return self._tables.pop((database, name), None)

    def source_tables(self) -> list[Table]:
        """The tables of the converted database, in the order they were created."""
        return [table for (database, _), table in self._tables.items() if self.converts(database)]

    def triggered(self, database: str | None, name: str) -> bool:
        """True if a trigger fires on inserts into the table."""
        return (database, name) in self.triggers.values()

    def skip(self, kind: str, database: str | None, name: str) -> None:
        self.skipped.setdefault((kind, database, name), None)

    def check_source(self) -> None:
        """At the end: the wanted database must be the dump's, if the dump names any."""
        if self.wanted is not None and self.databases and self.wanted not in self.databases:
            raise Problem(f"the dump declares database(s) {self.databases}, not {self.wanted!r}")
