"""REPLACE and INSERT IGNORE: keep the rows the server keeps when a unique key repeats.

Only tables that received REPLACE or INSERT IGNORE rows (mysqldump --replace / --insert-ignore,
phpMyAdmin's options, hand-made dumps) are checked: rows of a plain INSERT dump come from one
SELECT of a table whose keys held, so they never repeat a key. The check runs after the table's
Parquet parts are written: DuckDB finds the rows whose key repeats (it spills to disk, so memory
stays bounded), then those few rows are replayed in dump order as the server runs them:
- INSERT IGNORE skips a row whose key (any unique key) is taken;
- REPLACE deletes every row holding one of its keys, then inserts itself;
- a plain INSERT whose key is taken is refused: the server would stop there.
Parts that lose rows are rewritten. Keys are compared as the written values; text keys under a
case- or accent-insensitive collation are also compared lower-cased, accent-stripped and
right-trimmed, and if that finds a repeat the exact values do not, the converter refuses (which
rows the server keeps then depends on the collation's finer rules). Keys added by ALTER TABLE
after the data must hold on what the rows leave: the server's ALTER would fail otherwise.
"""

from __future__ import annotations

import bisect
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .arrays import bools
from .errors import Problem
from .schema import KeyPart

_EXACT_TYPES = ("int", "uint", "decimal128", "date", "timestamp", "binary", "string", "float", "double")


def needs_check(modes: list[tuple[int, str, int]], keys: list[tuple[KeyPart, ...]]) -> bool:
    return bool(keys) and any(mode != "insert" for _, mode, _ in modes)


def resolve(
    table: str,
    parts: list[Path],
    comparable: dict[str, pa.DataType],
    binary_collation: dict[str, bool],
    keys: list[tuple[KeyPart, ...]],
    late_keys: list[tuple[KeyPart, ...]],
    modes: list[tuple[int, str, int]],
    dictionary: list[str],
) -> int:
    """Drop, from the written `parts`, the rows the server would not keep; returns how many.

    `comparable`: the columns written as typed values (not hashed, not excluded) and their types.
    `binary_collation[column]` is True when a text column compares byte by byte (a _bin collation).
    `modes` = (first row, "insert"/"ignore"/"replace", line of that INSERT) where the mode changes.
    """
    for key in [*keys, *late_keys]:
        _check_comparable(table, key, comparable, modes[0][2])
    sizes = [pq.ParquetFile(part).metadata.num_rows for part in parts]
    starts = [sum(sizes[:index]) for index in range(len(sizes))]
    with _Finder(parts, comparable, binary_collation) as finder:
        candidates = [finder.repeated(key, starts, table, modes) for key in keys]
        dropped = _replay(candidates, modes, table)
        for key in late_keys:
            if _still_repeated(finder.repeated(key, starts, table, modes), dropped):
                raise Problem(
                    f"a key added by ALTER TABLE ({_names(key)}) repeats in the rows: the server's ALTER would fail",
                    table=table,
                    line=modes[-1][2],
                )
    for index, part in enumerate(parts):
        gone = [row - starts[index] for row in dropped if starts[index] <= row < starts[index] + sizes[index]]
        if gone:
            _rewrite(part, gone, dictionary)
    return len(dropped)


def _names(key: tuple[KeyPart, ...]) -> str:
    return ", ".join(part.column for part in key)


def _check_comparable(table: str, key: tuple[KeyPart, ...], comparable: dict[str, pa.DataType], line: int) -> None:
    for part in key:
        arrow_type = comparable.get(part.column)
        if arrow_type is None or part.length == -1 or not str(arrow_type).startswith(_EXACT_TYPES):
            raise Problem(
                f"REPLACE / INSERT IGNORE rows: key ({_names(key)}) cannot be compared "
                "(a key column excluded, hashed by the column policy, an expression or a wide decimal)",
                table=table,
                line=line,
            )


