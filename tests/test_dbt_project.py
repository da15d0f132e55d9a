"""The dbt project on its own, on a real DuckDB file: raw tables written with DuckDB from the
sample generator's snapshots, then the real `dbt` CLI with the `--vars` Dagster passes
(`dbt_vars`). Expected mart values come from the snapshots (tests/support/expected.py)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance
from dagster_dbt import DbtProject

from elt_pipeline.definitions import build_definitions
from elt_pipeline.defs.dbt.project import DBT_PROJECT_DIR, dbt_executable, dbt_vars, manifest_is_stale
from elt_pipeline.defs.resources import build_resources
from elt_pipeline.lib.pipeline_config import load_pipeline_config
from elt_pipeline.lib.sample_data import Snapshot, SourceHistory
from elt_pipeline.settings import LocalSettings, load_settings
from tests.support.expected import FEATURE_COLUMNS, assert_features_equal, expected_customer_features
from tests.support.orchestration import DBT_JOB

DATES = [date(2024, 1, 10), date(2024, 1, 11), date(2024, 1, 12)]
SOURCES = ["shop_eu", "shop_us"]

# The raw tables as the DuckDB load writes them (the Arrow types of the MySQL columns), without
# the excluded password_hash, then the partition columns the load adds to every row.
RAW_COLUMNS = {
    "customers": "id uinteger, email varchar, full_name varchar, country varchar, signup_at timestamp,"
    " marketing_opt_in tinyint, notes varchar",
    "products": "id uinteger, sku varchar, name varchar, category varchar, unit_price decimal(10, 2), active tinyint",
    "orders": "id ubigint, customer_id uinteger, status varchar, ordered_at timestamp, shipping_cost decimal(8, 2)",
    "order_items": "order_id ubigint, line_no usmallint, product_id uinteger, quantity usmallint,"
    " unit_price decimal(10, 2)",
}
PARTITION_COLUMNS = "_source_db varchar, _dump_date date"
STAGING_OF_RAW = {table: f"stg_shop__{table}" for table in RAW_COLUMNS}
WINDOW_UNIT_TEST = "fct_customer_features_counts_revenue_orders_of_the_last_30_days"


@dataclass
class DbtRun:
    """One `dbt` invocation: its run_results.json entries by unique_id, and its output."""

    results: dict[str, dict]
    log: str

    def failures(self) -> dict[str, str]:
        """unique_id -> status of every node that did not succeed or pass."""
        return {key: r["status"] for key, r in self.results.items() if r["status"] not in ("success", "pass")}

    def matching(self, prefix: str) -> list[dict]:
        return [result for key, result in self.results.items() if key.startswith(prefix)]


@dataclass
class Warehouse:
    """A DuckDB file with raw tables, and the dbt CLI over it."""

    settings: LocalSettings
    workdir: Path

    def write_raw(self, snapshot: Snapshot) -> None:
        """Replace the raw rows of the snapshot's (source, date) with its tables, as a load does."""
        with duckdb.connect(str(self.settings.duckdb_path)) as connection:
            connection.execute(f"create schema if not exists {self.settings.raw_dataset}")
            for table, columns in RAW_COLUMNS.items():
                name = f"{self.settings.raw_dataset}.{table}"
                connection.execute(f"create table if not exists {name} ({columns}, {PARTITION_COLUMNS})")
                partition = [snapshot.source_db, snapshot.dump_date]
                connection.execute(f"delete from {name} where _source_db = ? and _dump_date = ?", partition)
                rows = [(*row, *partition) for row in self._raw_rows(snapshot, table)]
                connection.executemany(f"insert into {name} values ({', '.join('?' * len(rows[0]))})", rows)

    def _raw_rows(self, snapshot: Snapshot, table: str) -> list[tuple]:
        """The snapshot's rows with pipeline.yaml's column policy applied (customers: e-mail
        hashed with the salt, password_hash excluded)."""
        if table != "customers":
            return snapshot.tables[table]
        salt = self.settings.hash_salt.encode()
        return [
            (cid, hashlib.sha256(salt + email.encode()).hexdigest(), *rest)
            for cid, email, _password_hash, *rest in snapshot.tables[table]
        ]

    def delete_raw_date(self, day: date) -> None:
        with duckdb.connect(str(self.settings.duckdb_path)) as connection:
            for table in RAW_COLUMNS:
                connection.execute(f"delete from {self.settings.raw_dataset}.{table} where _dump_date = ?", [day])

    def dbt_build(self, first: date, last: date) -> DbtRun:
        """`dbt build` of [first, last] with the --vars Dagster passes, artifacts in the workdir."""
        target = self.workdir / f"dbt-build-{first}-{last}"
        completed = subprocess.run(
            [
                dbt_executable(),
                "build",
                *("--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)),
                *("--target", "duckdb", "--target-path", str(target), "--log-path", str(target)),
                *("--vars", json.dumps(dbt_vars(self.settings, first.isoformat(), last.isoformat()))),
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        log = completed.stdout + completed.stderr
        assert (target / "run_results.json").exists(), log
        results = json.loads((target / "run_results.json").read_text())["results"]
        return DbtRun({result["unique_id"]: result for result in results}, log)

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.settings.duckdb_path), read_only=True) as connection:
            return connection.execute(sql, params or []).fetchall()

    def rows_per_partition(self, dataset: str, relation: str) -> dict[tuple[str, date], int]:
        rows = self.query(f"select _source_db, _dump_date, count(*) from {dataset}.{relation} group by all")
        return {(source, day): count for source, day, count in rows}

    def features(self, snapshot: Snapshot) -> dict[str, dict]:
        """customer_key -> features of fct_customer_features for the snapshot's (date, source)."""
        rows = self.query(
            f"select customer_key, {', '.join(FEATURE_COLUMNS)} from {self.settings.marts_dataset}"
            ".fct_customer_features where _source_db = ? and _dump_date = ?",
            [snapshot.source_db, snapshot.dump_date],
        )
        return {row[0]: dict(zip(FEATURE_COLUMNS, row[1:])) for row in rows}


def empty_warehouse(root: Path) -> Warehouse:
    (root / "data").mkdir()
    return Warehouse(load_settings({"ELT_DATA_DIR": str(root / "data")}), root)


def sample_snapshots(seed: int = 7) -> dict[tuple[str, date], Snapshot]:
    histories = [SourceHistory(source, seed=seed) for source in SOURCES]
    return {(history.source_db, day): history.snapshot(day) for history in histories for day in DATES}


@pytest.fixture
def warehouse(tmp_path) -> Warehouse:
    return empty_warehouse(tmp_path)


def test_a_build_runs_every_model_data_test_and_unit_test_and_all_pass(warehouse):
    for snapshot in sample_snapshots().values():
        warehouse.write_raw(snapshot)

    run = warehouse.dbt_build(DATES[0], DATES[-1])

    assert run.failures() == {}, run.log
    assert {key.split(".")[0] for key in run.results} == {"model", "test", "unit_test"}
    (window_test,) = run.matching(f"unit_test.elt_pipeline.fct_customer_features.{WINDOW_UNIT_TEST}")
    assert window_test["status"] == "pass"
    assert len(run.matching("test.elt_pipeline.relationships_on_dump_date_")) == 5


def test_a_range_run_leaves_every_date_as_the_raw_tables_hold_it_now(warehouse):
    """Build [D1, D3]; then D1 of one source changes and every raw row of D2 goes; a build of
    [D1, D2] leaves D1 as the raw tables now hold it, no row of D2 anywhere, and D3 as it was."""
    current = sample_snapshots()
    for snapshot in current.values():
        warehouse.write_raw(snapshot)
    assert warehouse.dbt_build(DATES[0], DATES[-1]).failures() == {}

    changed = SourceHistory(SOURCES[0], seed=99).snapshot(DATES[0])
    warehouse.write_raw(changed)
    current[(SOURCES[0], DATES[0])] = changed
    warehouse.delete_raw_date(DATES[1])
    run = warehouse.dbt_build(DATES[0], DATES[1])

    assert run.failures() == {}, run.log
    settings = warehouse.settings
    for raw, staging in STAGING_OF_RAW.items():
        raw_counts = warehouse.rows_per_partition(settings.raw_dataset, raw)
        assert warehouse.rows_per_partition(settings.staging_dataset, staging) == raw_counts, staging
    for dataset, relation in (
        (settings.staging_dataset, "int_orders__totals"),
        (settings.marts_dataset, "fct_customer_features"),
    ):
        assert {day for _, day in warehouse.rows_per_partition(dataset, relation)} == {DATES[0], DATES[2]}, relation
    for (_, day), snapshot in current.items():
        if day != DATES[1]:
            expected = expected_customer_features(snapshot, settings.hash_salt)
            assert_features_equal(warehouse.features(snapshot), expected)


def test_relationships_fail_for_a_key_that_exists_only_on_another_date(warehouse):
    """On D2 a customer's row is gone but their orders remain; the customer still exists on D1,
    so a relationships test on the key alone would pass."""
    first, second = (SourceHistory(SOURCES[0]).snapshot(day) for day in DATES[:2])
    customer = second.tables["orders"][0][1]
    second.tables["customers"] = [row for row in second.tables["customers"] if row[0] != customer]
    warehouse.write_raw(first)
    warehouse.write_raw(second)

    run = warehouse.dbt_build(DATES[0], DATES[1])

    (orders_to_customers,) = run.matching("test.elt_pipeline.relationships_on_dump_date_stg_shop__orders_customer_key")
    orphans = sum(1 for order in second.tables["orders"] if order[1] == customer)
    assert (orders_to_customers["status"], orders_to_customers["failures"]) == ("warn", orphans)
    assert list(run.failures()) == [orders_to_customers["unique_id"]], run.log


def test_the_dagster_build_runs_the_data_tests_but_no_unit_test(warehouse, tmp_path, monkeypatch):
    """Unit tests belong to development and CI: the Dagster asset's `dbt build` excludes them."""
    for (_, day), snapshot in sample_snapshots().items():
        if day == DATES[0]:
            warehouse.write_raw(snapshot)
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "dagster-dbt"))  # where dagster-dbt puts artifacts
    result = (
        build_definitions(warehouse.settings)
        .resolve_job_def(DBT_JOB)
        .execute_in_process(partition_key=DATES[0].isoformat(), instance=DagsterInstance.ephemeral())
    )
    assert result.success

    (run_results,) = (tmp_path / "dagster-dbt").glob("*/run_results.json")
    kinds = {result["unique_id"].split(".")[0] for result in json.loads(run_results.read_text())["results"]}
    assert kinds == {"model", "test"}


