"""The whole pipeline in a temporary place, on either environment, behind one interface.

`pipeline_on("local", ...)` runs on folders and a DuckDB file; `pipeline_on("gcp", ...)` on
buckets of fake-gcs-server and datasets of bqemulator; either with the environment variables a
deployment sets, for as long as the pipeline is in use. Both build the project's own
definitions and drive them with the real sensors (`InProcessDaemon`); scenario tests read the
warehouse only through the methods below.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pytest
import yaml
from dagster import DagsterInstance, Definitions

from elt_pipeline.definitions import build_definitions
from elt_pipeline.lib.manifest import Manifest
from elt_pipeline.lib.sample_data import Snapshot, land_snapshot, seed_landing
from elt_pipeline.lib.storage import Landing, ParquetStore
from elt_pipeline.lib.warehouse import LOADS_TABLE
from elt_pipeline.settings import DEFAULT_PIPELINE_CONFIG, GcpSettings, LocalSettings, Settings, load_settings
from tests.support.expected import FEATURE_COLUMNS
from tests.support.orchestration import InProcessDaemon

ALL_SOURCES = ["shop_eu", "shop_us", "shop_apac"]
RAW_TABLES = ["customers", "products", "orders", "order_items"]


@dataclass
class Pipeline:
    settings: Settings
    defs: Definitions
    daemon: InProcessDaemon
    sources: list[str]
    snapshots: list[Snapshot] = field(default_factory=list)

    @property
    def landing(self) -> Landing:
        return self.defs.resources["landing"].open()

    @property
    def parquet(self) -> ParquetStore:
        return self.defs.resources["parquet"].open()

    def land(self, dates: list[date]) -> list[Snapshot]:
        """Land every source's sample dump of each date; return the snapshots."""
        return seed_landing(self.landing, self.sources, dates)

    def land_snapshot(self, snapshot: Snapshot) -> str:
        return land_snapshot(self.landing, snapshot)

    def manifest(self, source_db: str, dump_date: date) -> Manifest:
        return self.parquet.read_manifest(source_db, dump_date.isoformat())

    def raw_count(self, table: str, source_db: str, dump_date: date) -> int:
        sql = f"SELECT COUNT(*) AS n FROM {self.raw_dataset}.{table} WHERE _source_db = ? AND _dump_date = ?"
        return self.query(sql, [source_db, dump_date])[0][0]

    def raw_columns(self, table: str) -> set[str]:
        return set(self.columns(f"{self.raw_dataset}.{table}"))

    def mart_rows(self, dump_date: date, source_db: str) -> dict[str, dict]:
        """customer_key -> features of fct_customer_features for one (date, source)."""
        rows = self.query(
            f"SELECT customer_key, {', '.join(FEATURE_COLUMNS)} FROM {self.settings.marts_dataset}"
            ".fct_customer_features WHERE _dump_date = ? AND _source_db = ?",
            [dump_date, source_db],
        )
        return {row[0]: dict(zip(FEATURE_COLUMNS, row[1:])) for row in rows}

    def latest_partitions(self) -> set[tuple[str, date]]:
        rows = self.query(
            f"SELECT DISTINCT _source_db, _dump_date FROM {self.settings.marts_dataset}.customer_features_latest"
        )
        return {(source, day) for source, day in rows}

    def table_contents(self, excluding: tuple[str, date] | None = None) -> dict[str, list]:
        """Every table and view of the three datasets, rows sorted (equal dicts = identical data),
        optionally without the rows of one (source_db, dump_date) partition."""
        where, params = ("WHERE NOT (_source_db = ? AND _dump_date = ?)", list(excluding)) if excluding else ("", [])
        return {
            name: sorted(self.query(f"SELECT * FROM {name} {where}", params), key=repr) for name in self.relations()
        }

    @property
    def raw_dataset(self) -> str:
        return self.settings.raw_dataset

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        """Rows of a query with `?` parameters."""
        raise NotImplementedError

    def columns(self, relation: str) -> list[str]:
        return list(self.column_types(relation))

    def column_types(self, relation: str) -> dict[str, str]:
        """Column name -> type in the warehouse's own names (standard SQL names on BigQuery), in order."""
        raise NotImplementedError

    def relations(self) -> list[str]:
        """`dataset.table` of every table and view in the raw, staging and marts datasets, but
        the loads' record of which import each partition holds (a replay is a new import)."""
        raise NotImplementedError


class LocalPipeline(Pipeline):
    settings: LocalSettings

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.settings.duckdb_path), read_only=True) as connection:
            return connection.execute(sql, params or []).fetchall()

    def column_types(self, relation: str) -> dict[str, str]:
        return dict(self.query(f"SELECT column_name, column_type FROM (DESCRIBE {relation})"))

    def relations(self) -> list[str]:
        rows = self.query("SELECT table_schema, table_name FROM information_schema.tables ORDER BY ALL")
        return [f"{schema}.{name}" for schema, name in rows if name != LOADS_TABLE]


