"""Arrow (Parquet) types -> BigQuery column types: faithful, or refused.

Used to give BigQuery explicit schemas (never autodetect) and to compare a load's columns with
the table's on standard SQL type names.
"""

from __future__ import annotations

import pyarrow as pa
from google.cloud import bigquery

# BigQuery NUMERIC: 29 integer digits, 9 fractional; BIGNUMERIC: 38 integer-ish, 38 fractional.
NUMERIC_MAX_SCALE, NUMERIC_MAX_INTEGER_DIGITS = 9, 29
BIGNUMERIC_MAX_SCALE, BIGNUMERIC_MAX_INTEGER_DIGITS = 38, 38

# The API reports legacy names for some types; compare on standard SQL names.
_STANDARD_TYPE = {
    "INTEGER": "INT64",
    "FLOAT": "FLOAT64",
    "BOOLEAN": "BOOL",
    "BIGDECIMAL": "BIGNUMERIC",
    "DECIMAL": "NUMERIC",
    "RECORD": "STRUCT",
}


def standard_type(field_type: str) -> str:
    return _STANDARD_TYPE.get(field_type.upper(), field_type.upper())


class UnsupportedArrowType(TypeError):
    """A Parquet column has a type no BigQuery column can hold faithfully."""


def _bigquery_type(name: str, arrow_type: pa.DataType) -> str:
    t = pa.types
    if t.is_dictionary(arrow_type):
        return _bigquery_type(name, arrow_type.value_type)
    if t.is_boolean(arrow_type):
        return "BOOL"
    if t.is_uint64(arrow_type):
        return "NUMERIC"  # 0..18446744073709551615 does not fit INT64
    if t.is_integer(arrow_type):
        return "INT64"
    if t.is_floating(arrow_type):
        return "FLOAT64"
    if t.is_decimal(arrow_type):
        precision, scale = arrow_type.precision, arrow_type.scale
        integer_digits = precision - scale
        if t.is_decimal256(arrow_type):
            fits_numeric = False  # decimal256 always -> BIGNUMERIC
        else:
            fits_numeric = 0 <= scale <= NUMERIC_MAX_SCALE and integer_digits <= NUMERIC_MAX_INTEGER_DIGITS
        if fits_numeric:
            return "NUMERIC"
        if 0 <= scale <= BIGNUMERIC_MAX_SCALE and integer_digits <= BIGNUMERIC_MAX_INTEGER_DIGITS:
            return "BIGNUMERIC"
        raise UnsupportedArrowType(f"{name}: {arrow_type} exceeds BIGNUMERIC (38 integer, 38 fractional digits)")
    if t.is_string(arrow_type) or t.is_large_string(arrow_type) or t.is_string_view(arrow_type):
        return "STRING"
    if (
        t.is_binary(arrow_type)
        or t.is_large_binary(arrow_type)
        or t.is_fixed_size_binary(arrow_type)
        or t.is_binary_view(arrow_type)
    ):
        return "BYTES"
    if t.is_date(arrow_type):
        return "DATE"
    if t.is_timestamp(arrow_type):
        # Wall-clock values (MySQL DATETIME) have no zone -> DATETIME; instants -> TIMESTAMP.
        return "TIMESTAMP" if arrow_type.tz else "DATETIME"
    if t.is_time(arrow_type):
        return "TIME"
    raise UnsupportedArrowType(f"{name}: no faithful BigQuery type for Arrow {arrow_type}")


def arrow_to_bigquery_field(field: pa.Field) -> bigquery.SchemaField:
    """The BigQuery column for a Parquet/Arrow column (always NULLABLE, so columns can be added)."""
    return bigquery.SchemaField(field.name, _bigquery_type(field.name, field.type), mode="NULLABLE")
