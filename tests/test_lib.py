"""The pure helpers, without Dagster: config, settings, landing keys, discovery, Parquet store, DuckDB loads."""

import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from elt_pipeline.lib.discovery import Discovery, DiscoveryState, PartitionWindow, discover_dumps
from elt_pipeline.lib.manifest import MANIFEST_NAME, ColumnInfo, Manifest, TableManifest
from elt_pipeline.lib.pipeline_config import PipelineConfigError, load_pipeline_config
from elt_pipeline.lib.storage import InconsistentParquet
from elt_pipeline.lib.storage.layout import BadDumpPath, parse_dump_key
from elt_pipeline.lib.storage.local import LocalLanding, LocalParquetStore
from elt_pipeline.lib.warehouse import Partition, SchemaDriftError, StagedTable
from elt_pipeline.lib.warehouse.duckdb import DuckDBWarehouse
from elt_pipeline.settings import (
    DEFAULT_PIPELINE_CONFIG,
    EXAMPLE_SALT,
    LOCAL_DEVELOPMENT_SALT,
    PACKAGE_DIR,
    GcpSettings,
    LocalSettings,
    SettingsError,
    load_settings,
)

SOURCES = ["shop_eu", "shop_us"]


# --- config and settings -------------------------------------------------------------------


def test_the_shipped_config_is_valid():
    config = load_pipeline_config(DEFAULT_PIPELINE_CONFIG)
    assert config.source_names == ["shop_eu", "shop_us", "shop_apac"]
    policy = config.tables["customers"].columns
    assert not policy.keeps("password_hash") and policy.hashes("email") and policy.keeps("full_name")
    assert not policy.keeps("phone") and policy.unlisted(["id", "email", "phone"]) == ["phone"]
    assert config.table_owners("customers") == ["team:data-platform", "team:shop-backend"]
    assert config.table_tags("customers") == {"domain": "commerce", "pii": "hashed"}
    assert config.table_owners("orders") == ["team:shop-backend"]


BASE = "partitions_start_date: 2024-01-01\nsources: [{name: shop}]\ntables: {t: {}}\n"


def with_group(name: str, source: str = "b", tables: str = "{actor: {}}") -> str:
    """The base config and one source group."""
    return f"{BASE}groups:\n  {name}: {{sources: [{{name: {source}}}], tables: {tables}}}"


def test_source_groups_give_each_source_its_own_tables(tmp_path):
    """The top-level sources and tables are the default group; each group lists its own."""
    path = tmp_path / "pipeline.yaml"
    film = "{optional: true, columns: {exclude: [secret], new_columns: include}}"
    tables = f"{{actor: {{owners: ['team:films']}}, film: {film}}}"
    path.write_text(with_group("films", source="sakila", tables=tables))
    config = load_pipeline_config(path)
    assert config.all_source_names == ["shop", "sakila"] and config.source_names == ["shop"]
    assert [config.group_name_of(source) for source in ("shop", "sakila")] == ["default", "films"]
    assert list(config.source_groups) == ["default", "films"]
    films = config.group_of("sakila")
    assert films.required_tables() == ["actor"] and config.group_of("shop").required_tables() == ["t"]
    assert not films.column_policies()["film"].keeps("secret") and set(films.column_policies()) == {"actor", "film"}
    assert films.table_owners("actor") == ["team:films"] and config.source("sakila").name == "sakila"


@pytest.mark.parametrize(
    ("yaml_text", "named_key"),
    [
        ("partitions_start_date: 2024-01-01\nsources: [{name: a}]\ntables: {t: {colums: {}}}", "tables.t.colums"),
        (
            "partitions_start_date: 2024-01-01\nsources: [{name: a}]\n"
            "tables: {t: {columns: {hash: [x], exclude: [x]}}}",
            "tables.t.columns",
        ),
        (  # with a column policy new columns are excluded by default: the kept ones must be listed
            "partitions_start_date: 2024-01-01\nsources: [{name: a}]\ntables: {t: {columns: {hash: [x]}}}",
            "tables.t.columns",
        ),
        ("partitions_start_date: someday\nsources: [{name: a}]\ntables: {t: {}}", "partitions_start_date"),
        ("partitions_start_date: 2024-01-01\nsources: [{name: a-b}]\ntables: {t: {}}", "sources.0.name"),
        ("partitions_start_date: 2024-01-01\nsources: []\ntables: {t: {}}", "sources"),
        ("partitions_start_date: 2024-01-01\nsources: [{name: a, owners: [bob]}]\ntables: {t: {}}", "sources.0.owners"),
        ("partitions_start_date: 2024-01-01\nsources: [{name: a}]\ntables: {t: {tags: {a b: x}}}", "tables.t.tags"),
        (
            "partitions_start_date: 2024-01-01\nsources: [{name: a, tags: {region: eu}}, {name: b, tags: {region: us}}]"
            "\ntables: {t: {}}",
            "region",
        ),
        (with_group("sakila", source="shop"), "source 'shop' is listed in groups default and sakila"),
        (with_group("bad-name"), "group name 'bad-name'"),
        (with_group("default"), "group name 'default'"),
        (with_group("g", tables="{}"), "groups.g.tables"),
        (with_group("g", tables="{actor-x: {}}"), "groups.g.tables"),
        (with_group("g") + "\n  g: {sources: [{name: c}], tables: {t: {}}}", "duplicate key 'g'"),  # not the last kept
        (with_group("t").replace("tables: {t: {}}", "tables: {t__actor: {}}"), "tables ['t__actor'] would share"),
    ],
)
def test_an_invalid_config_fails_at_load_naming_the_key(tmp_path, yaml_text, named_key):
    path = tmp_path / "pipeline.yaml"
    path.write_text(yaml_text)
    with pytest.raises(PipelineConfigError) as error:
        load_pipeline_config(path)
    assert str(path) in str(error.value) and named_key in str(error.value)


