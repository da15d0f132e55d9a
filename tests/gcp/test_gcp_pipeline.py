"""The whole pipeline in gcp mode on the emulators, mirroring tests/test_local_pipeline.py.

Dumps are uploaded to an emulated bucket -> the landing sensor lists it (GcsLanding) -> import
runs write Parquet + manifest to an emulated staging bucket (GcsStaging) -> load runs replace
BigQuery partitions (BigQueryWarehouse on bqemulator, load jobs from gs://) -> dbt-bigquery
builds the marts on bqemulator. The same definitions and the same code path as production;
only STORAGE_EMULATOR_HOST and ELT_BQ_API_ENDPOINT point elsewhere.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
import yaml
from dagster import DagsterInstance, Definitions

from elt_pipeline.defs import build_definitions
from elt_pipeline.defs.partitions import dump_partition_key
from elt_pipeline.lib.sample_data import SourceHistory, landing_key, seed_landing, write_dump
from elt_pipeline.lib.warehouse.bigquery import make_client
from elt_pipeline.settings import DEFAULT_PIPELINE_CONFIG as PIPELINE_CONFIG
from elt_pipeline.settings import Settings, load_settings
from tests.support.expected import FEATURE_COLUMNS, assert_features_equal, expected_customer_features
from tests.support.local_pipeline import RAW_TABLES
from tests.support.local_pipeline import SOURCES as ALL_SOURCES
from tests.support.orchestration import IMPORT_JOB, LOAD_JOB, MARTS_JOB, InProcessDaemon

pytestmark = pytest.mark.gcp

DATES = [date(2024, 1, 1), date(2024, 1, 2)]
# Two of the three configured sources: every dbt build on bqemulator takes ~25 s, and the
# flow runs one per loaded partition; two sources still exercise the union across sources.
SOURCES = ALL_SOURCES[:2]


@dataclass
class GcpPipeline:
    settings: Settings
    defs: Definitions
    daemon: InProcessDaemon
    landing_bucket: object
    local_landing: Path
    snapshots: list = field(default_factory=list)
    current: dict = field(default_factory=dict)  # (source_db, dump_date) -> snapshot now landed

    @property
    def client(self):
        return make_client(self.settings.gcp_project, self.settings.bq_location, self.settings.bq_api_endpoint)

    def land(self, dates: list[date]) -> list:
        """Write the sample dumps locally, then upload them to the landing bucket."""
        snapshots = seed_landing(self.local_landing, SOURCES, dates)
        for snapshot in snapshots:
            self.upload(landing_key(snapshot.source_db, snapshot.dump_date))
        return snapshots

    def upload(self, key: str) -> None:
        self.landing_bucket.blob(key).upload_from_filename(str(self.local_landing / key))

    def query(self, sql: str, **parameters) -> list[dict]:
        from google.cloud import bigquery

        config = bigquery.QueryJobConfig(
            query_parameters=[
                bigquery.ScalarQueryParameter(name, "DATE" if isinstance(value, date) else "STRING", value)
                for name, value in parameters.items()
            ]
        )
        return self.client.query(sql, job_config=config).to_arrow(create_bqstorage_client=False).to_pylist()

    def table_contents(self, excluding: tuple[str, date] | None = None) -> dict[str, list]:
        """Every table of the raw, staging and marts datasets, rows sorted, optionally without one partition."""
        contents = {}
        for dataset in (self.settings.raw_dataset, self.settings.staging_dataset, self.settings.marts_dataset):
            for table in self.client.list_tables(f"{self.settings.gcp_project}.{dataset}"):
                where, params = "", {}
                if excluding:
                    where = "WHERE NOT (_source_db = @source_db AND _dump_date = @dump_date)"
                    params = {"source_db": excluding[0], "dump_date": excluding[1]}
                rows = self.query(f"SELECT * FROM `{dataset}.{table.table_id}` {where}", **params)
                contents[f"{dataset}.{table.table_id}"] = sorted((tuple(sorted(r.items())) for r in rows), key=repr)
        return contents


@pytest.fixture(scope="module")
def pipeline(emulators, tmp_path_factory):
    from google.cloud import storage

    root = tmp_path_factory.mktemp("gcp")
    suffix = uuid.uuid4().hex[:8]
    gcs = storage.Client(project=emulators.project)
    landing_bucket = gcs.create_bucket(f"landing-{suffix}")
    gcs.create_bucket(f"parquet-{suffix}")
    config = yaml.safe_load(PIPELINE_CONFIG.read_text())
    config["sources"] = [source for source in config["sources"] if source["name"] in SOURCES]
    (root / "pipeline.yaml").write_text(yaml.safe_dump(config))
    environ = {
        **emulators.environ,
        "ELT_PIPELINE_CONFIG": str(root / "pipeline.yaml"),
        "ELT_ENV": "gcp",
        "ELT_HASH_SALT": "test-salt-from-secret-manager",
        "ELT_LANDING_URI": f"gs://landing-{suffix}",
        "ELT_PARQUET_URI": f"gs://parquet-{suffix}/imports",
        "ELT_RAW_DATASET": f"raw_{suffix}",
        "ELT_STAGING_DATASET": f"staging_{suffix}",
        "ELT_MARTS_DATASET": f"marts_{suffix}",
        "ELT_DATA_DIR": str(root / "data"),
    }
    with pytest.MonkeyPatch.context() as patch:  # the process environment, as in a deployment
        for name, value in environ.items():
            patch.setenv(name, value)
        settings = load_settings()
        defs = build_definitions(settings)
        (root / "dagster_home").mkdir()
        instance = DagsterInstance.local_temp(str(root / "dagster_home"))
        pipeline = GcpPipeline(settings, defs, InProcessDaemon(defs, instance), landing_bucket, root / "landing")
        pipeline.snapshots = pipeline.land(DATES)
        pipeline.current = {(s.source_db, s.dump_date): s for s in pipeline.snapshots}
        pipeline.first_requests = pipeline.daemon.drain()
        yield pipeline


def mart_rows(pipeline: GcpPipeline, dump_date: date, source_db: str) -> dict[str, dict]:
    rows = pipeline.query(
        f"SELECT customer_key, {', '.join(FEATURE_COLUMNS)}"
        f" FROM `{pipeline.settings.marts_dataset}.fct_customer_features`"
        " WHERE _dump_date = @dump_date AND _source_db = @source_db",
        dump_date=dump_date,
        source_db=source_db,
    )
    return {row.pop("customer_key"): row for row in rows}


def test_every_dump_is_imported_loaded_and_built_once(pipeline):
    daemon = pipeline.daemon
    assert not daemon.failures, [f.all_events[-1].message for f in daemon.failures]
    assert len(pipeline.first_requests) == len(SOURCES) * len(DATES)
    assert all(request.tags["elt/dump_uri"].startswith("gs://") for request in pipeline.first_requests)
    partitions = len(SOURCES) * len(DATES)
    assert daemon.runs == {IMPORT_JOB: partitions, LOAD_JOB: partitions, MARTS_JOB: partitions}
    assert daemon.tick_landing_sensor() == []


def test_staging_holds_manifests_in_gcs(pipeline):
    from elt_pipeline.lib.staging import open_staging

    staging = open_staging(pipeline.settings.parquet_uri)
    for snapshot in pipeline.snapshots:
        manifest = staging.read_manifest(snapshot.source_db, snapshot.dump_date.isoformat())
        for table in RAW_TABLES:
            assert manifest.tables[table].row_count == len(snapshot.tables[table])
            uri = staging.file_uri(snapshot.source_db, snapshot.dump_date.isoformat(), manifest.tables[table].files[0])
            assert uri.startswith(f"{pipeline.settings.parquet_uri}/")


def test_raw_tables_hold_every_partition_with_the_column_policy_applied(pipeline):
    raw = pipeline.settings.raw_dataset
    for snapshot in pipeline.snapshots:
        for table in RAW_TABLES:
            (row,) = pipeline.query(
                f"SELECT COUNT(*) AS n FROM `{raw}.{table}` WHERE _source_db = @source_db AND _dump_date = @dump_date",
                source_db=snapshot.source_db,
                dump_date=snapshot.dump_date,
            )
            assert row["n"] == len(snapshot.tables[table]), (snapshot.source_db, snapshot.dump_date, table)
    customers = pipeline.client.get_table(f"{pipeline.settings.gcp_project}.{raw}.customers")
    columns = {f.name for f in customers.schema}
    assert "password_hash" not in columns
    assert {"email", "_source_db", "_dump_date"} <= columns
    assert customers.time_partitioning.field == "_dump_date"
    assert customers.clustering_fields == ["_source_db"]


def test_marts_equal_values_computed_from_the_source_data(pipeline):
    salt = pipeline.settings.hash_salt
    for snapshot in pipeline.snapshots:
        assert_features_equal(
            mart_rows(pipeline, snapshot.dump_date, snapshot.source_db),
            expected_customer_features(snapshot, salt),
        )


def test_latest_view_serves_each_sources_newest_date(pipeline):
    rows = pipeline.query(
        f"SELECT DISTINCT _source_db, _dump_date FROM `{pipeline.settings.marts_dataset}.customer_features_latest`"
    )
    assert sorted((r["_source_db"], r["_dump_date"]) for r in rows) == sorted((s, DATES[-1]) for s in SOURCES)


def test_replaying_a_partition_changes_nothing(pipeline):
    """Re-import and reload one partition: every table identical. (The dbt half of a replay is
    checked by the backfill test below, which rebuilds the marts of every date.)"""
    before = pipeline.table_contents()
    key = dump_partition_key("shop_us", DATES[0].isoformat())
    instance = pipeline.daemon.instance
    assert pipeline.defs.resolve_job_def(IMPORT_JOB).execute_in_process(partition_key=key, instance=instance).success
    assert pipeline.defs.resolve_job_def(LOAD_JOB).execute_in_process(partition_key=key, instance=instance).success
    assert pipeline.table_contents() == before


def test_a_reuploaded_dump_updates_exactly_its_partition_and_its_date(pipeline):
    source, day = "shop_eu", DATES[1]
    before_outside = pipeline.table_contents(excluding=(source, day))
    changed = SourceHistory(source, seed=99).snapshot(day)
    write_dump(changed, pipeline.local_landing / landing_key(source, day))
    pipeline.upload(landing_key(source, day))  # a new generation of the same object
    pipeline.current[(source, day)] = changed

    requests = pipeline.daemon.drain()

    assert [r.partition_key for r in requests] == [dump_partition_key(source, day.isoformat())]
    assert not pipeline.daemon.failures
    assert_features_equal(
        mart_rows(pipeline, day, source), expected_customer_features(changed, pipeline.settings.hash_salt)
    )
    assert pipeline.table_contents(excluding=(source, day)) == before_outside


def test_a_range_backfill_reloads_every_partition_of_the_range(pipeline):
    """The runs a backfill of raw + dbt assets over [DATES[0], DATES[-1]] launches, one per partition
    (raw: every source x date; dbt: every date), executed in-process against the emulators."""
    from dagster import AssetKey

    instance = pipeline.daemon.instance
    keys = [dump_partition_key(source, day.isoformat()) for day in DATES for source in SOURCES]

    def materializations(table: str) -> dict[str, int]:
        records = instance.fetch_materializations(AssetKey(["raw", table]), limit=1000).records
        counts: dict[str, int] = {}
        for record in records:
            counts[record.partition_key] = counts.get(record.partition_key, 0) + 1
        return counts

    before = {table: materializations(table) for table in RAW_TABLES}
    contents_before = pipeline.table_contents()
    load = pipeline.defs.resolve_job_def(LOAD_JOB)
    for key in keys:
        assert load.execute_in_process(partition_key=key, instance=instance).success
    marts = pipeline.defs.resolve_job_def(MARTS_JOB)
    for day in DATES:
        assert marts.execute_in_process(partition_key=day.isoformat(), instance=instance).success

    for table in RAW_TABLES:
        after = materializations(table)
        assert {key: after[key] - before[table].get(key, 0) for key in after} == {str(key): 1 for key in keys}
    assert pipeline.table_contents() == contents_before  # a replay of the whole range changes nothing
    for (source, day), snapshot in pipeline.current.items():
        assert_features_equal(
            mart_rows(pipeline, day, source), expected_customer_features(snapshot, pipeline.settings.hash_salt)
        )
