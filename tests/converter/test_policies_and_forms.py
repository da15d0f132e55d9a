"""Column policies, qualified names, and dump forms MariaDB does not write (MySQL 8 mysqldump)."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pyarrow.parquet as pq
import pytest

from elt_pipeline.converter import DumpError, convert_dump
from elt_pipeline.lib.pipeline_config import ColumnPolicy
from tests.converter.dumps import ROWS, write_dump

OTHER = """CREATE TABLE `other` (`id` int NOT NULL, `x` text);
INSERT INTO `other` VALUES (1,'skipped but ''validated'';'),(2,NULL);
"""

MYSQL8 = r"""-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)
--
-- Host: localhost    Database: shop
-- ------------------------------------------------------
-- Server version	8.0.36

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!50503 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
SET @MYSQLDUMP_TEMP_LOG_BIN = @@SESSION.SQL_LOG_BIN;
SET @@SESSION.SQL_LOG_BIN= 0;
SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ '3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5';

DROP TABLE IF EXISTS `blobs`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!50503 SET character_set_client = utf8mb4 */;
CREATE TABLE `blobs` (
  `id` int NOT NULL,
  `data` varbinary(16) DEFAULT NULL,
  `flag` bit(3) DEFAULT NULL,
  `amount` decimal(10,2) DEFAULT NULL,
  `my_row_id` bigint unsigned NOT NULL AUTO_INCREMENT /*!80023 INVISIBLE */,
  `doc` json DEFAULT NULL,
  `g` int GENERATED ALWAYS AS ((`id` * 2)) VIRTUAL,
  `t` timestamp(3) NULL DEFAULT NULL,
  PRIMARY KEY (`my_row_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

LOCK TABLES `blobs` WRITE;
/*!40000 ALTER TABLE `blobs` DISABLE KEYS */;
INSERT INTO `blobs` (`id`, `data`, `flag`, `amount`, `my_row_id`, `doc`, `t`) VALUES (1,_binary 'a\0b\'',_binary '\0',1.50,1,'{\"a\": \"\\u00e9\"}','2024-01-02 03:04:05.678'),(2,0x00FF,b'101',/*!50000 -2.00 */,2,NULL,NULL),(3, /* c */ X'CAFE' , 0b11 ,NULL,3,'[]','0000-00-00 00:00:00.000');
/*!40000 ALTER TABLE `blobs` ENABLE KEYS */;
UNLOCK TABLES;
SET @@SESSION.SQL_LOG_BIN = @MYSQLDUMP_TEMP_LOG_BIN;
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

-- Dump completed on 2024-01-01 10:00:00
"""


def rows(out, manifest, table):
    return pq.ParquetDataset([str(out / f) for f in manifest.tables[table].files]).read().to_pylist()


def test_policy_selects_tables_and_hashes_columns(tmp_path):
    dump = write_dump(tmp_path / "d.sql", ROWS + OTHER)
    policy = ColumnPolicy(include=("id",), exclude=("born",), hash=("name", "score"))
    out = tmp_path / "out"
    manifest = convert_dump(dump, out, policies={"people": policy}, hash_salt="pepper")
    assert set(manifest.tables) == {"people"} and not (out / "other").exists()
    table = manifest.tables["people"]
    assert [c.name for c in table.columns] == ["id", "name", "score"]
    assert table.excluded_columns == ["born"]
    assert [c.hashed for c in table.columns] == [False, True, True]
    assert [c.arrow_type for c in table.columns] == ["uint32", "string", "string"]

    def digest(text: str) -> str:
        return hashlib.sha256(b"pepper" + text.encode()).hexdigest()

    assert rows(out, manifest, "people") == [
        {"id": 1, "name": digest("Ann"), "score": digest("1.50")},
        {"id": 2, "name": digest("Bob"), "score": digest("-2.25")},
        {"id": 3, "name": digest("C's \\ ;),("), "score": None},
    ]


@pytest.mark.parametrize(
    ("new_columns", "kept", "hashed", "unlisted"),
    [
        ("exclude", ["id", "name"], [False, True], {"born": "excluded", "score": "excluded"}),
        ("hash", ["id", "name", "born", "score"], [False, True, True, True], {"born": "hashed", "score": "hashed"}),
        (
            "include",
            ["id", "name", "born", "score"],
            [False, True, False, False],
            {"born": "in clear", "score": "in clear"},
        ),
    ],
)
def test_columns_the_policy_does_not_list_follow_new_columns(tmp_path, new_columns, kept, hashed, unlisted):
    dump = write_dump(tmp_path / "d.sql", ROWS)
    policy = ColumnPolicy(include=("id",), hash=("name",), new_columns=new_columns)
    manifest = convert_dump(dump, tmp_path / "out", policies={"people": policy}, hash_salt="pepper")
    table = manifest.tables["people"]
    assert [c.name for c in table.columns] == kept and [c.hashed for c in table.columns] == hashed
    assert table.unlisted_columns == unlisted
    assert list(rows(tmp_path / "out", manifest, "people")[0]) == kept


def test_an_included_column_the_dump_lacks_is_no_error(tmp_path):
    dump = write_dump(tmp_path / "d.sql", ROWS)
    policy = ColumnPolicy(include=("id", "name", "dropped_since"), exclude=("born",), hash=("score",))
    manifest = convert_dump(dump, tmp_path / "out", policies={"people": policy})
    assert [c.name for c in manifest.tables["people"].columns] == ["id", "name", "score"]


def test_the_default_for_a_policy_without_an_include_list_is_refused():
    with pytest.raises(ValueError, match="`include` must list the columns replicated"):
        ColumnPolicy(hash=("email",))
    assert ColumnPolicy(hash=("email",), new_columns="include").keeps("phone")
    assert not ColumnPolicy(include=("id",)).keeps("phone")  # include alone: the default is exclude
    assert ColumnPolicy().new_columns_policy == "include"  # no policy: every column, as dumped


def test_policy_include_list_and_missing_table(tmp_path):
    dump = write_dump(tmp_path / "d.sql", ROWS + OTHER)
    policies = {"other": ColumnPolicy(include=("x",)), "absent": ColumnPolicy()}
    manifest = convert_dump(dump, tmp_path / "out", policies=policies)
    assert [c.name for c in manifest.tables["other"].columns] == ["x"]
    assert manifest.extra["missing_tables"] == ["absent"]


def test_policy_naming_unknown_column_fails(tmp_path):
    dump = write_dump(tmp_path / "d.sql")
    with pytest.raises(DumpError, match="not in the table") as caught:
        convert_dump(dump, tmp_path / "out", policies={"people": ColumnPolicy(hash=("nope",), new_columns="include")})
    assert caught.value.table == "people"


def test_qualified_names_match_bare_table_name(tmp_path):
    body = ROWS.replace("INSERT INTO `people`", "INSERT INTO `shop`.`people`").replace("(1,'Ann'", "(1,'Ann'")
    dump = write_dump(tmp_path / "d.sql", body)
    text = dump.read_text().replace("CREATE TABLE `people`", "CREATE TABLE `shop`.`people`")
    dump.write_text(text)
    manifest = convert_dump(dump, tmp_path / "out", policies={"people": ColumnPolicy()})
    assert manifest.tables["people"].row_count == 3


def test_same_table_in_two_databases_is_refused(tmp_path):
    dump = write_dump(tmp_path / "d.sql")
    text = dump.read_text()
    create = text[text.index("CREATE TABLE") : text.index("LOCK TABLES")]
    dump.write_text(text.replace("LOCK TABLES", "USE `other_db`;\n" + create + "LOCK TABLES", 1))
    with pytest.raises(DumpError, match="declared twice"):
        convert_dump(dump, tmp_path / "out")


def test_mysql8_mysqldump_forms(tmp_path):
    dump = tmp_path / "mysql8.sql"
    dump.write_text(MYSQL8)
    out = tmp_path / "out"
    manifest = convert_dump(dump, out)
    table = manifest.tables["blobs"]
    assert table.omitted_columns == ["g"]  # MySQL's mysqldump leaves generated columns out
    assert [c.arrow_type for c in table.columns] == [
        "int32",
        "binary",
        "uint64",
        "decimal128(10, 2)",
        "uint64",
        "string",
        "timestamp[us, tz=UTC]",
    ]
    data = rows(out, manifest, "blobs")
    assert [(r["data"], r["flag"], r["amount"], r["doc"]) for r in data] == [
        (b"a\0b'", 0, Decimal("1.50"), '{"a": "\\u00e9"}'),
        (b"\x00\xff", 5, Decimal("-2.00"), None),
        (b"\xca\xfe", 3, None, "[]"),
    ]
    assert data[0]["t"].isoformat() == "2024-01-02T03:04:05.678000+00:00" and data[2]["t"] is None
    assert table.columns[-1].zero_dates_nulled == 1


def test_escapes_and_sql_lookalikes(tmp_path):
    body = (
        r"INSERT INTO `people` VALUES (1,'\0\'\"\b\n\r\t\Z\\\%\_''x',NULL,NULL),"
        "(2,'''),(''',NULL,NULL),(3,\"dq \"\" \\\" s\",NULL,NULL),(4,_utf8mb4'é',NULL,NULL);\n"
    )
    dump = write_dump(tmp_path / "d.sql", body)
    manifest = convert_dump(dump, tmp_path / "out")
    names = [r["name"] for r in rows(tmp_path / "out", manifest, "people")]
    assert names == ["\0'\"\b\n\r\t\x1a\\\\%\\_'x", "'),('", 'dq " " s', "é"]


def test_gzip_detected_by_magic_bytes_and_multi_member(tmp_path):
    import gzip

    plain = write_dump(tmp_path / "plain.sql.gz")  # plain text despite the name
    assert convert_dump(plain, tmp_path / "out1").tables["people"].row_count == 3
    data = plain.read_bytes()
    two_members = tmp_path / "dump.bin"
    two_members.write_bytes(gzip.compress(data[:500]) + gzip.compress(data[500:]))
    manifest = convert_dump(two_members, tmp_path / "out2", dump_uri="gs://bucket/x.sql.gz")
    assert manifest.tables["people"].row_count == 3
    assert manifest.dump_uri == "gs://bucket/x.sql.gz"
    assert manifest.dump_sha256 == hashlib.sha256(two_members.read_bytes()).hexdigest()
    assert manifest.dump_bytes == two_members.stat().st_size