def test_dagster_dev_parses_again_only_when_a_project_file_changed(tmp_path, monkeypatch):
    """Every run worker of `dagster dev` loads the code: it reuses the manifest unless a model,
    macro or YAML file is newer (then it re-parses, as dagster-dbt's `prepare_if_dev` does)."""
    monkeypatch.setenv("DAGSTER_IS_DEV_CLI", "1")
    monkeypatch.setenv("PATH", f"{Path(dbt_executable()).parent}:{os.environ['PATH']}")
    copy = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    project = DbtProject(project_dir=copy, target="duckdb", target_path=Path("target") / "duckdb")
    assert manifest_is_stale(project)

    project.prepare_if_dev()
    parsed_at = project.manifest_path.stat().st_mtime_ns
    assert not manifest_is_stale(project)

    model = copy / "models" / "marts" / "fct_customer_features.sql"
    os.utime(model, ns=(parsed_at + 1_000_000_000, parsed_at + 1_000_000_000))
    assert manifest_is_stale(project)


def test_dagster_materializations_carry_the_row_counts_and_columns_the_warehouse_holds(tmp_path, monkeypatch):
    """With a DuckDB file and datasets named unlike the parsed manifest's defaults, dagster-dbt
    reads back the environment's own tables."""
    environ = {
        "ELT_DATA_DIR": str(tmp_path / "data"),
        "ELT_DUCKDB_PATH": str(tmp_path / "data" / "lake.duckdb"),
        "ELT_STAGING_DATASET": "team_staging",
        "ELT_MARTS_DATASET": "team_marts",
    }
    (tmp_path / "data").mkdir()
    warehouse = Warehouse(load_settings(environ), tmp_path)
    for (_, day), snapshot in sample_snapshots().items():
        if day == DATES[0]:
            warehouse.write_raw(snapshot)
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "dagster-dbt"))
    instance = DagsterInstance.ephemeral()
    defs = build_definitions(warehouse.settings)
    assert (
        defs.resolve_job_def(DBT_JOB).execute_in_process(partition_key=DATES[0].isoformat(), instance=instance).success
    )

    for layer, model, dataset in (
        ("staging", "stg_shop__orders", "team_staging"),
        ("intermediate", "int_orders__totals", "team_staging"),
        ("marts", "fct_customer_features", "team_marts"),
        ("marts", "customer_features_latest", "team_marts"),
    ):
        key = AssetKey([layer, model])
        assert (
            defs.resolve_assets_def(key).specs_by_key[key].metadata["dagster/table_name"] == f"lake.{dataset}.{model}"
        )
        metadata = instance.get_latest_materialization_event(key).asset_materialization.metadata
        columns = [(column.name, column.type) for column in metadata["dagster/column_schema"].value.columns]
        described = warehouse.query(f"select column_name, column_type from (describe {dataset}.{model})")
        # dbt's adapter spells DuckDB's VARCHAR `character varying(256)`
        reported = [
            (name, "varchar" if kind.startswith("character varying") else kind.lower()) for name, kind in columns
        ]
        assert reported == [(name, kind.lower()) for name, kind in described], model
        if model == "customer_features_latest":  # a view: dagster-dbt does not run its query to count
            assert "dagster/row_count" not in metadata
        else:
            (rows,) = warehouse.query(f"select count(*) from {dataset}.{model}")[0]
            assert rows > 0 and metadata["dagster/row_count"].value == rows, model


