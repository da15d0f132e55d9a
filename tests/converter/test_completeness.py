"""Each generator's dump is confirmed whole by the signal that generator writes, and a dump cut at any
byte is refused with its file and line (gzip too); a dump with no signal needs the caller's consent."""

from __future__ import annotations

import gzip

import pytest

from elt_pipeline.converter import DumpError, convert_dump
from tests.converter.dumps import ROWS, write_dump
from tests.converter.generator_dumps import LOADABLE, MYSQL8_ONLY

FIXTURES = {**LOADABLE, **MYSQL8_ONLY}
SIGNALS = {
    "mysqldump-5.7": "'-- Dump completed' trailer",
    "mariadb-dump-11": "'-- Dump completed' trailer",
    "cloud-sql-mysql-8": "'-- Dump completed' trailer",
    "workbench-8": "'-- Dump completed' trailer",
    "mariadb-11.8-vector": "'-- Dump completed' trailer",
    "phpmyadmin": "closing statements",
    "phpmyadmin-bom": "closing statements",
    "adminer": "Adminer's closing '-- <date>' line",
}


def dump_bytes(name: str) -> bytes:
    return FIXTURES[name].text.encode("utf-8", "surrogateescape")


def refused(dump, out, **options) -> DumpError:
    with pytest.raises(DumpError) as caught:
        convert_dump(dump, out, **options)
    assert str(dump) in str(caught.value) and caught.value.line is not None
    assert not out.exists()
    return caught.value


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_whole_dump_names_its_signal(tmp_path, name):
    dump = tmp_path / "d.sql"
    dump.write_bytes(dump_bytes(name))
    assert SIGNALS[name] in convert_dump(dump, tmp_path / "plain").completeness
    packed = tmp_path / "d.sql.gz"
    packed.write_bytes(gzip.compress(dump_bytes(name)))
    completeness = convert_dump(packed, tmp_path / "packed").completeness
    assert SIGNALS[name] in completeness and "gzip trailer (CRC-32 and length)" in completeness


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_dump_cut_at_any_byte_is_refused(tmp_path, name):
    """Every byte of the last 400 (where the signals are) and every 7th byte before: all refused."""
    data = dump_bytes(name)
    cuts = sorted(set(range(0, len(data) - 400, 7)) | set(range(max(0, len(data) - 400), len(data))))
    dump, out = tmp_path / "cut.sql", tmp_path / "out"
    for cut in cuts:
        dump.write_bytes(data[:cut])
        with pytest.raises(DumpError) as caught:
            convert_dump(dump, out)
        assert str(dump) in str(caught.value) and caught.value.line is not None, (cut, caught.value)
        assert not out.exists()


@pytest.mark.parametrize("name", ["phpmyadmin", "adminer"])
def test_gzip_cut_at_any_byte_is_refused(tmp_path, name):
    """Generators without a trailer: the gzip trailer (CRC-32 and length) catches a cut of the file."""
    data = gzip.compress(dump_bytes(name))
    dump, out = tmp_path / "cut.sql.gz", tmp_path / "out"
    for cut in range(1, len(data)):
        dump.write_bytes(data[:cut])
        with pytest.raises(DumpError, match=r"gzip|truncated"):
            convert_dump(dump, out)


def test_dump_without_any_signal_converts_only_when_accepted(tmp_path):
    dump = tmp_path / "bare.sql"
    dump.write_text("CREATE TABLE `t` (`id` int);\nINSERT INTO `t` VALUES (1),(2);\n")  # e.g. mysqldump --compact
    error = refused(dump, tmp_path / "out")
    assert "no completeness signal" in error.reason and "accept_unconfirmed_end" in error.reason
    manifest = convert_dump(dump, tmp_path / "out", accept_unconfirmed_end=True)
    assert manifest.tables["t"].row_count == 2
    assert manifest.completeness.startswith("none (") and "cut at a statement boundary" in manifest.completeness
    assert manifest.generator is None


@pytest.mark.parametrize(
    ("name", "cut_before", "reason"),
    [
        ("mysqldump-5.7", "-- Dump completed", "no '-- Dump completed' trailer at the end (mysqldump writes one)"),
        ("phpmyadmin", "COMMIT;", "a COMMIT"),
        ("phpmyadmin", "--\n-- Table structure for table `visits`", "a restore of @old_character_set_client"),
        ("adminer", "-- 2024-01-15", "no closing '-- <date>' line"),
    ],
)
def test_missing_signal_of_its_generator_is_refused_even_when_accepting(tmp_path, name, cut_before, reason):
    data = dump_bytes(name)
    dump = tmp_path / "cut.sql"
    dump.write_bytes(data[: data.index(cut_before.encode())])
    error = refused(dump, tmp_path / "out", accept_unconfirmed_end=True)
    assert error.reason.startswith("truncated dump") and reason in error.reason


def test_trailer_is_only_a_signal_as_the_last_statement_whole(tmp_path):
    trailer_then_more = ROWS + "UNLOCK TABLES;\n-- Dump completed on 2026-11-22 21:14:51\nSELECT 1;\n"
    error = refused(write_dump(tmp_path / "a.sql", trailer_then_more, trailer=False), tmp_path / "out")
    assert "no '-- Dump completed' trailer" in error.reason
    cut_date = ROWS + "UNLOCK TABLES;\n-- Dump completed on 2026-11-22 21:1"
    assert "trailer" in refused(write_dump(tmp_path / "b.sql", cut_date, trailer=False), tmp_path / "out").reason
