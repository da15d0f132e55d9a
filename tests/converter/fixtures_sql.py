"""SQL for the differential tests: every column type with hostile values, in two databases."""

from __future__ import annotations

import random

DB = "conv_diff"
DB2 = "conv_diff_b"

# (column, type) of `all_types`; `id` is the primary key.
TYPED_COLUMNS = [
    ("ti", "tinyint"),
    ("tiu", "tinyint unsigned"),
    ("b1", "tinyint(1)"),
    ("si", "smallint"),
    ("siu", "smallint unsigned"),
    ("mi", "mediumint"),
    ("miu", "mediumint unsigned"),
    ("i", "int"),
    ("iu", "int unsigned"),
    ("bi", "bigint"),
    ("biu", "bigint unsigned"),
    ("d52", "decimal(5,2)"),
    ("d6530", "decimal(65,30)"),
    ("d3810", "decimal(38,10)"),
    ("d200", "decimal(20,0)"),
    ("f", "float"),
    ("db", "double"),
    ("dt", "date"),
    ("dtm", "datetime"),
    ("dtm3", "datetime(3)"),
    ("dtm6", "datetime(6)"),
    ("ts", "timestamp NULL DEFAULT NULL"),
    ("ts6", "timestamp(6) NULL DEFAULT NULL"),
    ("tm", "time"),
    ("tm6", "time(6)"),
    ("yr", "year"),
    ("c", "char(10)"),
    ("vc", "varchar(255)"),
    ("tx", "text"),
    ("ltx", "longtext"),
    ("lat", "varchar(50) CHARACTER SET latin1"),
    ("u3", "varchar(50) CHARACTER SET utf8mb3"),
    ("bn", "binary(4)"),
    ("vb", "varbinary(300)"),
    ("bl", "blob"),
    ("lb", "longblob"),
    ("bt1", "bit(1)"),
    ("bt10", "bit(10)"),
    ("bt64", "bit(64)"),
    ("en", "enum('a','b','x''y','),(','')"),
    ("st", "set('r','g','b')"),
    ("js", "json"),
    ("geo", "geometry"),
    ("pt", "point"),
]

HOSTILE = [
    "'),('",
    "\\",
    "\\\\",
    "'",
    "''",
    '"',
    "\\'",
    "a\0b",
    "\b\n\r\t\x1a",
    "%_\\%\\_",
    "*/",
    "/*!50000 x */",
    ";",
    ";;",
    "-- c",
    "# c",
    "NULL",
    "null",
    "😀 ünïcödé 中文",
    "\u2028\u00a0",
    " trailing ",
    "",
]

BYTES_ALL = bytes(range(256))

