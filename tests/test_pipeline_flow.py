"""The whole pipeline, one scenario per behaviour, on both environments: landing -> sensors ->
import -> load -> dbt -> marts.

`local` runs on folders and a DuckDB file; `gcp` on fake-gcs-server and bqemulator with the
same definitions and code path as production (only STORAGE_EMULATOR_HOST and the BigQuery
endpoint point elsewhere). Expected values come from the sample generator's snapshots
(tests/support/expected.py), never from the pipeline itself.
"""

from datetime import date

import pytest
from dagster import AssetKey, RunsFilter

from elt_pipeline.defs.partitions import dump_partition_key
from elt_pipeline.lib.sample_data import SourceHistory
from tests.support.expected import assert_features_equal, expected_customer_features
from tests.support.orchestration import DBT_JOB, IMPORT_JOB, LOAD_JOB, dbt_dates
from tests.support.pipelines import ALL_SOURCES, RAW_TABLES, pipeline_on

pytestmark = pytest.mark.slow

DATES = [date(2024, 1, 1), date(2024, 1, 2)]
# gcp: two of the three sources (every dbt build on bqemulator takes ~25 s); two still
# exercise the union across sources.
SOURCES = {"local": ALL_SOURCES, "gcp": ALL_SOURCES[:2]}


@pytest.fixture(scope="module", params=["local", "gcp"])
def pipeline(request, tmp_path_factory):
    """Two nights of dumps from every source, landed and run through every sensor and job."""
    kind = request.param
    emulators = request.getfixturevalue("emulators") if kind == "gcp" else None
    with pipeline_on(kind, tmp_path_factory.mktemp(kind), SOURCES[kind], emulators) as pipeline:
        pipeline.snapshots = pipeline.land(DATES)
        pipeline.current = {(s.source_db, s.dump_date): s for s in pipeline.snapshots}
        pipeline.first_requests = pipeline.daemon.drain()
        yield pipeline


def test_every_dump_is_imported_loaded_and_built_once(pipeline):
    daemon = pipeline.daemon
    assert not daemon.failures, [failure.all_events[-1].message for failure in daemon.failures]
    partitions = len(pipeline.sources) * len(DATES)
    assert len(pipeline.first_requests) == partitions
    assert all(r.tags["elt/dump_uri"].endswith(".sql.gz") for r in pipeline.first_requests)
    # imported together, loaded by one run over their range; dbt once, over both dates (ready on the same tick)
    assert daemon.runs == {IMPORT_JOB: partitions, LOAD_JOB: 1, DBT_JOB: 1}
    (build,) = daemon.instance.get_runs(RunsFilter(job_name=DBT_JOB))
    assert dbt_dates(build.tags) == {day.isoformat() for day in DATES}
    assert daemon.tick_landing_sensor() == []  # nothing new: no second import


def test_the_parquet_store_holds_a_manifest_per_partition(pipeline):
    for snapshot in pipeline.snapshots:
        manifest = pipeline.manifest(snapshot.source_db, snapshot.dump_date)
        for table in RAW_TABLES:
            assert manifest.tables[table].row_count == len(snapshot.tables[table])
            day = snapshot.dump_date.isoformat()
            uri = pipeline.parquet.file_uri(snapshot.source_db, day, manifest.tables[table].files[0])
            assert uri.endswith(".parquet") and f"/{snapshot.source_db}/{day}/{table}/" in uri


def test_raw_tables_hold_every_partition_with_the_column_policy_applied(pipeline):
    for snapshot in pipeline.snapshots:
        for table in RAW_TABLES:
            count = pipeline.raw_count(table, snapshot.source_db, snapshot.dump_date)
            assert count == len(snapshot.tables[table]), (snapshot.source_db, snapshot.dump_date, table)
    columns = pipeline.raw_columns("customers")
    assert "password_hash" not in columns
    assert {"email", "_source_db", "_dump_date"} <= columns


def test_marts_equal_values_computed_from_the_source_data(pipeline):
    salt = pipeline.settings.hash_salt
    for snapshot in pipeline.snapshots:
        assert_features_equal(
            pipeline.mart_rows(snapshot.dump_date, snapshot.source_db), expected_customer_features(snapshot, salt)
        )


# The ML marts' contract (dbt_project/models/marts/_marts__models.yml) per dbt target, in the
# warehouse's own type names: what the ML team reads.
MART_COLUMN_TYPES = {
    "duckdb": {
        "_dump_date": "DATE",
        **dict.fromkeys(["_source_db", "customer_key", "email_sha256", "country_code"], "VARCHAR"),
        "is_marketing_opt_in": "BOOLEAN",
        **dict.fromkeys(["tenure_days", "n_orders", "n_cancelled", "n_returned"], "BIGINT"),
        "total_revenue": "DECIMAL(28,6)",
        "avg_order_value": "DOUBLE",
        **dict.fromkeys(["days_since_last_order", "n_orders_last_30d"], "BIGINT"),
    },
    "bigquery": {
        "_dump_date": "DATE",
        **dict.fromkeys(["_source_db", "customer_key", "email_sha256", "country_code"], "STRING"),
        "is_marketing_opt_in": "BOOL",
        **dict.fromkeys(["tenure_days", "n_orders", "n_cancelled", "n_returned"], "INT64"),
        "total_revenue": "NUMERIC",
        "avg_order_value": "FLOAT64",
        **dict.fromkeys(["days_since_last_order", "n_orders_last_30d"], "INT64"),
    },
}


