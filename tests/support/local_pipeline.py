"""A local-mode pipeline in a temporary folder: settings, definitions, instance, warehouse reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
from dagster import DagsterInstance, Definitions

from elt_pipeline.defs import build_definitions
from elt_pipeline.lib.sample_data import Snapshot, seed_landing
from elt_pipeline.settings import Settings, load_settings
from tests.support.orchestration import InProcessDaemon

SOURCES = ["shop_eu", "shop_us", "shop_apac"]
RAW_TABLES = ["customers", "products", "orders", "order_items"]


@dataclass
class LocalPipeline:
    settings: Settings
    defs: Definitions
    daemon: InProcessDaemon
    landing: Path

    def seed(self, dates: list[date]) -> list[Snapshot]:
        return seed_landing(self.landing, SOURCES, dates)

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.settings.duckdb_path), read_only=True) as connection:
            return connection.execute(sql, params or []).fetchall()

    def table_contents(self, excluding: tuple[str, date] | None = None) -> dict[str, list[tuple]]:
        """Every table and view, rows sorted (equal dicts = identical data), optionally
        without the rows of one (source_db, dump_date) partition."""
        where, params = ("where not (_source_db = ? and _dump_date = ?)", list(excluding)) if excluding else ("", [])
        names = self.query("select table_schema, table_name from information_schema.tables order by all")
        return {
            f"{schema}.{name}": sorted(self.query(f'select * from "{schema}"."{name}" {where}', params), key=repr)
            for schema, name in names
        }


def make_local_pipeline(root: Path) -> LocalPipeline:
    settings = load_settings({"ELT_DATA_DIR": str(root / "data")})
    defs = build_definitions(settings)
    (root / "dagster_home").mkdir(parents=True, exist_ok=True)
    instance = DagsterInstance.local_temp(str(root / "dagster_home"))
    return LocalPipeline(settings, defs, InProcessDaemon(defs, instance), Path(settings.landing_uri))
