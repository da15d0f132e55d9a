"""Dumps as each generator writes them convert to what MariaDB holds after loading them (the oracle),
with the generator, databases, skipped objects and completeness signal named in the manifest."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from elt_pipeline.converter import convert_dump
from tests.converter.generator_dumps import LOADABLE, MYSQL8_ONLY
from tests.converter.oracle import compare_table, read_parquet


@pytest.mark.parametrize("name", sorted(LOADABLE))
def test_generator_dump_converts_as_mariadb_loads_it(mariadb, tmp_path, name):
    fixture = LOADABLE[name]
    dump = tmp_path / f"{name}.sql"
    dump.write_bytes(fixture.text.encode("utf-8", "surrogateescape"))
    mariadb.execute(f"DROP DATABASE IF EXISTS {fixture.database}; CREATE DATABASE {fixture.database}")
    mariadb.import_file(dump, fixture.database)

    out = tmp_path / "out"
    manifest = convert_dump(dump, out)

    assert set(manifest.tables) == set(fixture.keys)
    for table, key in fixture.keys.items():
        checked = compare_table(
            mariadb, fixture.database, table, out, manifest.tables[table], key, history=table in fixture.history
        )
        assert checked >= 2 * len(manifest.tables[table].columns)
    assert manifest.generator.startswith(fixture.generator)
    assert manifest.database == fixture.database and manifest.databases == [fixture.database]
    assert {(o.kind, o.name) for o in manifest.skipped_objects} == fixture.skipped
    assert manifest.completeness


def _python(value):
    """A Parquet value as the expectations write it (decimals and timestamps as text)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="milliseconds" if value.microsecond else "seconds")[:23]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@pytest.mark.parametrize("name", sorted(MYSQL8_ONLY))
def test_mysql8_only_dump_converts_to_the_expected_values(tmp_path, name):
    """MariaDB cannot load these (0900 collations, GTID_PURGED, VECTOR): values written by hand."""
    fixture = MYSQL8_ONLY[name]
    dump = tmp_path / f"{name}.sql"
    dump.write_bytes(fixture.text.encode("utf-8", "surrogateescape"))
    out = tmp_path / "out"
    manifest = convert_dump(dump, out)
    assert manifest.generator == fixture.generator and manifest.databases == fixture.databases
    assert manifest.database == fixture.databases[0] and "Dump completed" in manifest.completeness
    assert set(manifest.tables) == set(fixture.rows)
    for table, expected in fixture.rows.items():
        rows = read_parquet(out, manifest.tables[table]).to_pylist()
        assert [{k: _python(v) for k, v in row.items()} for row in rows] == expected
        assert manifest.tables[table].omitted_columns == fixture.omitted.get(table, [])
        for column in manifest.tables[table].columns:  # every dump sets TIME_ZONE='+00:00' (and restores it)
            assert not column.mysql_type.startswith("timestamp") or column.arrow_type == "timestamp[us, tz=UTC]"
    assert {(o.kind, o.name) for o in manifest.skipped_objects} == fixture.skipped