def test_the_ml_marts_have_their_contracted_column_types(pipeline):
    expected = MART_COLUMN_TYPES[pipeline.settings.dbt_target]
    for relation in ("fct_customer_features", "customer_features_latest"):
        types = pipeline.column_types(f"{pipeline.settings.marts_dataset}.{relation}")
        assert list(types.items()) == list(expected.items()), relation


def test_latest_view_serves_each_sources_newest_date(pipeline):
    assert pipeline.latest_partitions() == {(source, DATES[-1]) for source in pipeline.sources}


def test_replaying_a_partition_changes_nothing(pipeline):
    before = pipeline.table_contents()
    key = dump_partition_key(pipeline.sources[1], DATES[0].isoformat())
    instance = pipeline.daemon.instance
    for job, partition in ((IMPORT_JOB, key), (LOAD_JOB, key), (DBT_JOB, DATES[0].isoformat())):
        result = pipeline.defs.resolve_job_def(job).execute_in_process(partition_key=partition, instance=instance)
        assert result.success, job
    assert pipeline.table_contents() == before


def test_a_reuploaded_dump_updates_exactly_its_partition_and_its_date(pipeline):
    source, day = pipeline.sources[0], DATES[1]
    before_outside = pipeline.table_contents(excluding=(source, day))
    changed = SourceHistory(source, seed=99).snapshot(day)  # a different database, same partition
    pipeline.land_snapshot(changed)
    pipeline.current[(source, day)] = changed

    requests = pipeline.daemon.drain()

    assert [r.partition_key for r in requests] == [dump_partition_key(source, day.isoformat())]
    assert not pipeline.daemon.failures
    salt = pipeline.settings.hash_salt
    assert_features_equal(pipeline.mart_rows(day, source), expected_customer_features(changed, salt))
    assert pipeline.table_contents(excluding=(source, day)) == before_outside


def test_reloading_a_range_and_one_dbt_run_over_it_change_nothing(pipeline):
    """What a backfill of raw + dbt over [DATES[0], DATES[-1]] runs: one load run over every
    (date, source) and one dbt run over the whole date range."""
    instance = pipeline.daemon.instance
    keys = [dump_partition_key(source, day.isoformat()) for day in DATES for source in pipeline.sources]

    def materializations(table: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for record in instance.fetch_materializations(AssetKey(["raw", table]), limit=1000).records:
            counts[record.partition_key] = counts.get(record.partition_key, 0) + 1
        return counts

    before = {table: materializations(table) for table in RAW_TABLES}
    contents_before = pipeline.table_contents()
    load = pipeline.defs.resolve_job_def(LOAD_JOB)
    sources = load.partitions_def.get_partitions_def_for_dimension("source_db").get_partition_keys()
    first, last = (
        dump_partition_key(sources[0], DATES[0].isoformat()),
        dump_partition_key(sources[-1], DATES[-1].isoformat()),
    )
    bounds = {"dagster/asset_partition_range_start": str(first), "dagster/asset_partition_range_end": str(last)}
    assert load.execute_in_process(instance=instance, tags=bounds).success
    dbt = pipeline.defs.resolve_job_def(DBT_JOB).execute_in_process(
        instance=instance,
        tags={
            "dagster/asset_partition_range_start": DATES[0].isoformat(),
            "dagster/asset_partition_range_end": DATES[-1].isoformat(),
        },
    )
    assert dbt.success

    for table in RAW_TABLES:
        after = materializations(table)
        assert {key: after[key] - before[table].get(key, 0) for key in after} == {str(key): 1 for key in keys}
    assert pipeline.table_contents() == contents_before
    for (source, day), snapshot in pipeline.current.items():
        salt = pipeline.settings.hash_salt
        assert_features_equal(pipeline.mart_rows(day, source), expected_customer_features(snapshot, salt))


def test_raw_materializations_name_the_table_and_describe_its_columns(pipeline):
    latest = pipeline.daemon.instance.get_latest_materialization_event(AssetKey(["raw", "customers"]))
    metadata = latest.asset_materialization.metadata
    assert metadata["dagster/table_name"].value == pipeline.settings.qualified_table(pipeline.raw_dataset, "customers")
    columns = {column.name: column for column in metadata["dagster/column_schema"].value.columns}
    assert list(columns) == list(pipeline.column_types(f"{pipeline.raw_dataset}.customers"))
    assert columns["email"].description == "MySQL varchar(255), salted SHA-256 of the value"
    assert columns["notes"].description == "MySQL text" and columns["notes"].constraints.nullable
    assert not columns["id"].constraints.nullable
    assert columns["_dump_date"].description == "partition column added by the load"


def test_dbt_materializations_carry_the_warehouse_row_counts_and_columns(pipeline):
    """dagster-dbt reads them back from the environment's own tables after each build."""
    instance = pipeline.daemon.instance
    for layer, model, dataset in (
        ("staging", "stg_shop__customers", pipeline.settings.staging_dataset),
        ("marts", "fct_customer_features", pipeline.settings.marts_dataset),
    ):
        metadata = instance.get_latest_materialization_event(AssetKey([layer, model])).asset_materialization.metadata
        (rows,) = pipeline.query(f"SELECT COUNT(*) FROM {dataset}.{model}")[0]
        assert rows > 0 and metadata["dagster/row_count"].value == rows, model
        columns = [column.name for column in metadata["dagster/column_schema"].value.columns]
        assert columns == pipeline.columns(f"{dataset}.{model}"), model
