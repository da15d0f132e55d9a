"""Arrow -> BigQuery column types (pure; no emulator)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from elt_pipeline.lib.warehouse.bigquery_types import UnsupportedArrowType, arrow_to_bigquery_field, standard_type


@pytest.mark.parametrize(
    ("arrow_type", "expected"),
    [
        (pa.bool_(), "BOOL"),
        (pa.int8(), "INT64"),
        (pa.int16(), "INT64"),
        (pa.int32(), "INT64"),
        (pa.int64(), "INT64"),
        (pa.uint8(), "INT64"),
        (pa.uint16(), "INT64"),
        (pa.uint32(), "INT64"),
        (pa.uint64(), "NUMERIC"),  # 2**64-1 does not fit INT64
        (pa.float32(), "FLOAT64"),
        (pa.float64(), "FLOAT64"),
        (pa.decimal128(10, 2), "NUMERIC"),
        (pa.decimal128(38, 9), "NUMERIC"),  # 29 integer digits, 9 fractional: NUMERIC's limits
        (pa.decimal128(38, 10), "BIGNUMERIC"),  # scale > 9
        (pa.decimal128(31, 1), "BIGNUMERIC"),  # 30 integer digits > 29
        (pa.decimal256(65, 30), "BIGNUMERIC"),  # MySQL's widest DECIMAL
        (pa.decimal256(10, 2), "BIGNUMERIC"),  # decimal256 is always BIGNUMERIC
        (pa.string(), "STRING"),
        (pa.large_string(), "STRING"),
        (pa.binary(), "BYTES"),
        (pa.large_binary(), "BYTES"),
        (pa.binary(16), "BYTES"),
        (pa.date32(), "DATE"),
        (pa.date64(), "DATE"),
        (pa.timestamp("us"), "DATETIME"),  # wall clock (MySQL DATETIME)
        (pa.timestamp("s"), "DATETIME"),
        (pa.timestamp("us", tz="UTC"), "TIMESTAMP"),  # instant (MySQL TIMESTAMP)
        (pa.time64("us"), "TIME"),
        (pa.time32("s"), "TIME"),
        (pa.dictionary(pa.int32(), pa.string()), "STRING"),  # ENUM as dictionary
    ],
)
def test_arrow_type_maps_to_bigquery_type(arrow_type, expected):
    field = arrow_to_bigquery_field(pa.field("c", arrow_type, nullable=False))
    assert (field.name, field.field_type, field.mode) == ("c", expected, "NULLABLE")


@pytest.mark.parametrize(
    "arrow_type",
    [pa.decimal256(76, 0), pa.decimal256(40, 39), pa.duration("us"), pa.list_(pa.int32()), pa.null()],
)
def test_types_without_a_faithful_bigquery_column_are_refused(arrow_type):
    with pytest.raises(UnsupportedArrowType, match="c"):
        arrow_to_bigquery_field(pa.field("c", arrow_type))


def test_legacy_type_names_compare_equal():
    assert standard_type("INTEGER") == standard_type("INT64") == "INT64"
    assert standard_type("FLOAT") == "FLOAT64"
    assert standard_type("BOOLEAN") == "BOOL"
    assert standard_type("BIGNUMERIC") == "BIGNUMERIC"
