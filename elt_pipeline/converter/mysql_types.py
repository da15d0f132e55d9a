"""MySQL column types -> Arrow types, and raw dump values (pa.binary arrays) -> typed arrays.

Mapping (recorded per column in the manifest as `mapping`):
- TINYINT/SMALLINT/MEDIUMINT/INT/BIGINT [UNSIGNED] -> int8/16/32/32/64 or uint8/16/32/32/64
  (TINYINT(1) stays int8: no invented booleans). YEAR -> int16 (0 stays 0).
- DECIMAL(p,s) -> decimal128(p,s) if p <= 38 else decimal256(p,s); exact, never via float.
- FLOAT -> float32, DOUBLE -> float64 (parsed straight from the dumped text, correctly rounded).
- DATE -> date32. DATETIME(fsp) -> timestamp[us] (no time zone; also for fsp 0, since Parquet
  has no seconds unit). TIMESTAMP(fsp) -> timestamp[us, tz=UTC] when the dump sets
  TIME_ZONE='+00:00' (mysqldump's default), else timestamp[us] in the dump's unknown zone.
- Zero dates: a DATE/DATETIME/TIMESTAMP with a zero month or day ('0000-00-00',
  '2020-00-10', ...), or a day the calendar lacks ('2021-02-31', stored under
  ALLOW_INVALID_DATES), is not a date: it becomes NULL and is counted per column in the
  manifest (`zero_dates_nulled`).
- TIME(fsp) -> int64 microseconds, signed ('-838:59:59' .. '838:59:59' survive exactly).
- CHAR/VARCHAR/TEXT/ENUM/SET/JSON (and MariaDB UUID/INET4/INET6) -> string (valid UTF-8 only):
  UUID, INET4 and INET6 as the dump writes them ('1.2.3.4', '::1', canonical UUID text).
- BINARY/VARBINARY/BLOB/GEOMETRY -> binary; GEOMETRY (and POINT, POLYGON, ...) keeps MySQL's
  internal bytes (4-byte little-endian SRID + WKB). MariaDB VECTOR(n) -> binary: the n
  little-endian float32 values as stored. BIT(n) -> uint64.
- System-versioned tables: a dump made with --dump-history holds every version of each row with
  its row_start/row_end (row_end 2038-01-19 03:14:07.999999, or 2106-02-07 06:28:15.999999 since
  MariaDB 11.5, marks the current one), and so does the Parquet. Other dumps hold the current rows
  only and no implicit row_start/row_end (listed in `omitted_columns`); explicit period columns
  (`GENERATED ALWAYS AS ROW START`) keep the times the dump wrote, the source server's (a reload
  into MariaDB would stamp the load time instead).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from .arrays import bools, strings, uint64s
from .errors import Problem
from .tokenizer import time_micros

_INTS = {"tinyint": 8, "smallint": 16, "mediumint": 32, "int": 32, "integer": 32, "bigint": 64}
_TEXT = {
    "char",
    "varchar",
    "tinytext",
    "text",
    "mediumtext",
    "longtext",
    "enum",
    "set",
    "json",
    "nchar",
    "nvarchar",
    "national",
    "uuid",
    "inet4",
    "inet6",
    "long",
}
_BINARY = {
    "binary",
    "varbinary",
    "tinyblob",
    "blob",
    "mediumblob",
    "longblob",
    "geometry",
    "point",
    "linestring",
    "polygon",
    "multipoint",
    "multilinestring",
    "multipolygon",
    "geometrycollection",
    "geomcollection",
    "vector",
}
_TYPE = re.compile(r"([a-z][a-z0-9_]*)\s*(?:\(([^)]*)\))?")  # inet4 and inet6 have digits
_SPATIAL_NOTE = " (MySQL internal: 4-byte SRID + WKB)"
_BINARY_NOTES = {name: "" for name in ("binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob")}
_BINARY_NOTES["vector"] = " (little-endian float32 per dimension)"
_ZERO_DATE = r"^\d{4}-(?:00-|\d\d-00)"
_DATE_SHAPE = re.compile(r"(\d{4})-(\d\d)-(\d\d)(?: |$)")
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


_LATIN1 = {byte: bytes([byte]).decode("cp1252", errors="ignore") or chr(byte) for byte in range(128, 160)}


class ValueProblem(Exception):
    """A value that does not fit its column; `row` indexes the batch."""

    def __init__(self, message: str, row: int):
        super().__init__(message)
        self.row = row


@dataclass(frozen=True)
class Mapping:
    kind: str
    arrow_type: pa.DataType
    description: str


def mapping_for(mysql_type: str, *, timestamps_utc: bool) -> Mapping:
    """How a column declared as `mysql_type` is written."""
    match = _TYPE.match(mysql_type.lower())
    base, args = match.group(1), match.group(2)
    unsigned = "unsigned" in mysql_type.lower().split()
    if base in _INTS:
        bits = _INTS[base]
        arrow = getattr(pa, f"{'u' if unsigned else ''}int{bits}")()
        return Mapping("int", arrow, f"{base}{' unsigned' if unsigned else ''} -> {arrow}")
    if base in ("decimal", "numeric", "dec", "fixed"):
        precision, scale = _decimal_args(args)
        arrow = pa.decimal128(precision, scale) if precision <= 38 else pa.decimal256(precision, scale)
        return Mapping("decimal", arrow, f"decimal({precision},{scale}) -> {arrow} (exact)")
    if base in ("float", "double", "real"):
        single = base == "float" and not (args and "," not in args and int(args) > 24)
        arrow = pa.float32() if single else pa.float64()
        return Mapping("float", arrow, f"{base} -> {arrow}")
    if base == "date":
        return Mapping("date", pa.date32(), "date -> date32; zero or impossible dates -> NULL")
    if base == "datetime":
        return Mapping(
            "datetime", pa.timestamp("us"), "datetime -> timestamp[us] (naive); zero or impossible dates -> NULL"
        )
    if base == "timestamp":
        if timestamps_utc:
            return Mapping(
                "datetime",
                pa.timestamp("us", tz="UTC"),
                "timestamp -> timestamp[us, tz=UTC] (dump TIME_ZONE='+00:00'); zero or impossible dates -> NULL",
            )
        return Mapping(
            "datetime",
            pa.timestamp("us"),
            "timestamp -> timestamp[us] in the dump's session time zone (not UTC); zero or impossible dates -> NULL",
        )
    if base == "time":
        return Mapping("time", pa.int64(), "time -> int64 microseconds (signed, may exceed 24h)")
    if base == "year":
        return Mapping("int", pa.int16(), "year -> int16")
    if base == "bit":
        return Mapping("bit", pa.uint64(), "bit -> uint64")
    if base in _TEXT:
        return Mapping("text", pa.string(), f"{base} -> string")
    if base in _BINARY:
        return Mapping("binary", pa.binary(), f"{base} -> binary{_BINARY_NOTES.get(base, _SPATIAL_NOTE)}")
    raise Problem(f"unsupported column type {mysql_type!r}")


def _decimal_args(args: str | None) -> tuple[int, int]:
    parts = [int(a) for a in (args or "10").split(",")]
    return parts[0], parts[1] if len(parts) > 1 else 0


def convert(mapping: Mapping, raw: pa.Array, charset: str = "utf8mb4") -> tuple[pa.Array, int]:
    """(typed array, zero dates nulled) for a pa.binary() array of raw dump values.

    `charset` is the dump's connection character set (SET NAMES): text in latin1 dumps is
    decoded as MySQL's latin1 (cp1252 with its five undefined bytes mapped to C1 controls).
    """
    kind = mapping.kind
    if kind == "binary":
        return raw, 0
    if kind == "bit":
        return _bits(raw), 0
    if kind == "text" and charset == "latin1":
        return strings([None if v is None else v.decode("latin-1").translate(_LATIN1) for v in raw.to_pylist()]), 0
    text = _as_utf8(raw)
    if kind == "text":
        return text, 0
    if kind in ("int", "decimal", "float"):
        return _cast(text, mapping.arrow_type), 0
    if kind in ("date", "datetime"):
        unit = pa.date32() if kind == "date" else pa.timestamp("us")
        try:
            typed, zeros = pc.cast(text, unit), 0
        except pa.ArrowInvalid:  # zero or impossible dates (or a bad value): null those, cast again
            nulled = pc.fill_null(pc.match_substring_regex(text, _ZERO_DATE), bools([False])[0])
            try:
                typed = pc.cast(pc.if_else(nulled, pa.nulls(len(text), pa.string()), text), unit)
            except pa.ArrowInvalid:
                nulled = pc.or_(nulled, _impossible_days(text))
                typed = _cast(pc.if_else(nulled, pa.nulls(len(text), pa.string()), text), unit)
            zeros = pc.sum(nulled).as_py() or 0
        return (typed.cast(mapping.arrow_type) if kind == "datetime" and mapping.arrow_type.tz else typed), zeros
    if kind == "time":
        return _time(text), 0
    raise AssertionError(kind)


def _impossible_days(text: pa.Array) -> pa.Array:
    """True where a date-shaped value names a day the calendar lacks ('2021-02-31', month 13)."""
    flags = []
    for value in text.to_pylist():
        match = _DATE_SHAPE.match(value) if value is not None else None
        if match is None:
            flags.append(False)
            continue
        year, month, day = (int(part) for part in match.groups())
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        days = _MONTH_DAYS[month - 1] + (month == 2 and leap) if 1 <= month <= 12 else 0
        flags.append(not 1 <= day <= days)
    return bools(flags)


def _as_utf8(raw: pa.Array) -> pa.Array:
    try:
        return raw.cast(pa.string())
    except pa.ArrowInvalid:
        row = _first_failing(raw, lambda one: one.cast(pa.string()))
        raise ValueProblem(f"invalid UTF-8 in a text value: {raw[row].as_py()[:60]!r}", row) from None


def _cast(text: pa.Array, arrow_type: pa.DataType) -> pa.Array:
    try:
        return pc.cast(text, arrow_type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        row = _first_failing(text, lambda one: pc.cast(one, arrow_type))
        raise ValueProblem(f"value {text[row].as_py()!r} is not a valid {arrow_type}: {error}", row) from None


def _first_failing(array: pa.Array, check: Callable[[pa.Array], object]) -> int:
    for row in range(len(array)):
        try:
            check(array.slice(row, 1))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return row
    return 0


def _time(text: pa.Array) -> pa.Array:
    """'[-]H{1,3}:MM:SS[.f{1,6}]' -> signed microseconds (compiled parser when built)."""
    if time_micros is not None and text.offset == 0:
        validity, offsets, data = text.buffers()
        values, bad = time_micros(validity, offsets, data if data is not None else b"", len(text))
        if bad < 0:
            return pa.Array.from_buffers(
                pa.int64(), len(text), [validity, pa.py_buffer(values)], null_count=text.null_count
            )
        row = bad
    else:
        try:
            return _time_micros(text)
        except pa.ArrowInvalid:
            row = _first_failing(text, _time_micros)
    raise ValueProblem(f"value {text[row].as_py()!r} is not a valid TIME", row)


def _time_micros(text: pa.Array) -> pa.Array:
    """Pure-Arrow TIME parser (no per-row regex); raises pa.ArrowInvalid on a malformed value."""
    if text.null_count == len(text):
        return pa.nulls(len(text), pa.int64())
    parts = pc.split_pattern(pc.utf8_ltrim(text, "-"), ":")
    _require(pc.equal(pc.list_value_length(parts), 3))
    hours, minutes, seconds = (pc.list_element(parts, index) for index in range(3))
    length = pc.utf8_length(seconds)
    fraction = pc.utf8_slice_codeunits(seconds, 3, 9)
    _require(pc.and_(pc.utf8_is_digit(hours), pc.less_equal(pc.utf8_length(hours), 3)))
    _require(pc.and_(pc.utf8_is_digit(minutes), pc.equal(pc.utf8_length(minutes), 2)))
    _require(pc.utf8_is_digit(pc.utf8_slice_codeunits(seconds, 0, 2)))
    _require(
        pc.or_(
            pc.equal(length, 2),
            pc.and_(
                pc.and_(pc.greater(length, 3), pc.less_equal(length, 9)),
                pc.and_(pc.equal(pc.utf8_slice_codeunits(seconds, 2, 3), "."), pc.utf8_is_digit(fraction)),
            ),
        )
    )
    whole = pc.cast(pc.utf8_slice_codeunits(seconds, 0, 2), pa.int64())
    magnitude = pc.add(
        pc.multiply(
            pc.add(
                pc.add(pc.multiply(pc.cast(hours, pa.int64()), 3600), pc.multiply(pc.cast(minutes, pa.int64()), 60)),
                whole,
            ),
            1_000_000,
        ),
        pc.cast(pc.utf8_rpad(fraction, 6, "0"), pa.int64()),
    )
    return pc.if_else(pc.starts_with(text, "-"), pc.negate(magnitude), magnitude)


def _require(ok: pa.Array) -> None:
    if not pc.all(pc.fill_null(ok, True)).as_py():
        raise pa.ArrowInvalid("malformed TIME value")


def _bits(raw: pa.Array) -> pa.Array:
    values = raw.to_pylist()
    if any(v is not None and len(v) > 8 for v in values):
        row = next(i for i, v in enumerate(values) if v is not None and len(v) > 8)
        raise ValueProblem("BIT value longer than 64 bits", row)
    return uint64s([None if v is None else int.from_bytes(v, "big") for v in values])