class _Finder:
    """DuckDB over the written parts: the rows whose key value repeats."""

    def __init__(self, parts: list[Path], types: dict[str, pa.DataType], binary_collation: dict[str, bool]):
        self.parts = [str(part) for part in parts]
        self.types = types
        self.binary = binary_collation

    def __enter__(self) -> _Finder:
        import duckdb  # only dumps with REPLACE / INSERT IGNORE rows need it

        self._spill = tempfile.TemporaryDirectory(prefix="elt-duplicates-")
        self.db = duckdb.connect(config={"memory_limit": "512MB", "threads": 1, "temp_directory": self._spill.name})
        return self

    def __exit__(self, *exc) -> None:
        self.db.close()
        self._spill.cleanup()

    def repeated(self, key: tuple[KeyPart, ...], starts: list[int], table: str, modes: list) -> list[tuple]:
        """(row number in the table, exact key values) of every row whose key repeats, in row order."""
        exact, coarse = [], []
        for part in key:
            column = '"' + part.column.replace('"', '""') + '"'
            text = pa.types.is_string(self.types[part.column])
            value = f"left({column}, {part.length})" if part.length and text else column
            exact.append(value)
            if text:
                binary = self.binary.get(part.column, False)
                coarse.append(f"rtrim({value})" if binary else f"rtrim(lower(strip_accents({value})))")
            else:
                coarse.append(value)
        files = "[" + ", ".join("'" + part.replace("'", "''") + "'" for part in self.parts) + "]"
        exacts = ", ".join(f"{expression} AS e{index}" for index, expression in enumerate(exact))
        coarses = ", ".join(f"{expression} AS c{index}" for index, expression in enumerate(coarse))
        groups = ", ".join(f"c{index}" for index in range(len(key)))
        not_null = " AND ".join(f"{expression} IS NOT NULL" for expression in exact)
        rows = self.db.execute(
            f"""WITH keyed AS (
                  SELECT filename AS f, file_row_number AS r, {exacts}, {coarses}
                  FROM read_parquet({files}, filename = true, file_row_number = true) WHERE {not_null}),
                repeated AS (SELECT {groups} FROM keyed GROUP BY ALL HAVING count(*) > 1)
                SELECT keyed.* FROM keyed JOIN repeated USING ({groups})"""
        ).fetchall()
        index = {part: number for number, part in enumerate(self.parts)}
        found = sorted((starts[index[row[0]]] + row[1], row[2 : 2 + len(key)], row[2 + len(key) :]) for row in rows)
        exact_of: dict[tuple, set] = {}
        for _, values, coarse_values in found:
            exact_of.setdefault(tuple(coarse_values), set()).add(tuple(values))
        if any(len(values) > 1 for values in exact_of.values()):
            row = next(r for r, v, c in found if len(exact_of[tuple(c)]) > 1)
            raise Problem(
                f"REPLACE / INSERT IGNORE rows: key ({_names(key)}) repeats only under the collation's rules "
                "(case, accents or trailing spaces): which row the server keeps cannot be told",
                table=table,
                line=_mode_at(modes, row)[1],
            )
        return [(row, tuple(values)) for row, values, _ in found]


def _mode_at(modes: list[tuple[int, str, int]], row: int) -> tuple[str, int]:
    """(mode, line of its INSERT) of the table's row number `row`."""
    _, mode, line = modes[bisect.bisect_right([first for first, _, _ in modes], row) - 1]
    return mode, line


def _replay(candidates: list[list[tuple]], modes: list, table: str) -> set[int]:
    """The rows the server drops, replaying the rows whose keys repeat in dump order."""
    rows: dict[int, list] = {}
    for key_index, found in enumerate(candidates):
        for row, values in found:
            rows.setdefault(row, [None] * len(candidates))[key_index] = values
    holders: list[dict[tuple, int]] = [{} for _ in candidates]
    dropped: set[int] = set()
    for row in sorted(rows):
        values = rows[row]
        taken = {holders[k][value] for k, value in enumerate(values) if value is not None and value in holders[k]}
        mode, line = _mode_at(modes, row)
        if taken and mode == "insert":
            raise Problem("duplicate key in a plain INSERT: the server would stop here", table=table, line=line)
        if taken and mode == "ignore":
            dropped.add(row)
            continue
        for holder in taken:  # REPLACE: the rows holding any of its keys go
            dropped.add(holder)
            for k, value in enumerate(rows[holder]):
                if value is not None and holders[k].get(value) == holder:
                    del holders[k][value]
        for k, value in enumerate(values):
            if value is not None:
                holders[k][value] = row
    return dropped


def _still_repeated(found: list[tuple], dropped: set[int]) -> bool:
    seen = set()
    for row, values in found:
        if row not in dropped:
            if values in seen:
                return True
            seen.add(values)
    return False


def _rewrite(part: Path, gone: list[int], dictionary: list[str]) -> None:
    """Write `part` again without the rows numbered `gone`."""
    table = pq.read_table(part)
    mask = [True] * table.num_rows
    for row in gone:
        mask[row] = False
    temporary = part.with_suffix(".tmp")
    pq.write_table(table.filter(bools(mask)), temporary, compression="snappy", use_dictionary=dictionary)
    temporary.replace(part)
