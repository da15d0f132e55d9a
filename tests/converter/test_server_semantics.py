"""Statements that make the server drop, replace or ignore rows: the Parquet holds what MariaDB holds
after loading the same dump, or the conversion is refused where the server would stop too."""

from __future__ import annotations

import itertools

import pytest

from elt_pipeline.converter import DumpError, convert_dump
from tests.converter.oracle import compare_table

_DATABASES = itertools.count()

HEAD = """/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
"""
FOOT = """/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
"""

RECREATED = """DROP TABLE IF EXISTS `t`;
CREATE TABLE `t` (`id` int NOT NULL, `old` varchar(10), PRIMARY KEY (`id`));
INSERT INTO `t` VALUES (1,'gone'),(2,'gone');
DROP TABLE IF EXISTS `t`;
CREATE TABLE `t` (`id` int NOT NULL, `name` text, `n` decimal(5,2), PRIMARY KEY (`id`));
INSERT INTO `t` VALUES (1,'kept',1.50),(3,'kept',NULL);
CREATE TABLE IF NOT EXISTS `t` (`other` int);
INSERT INTO `t` VALUES (4,'after IF NOT EXISTS',2.00);
CREATE OR REPLACE TABLE `u` (`id` int NOT NULL PRIMARY KEY, `v` int);
INSERT INTO `u` VALUES (1,1);
CREATE OR REPLACE TABLE `u` (`id` int NOT NULL PRIMARY KEY, `w` varchar(5));
INSERT INTO `u` VALUES (2,'w');
CREATE TABLE `truncated` (`id` int NOT NULL PRIMARY KEY);
INSERT INTO `truncated` VALUES (1),(2);
TRUNCATE TABLE `truncated`;
INSERT INTO `truncated` VALUES (3);
"""

DUPLICATES = """CREATE TABLE `people` (
  `id` int NOT NULL,
  `email` varchar(40) NOT NULL,
  `code` varbinary(8) DEFAULT NULL,
  `note` text,
  PRIMARY KEY (`id`),
  UNIQUE KEY `email` (`email`),
  UNIQUE KEY `code` (`code`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
INSERT INTO `people` VALUES (1,'ann@x','a1','first'),(2,'bob@x',NULL,'first'),(3,'cy@x',NULL,'first');
INSERT IGNORE INTO `people` VALUES (1,'new@x',NULL,'ignored: id taken'),(4,'bob@x',NULL,'ignored: email taken'),
(5,'dee@x','a1','ignored: code taken'),(6,'eve@x',NULL,'kept'),(6,'fay@x',NULL,'ignored: id taken in this statement');
REPLACE INTO `people` VALUES (3,'ann@x','zz','replaces rows 1 and 3'),(7,'gil@x',NULL,'kept');
REPLACE INTO `people` VALUES (7,'gil@x',NULL,'replaces itself'),(8,'hal@x','zz','replaces 3 by code');
INSERT IGNORE INTO `people` VALUES (9,'ivy@x',NULL,'kept');
CREATE TABLE `plain` (`id` int NOT NULL, `v` int);
REPLACE INTO `plain` VALUES (1,1),(1,2);
INSERT IGNORE INTO `plain` VALUES (1,3);
ALTER TABLE `plain` ADD PRIMARY KEY (`id`, `v`);
"""


@pytest.fixture
def load(mariadb, tmp_path):
    """Write a dump, load it into a fresh MariaDB database; returns (dump path, database)."""

    def load(body: str, name: str = "dump.sql") -> tuple:
        database = f"semantics_{next(_DATABASES)}"
        dump = tmp_path / name
        dump.write_text(HEAD + body + FOOT)
        mariadb.execute(f"DROP DATABASE IF EXISTS {database}; CREATE DATABASE {database}")
        mariadb.import_file(dump, database)
        return dump, database

    return load


