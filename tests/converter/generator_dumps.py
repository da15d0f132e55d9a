# ruff: noqa: E501, W291  (verbatim dumps: long lines and trailing blanks as the tools write them)
"""Dumps in the exact format of each tool that writes them (header, statements, value quoting, footer).

Written by hand from each tool's output and source (mysqldump/mariadb-dump client code, phpMyAdmin's
ExportSql, Adminer's dump.inc.php and adminer.inc.php). The `LOADABLE` ones MariaDB 10.11 loads:
tests load them and compare (the server is the oracle). The `MYSQL8_ONLY` ones use what only MySQL 8
loads (utf8mb4_0900 collations, GTID_PURGED, VECTOR of MariaDB 11.7+): tests compare them with
values written by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class GeneratorDump:
    text: str
    database: str  # the database the dump's tables belong to (created before loading it)
    generator: str  # the start of the manifest's `generator`
    keys: dict[str, str | tuple[str, ...]]  # table -> the column(s) to sort by when comparing
    skipped: set[tuple[str, str]] = field(default_factory=set)  # (kind, name) of the objects it skips
    history: set[str] = field(default_factory=set)  # system-versioned tables dumped with their history


MYSQLDUMP_57 = GeneratorDump(
    database="gen_mysql57",
    generator="mysqldump 10.13  Distrib 5.7.44",
    keys={"customers": "id", "orders": "id"},
    skipped={("view", "paid_orders"), ("trigger", "customers_bi"), ("procedure", "touch")},
    text="""-- MySQL dump 10.13  Distrib 5.7.44, for Linux (x86_64)
--
-- Host: localhost    Database: gen_mysql57
-- ------------------------------------------------------
-- Server version	5.7.44-log

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
/*!40101 SET NAMES utf8 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;

--
-- Table structure for table `customers`
--

DROP TABLE IF EXISTS `customers`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8 */;
CREATE TABLE `customers` (
  `id` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `name` varchar(100) NOT NULL,
  `email` varchar(255) DEFAULT NULL,
  `balance` decimal(12,2) NOT NULL DEFAULT '0.00',
  `joined` datetime DEFAULT NULL,
  `seen` timestamp NULL DEFAULT NULL,
  `prefs` json DEFAULT NULL,
  `avatar` blob,
  PRIMARY KEY (`id`),
  UNIQUE KEY `email` (`email`)
) ENGINE=InnoDB AUTO_INCREMENT=4 DEFAULT CHARSET=utf8;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `customers`
--

