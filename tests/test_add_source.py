"""`elt-pipeline add-source`: onboard Sakila (the shared corpus) from its dump, as a user would, into
the shop pipeline's config as a source group of its own, then land its dump beside a shop dump and
let the real sensors import and load both; Sakila's raw tables equal the corpus ground truth and
the shop's marts are built. A newer dump's differences are shown and applied to its group only,
and nothing else in the files changes."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml
from dagster import AssetKey, DagsterInstance

from elt_pipeline.definitions import build_definitions
from elt_pipeline.defs.dbt.project import DBT_PROJECT_DIR, dbt_executable, dbt_vars
from elt_pipeline.lib.onboarding import add_source, suggested_policy
from elt_pipeline.lib.pipeline_config import load_pipeline_config
from elt_pipeline.lib.sample_data import SourceHistory, render_dump, seed_landing, write_dump
from elt_pipeline.lib.schema_diff import ColumnChange, diff_schema
from elt_pipeline.settings import DEFAULT_PIPELINE_CONFIG, load_settings
from tests.support.corpus import corpus_dir
from tests.support.orchestration import DBT_JOB, IMPORT_JOB, LOAD_JOB, InProcessDaemon
from tests.support.required import skip_or_fail

SAKILA_DUMP = corpus_dir() / "sakila.default.sql.gz"
DUMP_DATE = date(2026, 11, 20)
INTEGER_OR_DECIMAL = re.compile(r"^(tinyint|smallint|mediumint|int|bigint|decimal)")
TEMPORAL = re.compile(r"^(date|datetime|timestamp|year)")


def required_sakila_dump() -> Path:
    """The corpus's Sakila dump (`mariadb-dump --databases sakila`); skip (fail under CI) without it."""
    if not SAKILA_DUMP.exists():
        skip_or_fail(f"no {SAKILA_DUMP.name} in {corpus_dir()} (set ELT_CORPUS_DIR)")
    return SAKILA_DUMP


@pytest.fixture
def sakila_dump() -> Path:
    return required_sakila_dump()


def run_cli(*args: str, config: Path) -> subprocess.CompletedProcess:
    environ = {**os.environ, "ELT_PIPELINE_CONFIG": str(config)}
    command = [sys.executable, "-m", "elt_pipeline.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=environ)


def dbt_project_copy(root: Path) -> Path:
    """The project's dbt project without its build artefacts, for add-source to write into."""
    copy = root / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    return copy


def ground_truth() -> dict:
    return json.loads((corpus_dir() / "groundtruth.json").read_text())["databases"]["sakila"]["tables"]


# -- the parts, without a pipeline --------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "policy"),
    [
        ("email", "hash"),
        ("contactEmail", "hash"),
        ("phone", "hash"),
        ("first_name", "hash"),
        ("last_ip", "hash"),
        ("address2", "exclude"),
        ("birth_date", "exclude"),
        ("password", "exclude"),
        ("address_id", None),  # a reference to an address
        ("zip", None),
        ("description", None),
        ("rental_rate", None),
    ],
)
def test_suggested_policy_follows_name_parts(column, policy):
    assert suggested_policy(column) == policy


def test_diff_lists_added_removed_and_retyped_in_dump_order():
    known = {"a": {"id": "int", "x": "int"}, "gone": {"id": "int"}}
    dumped = {"new": {"id": "int"}, "a": {"id": "bigint", "y": "text"}}
    diff = diff_schema(known, dumped)
    assert diff.added_tables == {"new": {"id": "int"}}
    assert diff.removed_tables == ["gone"]
    assert diff.columns == [
        ColumnChange("a", "y", None, "text"),
        ColumnChange("a", "x", "int", None),
        ColumnChange("a", "id", "int", "bigint"),
    ]
    assert not diff_schema(dumped, dumped)
    hand_written = diff_schema({"a": {}}, {"a": {"id": "int"}})
    assert hand_written.recorded == {"a": {"id": "int"}} and not hand_written.columns