class GcpPipeline(Pipeline):
    settings: GcpSettings

    @property
    def client(self):
        from elt_pipeline.lib.warehouse.bigquery import make_client

        return make_client(self.settings.gcp_project, self.settings.bq_location, self.settings.bq_api_endpoint)

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        from google.cloud import bigquery

        for index in range(len(params or [])):
            sql = sql.replace("?", f"@p{index}", 1)
        config = bigquery.QueryJobConfig(
            query_parameters=[
                bigquery.ScalarQueryParameter(f"p{index}", "DATE" if isinstance(value, date) else "STRING", value)
                for index, value in enumerate(params or [])
            ]
        )
        table = self.client.query(sql, job_config=config).to_arrow(create_bqstorage_client=False)
        return [tuple(row.values()) for row in table.to_pylist()]

    def column_types(self, relation: str) -> dict[str, str]:
        from elt_pipeline.lib.warehouse.bigquery_types import standard_type

        schema = self.client.get_table(f"{self.settings.gcp_project}.{relation}").schema
        return {field.name: standard_type(field.field_type) for field in schema}

    def relations(self) -> list[str]:
        names = []
        for dataset in (self.settings.raw_dataset, self.settings.staging_dataset, self.settings.marts_dataset):
            names += [
                f"{dataset}.{table.table_id}"
                for table in self.client.list_tables(f"{self.settings.gcp_project}.{dataset}")
                if table.table_id != LOADS_TABLE
            ]
        return sorted(names)


@contextmanager
def pipeline_on(
    kind: str,
    root: Path,
    sources: list[str],
    emulators=None,
    source_options: dict[str, dict] | None = None,
    groups: dict[str, dict] | None = None,
) -> Iterator[Pipeline]:
    """An empty pipeline of `sources` on the `kind` environment ("local" or "gcp") under `root`,
    with its environment variables set (the hash salt is read at run time) until the block ends.
    `source_options`: extra config keys per source name; `groups`: the config's source groups."""
    config = yaml.safe_load(DEFAULT_PIPELINE_CONFIG.read_text())
    options = source_options or {}
    config["sources"] = [{**s, **options.get(s["name"], {})} for s in config["sources"] if s["name"] in sources]
    if groups:
        config["groups"] = groups
    (root / "pipeline.yaml").write_text(yaml.safe_dump(config))
    environ = {"ELT_DATA_DIR": str(root / "data"), "ELT_PIPELINE_CONFIG": str(root / "pipeline.yaml")}
    if kind == "gcp":
        environ |= gcp_environment(emulators)
    with pytest.MonkeyPatch.context() as patch:  # the process environment, as in a deployment
        for name, value in environ.items():
            patch.setenv(name, value)
        settings = load_settings()
        defs = build_definitions(settings)
        (root / "dagster_home").mkdir(parents=True, exist_ok=True)
        instance = DagsterInstance.local_temp(str(root / "dagster_home"))
        cls = GcpPipeline if kind == "gcp" else LocalPipeline
        yield cls(settings, defs, InProcessDaemon(defs, instance), sources)


@contextmanager
def loaded_pipeline(root: Path, sources: list[str], days: list) -> Iterator[Pipeline]:
    """A local pipeline of `sources` whose dumps of `days` the real sensors imported, loaded and
    built without a failure: the state a module's scenarios start from."""
    with pipeline_on("local", root, sources) as pipeline:
        pipeline.land(days)
        pipeline.daemon.drain()
        assert not pipeline.daemon.failures
        yield pipeline


def gcp_environment(emulators) -> dict[str, str]:
    """Fresh buckets and datasets on the emulators, named as a deployment's variables name them."""
    from google.cloud import storage

    from elt_pipeline.lib.warehouse.bigquery import make_client

    suffix = uuid.uuid4().hex[:8]
    gcs = storage.Client(project=emulators.project)
    gcs.create_bucket(f"landing-{suffix}")
    gcs.create_bucket(f"parquet-{suffix}")
    bigquery = make_client(emulators.project, "EU", emulators.bq.endpoint)
    bigquery.create_dataset(f"{emulators.project}.raw_{suffix}")  # terraform's job; dbt creates its own
    return {
        **emulators.environ,
        "ELT_ENV": "gcp",
        "ELT_HASH_SALT": "test-salt-from-secret-manager",
        "ELT_LANDING_URI": f"gs://landing-{suffix}",
        "ELT_PARQUET_URI": f"gs://parquet-{suffix}/imports",
        "ELT_RAW_DATASET": f"raw_{suffix}",
        "ELT_STAGING_DATASET": f"staging_{suffix}",
        "ELT_MARTS_DATASET": f"marts_{suffix}",
    }
