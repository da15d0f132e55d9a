"""Bad input: a DumpError naming file, table and line, and nothing left in the output folder."""

from __future__ import annotations

import gzip

import pytest

from elt_pipeline.converter import DumpError, convert_dump
from tests.converter.dumps import ROWS, line_of, write_dump


def convert_fails(dump, out) -> DumpError:
    with pytest.raises(DumpError) as caught:
        convert_dump(dump, out)
    assert not out.exists()  # created by convert_dump, so removed with everything in it
    assert str(dump) in str(caught.value)
    return caught.value


def test_good_dump_converts(tmp_path):
    manifest = convert_dump(write_dump(tmp_path / "ok.sql"), tmp_path / "out")
    assert manifest.tables["people"].row_count == 3
    assert manifest.tables["people"].columns[2].zero_dates_nulled == 1


def test_missing_trailer(tmp_path):
    dump = write_dump(tmp_path / "d.sql", trailer=False)
    error = convert_fails(dump, tmp_path / "out")
    assert "truncated dump" in error.reason and "-- Dump completed" in error.reason
    assert error.line is not None


def test_truncated_gzip(tmp_path):
    dump = write_dump(tmp_path / "d.sql.gz", ROWS * 200, compress=True)
    dump.write_bytes(dump.read_bytes()[:-40])
    error = convert_fails(dump, tmp_path / "out")
    assert "truncated gzip" in error.reason and error.line is not None


def test_corrupt_gzip_crc(tmp_path):
    dump = write_dump(tmp_path / "d.gz.bin", compress=True)  # gzip detected by magic, not name
    data = bytearray(dump.read_bytes())
    data[-8] ^= 0xFF  # CRC32 of the member
    dump.write_bytes(bytes(data))
    assert "corrupt gzip" in convert_fails(dump, tmp_path / "out").reason


def test_syntax_error_mid_statement(tmp_path):
    dump = write_dump(tmp_path / "d.sql", ROWS.replace("(2,'Bob'", "(2,Bob'"))
    error = convert_fails(dump, tmp_path / "out")
    assert (error.table, error.line) == ("people", line_of(dump, "(2,Bob'"))
    assert "syntax error" in error.reason


def test_truncated_mid_insert(tmp_path):
    dump = write_dump(tmp_path / "d.sql", ROWS[:60], trailer=False)
    error = convert_fails(dump, tmp_path / "out")
    assert error.table == "people" and "truncated dump" in error.reason


def test_insert_into_undeclared_table(tmp_path):
    body = ROWS + "INSERT INTO `ghosts` VALUES (1);\n"
    dump = write_dump(tmp_path / "d.sql", body)
    error = convert_fails(dump, tmp_path / "out")
    assert (error.table, error.line) == ("ghosts", line_of(dump, "`ghosts`"))
    assert "not declared" in error.reason


def test_column_count_mismatch(tmp_path):
    dump = write_dump(tmp_path / "d.sql", ROWS.replace("(2,'Bob',NULL,-2.25)", "(2,'Bob',NULL)"))
    error = convert_fails(dump, tmp_path / "out")
    assert (error.table, error.line) == ("people", line_of(dump, "(2,'Bob',NULL)"))
    assert "3 values, expected 4" in error.reason


def test_invalid_utf8_in_text_column(tmp_path):
    body = ROWS.encode().replace(b"'Bob'", b"'B\xffb'")
    dump = write_dump(tmp_path / "d.sql", body)
    error = convert_fails(dump, tmp_path / "out")
    assert (error.table, error.line) == ("people", line_of(dump, "(2,"))
    assert "invalid UTF-8" in error.reason and "name" in error.reason


def test_value_out_of_range(tmp_path):
    dump = write_dump(tmp_path / "d.sql", ROWS.replace("(1,'Ann'", "(-1,'Ann'"))
    error = convert_fails(dump, tmp_path / "out")
    assert (error.table, error.line) == ("people", line_of(dump, "(-1,'Ann'"))


def test_max_bytes(tmp_path):
    dump = write_dump(tmp_path / "d.sql")
    with pytest.raises(DumpError, match="max_bytes"):
        convert_dump(dump, tmp_path / "out", max_bytes=100)
    assert not (tmp_path / "out").exists()


def test_output_folder_must_be_empty(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(DumpError, match="not empty"):
        convert_dump(write_dump(tmp_path / "d.sql"), out)
    assert (out / "keep.txt").exists()


def test_error_in_existing_empty_folder_keeps_folder_empty(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(DumpError):
        convert_dump(write_dump(tmp_path / "d.sql", trailer=False), out)
    assert out.exists() and not any(out.iterdir())


def test_gzip_of_bad_dump_reports_line(tmp_path):
    dump = tmp_path / "d.sql.gz"
    dump.write_bytes(gzip.compress(write_dump(tmp_path / "p.sql", ROWS.replace("-2.25)", "-2.25")).read_bytes()))
    error = convert_fails(dump, tmp_path / "out")
    assert error.table == "people" and error.line == line_of(tmp_path / "p.sql", "(3,")


def test_sql_mode_that_changes_values_is_refused_only_where_rows_are_read(tmp_path):
    routine_mode = (
        "/*!50003 SET @saved_sql_mode = @@sql_mode */ ;\n"
        "/*!50003 SET sql_mode = 'NO_BACKSLASH_ESCAPES,ANSI_QUOTES' */ ;\n"
        "/*!50003 SET sql_mode = @saved_sql_mode */ ;\n"
    )
    assert convert_dump(write_dump(tmp_path / "ok.sql", routine_mode + ROWS), tmp_path / "ok").tables["people"]
    dump = write_dump(tmp_path / "d.sql", "SET sql_mode = 'NO_BACKSLASH_ESCAPES';\n" + ROWS)
    error = convert_fails(dump, tmp_path / "out")
    assert "NO_BACKSLASH_ESCAPES" in error.reason and error.line == line_of(dump, "INSERT INTO")