def test_a_shard_joins_the_shop_sources_and_the_hand_written_config_stays(tmp_path):
    """A new shop database (same tables): its source is added, the column types recorded, and
    nothing the user wrote changes (no policy suggested for columns replicated already)."""
    config = tmp_path / "pipeline.yaml"
    shutil.copyfile(DEFAULT_PIPELINE_CONFIG, config)
    dump = write_dump(SourceHistory("shop_jp").snapshot(date(2024, 1, 2)), tmp_path / "shop_jp.sql.gz")
    dbt_dir = tmp_path / "dbt"
    result = run_cli("add-source", "shop_jp", "--from-dump", str(dump), "--dbt-project", str(dbt_dir), config=config)

    assert result.returncode == 0, result.stderr
    assert "= table customers: column types recorded (8 columns)" in result.stdout
    assert "suggested" not in result.stdout
    before, after = load_pipeline_config(DEFAULT_PIPELINE_CONFIG), load_pipeline_config(config)
    assert after.source_names == [*before.source_names, "shop_jp"]
    assert {name: table.columns for name, table in after.tables.items()} == {
        name: table.columns for name, table in before.tables.items()
    }
    assert after.tables["orders"].column_types["ordered_at"] == "datetime(3)"
    assert "exclude: [password_hash]   # never leaves production" in config.read_text()


def test_a_different_database_gets_a_source_group_of_its_own(tmp_path, sakila_dump):
    """Sakila lacks the shop tables: it becomes group `sakila` of the same config, with its own
    tables, raw asset keys and warehouse tables; the shop sources and tables do not change."""
    config_path, dbt_dir = tmp_path / "pipeline.yaml", tmp_path / "dbt"
    shutil.copyfile(DEFAULT_PIPELINE_CONFIG, config_path)
    result = run_cli(
        "add-source", "sakila", "--from-dump", str(sakila_dump), "--dbt-project", str(dbt_dir), config=config_path
    )

    assert result.returncode == 0, result.stderr
    assert f"wrote {config_path} (source group sakila)" in result.stdout
    before, after = load_pipeline_config(DEFAULT_PIPELINE_CONFIG), load_pipeline_config(config_path)
    assert (after.sources, after.tables) == (before.sources, before.tables)
    assert after.all_source_names == [*before.source_names, "sakila"]
    sakila = after.groups["sakila"]
    assert sakila.source_names == ["sakila"] and list(sakila.tables) == list(ground_truth())
    assert after.group_of("sakila").required_tables() == list(ground_truth())
    dbt_source = yaml.safe_load((dbt_dir / "models" / "staging" / "_sakila__sources.yml").read_text())["sources"][0]
    actor = next(table for table in dbt_source["tables"] if table["name"] == "actor")
    assert dbt_source["name"] == "sakila" and actor["identifier"] == "sakila__actor"
    assert actor["meta"]["dagster"]["asset_key"] == ["raw", "sakila", "actor"]
    assert dbt_source["config"]["loaded_at_field"] == "cast(_dump_date as timestamp)"
    assert dbt_source["config"]["freshness"]["error_after"] == {"count": 4, "period": "day"}

    # The group asked for explicitly must be one whose tables the dump holds.
    text = config_path.read_text()
    refused = run_cli(
        *("add-source", "sakila_eu", "--from-dump", str(sakila_dump), "--group", "default"),
        *("--dbt-project", str(dbt_dir)),
        config=config_path,
    )
    assert refused.returncode == 1
    assert "lacks tables ['customers', 'order_items', 'orders', 'products'] that every source of group 'default'" in (
        refused.stderr
    )
    assert config_path.read_text() == text and not (dbt_dir / "models" / "staging" / "_sakila_eu__sources.yml").exists()


def test_a_missing_dump_is_named(tmp_path):
    result = run_cli("add-source", "x", "--from-dump", str(tmp_path / "nope.sql"), config=tmp_path / "p.yaml")
    assert result.returncode == 1
    assert f"{tmp_path / 'nope.sql'}: no such dump file" in result.stderr
    assert not (tmp_path / "p.yaml").exists()


# -- Sakila end to end ---------------------------------------------------------------------------


