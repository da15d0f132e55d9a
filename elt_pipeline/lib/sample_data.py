"""Seeded sample databases and their nightly dumps, in real mysqldump format.

Each source ("region") is an online shop with the same schema. A source's history is drawn
once from its seed; the dump for a date is the state of that history at the end of the day
(customers signed up, orders placed, statuses as of then). The demo lands these dumps and the
tests compute expected mart values from the very same `Snapshot` objects.
"""

from __future__ import annotations

import gzip
import hashlib
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from elt_pipeline.lib.storage import Landing

FIRST_NAMES = [
    "Ana",
    "Björn",
    "Chloë",
    "Dmitri",
    "Émile",
    "Fatima",
    "Gráinne",
    "Hiro",
    "Ines",
    "José",
    "Kofi",
    "Lena",
    "Małgorzata",
    "Nuno",
    "Olu",
    "Priya",
    "Quentin",
    "Renée",
    "Søren",
    "Zoë",
]
LAST_NAMES = [
    "O'Brien",
    "Smith",
    "Müller",
    "García",
    "Nakamura",
    "D'Angelo",
    "Kowalski",
    "Nguyen",
    "Silva",
    "Okafor",
    "Dubois",
    "Lindqvist",
    '"Bear" Jones',
    "Back\\slash",
]
COUNTRIES = {
    "shop_eu": ["DE", "FR", "IE", "PL", "SE"],
    "shop_us": ["US", "CA", "MX"],
    "shop_apac": ["JP", "AU", "SG", "IN"],
}
CATEGORIES = ["books", "games", "garden", "kitchen"]
STATUSES = ["placed", "shipped", "delivered", "cancelled", "returned"]
NOTES = [None, "", "VIP", "prefers e-mail\nnot phone", "said: 'hi'),('x", "tab\tand\r\nCRLF", "50% off_code"]
HISTORY_START = datetime(2023, 10, 1)
HISTORY_END = date(2024, 1, 31)  # sample dumps exist for dates up to this one
HISTORY_SPAN = datetime.combine(HISTORY_END, datetime.min.time()) - HISTORY_START

CREATE_TABLES = {
    "customers": """CREATE TABLE `customers` (
  `id` int unsigned NOT NULL AUTO_INCREMENT,
  `email` varchar(255) NOT NULL,
  `password_hash` char(64) NOT NULL,
  `full_name` varchar(100) NOT NULL,
  `country` char(2) NOT NULL,
  `signup_at` datetime NOT NULL,
  `marketing_opt_in` tinyint(1) NOT NULL DEFAULT '0',
  `notes` text,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_email` (`email`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci""",
    "products": """CREATE TABLE `products` (
  `id` int unsigned NOT NULL AUTO_INCREMENT,
  `sku` varchar(32) NOT NULL,
  `name` varchar(200) NOT NULL,
  `category` enum('books','games','garden','kitchen') NOT NULL,
  `unit_price` decimal(10,2) NOT NULL,
  `active` tinyint(1) NOT NULL DEFAULT '1',
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci""",
    "orders": """CREATE TABLE `orders` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `customer_id` int unsigned NOT NULL,
  `status` enum('placed','shipped','delivered','cancelled','returned') NOT NULL,
  `ordered_at` datetime(3) NOT NULL,
  `shipping_cost` decimal(8,2) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `fk_customer` (`customer_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci""",
    "order_items": """CREATE TABLE `order_items` (
  `order_id` bigint unsigned NOT NULL,
  `line_no` smallint unsigned NOT NULL,
  `product_id` int unsigned NOT NULL,
  `quantity` smallint unsigned NOT NULL,
  `unit_price` decimal(10,2) NOT NULL,
  PRIMARY KEY (`order_id`,`line_no`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci""",
}
TABLE_ORDER = list(CREATE_TABLES)


@dataclass(frozen=True)
class _Order:
    id: int
    customer_id: int
    ordered_at: datetime
    shipping_cost: Decimal | None
    # (status, from when) in order; the status at a time is the last one started by then
    timeline: tuple[tuple[str, datetime], ...]
    items: tuple[tuple[int, int, int, Decimal], ...]  # (line_no, product_id, quantity, unit_price)


