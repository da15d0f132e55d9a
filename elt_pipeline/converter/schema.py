"""Table definitions from CREATE TABLE statements (as mysqldump, mariadb-dump and friends write them)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from .errors import Problem
from .sql import ident, qualified_name, split_commas, tokens, upper

_KEY_STARTS = {
    *("PRIMARY", "KEY", "INDEX", "UNIQUE", "CONSTRAINT", "FOREIGN", "FULLTEXT", "SPATIAL", "VECTOR", "CHECK", "PERIOD"),
}
_TYPE_FLAGS = {"UNSIGNED", "SIGNED", "ZEROFILL"}
_PERIODS = ("start", "end")  # MariaDB's implicit system-versioning columns are row_start and row_end


@dataclass(frozen=True)
class Column:
    name: str
    mysql_type: str  # e.g. "int(10) unsigned", "enum('a','b')", "decimal(65,30)"
    nullable: bool
    generated: bool  # GENERATED ... AS (expr) or AS ROW START/END
    invisible: bool  # not in an INSERT without a column list
    collation: str | None = None  # COLLATE / CHARACTER SET of the column, if it says
    period: str | None = None  # "start" or "end" for a system-versioning row start/end column


@dataclass(frozen=True)
class KeyPart:
    column: str
    length: int | None = None  # a prefix of the column (characters, or bytes for binary types)


@dataclass(frozen=True)
class Table:
    database: str | None
    name: str
    columns: list[Column]
    unique_keys: list[tuple[KeyPart, ...]] = field(default_factory=list)  # PRIMARY KEY and UNIQUE keys
    collation: str | None = None  # the table's default (COLLATE= or CHARSET=)
    system_versioned: bool = False

    @property
    def visible(self) -> list[str]:
        """The columns an INSERT without a column list gives values for."""
        return [column.name for column in self.columns if not column.invisible]

    def column_collation(self, name: str) -> str | None:
        column = next(column for column in self.columns if column.name == name)
        return column.collation or self.collation


def parse_create_table(text: str, line: int) -> Table:
    """The table a CREATE TABLE statement defines (the caller checked it is one)."""
    parts = tokens(text)
    at = 1
    while at < len(parts) and parts[at].upper() in ("OR", "REPLACE", "TEMPORARY", "TABLE", "IF", "NOT", "EXISTS"):
        at += 1
    if at >= len(parts):
        raise Problem("CREATE TABLE names no table", line=line)
    database, name, at = qualified_name(parts, at)
    if at >= len(parts) or parts[at] != "(":
        raise Problem("unsupported CREATE TABLE form (LIKE or SELECT, no column list)", table=name, line=line)
    definitions, at = _split_top_level(parts, at, line, name)
    options = upper(parts[at:], len(parts))
    if "SELECT" in options or "AS" in options:
        raise Problem("CREATE TABLE ... SELECT fills the table from a query: not supported", table=name, line=line)
    columns, keys = [], []
    for definition in definitions:
        if not definition:
            continue
        if definition[0].upper() in _KEY_STARTS:
            key = _unique_key(definition)
            if key is not None:
                keys.append(key)
            continue
        column = _column(definition, line, name)
        columns.append(column)
        rest = upper(definition, len(definition))
        if "PRIMARY" in rest or "UNIQUE" in rest:
            keys.append((KeyPart(column.name),))
    if not columns:
        raise Problem("CREATE TABLE declares no columns", table=name, line=line)
    versioned = "VERSIONING" in options and "WITH" in options
    if versioned and not any(column.period for column in columns):
        columns += [Column(f"row_{period}", "timestamp(6)", False, True, True, None, period) for period in _PERIODS]
    return Table(database, name, columns, keys, _collation(options, parts[at:]), versioned)


def _split_top_level(parts: list[str], open_at: int, line: int, table: str) -> tuple[list[list[str]], int]:
    """The comma-separated definitions between the parenthesis at `open_at` and its match, and the index after it."""
    definitions: list[list[str]] = [[]]
    depth = 0
    for at in range(open_at, len(parts)):
        token = parts[at]
        if token == "(":
            depth += 1
            if depth == 1:
                continue
        elif token == ")":
            depth -= 1
            if depth == 0:
                return definitions, at + 1
        elif token == "," and depth == 1:
            definitions.append([])
            continue
        definitions[-1].append(token)
    raise Problem("unbalanced parentheses in CREATE TABLE", table=table, line=line)


def _column(definition: list[str], line: int, table: str) -> Column:
    name = ident(definition[0])
    if len(definition) < 2:
        raise Problem(f"column {name!r} has no type", table=table, line=line)
    type_parts = [definition[1].lower()]
    at = 2
    if at < len(definition) and definition[at] == "(":
        depth, args = 0, []
        while at < len(definition):
            token = definition[at]
            depth += token == "("
            depth -= token == ")"
            args.append(token)
            at += 1
            if depth == 0:
                break
        type_parts[0] += "".join(args)
    while at < len(definition) and definition[at].upper() in _TYPE_FLAGS:
        type_parts.append(definition[at].lower())
        at += 1
    rest = upper(definition[at:], len(definition))
    generated = "AS" in rest and ("GENERATED" in rest or rest[rest.index("AS") + 1 : rest.index("AS") + 2] == ["("])
    period = next((p for p in _PERIODS if ("ROW", p.upper()) in itertools.pairwise(rest)), None) if generated else None
    nullable = not any(a == "NOT" and b == "NULL" for a, b in itertools.pairwise(rest))
    collation = _collation(rest, definition[at:])
    return Column(name, " ".join(type_parts), nullable, generated, "INVISIBLE" in rest, collation, period)


def _collation(keywords: list[str], parts: list[str]) -> str | None:
    """The COLLATE (else CHARACTER SET / CHARSET) named among `parts` (`keywords` = them upper-cased)."""
    for word in ("COLLATE", "CHARSET", "SET"):
        if word in keywords:
            at = keywords.index(word) + 1
            at += at < len(parts) and parts[at] == "="
            if at < len(parts):
                return ident(parts[at]).lower()
    return None


def _unique_key(definition: list[str]) -> tuple[KeyPart, ...] | None:
    """The columns of a PRIMARY KEY or UNIQUE key definition, else None."""
    words = upper(definition, len(definition))
    if words[0] == "CONSTRAINT":
        words, definition = words[1:], definition[1:]
        if words and words[0] not in ("PRIMARY", "UNIQUE"):
            words, definition = words[1:], definition[1:]  # the constraint's name
    if not words or words[0] not in ("PRIMARY", "UNIQUE") or "(" not in definition:
        return None
    at = definition.index("(") + 1
    parts: list[KeyPart] = []
    while at < len(definition) and definition[at] != ")":
        column, length = ident(definition[at]), None
        at += 1
        if at + 2 < len(definition) and definition[at] == "(" and definition[at + 2] == ")":
            length = int(definition[at + 1]) if definition[at + 1].isdigit() else -1
            at += 3
        while at < len(definition) and definition[at] not in (",", ")"):
            length = length if definition[at].upper() in ("ASC", "DESC") else -1  # e.g. WITHOUT OVERLAPS
            at += 1
        parts.append(KeyPart(column, length))
        at += definition[at] == "," if at < len(definition) else 0
    return tuple(parts)


_KEEPS_ROWS = {
    "ADD": {"PRIMARY", "UNIQUE", "KEY", "INDEX", "FULLTEXT", "SPATIAL", "CONSTRAINT", "FOREIGN", "CHECK", "PARTITION"},
    "DROP": {"PRIMARY", "KEY", "INDEX", "FOREIGN", "CONSTRAINT", "CHECK", "PARTITION"},
}
_COLUMN_CHANGES = {"ADD", "DROP", "MODIFY", "CHANGE", "RENAME", "CONVERT"}


def alter_table(text: str, table: Table, line: int) -> list[tuple[KeyPart, ...]]:
    """The unique keys an ALTER TABLE adds to `table`; Problem if it changes its columns.

    Keys, indexes, constraints, DISABLE/ENABLE KEYS, AUTO_INCREMENT and table options leave the
    rows as they are (phpMyAdmin adds keys this way after the data); so does a MODIFY or CHANGE
    that keeps a column's name and type (phpMyAdmin's AUTO_INCREMENT). Anything else that adds,
    drops, renames or retypes a column would change the rows on the server: refused.
    """
    parts = tokens(text)
    at = parts.index(next(p for p in parts if p.upper() == "TABLE")) + 1
    _, _, at = qualified_name(parts, at)
    keys = []
    for spec in split_commas(parts[at:]):
        words = upper(spec, 3)
        words += [""] * (3 - len(words))
        verb = words[0]
        if verb not in _COLUMN_CHANGES or words[1] in _KEEPS_ROWS.get(verb, ()):
            if verb == "ADD":
                key = _unique_key(spec[1:])
                keys += [key] if key is not None else []
            continue
        if verb in ("MODIFY", "CHANGE") and _same_column(spec, table, line):
            continue
        raise Problem(
            f"ALTER TABLE {' '.join(spec[:4])} ... changes the table's columns: not supported",
            table=table.name,
            line=line,
        )
    return keys


def _same_column(spec: list[str], table: Table, line: int) -> bool:
    """True if MODIFY/CHANGE [COLUMN] [IF EXISTS] keeps the column's name and type."""
    at = 1
    while at < len(spec) and spec[at].upper() in ("COLUMN", "IF", "EXISTS"):
        at += 1
    if spec[0].upper() == "CHANGE":
        if at + 1 >= len(spec) or ident(spec[at]) != ident(spec[at + 1]):
            return False
        at += 1
    new = _column(spec[at:], line, table.name)
    old = next((column for column in table.columns if column.name == new.name), None)
    return old is not None and old.mysql_type == new.mysql_type