def test_gcp_settings_require_a_project_and_a_salt():
    with pytest.raises(SettingsError, match="ELT_GCP_PROJECT"):
        load_settings({"ELT_ENV": "gcp", "ELT_HASH_SALT": "s"})
    with pytest.raises(SettingsError, match="ELT_HASH_SALT"):
        load_settings({"ELT_ENV": "gcp", "ELT_GCP_PROJECT": "p"})
    settings = load_settings({"ELT_ENV": "gcp", "ELT_GCP_PROJECT": "acme-ml", "ELT_HASH_SALT": "s"})
    assert isinstance(settings, GcpSettings)
    assert settings.landing_uri == "gs://acme-ml-elt-landing" and settings.dbt_target == "bigquery"
    assert settings.parquet_uri == "gs://acme-ml-elt-parquet"


@pytest.mark.parametrize(
    ("salt", "named"),
    [
        ("change-me-from-secret-manager", "example placeholder"),
        (LOCAL_DEVELOPMENT_SALT, "local development-only default"),
    ],
)
def test_gcp_refuses_a_placeholder_salt(salt, named):
    with pytest.raises(SettingsError, match=f"ELT_HASH_SALT is the {named}.*Secret Manager"):
        load_settings({"ELT_ENV": "gcp", "ELT_GCP_PROJECT": "p", "ELT_HASH_SALT": salt})


def test_the_example_environment_holds_the_placeholder_gcp_refuses():
    example = (PACKAGE_DIR / "deploy" / "env.example").read_text()
    assert f"ELT_HASH_SALT={EXAMPLE_SALT}\n" in example and LOCAL_DEVELOPMENT_SALT in example
    assert "development-only" in LOCAL_DEVELOPMENT_SALT


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"ELT_LANDING_URI": "gs://bucket/landing"}, "ELT_LANDING_URI"),
        ({"ELT_PARQUET_URI": "gs://bucket"}, "ELT_PARQUET_URI"),
        ({"ELT_ENV": "gcp", "ELT_LANDING_URI": "/srv/landing"}, "ELT_LANDING_URI"),
        ({"ELT_ENV": "gcp", "ELT_PARQUET_URI": "parquet"}, "ELT_PARQUET_URI"),
    ],
)
def test_uris_that_do_not_fit_the_environment_fail_at_start(environ, variable):
    with pytest.raises(SettingsError, match=variable):
        load_settings({"ELT_GCP_PROJECT": "p", "ELT_HASH_SALT": "a-real-salt", **environ})


def test_local_settings_are_folders_under_the_data_dir(tmp_path):
    settings = load_settings({"ELT_DATA_DIR": str(tmp_path)})
    assert isinstance(settings, LocalSettings)
    assert (settings.landing_dir, settings.parquet_dir) == (tmp_path / "landing", tmp_path / "parquet")
    assert settings.duckdb_path == tmp_path / "warehouse.duckdb" and settings.dbt_target == "duckdb"


# --- landing keys and discovery --------------------------------------------------------------


def test_dump_keys_parse_into_partitions():
    parsed = parse_dump_key("shop_eu/2024-01-31/shop_eu.sql.gz", SOURCES)
    assert (parsed.source_db, parsed.dump_date, parsed.name) == ("shop_eu", "2024-01-31", "shop_eu.sql.gz")
    for bad in ["shop_eu/2024-02-30/x.sql", "shop_xx/2024-01-01/x.sql", "shop_eu/2024-01-01/x.csv", "x.sql"]:
        with pytest.raises(BadDumpPath):
            parse_dump_key(bad, SOURCES)


def land(root: Path, key: str, content: bytes = b"dump", at: float | None = None) -> None:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    if at is not None:
        os.utime(path, (at, at))