def dbt_source_freshness(warehouse: Warehouse) -> dict[str, dict]:
    """`dbt source freshness` with the --vars Dagster passes: its results by source table."""
    target = warehouse.workdir / "dbt-source-freshness"
    completed = subprocess.run(
        [
            dbt_executable(),
            "source",
            "freshness",
            *("--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)),
            *("--target", "duckdb", "--target-path", str(target), "--log-path", str(target)),
            *("--vars", json.dumps(dbt_vars(warehouse.settings))),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert (target / "sources.json").exists(), completed.stdout + completed.stderr
    results = json.loads((target / "sources.json").read_text())["results"]
    return {result["unique_id"].rsplit(".", 1)[-1]: result for result in results}


def test_source_freshness_passes_with_last_nights_dumps_and_errors_when_dumps_stop(warehouse):
    """A raw table's newest `_dump_date` is its load time: yesterday's is fresh; one that
    stopped days ago is an error for `dbt source freshness`."""
    yesterday = date.today() - timedelta(days=1)
    warehouse.write_raw(SourceHistory(SOURCES[0], until=yesterday).snapshot(yesterday))
    warehouse.write_raw(SourceHistory(SOURCES[1]).snapshot(DATES[0]))  # another source, long stopped
    fresh = dbt_source_freshness(warehouse)
    assert {table: result["status"] for table, result in fresh.items()} == dict.fromkeys(RAW_COLUMNS, "pass")
    assert fresh["orders"]["max_loaded_at"].startswith(yesterday.isoformat())

    warehouse.delete_raw_date(yesterday)
    stale = dbt_source_freshness(warehouse)
    assert {table: result["status"] for table, result in stale.items()} == dict.fromkeys(RAW_COLUMNS, "error")
    assert stale["orders"]["max_loaded_at"].startswith(DATES[0].isoformat())


def test_the_dbt_resource_knows_its_cli_version_without_running_dbt_version(tmp_path):
    """dagster-dbt would run `dbt --version` before every build (3 s or more, requests to PyPI);
    the resource answers with the installed dbt-core, which must be the CLI it runs."""
    settings = load_settings({"ELT_DATA_DIR": str(tmp_path)})
    dbt = build_resources(settings, load_pipeline_config(settings.pipeline_config_path))["dbt"]
    printed = subprocess.run([dbt.dbt_executable, "--version"], capture_output=True, text=True, check=True).stdout
    installed = next(line.split(":")[1].strip() for line in printed.splitlines() if "installed:" in line)
    assert str(dbt._cli_version) == installed
    failing = tmp_path / "dbt"
    failing.write_text("#!/bin/sh\nexit 1\n")
    failing.chmod(0o755)
    unrunnable = type(dbt)(project_dir=dbt.project_dir, dbt_executable=str(failing))
    assert unrunnable._cli_version == dbt._cli_version  # answered without running it