@pytest.mark.slow
def test_sakila_onboarded_as_a_group_beside_the_shop_loads_the_ground_truth(tmp_path, monkeypatch, sakila_dump):
    """One config: the shop sources (default group) and Sakila, onboarded by the CLI as a group.
    A shop dump and Sakila's land for the same date; the real sensors import, load and build."""
    config_path, dbt_dir = tmp_path / "pipeline.yaml", dbt_project_copy(tmp_path)
    shutil.copyfile(DEFAULT_PIPELINE_CONFIG, config_path)
    onboarded = run_cli(
        "add-source", "sakila", "--from-dump", str(sakila_dump), "--dbt-project", str(dbt_dir), config=config_path
    )
    assert onboarded.returncode == 0, onboarded.stderr
    truth = ground_truth()
    assert [line for line in onboarded.stdout.splitlines() if line.startswith("+ table")] == [
        f"+ table {name} ({len(table['columns'])} columns)" for name, table in truth.items()
    ]
    config = load_pipeline_config(config_path)
    sakila = config.groups["sakila"]
    assert config.source_names == ["shop_eu", "shop_us", "shop_apac"] and sakila.source_names == ["sakila"]
    assert sakila.tables["staff"].columns.exclude == ("password",)
    assert sakila.tables["customer"].columns.hash == ("first_name", "last_name", "email")
    assert sakila.tables["film"].column_types["rating"] == "enum('G','PG','PG-13','R','NC-17')"
    assert "# suggested by add-source" in config_path.read_text()

    # Land both dumps where production lands them; the real sensors take it from there.
    monkeypatch.setenv("ELT_PIPELINE_CONFIG", str(config_path))
    monkeypatch.setenv("ELT_DATA_DIR", str(tmp_path / "data"))
    settings = load_settings()
    defs = build_definitions(settings)
    assert {AssetKey(["raw", "sakila", name]) for name in truth} | {AssetKey(["raw", "orders"])} <= set(
        defs.resolve_asset_graph().get_all_asset_keys()
    )
    (tmp_path / "dagster_home").mkdir()
    daemon = InProcessDaemon(defs, DagsterInstance.local_temp(str(tmp_path / "dagster_home")))
    landing = defs.resources["landing"].open()
    (shop,) = seed_landing(landing, ["shop_eu"], [DUMP_DATE])
    landing.put(f"sakila/{DUMP_DATE}/sakila.sql.gz", sakila_dump.read_bytes())
    imports = daemon.drain()

    assert sorted(request.partition_key for request in imports) == [f"{DUMP_DATE}|sakila", f"{DUMP_DATE}|shop_eu"]
    assert not daemon.failures, [failure.dagster_run.job_name for failure in daemon.failures]
    # Each import held its own group's tables and was never asked for the other's.
    parquet = defs.resources["parquet"].open()
    assert sorted(parquet.read_manifest("sakila", DUMP_DATE.isoformat()).tables) == sorted(truth)
    assert sorted(parquet.read_manifest("shop_eu", DUMP_DATE.isoformat()).tables) == sorted(config.tables)
    assert daemon.runs[IMPORT_JOB] == 2 and daemon.runs[LOAD_JOB] == 1 and daemon.runs["load_sakila_raw_tables"] == 1
    assert daemon.runs[DBT_JOB] >= 1
    for name in truth:
        records = daemon.instance.fetch_materializations(AssetKey(["raw", "sakila", name]), limit=5).records
        assert [record.partition_key for record in records] == [f"{DUMP_DATE}|sakila"], name

    with duckdb.connect(str(settings.duckdb_path), read_only=True) as warehouse:
        for name, table in truth.items():
            relation = f"{settings.raw_dataset}.sakila__{name}"
            assert_equals_ground_truth(warehouse, relation, table, sakila.tables[name].columns)
        for name, rows in shop.tables.items():
            found = warehouse.execute(f"SELECT _source_db, count(*) FROM {settings.raw_dataset}.{name} GROUP BY ALL")
            assert found.fetchall() == [("shop_eu", len(rows))], name
        features = warehouse.execute(
            f"SELECT count(*) FROM {settings.marts_dataset}.fct_customer_features "
            "WHERE _dump_date = ? AND _source_db = 'shop_eu'",
            [DUMP_DATE],
        ).fetchone()
        assert features == (len(shop.tables["customers"]),)

    # The dbt sources file add-source wrote: its not_null and unique tests pass on the loaded data.
    tested = subprocess.run(
        [dbt_executable(), "test", "--select", "source:sakila", "--vars", json.dumps(dbt_vars(settings))],
        cwd=dbt_dir,
        env={**os.environ, "DBT_PROFILES_DIR": str(dbt_dir)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert tested.returncode == 0, tested.stdout[-3000:]
    assert re.search(r"PASS=(\d+)", tested.stdout) and int(re.search(r"PASS=(\d+)", tested.stdout)[1]) > 100


def assert_equals_ground_truth(warehouse, relation: str, truth: dict, policy) -> None:
    """Rows; per replicated column its nulls, exact sum/min/max of numbers, min/max of dates, and
    the bytes of text and binary values (hashed columns: nulls only)."""
    types = dict(warehouse.execute(f"SELECT column_name, column_type FROM (DESCRIBE {relation})").fetchall())
    (rows,) = warehouse.execute(f"SELECT count(*) FROM {relation} WHERE _source_db = 'sakila'").fetchone()
    assert rows == truth["rows"], relation
    for column in truth["columns"]:
        name, where = column["name"], f"{relation}.{column['name']}"
        if not policy.keeps(name):
            assert name not in types, f"{where} is excluded"
            continue
        (nulls,) = warehouse.execute(f'SELECT count(*) - count("{name}") FROM {relation}').fetchone()
        assert nulls == column["nulls"], where
        if policy.hashes(name):
            continue
        if INTEGER_OR_DECIMAL.match(column["type"]):
            sql = f'SELECT coalesce(sum("{name}"), 0), min("{name}"), max("{name}") FROM {relation}'
            expected = [Decimal(column[k]) if k in column else None for k in ("sum", "min", "max")]
            assert list(warehouse.execute(sql).fetchone()) == expected, where
        elif TEMPORAL.match(column["type"]):
            low, high = warehouse.execute(f'SELECT min("{name}"), max("{name}") FROM {relation}').fetchone()
            assert [_canonical(low), _canonical(high)] == [column.get("min"), column.get("max")], where
        else:
            length = "octet_length" if types[name] == "BLOB" else "strlen"
            (size,) = warehouse.execute(f'SELECT coalesce(sum({length}("{name}")), 0) FROM {relation}').fetchone()
            assert size == column["bytes"], where


def _canonical(value) -> str | None:
    """A temporal value as the server writes it (UTC for TIMESTAMP)."""
    if value is None:
        return None
    if hasattr(value, "hour"):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if value.tzinfo else str(value)
    return str(value)


# -- a newer dump --------------------------------------------------------------------------------


def newer_sakila_dump(destination: Path) -> Path:
    """Sakila's dump after a release: customer gains `loyalty_email`, staff loses `picture`,
    payment.amount widens, film_text is dropped and a `review` table appears."""
    text = gzip.decompress(SAKILA_DUMP.read_bytes())
    for table in (b"customer", b"staff", b"film_text"):  # rows whose columns change: not in this dump
        text = re.sub(rb"INSERT INTO `" + table + rb"` VALUES\n.*?\);\n", b"", text, count=1, flags=re.S)
    text = re.sub(rb"CREATE TABLE `film_text` \(.*?;\n", b"", text, count=1, flags=re.S)
    edits = [
        (
            b"  `email` varchar(50) DEFAULT NULL,\n  `address_id`",
            b"  `email` varchar(50) DEFAULT NULL,\n  `loyalty_email` varchar(50) DEFAULT NULL,\n  `address_id`",
        ),
        (b"  `picture` blob DEFAULT NULL,\n", b""),
        (b"  `amount` decimal(5,2) NOT NULL,", b"  `amount` decimal(7,2) NOT NULL,"),
        (
            b"\n-- Dump completed",
            b"\nCREATE TABLE `review` (\n  `review_id` int(11) NOT NULL,\n  `film_id` smallint(5)"
            b" unsigned NOT NULL,\n  `body` text,\n  PRIMARY KEY (`review_id`)\n);\n\n-- Dump completed",
        ),
    ]
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    destination.write_bytes(gzip.compress(text))
    return destination


def test_a_newer_dump_shows_and_applies_only_its_difference(tmp_path, sakila_dump):
    """Sakila's group in the shop config takes the newer dump's difference; nothing else changes."""
    config_path, dbt_dir = tmp_path / "pipeline.yaml", dbt_project_copy(tmp_path)
    shutil.copyfile(DEFAULT_PIPELINE_CONFIG, config_path)
    dbt_file = dbt_dir / "models" / "staging" / "_sakila__sources.yml"

    def onboard(dump: Path) -> subprocess.CompletedProcess:
        return run_cli(
            "add-source", "sakila", "--from-dump", str(dump), "--dbt-project", str(dbt_dir), config=config_path
        )

    assert onboard(sakila_dump).returncode == 0
    # The user reviews: a comment, a decision on a suggestion, a description in the dbt file.
    reviewed = config_path.read_text().replace("    sources:\n", "    sources:  # reviewed by the data team\n")
    reviewed = reviewed.replace(
        "hash: [name]  # suggested", "hash: []  # category names are not personal; was suggested"
    )
    config_path.write_text(reviewed)
    dbt_file.write_text(
        dbt_file.read_text().replace("- name: actor\n", "- name: actor\n        description: Film actors.\n")
    )
    before, dbt_before = load_pipeline_config(config_path), yaml.safe_load(dbt_file.read_text())

    result = onboard(newer_sakila_dump(tmp_path / "newer.sql.gz"))

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:6] == [
        "+ table review (3 columns)",
        "- table film_text",
        "+ column customer.loyalty_email varchar(50)",
        "~ column payment.amount decimal(5,2) -> decimal(7,2)",
        "- column staff.picture",
        f"suggested: hash customer.loyalty_email (its name looks personal; review in {config_path})",
    ]
    config = load_pipeline_config(config_path)
    assert (config.sources, config.tables) == (before.sources, before.tables)  # the shop's default group
    after, before = config.groups["sakila"], before.groups["sakila"]
    changed = {"review", "film_text", "customer", "staff", "payment"}
    assert {name: table for name, table in after.tables.items() if name not in changed} == {
        name: table for name, table in before.tables.items() if name not in changed
    }
    assert "film_text" not in after.tables
    assert after.tables["review"].column_types == {
        "review_id": "int(11)",
        "film_id": "smallint(5) unsigned",
        "body": "text",
    }
    assert after.tables["customer"].columns.hash == ("first_name", "last_name", "email", "loyalty_email")
    # A table with a column policy lists what it replicates (anything else is a new column and
    # stays out): the new column joins the list, hashed; the user's un-hashed category name stays.
    assert after.tables["customer"].columns.include[-1] == "loyalty_email"
    assert "name" in after.tables["category"].columns.include
    assert "password" not in after.tables["staff"].columns.include
    assert after.tables["review"].columns.include is None  # no personal column, no policy
    assert "picture" not in after.tables["staff"].column_types
    assert after.tables["payment"].column_types["amount"] == "decimal(7,2)"
    text = config_path.read_text()
    assert "    sources:  # reviewed by the data team\n" in text
    assert "hash: []  # category names are not personal; was suggested" in text

    dbt_after = yaml.safe_load(dbt_file.read_text())
    tables = {table["name"]: table for table in dbt_after["sources"][0]["tables"]}
    old_tables = {table["name"]: table for table in dbt_before["sources"][0]["tables"]}
    assert tables["actor"]["description"] == "Film actors."
    assert {name: table for name, table in tables.items() if name not in changed} == {
        name: table for name, table in old_tables.items() if name not in changed
    }
    assert "film_text" not in tables and "review" in tables
    columns = {table: {column["name"]: column for column in tables[table]["columns"]} for table in tables}
    assert "picture" not in columns["staff"]
    assert columns["customer"]["loyalty_email"]["description"].startswith("Salted SHA-256")
    assert columns["payment"]["amount"]["data_type"] == "decimal(7,2)"

    # The same dump again: nothing to do, nothing written.
    snapshot = (config_path.read_bytes(), dbt_file.read_bytes())
    again = onboard(tmp_path / "newer.sql.gz")
    assert again.returncode == 0 and "no change" in again.stdout
    assert (config_path.read_bytes(), dbt_file.read_bytes()) == snapshot


def test_a_cut_dump_changes_nothing(tmp_path, sakila_dump):
    config_path, dbt_dir = tmp_path / "pipeline.yaml", dbt_project_copy(tmp_path)
    cut = tmp_path / "cut.sql"
    text = gzip.decompress(SAKILA_DUMP.read_bytes())
    cut.write_bytes(text[: text.index(b"CREATE TABLE `rental`")])  # a cut dump would drop tables
    result = run_cli("add-source", "sakila", "--from-dump", str(cut), "--dbt-project", str(dbt_dir), config=config_path)
    assert result.returncode == 1
    assert f"{cut}" in result.stderr and "truncated dump" in result.stderr and "line" in result.stderr
    assert not config_path.exists() and not list(dbt_dir.rglob("_sakila__sources.yml"))


def test_an_optional_table_the_dump_lacks_stays_configured(tmp_path):
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        DEFAULT_PIPELINE_CONFIG.read_text().replace("  order_items: {}", "  order_items: {optional: true}")
    )
    text = render_dump(SourceHistory("shop_eu").snapshot(date(2024, 1, 2)))
    text = re.sub(r"CREATE TABLE `order_items` \(.*?;\n", "", text, count=1, flags=re.S)
    text, inserts = re.subn(r"INSERT INTO `order_items` VALUES .*?;\n", "", text)
    assert inserts > 0
    dump = tmp_path / "shop_eu.sql"
    dump.write_text(text)

    done = add_source("shop_eu", str(dump), config, tmp_path / "dbt")

    assert done.diff.removed_tables == []
    assert load_pipeline_config(config).tables["order_items"].optional