WINDOW = PartitionWindow(first="2024-01-01", last="2024-03-31")
HOUR = 3600.0


class Ticks:
    """Successive ticks of discovery over a landing folder, remembering what was imported."""

    def __init__(self, root: Path, window: PartitionWindow = WINDOW):
        self.landing = LocalLanding(root)
        self.window = window
        self.state = DiscoveryState()
        self.imported: set[str] = set()
        self.now = 1_000_000.0

    def tick(self, advance: float = 30.0) -> Discovery:
        self.now += advance
        previous = self.state
        discovery = discover_dumps(
            self.landing,
            SOURCES,
            previous,
            partitions=self.window,
            now=self.now,
            imported=lambda keys: self.imported & set(keys),
        )
        self.imported |= {landed.run_key for landed, _ in discovery.dumps}
        self.state = discovery.state
        self.new_skips = discovery.new_skips(previous)
        return discovery


def keys(discovery: Discovery) -> list[str]:
    return [landed.key for landed, _ in discovery.dumps]


def test_a_tick_lists_recent_folders_and_a_reconciliation_everything(tmp_path):
    for day in range(1, 29):
        for source in SOURCES:
            land(tmp_path, f"{source}/2024-02-{day:02d}/{source}.sql.gz")
    ticks = Ticks(tmp_path)
    first = ticks.tick()
    assert first.reconciled and first.listed == 56 and len(first.dumps) == 56

    land(tmp_path, "shop_us/2024-02-29/shop_us.sql.gz")
    second = ticks.tick()
    assert not second.reconciled
    assert second.listed == 2 * 8 + 1  # each source's newest date and the 7 days before it, plus the new file
    assert keys(second) == ["shop_us/2024-02-29/shop_us.sql.gz"]
    assert ticks.tick().dumps == []


def test_a_late_or_corrected_dump_for_any_old_date_is_imported_once(tmp_path):
    for day in range(1, 29):
        land(tmp_path, f"shop_eu/2024-02-{day:02d}/shop_eu.sql.gz")
    ticks = Ticks(tmp_path)
    ticks.tick()
    land(tmp_path, "shop_eu/2024-02-25/shop_eu.sql.gz", b"corrected", at=2e9)  # inside the window
    land(tmp_path, "shop_us/2024-01-15/shop_us.sql.gz")  # a new source's first, old dump
    land(tmp_path, "shop_eu/2024-01-03/shop_eu.sql.gz", b"late", at=2e9)  # long before the window

    assert sorted(keys(ticks.tick())) == ["shop_eu/2024-02-25/shop_eu.sql.gz", "shop_us/2024-01-15/shop_us.sql.gz"]
    assert ticks.tick(advance=HOUR - 60).dumps == []
    reconciliation = ticks.tick(advance=60)
    assert reconciliation.reconciled and keys(reconciliation) == ["shop_eu/2024-01-03/shop_eu.sql.gz"]
    assert ticks.tick(advance=HOUR).dumps == []  # reconciled again: nothing twice


def test_dates_without_a_partition_are_skipped_without_blocking_the_rest(tmp_path):
    land(tmp_path, "shop_eu/2099-01-01/shop_eu.sql.gz")
    land(tmp_path, "shop_eu/2023-12-31/shop_eu.sql.gz")
    land(tmp_path, "shop_eu/2024-02-30/shop_eu.sql.gz")
    land(tmp_path, "shop_eu/2024-02-01/shop_eu.sql.gz")
    land(tmp_path, "shop_us/2024-02-01/shop_us.sql.gz")
    ticks = Ticks(tmp_path)
    first = ticks.tick()
    assert keys(first) == ["shop_eu/2024-02-01/shop_eu.sql.gz", "shop_us/2024-02-01/shop_us.sql.gz"]
    reasons = " | ".join(skip.reason for skip in first.skips)
    assert "2099-01-01 has no partition yet" in reasons and "2023-12-31 is before partitions_start_date" in reasons
    assert "'2024-02-30' is not a YYYY-MM-DD dump date" in reasons
    assert ticks.state.newest == {"shop_eu": "2024-02-01", "shop_us": "2024-02-01"}  # never 2099

    assert ticks.new_skips != []
    ticks.tick()
    assert ticks.new_skips == []  # each reason is logged once, not every tick
    ticks.window = PartitionWindow(first="2024-01-01", last="2099-01-01")  # ... until the date has a partition
    assert keys(ticks.tick()) == ["shop_eu/2099-01-01/shop_eu.sql.gz"]