@dataclass(frozen=True)
class Snapshot:
    """The rows of every table of one source at the end of one day, as MySQL holds them."""

    source_db: str
    dump_date: date
    tables: dict[str, list[tuple]]


class SourceHistory:
    """Everything that happens in one source database, drawn from one seed."""

    def __init__(self, source_db: str, seed: int = 7, until: date = HISTORY_END, customers: int = 120):
        """History over the `HISTORY_SPAN` that ends with the day `until`."""
        rng = random.Random(f"{seed}:{source_db}")
        countries = COUNTRIES.get(source_db, ["GB"])
        self.source_db = source_db
        self.products = [
            (
                pid,
                f"SKU-{pid:05d}",
                f"{rng.choice(['Deluxe', 'Mini', 'Eco'])} {rng.choice(CATEGORIES)} item #{pid}",
                rng.choice(CATEGORIES),
                Decimal(rng.randint(199, 19999)) / 100,
                int(rng.random() > 0.1),
            )
            for pid in range(1, 41)
        ]
        start = datetime.combine(until, datetime.min.time()) - HISTORY_SPAN
        span = HISTORY_SPAN.total_seconds()
        self.customers = []
        for cid in range(1, customers + 1):
            signup = start + timedelta(seconds=int(rng.random() * span))
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            email = f"user{cid}.{source_db}@example.com"
            self.customers.append(
                (
                    cid,
                    email,
                    hashlib.sha256(f"pw{cid}".encode()).hexdigest(),
                    name,
                    rng.choice(countries),
                    signup,
                    int(rng.random() < 0.4),
                    rng.choice(NOTES),
                )
            )
        self.orders: list[_Order] = []
        for customer in self.customers:
            for _ in range(rng.randint(0, 6)):
                self.orders.append(self._draw_order(rng, customer[0], customer[5], until))
        self.orders.sort(key=lambda order: order.ordered_at)
        self.orders = [_renumber(order, number) for number, order in enumerate(self.orders, start=1)]

    def _draw_order(self, rng: random.Random, customer_id: int, signup: datetime, until: date) -> _Order:
        end = datetime.combine(until, datetime.min.time()) + timedelta(days=1)
        ordered_at = signup + timedelta(seconds=int(rng.random() * (end - signup).total_seconds()))
        ordered_at = ordered_at.replace(microsecond=rng.randrange(0, 1000) * 1000)
        timeline = [("placed", ordered_at)]
        if rng.random() < 0.1:
            timeline.append(("cancelled", ordered_at + timedelta(hours=rng.randint(1, 30))))
        else:
            shipped = ordered_at + timedelta(hours=rng.randint(2, 48))
            delivered = shipped + timedelta(hours=rng.randint(24, 120))
            timeline += [("shipped", shipped), ("delivered", delivered)]
            if rng.random() < 0.08:
                timeline.append(("returned", delivered + timedelta(days=rng.randint(1, 10))))
        items = []
        for line_no in range(1, rng.randint(1, 4) + 1):
            product = rng.choice(self.products)
            items.append((line_no, product[0], rng.randint(1, 3), product[4]))
        shipping = None if rng.random() < 0.15 else Decimal(rng.randint(0, 1500)) / 100
        return _Order(0, customer_id, ordered_at, shipping, tuple(timeline), tuple(items))

    def snapshot(self, dump_date: date) -> Snapshot:
        """The database as dumped at the end of `dump_date`."""
        cutoff = datetime.combine(dump_date, datetime.min.time()) + timedelta(days=1)
        orders = [order for order in self.orders if order.ordered_at < cutoff]
        return Snapshot(
            source_db=self.source_db,
            dump_date=dump_date,
            tables={
                "customers": [row for row in self.customers if row[5] < cutoff],
                "products": list(self.products),
                "orders": [(o.id, o.customer_id, _status_at(o, cutoff), o.ordered_at, o.shipping_cost) for o in orders],
                "order_items": [(o.id, *item) for o in orders for item in o.items],
            },
        )


def _renumber(order: _Order, number: int) -> _Order:
    return _Order(number, order.customer_id, order.ordered_at, order.shipping_cost, order.timeline, order.items)


def _status_at(order: _Order, cutoff: datetime) -> str:
    return [status for status, since in order.timeline if since < cutoff][-1]


