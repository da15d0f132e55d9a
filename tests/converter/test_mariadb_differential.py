"""Differential tests: dump a real MariaDB with mariadb-dump in each style, convert, and compare
every value with what the server returns."""

from __future__ import annotations

import gzip
import shutil

import pytest

from elt_pipeline.converter import DumpError, convert_dump
from elt_pipeline.lib.manifest import MANIFEST_NAME, Manifest
from tests.converter.fixtures_sql import DB, DB2, TYPED_COLUMNS, setup_sql
from tests.converter.oracle import compare_table

KEYS = {
    "all_types": "id",
    "odd_numbers": "id",
    "we`ird tab": "sel ect",
    "generated": "id",
    "bulk": "id",
    "latin_only": "id",
    "empty_table": "id",
    "net": "id",
    "versioned": "id",
}
STYLES = {
    "extended": [DB],
    "skip-extended-insert": ["--skip-extended-insert", DB],
    "complete-insert": ["--complete-insert", DB],
    "hex-blob": ["--hex-blob", DB],
    "small-net-buffer": ["--net-buffer-length=4096", DB],
    "databases-routines-triggers": [
        "--databases",
        DB,
        DB2,
        "--routines",
        "--triggers",
        "--events",
        "--single-transaction",
    ],
    "latin1-connection": ["--default-character-set=latin1", "--databases", DB2],
    # TIMESTAMPs in the server's zone (UTC here), so converted as naive timestamps
    "skip-tz-utc-insert-ignore": ["--skip-tz-utc", "--insert-ignore", "--skip-add-locks", "--skip-disable-keys", DB],
    "replace": ["--replace", DB],
    # every version of system-versioned tables, with their row_start / row_end
    "dump-history": ["--dump-history", DB],
}


@pytest.fixture(scope="module")
def loaded(mariadb):
    mariadb.execute(setup_sql())
    return mariadb


@pytest.mark.parametrize("style", sorted(STYLES))
def test_dump_style_converts_exactly(loaded, tmp_path, style):
    dump = loaded.dump(STYLES[style], tmp_path / f"{style}.sql")
    if style == "hex-blob":  # also cover gzip input
        with open(dump, "rb") as plain, gzip.open(tmp_path / "dump.sql.gz", "wb") as packed:
            shutil.copyfileobj(plain, packed)
        dump = tmp_path / "dump.sql.gz"
    out = tmp_path / "out"
    source = DB2 if style == "latin1-connection" else DB
    manifest = convert_dump(dump, out, database=source)

    assert Manifest.from_json((out / MANIFEST_NAME).read_text()) == manifest
    expected_tables = {"latin_only"} if source == DB2 else set(KEYS) - {"latin_only"}
    assert set(manifest.tables) == expected_tables  # views are not tables, the other database is not the source
    assert manifest.database == source and manifest.generator.startswith("mariadb-dump 10.19")
    checked = 0
    for name, table in manifest.tables.items():
        if name == "versioned" and style == "dump-history":
            assert [c.name for c in table.columns] == ["id", "v", "row_start", "row_end"]
            checked += compare_table(loaded, source, name, out, table, ("id", "row_end"), history=True)
        else:
            checked += compare_table(loaded, source, name, out, table, KEYS[name])
    if "versioned" in manifest.tables and style != "dump-history":
        assert manifest.tables["versioned"].omitted_columns == ["row_start", "row_end"]  # not in the dump
    if style.startswith("skip-tz-utc"):
        assert {c.arrow_type for c in manifest.tables["all_types"].columns if c.mysql_type.startswith("timestamp")} == {
            "timestamp[us]"
        }
    if "all_types" in manifest.tables:
        assert checked > 19_000
        assert manifest.tables["empty_table"].row_count == 0
        assert len(manifest.tables["empty_table"].files) == 1


def test_manifest_records_types_and_policies(loaded, tmp_path):
    dump = loaded.dump([DB], tmp_path / "d.sql")
    manifest = convert_dump(dump, tmp_path / "out")
    columns = {c.name: c for c in manifest.tables["all_types"].columns}
    assert [c.name for c in manifest.tables["all_types"].columns] == ["id"] + [n for n, _ in TYPED_COLUMNS]
    expected_arrow = {
        "ti": "int8",
        "tiu": "uint8",
        "b1": "int8",
        "mi": "int32",
        "miu": "uint32",
        "biu": "uint64",
        "d52": "decimal128(5, 2)",
        "d6530": "decimal256(65, 30)",
        "d3810": "decimal128(38, 10)",
        "f": "float",
        "db": "double",
        "dt": "date32[day]",
        "dtm": "timestamp[us]",
        "ts6": "timestamp[us, tz=UTC]",
        "tm": "int64",
        "yr": "int16",
        "en": "string",
        "st": "string",
        "js": "string",
        "geo": "binary",
        "bt64": "uint64",
        "lb": "binary",
        "lat": "string",
    }
    assert {name: columns[name].arrow_type for name in expected_arrow} == expected_arrow
    assert columns["biu"].mysql_type == "bigint(20) unsigned"
    assert columns["dt"].zero_dates_nulled == 2 and columns["dtm3"].zero_dates_nulled == 1
    assert columns["dtm6"].zero_dates_nulled == 2  # "2020-02-00" and "2023-02-29" (ALLOW_INVALID_DATES)
    assert columns["dt"].nullable
    assert "microseconds" in columns["tm"].mapping
    generated = {c.name for c in manifest.tables["generated"].columns}
    assert generated == {"id", "a", "twice", "label", "secret"}  # mariadb-dump writes them all


def test_dump_of_two_databases_needs_the_source_named(loaded, tmp_path):
    dump = loaded.dump(["--databases", DB, DB2, "--routines"], tmp_path / "two.sql")
    with pytest.raises(DumpError, match=r"databases 'conv_diff' and 'conv_diff_b'.*which one is the source"):
        convert_dump(dump, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    manifest = convert_dump(dump, tmp_path / "b", database=DB2)
    assert set(manifest.tables) == {"latin_only"}
    assert manifest.databases == [DB, DB2] and manifest.database == DB2
    assert {(o.kind, o.name, o.database) for o in manifest.skipped_objects} >= {
        ("view", "all_types_view", DB),
        ("trigger", "bulk_guard", DB),
        ("procedure", "noisy", DB),
        ("sequence", "order_numbers", DB),
        ("view", "latin_view", DB2),
    }
    with pytest.raises(DumpError, match=r"declares database\(s\) \['conv_diff', 'conv_diff_b'\], not 'shop'"):
        convert_dump(dump, tmp_path / "c", database="shop")