def test_a_folder_with_several_dumps_imports_the_one_landed_last(tmp_path):
    land(tmp_path, "shop_eu/2024-02-01/a.sql.gz", at=1_000)
    land(tmp_path, "shop_eu/2024-02-01/b.sql.gz", at=2_000)
    ticks = Ticks(tmp_path)
    first = ticks.tick()
    assert keys(first) == ["shop_eu/2024-02-01/b.sql.gz"]
    assert [skip.reason for skip in first.skips] == [
        "shop_eu/2024-02-01/a.sql.gz: superseded by shop_eu/2024-02-01/b.sql.gz, landed later"
    ]
    land(tmp_path, "shop_eu/2024-02-01/a.sql.gz", b"re-exported", at=3_000)
    assert keys(ticks.tick()) == ["shop_eu/2024-02-01/a.sql.gz"]


# --- Parquet store --------------------------------------------------------------------------


def manifest_for(tables: dict[str, list[str]]) -> Manifest:
    return Manifest(
        tables={
            name: TableManifest(row_count=1, files=files, columns=[ColumnInfo("id", "int", "int32")])
            for name, files in tables.items()
        },
        converter_version="test",
        dump_uri="x",
        dump_sha256="0",
        dump_bytes=1,
        source_db="shop_eu",
        dump_date="2024-01-01",
    )


def test_publishing_writes_the_manifest_last_and_drops_superseded_files(tmp_path):
    local = tmp_path / "out"
    (local / "t").mkdir(parents=True)
    (local / "t" / "part-00000.parquet").write_bytes(b"first")
    store = LocalParquetStore(tmp_path / "parquet")
    store.publish(local, manifest_for({"t": ["t/part-00000.parquet"]}), import_id="run1")
    (local / "t" / "part-00000.parquet").write_bytes(b"second")
    store.publish(local, manifest_for({"t": ["t/part-00000.parquet"]}), import_id="run2")

    manifest = store.read_manifest("shop_eu", "2024-01-01")
    assert manifest.tables["t"].files == ["t/part-run2-00000.parquet"]
    folder = tmp_path / "parquet/shop_eu/2024-01-01"
    assert sorted(p.name for p in folder.glob("t/*")) == ["part-run2-00000.parquet"]
    assert (folder / "t/part-run2-00000.parquet").read_bytes() == b"second"
    assert sorted(p.name for p in folder.iterdir()) == [MANIFEST_NAME, "t"]


# --- DuckDB warehouse -----------------------------------------------------------------------


def staged(path: Path, table: pa.Table) -> StagedTable:
    """One Parquet file, as the load step hands it to a warehouse."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return StagedTable(uris=[str(path)], schema=table.schema)


def rows(warehouse: DuckDBWarehouse) -> list[tuple]:
    with duckdb.connect(str(warehouse.path), read_only=True) as connection:
        return connection.execute("select * from elt_raw.t order by all").fetchall()


def test_a_partition_replace_touches_only_its_partition(tmp_path):
    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb", "elt_raw")
    eu, us = Partition("shop_eu", "2024-01-01"), Partition("shop_us", "2024-01-01")
    warehouse.replace_partition("t", eu, staged(tmp_path / "a.parquet", pa.table({"id": [1, 2]})))
    warehouse.replace_partition("t", us, staged(tmp_path / "b.parquet", pa.table({"id": [7]})))
    result = warehouse.replace_partition("t", eu, staged(tmp_path / "c.parquet", pa.table({"id": [3]})))

    assert result.row_count == 1 and warehouse.partition_row_count("t", eu) == 1
    assert [r[:2] for r in rows(warehouse)] == [(3, "shop_eu"), (7, "shop_us")]


def test_additive_drift_adds_a_column_and_incompatible_drift_changes_nothing(tmp_path):
    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb", "elt_raw")
    partition = Partition("shop_eu", "2024-01-01")
    warehouse.replace_partition("t", partition, staged(tmp_path / "a.parquet", pa.table({"id": [1]})))
    added = warehouse.replace_partition(
        "t", partition, staged(tmp_path / "b.parquet", pa.table({"id": [2], "note": ["x"]}))
    )
    assert added.added_columns == ["note"]
    before = rows(warehouse)

    with pytest.raises(SchemaDriftError, match=r"t\.id: BIGINT -> VARCHAR"):
        warehouse.replace_partition("t", partition, staged(tmp_path / "c.parquet", pa.table({"id": ["2"]})))
    with pytest.raises(duckdb.Error):
        (tmp_path / "broken.parquet").write_bytes(b"PAR1 not parquet")
        warehouse.replace_partition("t", partition, StagedTable([str(tmp_path / "broken.parquet")], pa.schema([])))
    assert rows(warehouse) == before


def test_files_of_one_table_must_share_a_schema(tmp_path):
    store = LocalParquetStore(tmp_path)
    one = staged(tmp_path / "a.parquet", pa.table({"id": [1]}))
    other = staged(tmp_path / "b.parquet", pa.table({"id": ["1"]}))
    assert store.read_schema(one.uris) == one.schema
    with pytest.raises(InconsistentParquet, match=r"b\.parquet"):
        store.read_schema(one.uris + other.uris)