ROWS = [
    # minima / low edges
    """(1, -128, 0, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0,
       -999.99, -99999999999999999999999999999999999.999999999999999999999999999999,
       -9999999999999999999999999999.9999999999, -99999999999999999999,
       -3.40282e38, -1.7976931348623157e308,
       '1000-01-01', '1000-01-01 00:00:00', '1000-01-01 00:00:00.001', '1000-01-01 00:00:00.000001',
       '1970-01-01 00:00:01', '1970-01-01 00:00:01.000001',
       '-838:59:59', '-838:59:59.000000', 1901,
       '', '', '', '', '', '', x'00000000', '', '', '',
       b'0', b'0000000000', b'0', 'a', '', '{}', ST_GeomFromText('POINT(0 0)'), ST_GeomFromText('POINT(-1.5 2.25)'))""",
    # maxima / high edges
    """(2, 127, 255, 1, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295, 9223372036854775807,
       18446744073709551615,
       999.99, 99999999999999999999999999999999999.999999999999999999999999999999,
       9999999999999999999999999999.9999999999, 99999999999999999999,
       3.40282e38, 1.7976931348623157e308,
       '9999-12-31', '9999-12-31 23:59:59', '9999-12-31 23:59:59.999', '9999-12-31 23:59:59.999999',
       '2038-01-19 03:14:07', '2038-01-19 03:14:07.999999',
       '838:59:59', '838:59:59.000000', 2155,
       'abcdefghij', REPEAT('x', 255), REPEAT('long text ', 1000), REPEAT('😀', 50000),
       'café ÿ Ø', 'ünïcödé', x'FFFFFFFF', {bytes_all}, {bytes_all}, REPEAT({bytes_all}, 300),
       b'1', b'1111111111', b'1111111111111111111111111111111111111111111111111111111111111111',
       'x''y', 'r,g,b', '{"a": "x\\\\"y", "b": [1, 2.5, null], "c": "😀"}',
       ST_GeomFromText('POLYGON((0 0,10 0,10 10,0 10,0 0),(1 1,2 1,2 2,1 1))', 4326),
       ST_GeomFromText('POINT(1e300 -1e-300)'))""",
    # all NULL
    "(3" + ", NULL" * len(TYPED_COLUMNS) + ")",
    # zero dates, zero / small values, fractions
    """(4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.000000000000000000000000000001, -0.0000000001, 0,
       1.4013e-45, 4.9406564584124654e-324,
       '0000-00-00', '0000-00-00 00:00:00', '2020-00-15 10:00:00.5', '2020-02-00 00:00:00',
       '0000-00-00 00:00:00', '2024-02-29 12:34:56.5',
       '-00:00:01', '-00:00:00.000001', 0,
       ' ', 'NULL', 'null', '\\\\N', 'Ã©', 'x', x'00', x'00', x'', x'',
       b'1', b'0000000001', b'1000000000000000000000000000000000000000000000000000000000000000',
       '', '', '[]', ST_GeomFromText('LINESTRING(0 0,1 1,2 2)'), ST_GeomFromText('POINT(0 0)'))""",
    # ordinary values
    """(5, -1, 1, 1, -1, 1, -1, 1, -1, 1, -1, 9223372036854775808, 1.5, 3.141592653589793238462643383279,
       0.5, 12345678901234567890, 0.1, 0.1, '2006-02-15', '2006-02-15 04:34:33', '2006-02-15 04:34:33.123',
       '2006-02-15 04:34:33.100000', '2006-02-15 04:34:33', '2006-02-15 04:34:33.000100',
       '25:00:00', '-100:00:00.5', 1999, 'ab', 'tab\\there', 'line\\nbreak', 'x', 'naïve', 'ok', 'abcd', 'abc',
       'abc', 'abc', b'1', b'101', b'101', 'b', 'g', '{"k": 1}', NULL, NULL)""",
]


def _hostile_rows(start: int) -> list[str]:
    """One row per hostile string, in every text and binary column."""
    rows = []
    for offset, value in enumerate(HOSTILE):
        literal = sql_string(value)
        cells = []
        for name, _kind in TYPED_COLUMNS:
            if name in ("vc", "tx", "ltx", "u3", "vb", "bl", "lb"):
                cells.append(literal)
            elif name == "c":
                cells.append(sql_string(value[:10]))
            else:
                cells.append("NULL")
        rows.append(f"({start + offset}, {', '.join(cells)})")
    return rows


def sql_string(value: str) -> str:
    """A MySQL string literal for `value` (backslash escapes)."""
    escaped = (
        value.replace("\\", "\\\\")
        .replace("'", "\\'")
        .replace("\0", "\\0")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\x1a", "\\Z")
    )
    return f"'{escaped}'"


