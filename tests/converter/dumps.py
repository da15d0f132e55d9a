"""Small hand-written dumps in mysqldump's shape, for error and edge-case tests."""

from __future__ import annotations

import gzip
from pathlib import Path

HEADER = """/*M!999999\\- enable the sandbox mode */
-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;

CREATE TABLE `people` (
  `id` int(10) unsigned NOT NULL,
  `name` varchar(40) DEFAULT NULL,
  `born` date DEFAULT NULL,
  `score` decimal(6,2) DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

LOCK TABLES `people` WRITE;
"""
ROWS = """INSERT INTO `people` VALUES (1,'Ann','1990-01-02',1.50),
(2,'Bob',NULL,-2.25),
(3,'C\\'s \\\\ ;),(',  '0000-00-00',NULL);
"""
TRAILER = """UNLOCK TABLES;

-- Dump completed on 2026-11-22 21:14:51
"""


def write_dump(path: Path, body: str | bytes = ROWS, *, trailer: bool = True, compress: bool = False) -> Path:
    data = HEADER.encode() + (body.encode() if isinstance(body, str) else body)
    if trailer:
        data += TRAILER.encode()
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def line_of(path: Path, needle: str) -> int:
    """1-based line number of the first line containing `needle` in a plain dump."""
    for number, line in enumerate(path.read_bytes().split(b"\n"), start=1):
        if needle.encode() in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")
