"""Compare converted Parquet with what MariaDB returns for the same table, value by value."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from elt_pipeline.lib.manifest import TableManifest

_TIME = re.compile(r"(-?)(\d+):(\d\d):(\d\d)(?:\.(\d+))?$")
_TEXT = (
    "char",
    "varchar",
    "text",
    "tinytext",
    "mediumtext",
    "longtext",
    "enum",
    "set",
    "json",
    "uuid",
    "inet4",
    "inet6",
)


def server_expression(column: str, mysql_type: str) -> str:
    """SELECT expression giving the server's canonical text for a column."""
    base = mysql_type.split("(")[0].split()[0].lower()
    quoted = f"`{column.replace('`', '``')}`"
    if base == "bit":
        return f"CAST({quoted} + 0 AS CHAR)"
    if base in ("binary", "varbinary") or "blob" in base or base in ("geometry", "point", "linestring", "polygon"):
        return f"HEX({quoted})"
    if base in _TEXT:
        return f"HEX(CONVERT({quoted} USING utf8mb4))"
    return f"CAST({quoted} AS CHAR)"


def read_parquet(out_dir: Path, table: TableManifest) -> pa.Table:
    return pa.concat_tables([pq.read_table(out_dir / name) for name in table.files])


def expected_value(text: str | None, mysql_type: str, arrow_type: str = ""):
    """The Python value the converter must produce for the server's text `text`."""
    if text is None:
        return None
    base = mysql_type.split("(")[0].split()[0].lower()
    if base in ("tinyint", "smallint", "mediumint", "int", "bigint", "year", "bit"):
        return int(text)
    if base == "decimal":
        return Decimal(text)
    if base == "float":
        return float(np.float32(text))
    if base == "double":
        return float(text)
    if base == "date":
        return None if _zero_date(text) else dt.date.fromisoformat(text)
    if base in ("datetime", "timestamp"):
        if _zero_date(text):
            return None
        value = dt.datetime.fromisoformat(text)
        return value.replace(tzinfo=dt.UTC) if "tz=UTC" in arrow_type else value
    if base == "time":
        sign, hours, minutes, seconds, fraction = _TIME.match(text).groups()
        micros = ((int(hours) * 60 + int(minutes)) * 60 + int(seconds)) * 1_000_000
        micros += int((fraction or "0").ljust(6, "0"))
        return -micros if sign else micros
    if base in _TEXT:
        return bytes.fromhex(text).decode("utf-8")
    return bytes.fromhex(text)


def _zero_date(text: str) -> bool:
    """A zero month/day or a day the calendar lacks: the converter writes NULL."""
    try:
        dt.date(int(text[:4]) or 2000, int(text[5:7]), int(text[8:10]))
    except ValueError:
        return True
    return False


def compare_table(
    server,
    database: str,
    table_name: str,
    out_dir: Path,
    manifest_table: TableManifest,
    key: str | tuple[str, ...],
    history: bool = False,
) -> int:
    """Assert every value of the table equals the server's; returns the number of values checked.

    `key`: the column(s) both sides are sorted by. `history`: every version of a system-versioned
    table (FOR SYSTEM_TIME ALL), as a dump made with --dump-history holds them.
    """
    keys = (key,) if isinstance(key, str) else key
    converted = read_parquet(out_dir, manifest_table)
    columns = manifest_table.columns
    expressions = ", ".join(server_expression(c.name, c.mysql_type) for c in columns)
    quoted_table = f"`{table_name.replace('`', '``')}`" + (" FOR SYSTEM_TIME ALL" if history else "")
    order_by = ", ".join(f"`{name}`" for name in keys)
    rows = server.query(
        f"SET time_zone = '+00:00'; SELECT {expressions} FROM {database}.{quoted_table} ORDER BY {order_by}"
    )
    assert converted.num_rows == len(rows) == manifest_table.row_count
    if len(keys) == 1:
        order = np.argsort(converted.column(keys[0]).to_numpy(zero_copy_only=False), kind="stable")
        converted = converted.take(pa.array(order))
    else:
        converted = converted.sort_by([(name, "ascending") for name in keys])
    checked = 0
    for index, column in enumerate(columns):
        actual = converted.column(column.name).to_pylist()
        for row, server_row in enumerate(rows):
            expected = expected_value(server_row[index], column.mysql_type, column.arrow_type)
            assert actual[row] == expected, (
                f"{table_name}.{column.name} row {row}: converted {actual[row]!r} != server {expected!r} "
                f"(server text {server_row[index]!r})"
            )
            checked += 1
    return checked