def test_recreated_and_truncated_tables_keep_what_the_server_keeps(load, mariadb, tmp_path):
    dump, database = load(RECREATED)
    out = tmp_path / "out"
    manifest = convert_dump(dump, out)
    assert {name: t.row_count for name, t in manifest.tables.items()} == {"t": 3, "u": 1, "truncated": 1}
    assert [c.name for c in manifest.tables["t"].columns] == ["id", "name", "n"]
    assert [c.name for c in manifest.tables["u"].columns] == ["id", "w"]
    for name, table in manifest.tables.items():
        assert compare_table(mariadb, database, name, out, table, "id") > 0
    assert sorted(p.name for p in (out / "t").iterdir()) == ["part-00000.parquet"]  # the dropped rows' file is gone


def test_replace_and_insert_ignore_keep_what_the_server_keeps(load, mariadb, tmp_path):
    dump, database = load(DUPLICATES)
    out = tmp_path / "out"
    manifest = convert_dump(dump, out)
    people = manifest.tables["people"]
    assert compare_table(mariadb, database, "people", out, people, "id") == 5 * 4
    assert people.row_count == 5 and people.duplicates_dropped == 8  # 4 ignored, 4 replaced
    assert compare_table(mariadb, database, "plain", out, manifest.tables["plain"], "v") == 3 * 2


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("CREATE TABLE `t` (`id` int);\nCREATE TABLE `t` (`id` int);\n", "already exists"),
        ("DROP TABLE `missing`;\n", "does not exist"),
        (
            "CREATE TABLE `t` (`id` int PRIMARY KEY);\nINSERT INTO `t` VALUES (1);\nREPLACE INTO `t` VALUES (2);\n"
            "INSERT INTO `t` VALUES (2);\n",
            "duplicate key in a plain INSERT",
        ),
        (
            "CREATE TABLE `t` (`id` int);\nINSERT IGNORE INTO `t` VALUES (1),(1);\n"
            "ALTER TABLE `t` ADD UNIQUE KEY (`id`);\n",
            "the server's ALTER would fail",
        ),
    ],
    ids=["create-existing", "drop-missing", "plain-duplicate", "late-key-repeats"],
)
def test_what_stops_the_server_is_refused(load, tmp_path, body, reason):
    with pytest.raises(RuntimeError):  # the server stops too
        load(body)
    with pytest.raises(DumpError, match=reason) as caught:
        convert_dump(tmp_path / "dump.sql", tmp_path / "out")
    assert caught.value.line is not None and not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            "CREATE TABLE `t` (`id` int NOT NULL, `e` varchar(9), UNIQUE KEY (`e`)) DEFAULT CHARSET=utf8mb4;\n"
            "REPLACE INTO `t` VALUES (1,'Ann'),(2,'ann');\n",
            "repeats only under the collation",
        ),
        (
            "CREATE TABLE `t` (`id` int NOT NULL, `v` int);\nINSERT INTO `t` VALUES (1,1);\nUPDATE `t` SET `v` = 2;\n",
            "UPDATE statement",
        ),
        ("CREATE TABLE `t` (`id` int);\nINSERT INTO `t` VALUES (1);\nALTER TABLE `t` ADD `x` int;\n", "columns"),
        (
            "CREATE TABLE `t` (`id` int);\n"
            "CREATE TRIGGER `double` BEFORE INSERT ON `t` FOR EACH ROW SET NEW.id = NEW.id * 2;\n"
            "INSERT INTO `t` VALUES (1);\n",
            "a trigger on this table comes before its rows",
        ),
    ],
    ids=["collation-duplicate", "update", "alter-add-column", "trigger-before-rows"],
)
def test_what_cannot_be_followed_is_refused(load, tmp_path, body, reason):
    dump, _ = load(body)  # the server loads these; the converter cannot tell what it keeps
    with pytest.raises(DumpError, match=reason) as caught:
        convert_dump(dump, tmp_path / "out")
    assert caught.value.line is not None and not (tmp_path / "out").exists()