def sql_literal(value: object) -> str:
    """A value as mysqldump writes it in an INSERT."""
    if value is None:
        return "NULL"
    if isinstance(value, datetime):
        text = value.strftime("%Y-%m-%d %H:%M:%S")
        return f"'{text}.{value.microsecond // 1000:03d}'" if value.microsecond else f"'{text}'"
    if isinstance(value, (int, Decimal)):
        return str(value)
    escaped = (
        str(value)
        .replace("\\", "\\\\")
        .replace("\0", "\\0")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\x1a", "\\Z")
        .replace("'", "\\'")
        .replace('"', '\\"')
    )
    return f"'{escaped}'"


def render_dump(snapshot: Snapshot, rows_per_insert: int = 200) -> str:
    """The snapshot as `mysqldump --databases` of MySQL 8 would write it."""
    database = snapshot.source_db
    out = [
        "-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)",
        "--",
        f"-- Host: db.internal    Database: {database}",
        "-- ------------------------------------------------------",
        "-- Server version\t8.0.36",
        "",
        "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;",
        "/*!50503 SET NAMES utf8mb4 */;",
        "/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;",
        "/*!40103 SET TIME_ZONE='+00:00' */;",
        "/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;",
        "/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;",
        "",
        f"CREATE DATABASE /*!32312 IF NOT EXISTS*/ `{database}` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;",
        "",
        f"USE `{database}`;",
    ]
    for table in TABLE_ORDER:
        rows = snapshot.tables[table]
        out += [
            "",
            "--",
            f"-- Table structure for table `{table}`",
            "--",
            "",
            f"DROP TABLE IF EXISTS `{table}`;",
            "/*!40101 SET @saved_cs_client     = @@character_set_client */;",
            "/*!50503 SET character_set_client = utf8mb4 */;",
            CREATE_TABLES[table] + ";",
            "/*!40101 SET character_set_client = @saved_cs_client */;",
            "",
            "--",
            f"-- Dumping data for table `{table}`",
            "--",
            "",
            f"LOCK TABLES `{table}` WRITE;",
            f"/*!40000 ALTER TABLE `{table}` DISABLE KEYS */;",
        ]
        for start in range(0, len(rows), rows_per_insert):
            tuples = ",".join(
                "(" + ",".join(sql_literal(value) for value in row) + ")"
                for row in rows[start : start + rows_per_insert]
            )
            out.append(f"INSERT INTO `{table}` VALUES {tuples};")
        out += [f"/*!40000 ALTER TABLE `{table}` ENABLE KEYS */;", "UNLOCK TABLES;"]
    out += [
        "/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;",
        "",
        "/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;",
        "/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;",
        "/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;",
        "",
        f"-- Dump completed on {snapshot.dump_date.isoformat()}  2:00:00",
        "",
    ]
    return "\n".join(out)


def dump_content(snapshot: Snapshot) -> bytes:
    """The snapshot's dump, gzipped reproducibly (the same snapshot gives the same bytes)."""
    return gzip.compress(render_dump(snapshot).encode("utf-8"), mtime=0)


def write_dump(snapshot: Snapshot, destination: Path) -> Path:
    """Write the snapshot's gzipped dump to a local file (e.g. for `elt-pipeline convert`)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_bytes(dump_content(snapshot))
    return destination


def landing_key(source_db: str, dump_date: date) -> str:
    return f"{source_db}/{dump_date.isoformat()}/{source_db}.sql.gz"


def land_snapshot(landing: Landing, snapshot: Snapshot) -> str:
    """Land the snapshot's dump where the sensor looks for it; return its key. Landing the same
    snapshot twice changes nothing (it does not look like a re-upload)."""
    key = landing_key(snapshot.source_db, snapshot.dump_date)
    landing.put(key, dump_content(snapshot))
    return key


def seed_landing(landing: Landing, sources: list[str], dates: list[date], seed: int = 7) -> list[Snapshot]:
    """Land one dump per (source, date); return the snapshots landed. Dates after `HISTORY_END`
    (the demo's recent days) come from a history that ends on the last of them."""
    until = max([HISTORY_END, *dates])
    snapshots = []
    for source_db in sources:
        history = SourceHistory(source_db, seed=seed, until=until)
        for dump_date in dates:
            snapshot = history.snapshot(dump_date)
            land_snapshot(landing, snapshot)
            snapshots.append(snapshot)
    return snapshots