LOCK TABLES `customers` WRITE;
/*!40000 ALTER TABLE `customers` DISABLE KEYS */;
INSERT INTO `customers` VALUES (1,'Ann O\\'Neil','ann@example.com',10.50,'2019-03-01 10:00:00','2019-03-01 10:00:00','{\\"lang\\": \\"en\\"}','\\0\\0\\0PNG\\r\\n\\Z'),(2,'Bjørn','bjorn@example.com',-3.25,'0000-00-00 00:00:00',NULL,NULL,NULL),(3,'Zoë \\"Z\\" \\\\ ;),(',NULL,0.00,NULL,'2038-01-19 03:14:07','[1, 2]','');
/*!40000 ALTER TABLE `customers` ENABLE KEYS */;
UNLOCK TABLES;
/*!50003 SET @saved_cs_client      = @@character_set_client */ ;
/*!50003 SET @saved_cs_results     = @@character_set_results */ ;
/*!50003 SET @saved_col_connection = @@collation_connection */ ;
/*!50003 SET character_set_client  = utf8 */ ;
/*!50003 SET character_set_results = utf8 */ ;
/*!50003 SET collation_connection  = utf8_general_ci */ ;
/*!50003 SET @saved_sql_mode       = @@sql_mode */ ;
/*!50003 SET sql_mode              = 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION' */ ;
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER `customers_bi` BEFORE INSERT ON `customers` FOR EACH ROW SET NEW.name = TRIM(NEW.name) */;;
DELIMITER ;
/*!50003 SET sql_mode              = @saved_sql_mode */ ;
/*!50003 SET character_set_client  = @saved_cs_client */ ;
/*!50003 SET character_set_results = @saved_cs_results */ ;
/*!50003 SET collation_connection  = @saved_col_connection */ ;

--
-- Table structure for table `orders`
--

DROP TABLE IF EXISTS `orders`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8 */;
CREATE TABLE `orders` (
  `id` int(11) NOT NULL,
  `customer_id` int(10) unsigned NOT NULL,
  `qty` smallint(6) NOT NULL,
  `price` decimal(8,2) NOT NULL,
  `total` decimal(10,2) GENERATED ALWAYS AS ((`qty` * `price`)) VIRTUAL,
  `status` enum('new','paid','void') NOT NULL DEFAULT 'new',
  `placed` date NOT NULL,
  `flags` set('gift','rush') DEFAULT NULL,
  `spent` time DEFAULT NULL,
  `made` year(4) DEFAULT NULL,
  `done` bit(1) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `customer_id` (`customer_id`),
  CONSTRAINT `orders_ibfk_1` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `orders`
--

LOCK TABLES `orders` WRITE;
/*!40000 ALTER TABLE `orders` DISABLE KEYS */;
INSERT INTO `orders` (`id`, `customer_id`, `qty`, `price`, `status`, `placed`, `flags`, `spent`, `made`, `done`) VALUES (1,1,2,9.99,'paid','2019-03-02','gift,rush','-01:30:00',2019,'\x01'),(2,2,1,0.50,'new','2019-04-01',NULL,'838:59:59',NULL,'\\0'),(3,1,10,100.00,'void','2020-02-29','',NULL,2155,NULL);
/*!40000 ALTER TABLE `orders` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Temporary table structure for view `paid_orders`
--

DROP TABLE IF EXISTS `paid_orders`;
/*!50001 DROP VIEW IF EXISTS `paid_orders`*/;
SET @saved_cs_client     = @@character_set_client;
SET character_set_client = utf8;
/*!50001 CREATE TABLE `paid_orders` (
  `id` tinyint NOT NULL,
  `qty` tinyint NOT NULL
) ENGINE=MyISAM */;
SET character_set_client = @saved_cs_client;

--
-- Dumping routines for database 'gen_mysql57'
--
/*!50003 DROP PROCEDURE IF EXISTS `touch` */;
/*!50003 SET @saved_cs_client      = @@character_set_client */ ;
/*!50003 SET @saved_cs_results     = @@character_set_results */ ;
/*!50003 SET @saved_col_connection = @@collation_connection */ ;
/*!50003 SET character_set_client  = utf8 */ ;
/*!50003 SET character_set_results = utf8 */ ;
/*!50003 SET collation_connection  = utf8_general_ci */ ;
/*!50003 SET @saved_sql_mode       = @@sql_mode */ ;
/*!50003 SET sql_mode              = 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION' */ ;
DELIMITER ;;
CREATE DEFINER=`root`@`localhost` PROCEDURE `touch`(IN p_id INT)
BEGIN
  UPDATE customers SET seen = NOW() WHERE id = p_id;
END ;;
DELIMITER ;
/*!50003 SET sql_mode              = @saved_sql_mode */ ;
/*!50003 SET character_set_client  = @saved_cs_client */ ;
/*!50003 SET character_set_results = @saved_cs_results */ ;
/*!50003 SET collation_connection  = @saved_col_connection */ ;

--
-- Final view structure for view `paid_orders`
--

/*!50001 DROP TABLE IF EXISTS `paid_orders`*/;
/*!50001 DROP VIEW IF EXISTS `paid_orders`*/;
/*!50001 SET @saved_cs_client          = @@character_set_client */;
/*!50001 SET @saved_cs_results         = @@character_set_results */;
/*!50001 SET @saved_col_connection     = @@collation_connection */;
/*!50001 SET character_set_client      = utf8 */;
/*!50001 SET character_set_results     = utf8 */;
/*!50001 SET collation_connection      = utf8_general_ci */;
/*!50001 CREATE ALGORITHM=UNDEFINED */
/*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */
/*!50001 VIEW `paid_orders` AS select `orders`.`id` AS `id`,`orders`.`qty` AS `qty` from `orders` where (`orders`.`status` = 'paid') */;
/*!50001 SET character_set_client      = @saved_cs_client */;
/*!50001 SET character_set_results     = @saved_cs_results */;
/*!50001 SET collation_connection      = @saved_col_connection */;
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;

-- Dump completed on 2024-03-14 17:46:54
""",
)

MARIADB_DUMP_11 = GeneratorDump(
    database="gen_mariadb11",
    generator="mariadb-dump 10.19-11.4.7-MariaDB",
    keys={"devices": "label", "prices": ("sku", "row_end")},
    skipped={("sequence", "ticket_seq")},
    history={"prices"},
    text="""/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19-11.4.7-MariaDB, for debian-linux-gnu (x86_64)
--
-- Host: localhost    Database: gen_mariadb11
-- ------------------------------------------------------
-- Server version	11.4.7-MariaDB-ubu2404

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
/*M!100616 SET @OLD_NOTE_VERBOSITY=@@NOTE_VERBOSITY, NOTE_VERBOSITY=0 */;

--
-- Sequence structure for `ticket_seq`
--

DROP SEQUENCE IF EXISTS `ticket_seq`;
CREATE SEQUENCE `ticket_seq` start with 1000 minvalue 1 maxvalue 9223372036854775806 increment by 1 cache 1000 nocycle ENGINE=InnoDB;
DO SETVAL(`ticket_seq`, 1041, 0);

--
-- Table structure for table `devices`
--

DROP TABLE IF EXISTS `devices`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `devices` (
  `id` uuid NOT NULL,
  `ip4` inet4 DEFAULT NULL,
  `ip6` inet6 DEFAULT NULL,
  `label` varchar(50) NOT NULL,
  `spot` point DEFAULT NULL,
  `meta` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`meta`)),
  `seen` datetime(6) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `label` (`label`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `devices`
--

SET @OLD_AUTOCOMMIT=@@AUTOCOMMIT, @@AUTOCOMMIT=0;
LOCK TABLES `devices` WRITE;
/*!40000 ALTER TABLE `devices` DISABLE KEYS */;
INSERT INTO `devices` VALUES
('123e4567-e89b-12d3-a456-426655440000','10.0.0.1','2001:db8::1','A router \\'ü\\'',0x000000000101000000000000000000F03F0000000000000040,'{\\"ports\\":[22,443]}','2024-05-06 07:08:09.123456'),
('00000000-0000-0000-0000-000000000000','255.255.255.255','::ffff:1.2.3.4','B sensor',NULL,NULL,NULL),
('ffffffff-ffff-ffff-ffff-ffffffffffff',NULL,'::','C 😀',0x000000000101000000000000000000F0BF0000000000000000,'[]','1970-01-01 00:00:00.000000');
/*!40000 ALTER TABLE `devices` ENABLE KEYS */;
UNLOCK TABLES;
COMMIT;
SET AUTOCOMMIT=@OLD_AUTOCOMMIT;

--
-- Table structure for table `prices`
--

DROP TABLE IF EXISTS `prices`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `prices` (
  `sku` varchar(20) NOT NULL,
  `price` decimal(8,2) NOT NULL,
  PRIMARY KEY (`sku`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci WITH SYSTEM VERSIONING;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `prices`
--

/*M!101100 SET @old_system_versioning_insert_history=@@session.system_versioning_insert_history, @@session.system_versioning_insert_history=1 */;
SET @OLD_AUTOCOMMIT=@@AUTOCOMMIT, @@AUTOCOMMIT=0;
LOCK TABLES `prices` WRITE;
/*!40000 ALTER TABLE `prices` DISABLE KEYS */;
INSERT INTO `prices` (`sku`, `price`, row_start, row_end) VALUES ('A-1',9.99,'2024-01-01 00:00:00.000000','2024-06-01 12:00:00.500000'),
('A-1',10.49,'2024-06-01 12:00:00.500000','2038-01-19 03:14:07.999999'),
('B-2',3.00,'2024-01-01 00:00:00.000000','2038-01-19 03:14:07.999999');
/*!40000 ALTER TABLE `prices` ENABLE KEYS */;
UNLOCK TABLES;
COMMIT;
SET AUTOCOMMIT=@OLD_AUTOCOMMIT;
/*M!101100 SET system_versioning_insert_history=@old_system_versioning_insert_history */;
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
/*M!100616 SET NOTE_VERBOSITY=@OLD_NOTE_VERBOSITY */;

-- Dump completed on 2026-06-21  6:22:21
""",
)

PHPMYADMIN = GeneratorDump(
    database="gen_phpmyadmin",
    generator="phpMyAdmin 5.2.1",
    keys={"members": "id", "visits": "id"},
    skipped={("view", "member_names"), ("trigger", "members_bi")},
    text="""-- phpMyAdmin SQL Dump
-- version 5.2.1
-- https://www.phpmyadmin.net/
--
-- Host: 127.0.0.1
-- Generation Time: Nov 22, 2026 at 09:14 PM
-- Server version: 10.11.6-MariaDB-0+deb12u1
-- PHP Version: 8.2.12

SET SQL_MODE = "NO_AUTO_VALUE_ON_ZERO";
START TRANSACTION;
SET time_zone = "+00:00";


/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
/*!40101 SET NAMES utf8mb4 */;

--
-- Database: `gen_phpmyadmin`
--

-- --------------------------------------------------------

--
-- Table structure for table `members`
--

CREATE TABLE `members` (
  `id` int(11) NOT NULL,
  `email` varchar(190) NOT NULL,
  `name` varchar(100) NOT NULL,
  `token` varbinary(16) DEFAULT NULL,
  `signed_up` timestamp NOT NULL DEFAULT current_timestamp(),
  `karma` float DEFAULT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

--
-- Dumping data for table `members`
--

INSERT INTO `members` (`id`, `email`, `name`, `token`, `signed_up`, `karma`) VALUES
(1, 'ann@example.com', 'Ann', 0x00ff10, '2024-01-02 03:04:05', 1.5),
(2, 'bob@example.com', 'Bob \\"the\\" Builder', NULL, '2024-02-03 04:05:06', NULL);
INSERT INTO `members` (`id`, `email`, `name`, `token`, `signed_up`, `karma`) VALUES
(3, 'cy@example.com', 'Cy\\'s ; line\\nbreak', '', '2024-03-04 05:06:07', -2.25);

--
-- Triggers `members`
--
DELIMITER $$
CREATE TRIGGER `members_bi` BEFORE INSERT ON `members` FOR EACH ROW SET NEW.name = TRIM(NEW.name)
$$
DELIMITER ;

-- --------------------------------------------------------

--
-- Stand-in structure for view `member_names`
-- (See below for the actual view)
--
CREATE TABLE `member_names` (
`id` int(11)
,`name` varchar(100)
);

-- --------------------------------------------------------

--
-- Table structure for table `visits`
--

CREATE TABLE `visits` (
  `id` bigint(20) UNSIGNED NOT NULL,
  `member_id` int(11) NOT NULL,
  `at` datetime NOT NULL,
  `path` text DEFAULT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

--
-- Dumping data for table `visits`
--

INSERT INTO `visits` (`id`, `member_id`, `at`, `path`) VALUES
(1, 1, '2024-01-02 03:04:05', '/'),
(2, 3, '2024-03-04 05:06:07', '/a?b=c&d=\\'e\\''),
(18446744073709551615, 2, '2024-02-29 23:59:59', NULL);

-- --------------------------------------------------------

--
-- Structure for view `member_names`
--
DROP TABLE IF EXISTS `member_names`;

CREATE ALGORITHM=UNDEFINED DEFINER=`root`@`localhost` SQL SECURITY DEFINER VIEW `member_names`  AS SELECT `members`.`id` AS `id`, `members`.`name` AS `name` FROM `members` ;

--
-- Indexes for dumped tables
--

--
-- Indexes for table `members`
--
ALTER TABLE `members`
  ADD PRIMARY KEY (`id`),
  ADD UNIQUE KEY `email` (`email`);

--
-- Indexes for table `visits`
--
ALTER TABLE `visits`
  ADD PRIMARY KEY (`id`),
  ADD KEY `member_id` (`member_id`);

--
-- AUTO_INCREMENT for dumped tables
--

--
-- AUTO_INCREMENT for table `members`
--
ALTER TABLE `members`
  MODIFY `id` int(11) NOT NULL AUTO_INCREMENT, AUTO_INCREMENT=4;

--
-- Constraints for dumped tables
--

--
-- Constraints for table `visits`
--
ALTER TABLE `visits`
  ADD CONSTRAINT `visits_ibfk_1` FOREIGN KEY (`member_id`) REFERENCES `members` (`id`);
COMMIT;

/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
""",
)

ADMINER = GeneratorDump(
    database="gen_adminer",
    generator="Adminer 4.8.1",
    keys={"items": "id"},
    skipped={("trigger", "items_bi")},
    text="""-- Adminer 4.8.1 MySQL 10.11.6-MariaDB-0+deb12u1 dump

SET NAMES utf8;
SET time_zone = '+00:00';
SET foreign_key_checks = 0;
SET sql_mode = 'NO_AUTO_VALUE_ON_ZERO';

USE `gen_adminer`;

SET NAMES utf8mb4;

DROP TABLE IF EXISTS `items`;
CREATE TABLE `items` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `title` varchar(100) NOT NULL,
  `sku` binary(4) DEFAULT NULL,
  `flags` bit(3) DEFAULT NULL,
  `price` decimal(8,2) DEFAULT NULL,
  `added` date DEFAULT NULL,
  `blob` blob DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

INSERT INTO `items` (`id`, `title`, `sku`, `flags`, `price`, `added`, `blob`) VALUES
(1,	'Widget',	UNHEX('41424344'),	CONV('101', 2, 10) + 0,	9.99,	'2024-01-02',	'raw \\0 bytes'),
(2,	'Gadget \\'X\\' ;),(',	NULL,	CONV('0', 2, 10) + 0,	NULL,	'0000-00-00',	NULL),
(3,	'Ünïcödé 中文',	UNHEX('00FF00FF'),	NULL,	-0.01,	NULL,	'');

DELIMITER ;;

CREATE TRIGGER `items_bi` BEFORE INSERT ON `items` FOR EACH ROW
SET NEW.title = TRIM(NEW.title);;

DELIMITER ;

-- 2024-01-15 10:20:30
""",
)

LOADABLE = {
    "mysqldump-5.7": MYSQLDUMP_57,
    "mariadb-dump-11": MARIADB_DUMP_11,
    "phpmyadmin": PHPMYADMIN,
    "phpmyadmin-bom": replace(PHPMYADMIN, text="\ufeff" + PHPMYADMIN.text),  # saved by an editor with a BOM
    "adminer": ADMINER,
}


@dataclass(frozen=True)
class ExpectedDump:
    text: str
    generator: str
    databases: list[str]
    rows: dict[str, list[dict]]  # table -> its rows as written to Parquet, in dump order
    omitted: dict[str, list[str]] = field(default_factory=dict)  # table -> columns its INSERTs leave out
    skipped: set[tuple[str, str]] = field(default_factory=set)  # (kind, name) of the objects it skips


# Cloud SQL's export runs MySQL 8.0's mysqldump: --databases, GTID_PURGED (a multi-line GTID set),
# utf8mb4_0900 collations, /*!80016 ...*/ and /*!80023 INVISIBLE */, _binary introducers and a
# column list that leaves out the generated column. MariaDB loads none of the 0900 tables.
MYSQL8_CLOUD_SQL = ExpectedDump(
    generator="mysqldump 10.13  Distrib 8.0.41, for Linux (x86_64)",
    databases=["shop"],
    omitted={"orders": ["tax"]},
    rows={
        "orders": [
            {
                "id": 1,
                "customer": "Ann",
                "amount": "10.00",
                "placed_at": "2024-01-02 03:04:05.678",
                "payload": '{"items": [1, 2], "note": "a\\"b"}',
                "receipt": b"PK\x03\x04\x00\n",
                "flags": 5,
                "row_uuid": bytes(range(16)),
                # SRID 4326 (little-endian), then WKB: little-endian POINT(2 2)
                "location": bytes.fromhex("e61000000101000000") + (bytes(7) + b"\x40") * 2,
            },
            {
                "id": 2,
                "customer": "Ünal",
                "amount": "-0.50",
                "placed_at": None,  # '0000-00-00 00:00:00.000' becomes NULL
                "payload": None,
                "receipt": b"",
                "flags": 0,
                "row_uuid": None,
                "location": None,
            },
        ]
    },
    text="""-- MySQL dump 10.13  Distrib 8.0.41, for Linux (x86_64)
--
-- Host: 127.0.0.1    Database: shop
-- ------------------------------------------------------
-- Server version	8.0.41-google

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
/*!50503 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;
SET @MYSQLDUMP_TEMP_LOG_BIN = @@SESSION.SQL_LOG_BIN;
SET @@SESSION.SQL_LOG_BIN= 0;

--
-- GTID state at the beginning of the backup 
--

SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ 'a3682473-d901-11ee-9446-567b0e29bc8b:1-447,
da0279d4-cdac-11ee-a636-b64a489e42e6:1-475';

--
-- Current Database: `shop`
--

CREATE DATABASE /*!32312 IF NOT EXISTS*/ `shop` /*!40100 DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci */ /*!80016 DEFAULT ENCRYPTION='N' */;

USE `shop`;

--
-- Table structure for table `orders`
--

DROP TABLE IF EXISTS `orders`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!50503 SET character_set_client = utf8mb4 */;
CREATE TABLE `orders` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `customer` varchar(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_as_cs NOT NULL,
  `amount` decimal(12,2) NOT NULL,
  `tax` decimal(12,2) GENERATED ALWAYS AS ((`amount` * 0.2)) STORED,
  `placed_at` datetime(3) DEFAULT NULL,
  `payload` json DEFAULT NULL,
  `receipt` blob,
  `flags` bit(8) DEFAULT NULL,
  `row_uuid` binary(16) DEFAULT NULL /*!80023 INVISIBLE */,
  `location` point /*!80003 SRID 4326 */ DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `customer` (`customer`)
) ENGINE=InnoDB AUTO_INCREMENT=3 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `orders`
--

LOCK TABLES `orders` WRITE;
/*!40000 ALTER TABLE `orders` DISABLE KEYS */;
INSERT INTO `orders` (`id`, `customer`, `amount`, `placed_at`, `payload`, `receipt`, `flags`, `row_uuid`, `location`) VALUES (1,'Ann',10.00,'2024-01-02 03:04:05.678','{\\"items\\": [1, 2], \\"note\\": \\"a\\\\\\"b\\"}',_binary 'PK\x03\x04\\0\\n',_binary '\x05',_binary '\\0\x01\x02\x03\x04\x05\x06\x07\\b\\t\\n\x0b\x0c\\r\x0e\x0f',_binary '\udce6\x10\\0\\0\x01\x01\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0@\\0\\0\\0\\0\\0\\0\\0@'),(2,'Ünal',-0.50,'0000-00-00 00:00:00.000',NULL,_binary '',_binary '\\0',NULL,NULL);
/*!40000 ALTER TABLE `orders` ENABLE KEYS */;
UNLOCK TABLES;
SET @@SESSION.SQL_LOG_BIN = @MYSQLDUMP_TEMP_LOG_BIN;
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;

-- Dump completed on 2026-11-20  3:05:09
""",
)

# MySQL Workbench's "Export to Self-Contained File" with "Include Create Schema" and events:
# mysqldump 8.0 (--hex-blob --events) output with CREATE DATABASE and USE before its header comment.
WORKBENCH = ExpectedDump(
    generator="mysqldump 10.13  Distrib 8.0.36, for Win64 (x86_64)",
    databases=["crm"],
    rows={
        "contacts": [
            {"id": 1, "name": "Ann", "photo": b"\x89PNG", "active": 1, "born": "1990-01-02", "tags": "a,b"},
            {"id": 2, "name": "Bo", "photo": None, "active": 0, "born": None, "tags": ""},
        ],
        "audit": [],
    },
    skipped={("event", "purge_inactive")},
    text="""CREATE DATABASE  IF NOT EXISTS `crm` /*!40100 DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci */ /*!80016 DEFAULT ENCRYPTION='N' */;
USE `crm`;
-- MySQL dump 10.13  Distrib 8.0.36, for Win64 (x86_64)
--
-- Host: 127.0.0.1    Database: crm
-- ------------------------------------------------------
-- Server version	8.0.36

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
/*!50503 SET NAMES utf8 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;

--
-- Table structure for table `contacts`
--

DROP TABLE IF EXISTS `contacts`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!50503 SET character_set_client = utf8mb4 */;
CREATE TABLE `contacts` (
  `id` int NOT NULL AUTO_INCREMENT,
  `name` varchar(45) NOT NULL,
  `photo` mediumblob,
  `active` tinyint(1) NOT NULL DEFAULT '1',
  `born` date DEFAULT NULL,
  `tags` set('a','b','c') DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB AUTO_INCREMENT=3 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `contacts`
--

LOCK TABLES `contacts` WRITE;
/*!40000 ALTER TABLE `contacts` DISABLE KEYS */;
INSERT INTO `contacts` VALUES (1,'Ann',0x89504E47,1,'1990-01-02','a,b'),(2,'Bo',NULL,0,NULL,'');
/*!40000 ALTER TABLE `contacts` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Table structure for table `audit`
--

DROP TABLE IF EXISTS `audit`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!50503 SET character_set_client = utf8mb4 */;
CREATE TABLE `audit` (
  `at` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `what` varchar(200) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `audit`
--

LOCK TABLES `audit` WRITE;
/*!40000 ALTER TABLE `audit` DISABLE KEYS */;
/*!40000 ALTER TABLE `audit` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Dumping events for database 'crm'
--
/*!50106 SET @save_time_zone= @@TIME_ZONE */ ;
/*!50106 DROP EVENT IF EXISTS `purge_inactive` */;
DELIMITER ;;
/*!50003 SET @saved_cs_client      = @@character_set_client */ ;;
/*!50003 SET @saved_cs_results     = @@character_set_results */ ;;
/*!50003 SET @saved_col_connection = @@collation_connection */ ;;
/*!50003 SET character_set_client  = utf8mb4 */ ;;
/*!50003 SET character_set_results = utf8mb4 */ ;;
/*!50003 SET collation_connection  = utf8mb4_0900_ai_ci */ ;;
/*!50003 SET @saved_sql_mode       = @@sql_mode */ ;;
/*!50003 SET sql_mode              = 'ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION' */ ;;
/*!50003 SET @saved_time_zone      = @@time_zone */ ;;
/*!50003 SET time_zone             = 'SYSTEM' */ ;;
/*!50106 CREATE*/ /*!50117 DEFINER=`root`@`localhost`*/ /*!50106 EVENT `purge_inactive` ON SCHEDULE EVERY 1 DAY STARTS '2024-01-01 00:00:00' ON COMPLETION NOT PRESERVE ENABLE DO DELETE FROM contacts WHERE active = 0 */ ;;
/*!50003 SET time_zone             = @saved_time_zone */ ;;
/*!50003 SET sql_mode              = @saved_sql_mode */ ;;
/*!50003 SET character_set_client  = @saved_cs_client */ ;;
/*!50003 SET character_set_results = @saved_cs_results */ ;;
/*!50003 SET collation_connection  = @saved_col_connection */ ;;
DELIMITER ;
/*!50106 SET TIME_ZONE= @save_time_zone */ ;
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;

-- Dump completed on 2024-03-14 17:46:54
""",
)

# VECTOR needs MariaDB 11.7+ (the tests' server is 10.11): mariadb-dump 11.8, one value in hex
# (--hex-blob style) and one as escaped raw bytes.
MARIADB_VECTOR = ExpectedDump(
    generator="mariadb-dump 10.19-11.8.2-MariaDB, for debian-linux-gnu (x86_64)",
    databases=["ml"],
    rows={
        "docs": [
            {"id": 1, "body": "one", "embedding": bytes.fromhex("0000803f0000004000004040")},  # [1, 2, 3]
            {"id": 2, "body": "two", "embedding": bytes.fromhex("000000000000803f00000000")},  # [0, 1, 0]
        ]
    },
    text="""/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19-11.8.2-MariaDB, for debian-linux-gnu (x86_64)
--
-- Host: localhost    Database: ml
-- ------------------------------------------------------
-- Server version	11.8.2-MariaDB-ubu2404

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*M!100616 SET @OLD_NOTE_VERBOSITY=@@NOTE_VERBOSITY, NOTE_VERBOSITY=0 */;

DROP TABLE IF EXISTS `docs`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `docs` (
  `id` int(11) NOT NULL,
  `body` text NOT NULL,
  `embedding` vector(3) NOT NULL,
  PRIMARY KEY (`id`),
  VECTOR KEY `embedding` (`embedding`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

SET @OLD_AUTOCOMMIT=@@AUTOCOMMIT, @@AUTOCOMMIT=0;
LOCK TABLES `docs` WRITE;
/*!40000 ALTER TABLE `docs` DISABLE KEYS */;
INSERT INTO `docs` VALUES
(1,'one',0x0000803F0000004000004040),
(2,'two','\\0\\0\\0\\0\\0\\0\udc80?\\0\\0\\0\\0');
/*!40000 ALTER TABLE `docs` ENABLE KEYS */;
UNLOCK TABLES;
COMMIT;
SET AUTOCOMMIT=@OLD_AUTOCOMMIT;
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*M!100616 SET NOTE_VERBOSITY=@OLD_NOTE_VERBOSITY */;

-- Dump completed on 2026-06-21 18:02:33
""",
)

MYSQL8_ONLY = {"cloud-sql-mysql-8": MYSQL8_CLOUD_SQL, "workbench-8": WORKBENCH, "mariadb-11.8-vector": MARIADB_VECTOR}