def _bulk_rows(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    rows = []
    for row in range(count):
        text = "".join(rng.choice("abc'\\\"\n,()é😀;") for _ in range(rng.randint(0, 40)))
        blob = bytes(rng.randrange(256) for _ in range(rng.randint(0, 30)))
        amount = f"{rng.randint(-(10**9), 10**9)}.{rng.randint(0, 99):02d}"
        stamp = f"20{rng.randint(0, 37):02d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} 01:02:03"
        rows.append(
            f"({row}, {sql_string(text)}, x'{blob.hex()}', {amount}, '{stamp}', "
            f"{rng.choice(['NULL', str(rng.randint(-(2**63), 2**63 - 1))])})"
        )
    return rows


def setup_sql() -> str:
    columns = ",\n  ".join(f"`{name}` {kind}" for name, kind in TYPED_COLUMNS)
    names = ", ".join(f"`{name}`" for name, _ in TYPED_COLUMNS)
    rows = [row.replace("{bytes_all}", f"x'{BYTES_ALL.hex()}'") for row in ROWS] + _hostile_rows(100)
    return f"""
SET SESSION sql_mode = '';
SET time_zone = '+00:00';
DROP DATABASE IF EXISTS {DB};
DROP DATABASE IF EXISTS {DB2};
CREATE DATABASE {DB} CHARACTER SET utf8mb4;
CREATE DATABASE {DB2} CHARACTER SET latin1;
USE {DB};
CREATE TABLE all_types (
  `id` int NOT NULL PRIMARY KEY,
  {columns}
) ENGINE=InnoDB;
INSERT INTO all_types (`id`, {names}) VALUES
{("," + chr(10)).join(rows)};

SET SESSION sql_mode = 'ALLOW_INVALID_DATES';
INSERT INTO all_types (`id`, `dt`, `dtm`, `dtm6`) VALUES (6, '2021-02-31', '2021-04-31 10:00:00', '2023-02-29 00:00:00.5');
SET SESSION sql_mode = '';

CREATE TABLE `we``ird tab` (`sel ect` int NOT NULL PRIMARY KEY, `from` varchar(5), `a"b` int, `ü` text)
  CHARACTER SET utf8mb3 COMMENT 'it''s; (odd)';
INSERT INTO `we``ird tab` VALUES (1, 'x', 2, 'ü'), (2, NULL, NULL, NULL);

CREATE TABLE generated (
  id int NOT NULL PRIMARY KEY,
  a int,
  twice int AS (a * 2) VIRTUAL,
  label varchar(20) AS (concat('a=', a)) PERSISTENT,
  secret int INVISIBLE DEFAULT 7,
  KEY (a)
);
INSERT INTO generated (id, a, secret) VALUES (1, 10, 1), (2, NULL, NULL), (3, -5, 3);

CREATE TABLE odd_numbers (id serial, izf int(8) unsigned zerofill, dzf decimal(8,2) zerofill,
                          f73 float(7,3), d104 double(10,4), flag bool, big float(30));
INSERT INTO odd_numbers (izf, dzf, f73, d104, flag, big) VALUES
  (42, 12.5, 1234.567, -123456.7891, true, 1.0000001), (0, 0, -0.001, 0, false, -1e300), (NULL, NULL, NULL, NULL, NULL, NULL);

CREATE TABLE empty_table (id bigint unsigned NOT NULL, note text, at datetime(6));

CREATE TABLE net (id int NOT NULL PRIMARY KEY, a inet4, b inet6, u uuid,
                  s varchar(20) COLLATE utf8mb4_uca1400_ai_ci, UNIQUE KEY (u));
INSERT INTO net VALUES (1, '1.2.3.4', '::1', '123e4567-e89b-12d3-a456-426655440000', 'Ärger'),
  (2, NULL, '2001:db8::ff00:42:8329', NULL, NULL), (3, '0.0.0.0', '::ffff:1.2.3.4', '00000000-0000-0000-0000-000000000000', ''),
  (4, '255.255.255.255', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'ß');

CREATE TABLE versioned (id int NOT NULL PRIMARY KEY, v varchar(10)) WITH SYSTEM VERSIONING;
INSERT INTO versioned VALUES (1, 'a'), (2, 'b');
UPDATE versioned SET v = 'c' WHERE id = 1;
DELETE FROM versioned WHERE id = 2;

CREATE TABLE bulk (id int NOT NULL PRIMARY KEY, txt varchar(200), raw varbinary(64),
                   amount decimal(12,2), at timestamp NULL, big bigint);
INSERT INTO bulk VALUES {",".join(_bulk_rows(3000))};

CREATE VIEW all_types_view AS SELECT id, vc FROM all_types;
CREATE TRIGGER bulk_guard BEFORE INSERT ON bulk FOR EACH ROW SET NEW.txt = concat(NEW.txt, ';;');
DELIMITER ;;
CREATE PROCEDURE noisy(IN x int)
BEGIN
  SELECT 'a;b'';'';;' AS s; SELECT x;
  INSERT INTO bulk (id) VALUES (x);
END;;
DELIMITER ;

CREATE SEQUENCE order_numbers START WITH 100 INCREMENT BY 10;

USE {DB2};
CREATE TABLE latin_only (id int NOT NULL PRIMARY KEY, name varchar(40), price decimal(8,3));
INSERT INTO latin_only VALUES (1, 'Gruß Gott, café', 1.5), (2, 'déjà vu', -0.001), (3, NULL, NULL);
CREATE VIEW latin_view AS SELECT name FROM latin_only;
"""
