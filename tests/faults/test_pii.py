"""PII stays hashed or out (issue 10), driven through the real sensors on the local default with
dumps written by a real MariaDB server: a hostile value in a hashed or excluded column leaves its
cleartext nowhere on disk (the instance's run and event storage and compute logs, the Parquet
store, the warehouse, the import's scratch space), whether the import succeeds or fails, while a
failure still names the file, table, column and line; a new column stays out until configured.

Each search has a control value in a column replicated in clear, found where it must be, so a
search that could not find anything would fail the test."""

from __future__ import annotations

import hashlib
import tempfile
import uuid
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
import yaml
from dagster import AssetCheckKey, RunRequest

from elt_pipeline.definitions import build_definitions
from elt_pipeline.defs.partitions import dump_partition_key
from elt_pipeline.defs.raw_tables import raw_asset_key
from elt_pipeline.lib.sample_data import SourceHistory, render_dump
from elt_pipeline.settings import LOCAL_DEVELOPMENT_SALT
from tests.support.orchestration import IMPORT_JOB, LOAD_JOB
from tests.support.pipelines import pipeline_on

pytestmark = pytest.mark.slow

SOURCE = "shop_eu"
HOSTILE_ID = 100_000
INSERT_HOSTILE = (
    "INSERT INTO customers (id, email, password_hash, full_name, country, signup_at, marketing_opt_in, notes) "
    "VALUES ({id}, '{email}', '{password}', 'Hostile Row', 'DE', '2023-12-01 10:00:00', 0, '{notes}');"
)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    with pipeline_on("local", tmp_path_factory.mktemp("pii"), [SOURCE]) as pipeline:
        yield pipeline


def markers() -> tuple[str, str, str]:
    """Unique (hashed email, excluded password_hash, clear notes) markers for one test."""
    run = uuid.uuid4().hex
    return f"PIIHASHED{run}", f"PIIEXCLUDED{run}", f"CLEARCONTROL{run}"


def source_database(mariadb, day: date, changes: str) -> None:
    """The source database as of `day` (the sample shop's data), then `changes` applied."""
    text = render_dump(SourceHistory(SOURCE).snapshot(day)).replace("utf8mb4_0900_ai_ci", "utf8mb4_general_ci")
    mariadb.execute(f"DROP DATABASE IF EXISTS {SOURCE};\n{text}\nSET NAMES utf8mb4;\n{changes}")


def dump_of(mariadb, tmp_path: Path, *options: str) -> bytes:
    return mariadb.dump(["--databases", SOURCE, *options], tmp_path / "dump.sql").read_bytes()


def land(pipeline, day: date, content: bytes) -> str:
    key = f"{SOURCE}/{day.isoformat()}/{SOURCE}.sql"
    pipeline.landing.put(key, content)
    return key


def failure_message(result, step: str) -> str:
    return result.failure_data_for_node(step).user_failure_data.description


def places_holding(pipeline, text: str) -> list[str]:
    """Where `text` is stored: files of the instance (run and event storage, compute logs) and of
    the import's scratch space as bytes; Parquet and warehouse values decoded (both compress)."""
    found = []
    needle = text.encode()
    scratch = Path(tempfile.gettempdir()).glob("elt-import-*")
    instance = Path(pipeline.daemon.instance.root_directory)
    for root in (instance, pipeline.settings.parquet_dir, *scratch):
        for path in root.rglob("*"):
            if path.is_file() and needle in path.read_bytes():
                found.append(str(path))
    for path in pipeline.settings.parquet_dir.rglob("*.parquet"):
        if text in repr(pq.read_table(path).to_pylist()):
            found.append(f"values of {path}")
    for path in pipeline.settings.duckdb_path.parent.glob(pipeline.settings.duckdb_path.name + "*"):  # + .wal
        if needle in path.read_bytes():
            found.append(str(path))
    return found + warehouse_relations_holding(pipeline, text)


def warehouse_relations_holding(pipeline, text: str) -> list[str]:
    found = []
    with duckdb.connect(str(pipeline.settings.duckdb_path), read_only=True) as connection:
        relations = connection.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
        ).fetchall()
        for schema, table in relations:
            hits = connection.execute(
                f'SELECT COUNT(*) FROM "{schema}"."{table}" AS t WHERE CAST(t AS VARCHAR) LIKE ?', [f"%{text}%"]
            ).fetchone()[0]
            if hits:
                found.append(f"warehouse {schema}.{table}")
    return found


def test_invalid_utf8_in_a_hashed_column_is_hashed_from_its_bytes_and_stored_nowhere(pipeline, mariadb, tmp_path):
    day = date(2024, 1, 1)
    email, password, notes = markers()
    # A legacy latin1 column dumped with --default-character-set=binary: the dump holds the raw
    # byte 0xFF, invalid UTF-8, in the hashed column.
    source_database(
        mariadb,
        day,
        "ALTER TABLE customers MODIFY email varchar(255) CHARACTER SET latin1 NOT NULL;\n"
        + INSERT_HOSTILE.format(id=HOSTILE_ID, email=f"{email}\u00ff@example.com", password=password, notes=notes),
    )
    dump = dump_of(mariadb, tmp_path, "--default-character-set=binary")
    assert f"{email}\xff@example.com".encode("latin-1") in dump and password.encode() in dump

    land(pipeline, day, dump)
    pipeline.daemon.drain()

    assert not pipeline.daemon.failures
    rows = pipeline.query(
        f"SELECT email, notes FROM {pipeline.raw_dataset}.customers WHERE id = ? AND _dump_date = ?", [HOSTILE_ID, day]
    )
    raw_bytes = f"{email}\xff@example.com".encode("latin-1")
    assert rows == [(hashlib.sha256(LOCAL_DEVELOPMENT_SALT.encode() + raw_bytes).hexdigest(), notes)]
    assert "password_hash" not in pipeline.raw_columns("customers")
    assert places_holding(pipeline, email) == []
    assert places_holding(pipeline, password) == []
    assert f"warehouse {pipeline.raw_dataset}.customers" in places_holding(pipeline, notes)  # the control, in clear


def test_a_rejected_row_names_table_column_and_line_but_quotes_no_hashed_or_excluded_value(pipeline, mariadb, tmp_path):
    day = date(2024, 1, 2)
    email, password, notes = markers()
    # The row fails on its own `notes` (latin1, dumped as binary: invalid UTF-8 in a text column
    # replicated in clear); its hashed and excluded values sit beside it in the same row.
    source_database(
        mariadb,
        day,
        "ALTER TABLE customers MODIFY notes text CHARACTER SET latin1;\n"
        + INSERT_HOSTILE.format(
            id=HOSTILE_ID, email=f"{email}@example.com", password=password, notes=f"{notes} caf\u00e9"
        ),
    )
    key = land(pipeline, day, dump_of(mariadb, tmp_path, "--default-character-set=binary"))
    loads_before = pipeline.daemon.runs[LOAD_JOB]

    pipeline.daemon.drain()

    failure = pipeline.daemon.failures.pop()
    assert failure.dagster_run.job_name == IMPORT_JOB and not pipeline.daemon.failures
    message = failure_message(failure, "convert_dump")
    assert key in message and "table 'customers'" in message and "column 'notes'" in message, message
    assert "invalid UTF-8" in message and " line " in message, message
    assert pipeline.daemon.runs[LOAD_JOB] == loads_before
    assert places_holding(pipeline, email) == []
    assert places_holding(pipeline, password) == []
    # The control: the clear column's value is quoted, so the search finds it in the run's storage.
    assert any(
        place.startswith(str(pipeline.daemon.instance.root_directory)) for place in places_holding(pipeline, notes)
    )


def test_a_dump_cut_inside_a_hashed_value_is_refused_without_quoting_it(pipeline, mariadb, tmp_path):
    day = date(2024, 1, 3)
    email, password, notes = markers()
    source_database(
        mariadb,
        day,
        INSERT_HOSTILE.format(id=HOSTILE_ID, email=f"{email}@example.com", password=password, notes=notes),
    )
    dump = dump_of(mariadb, tmp_path)
    cut = dump[: dump.index(email.encode()) + len(email) // 2 + 4]  # an upload cut inside the email
    key = land(pipeline, day, cut)

    pipeline.daemon.drain()

    failure = pipeline.daemon.failures.pop()
    assert failure.dagster_run.job_name == IMPORT_JOB and not pipeline.daemon.failures
    message = failure_message(failure, "convert_dump")
    assert key in message and "table 'customers'" in message and " line " in message, message
    assert "truncated dump" in message and "column 'email' (hashed: its value is withheld)" in message, message
    assert places_holding(pipeline, email[: len(email) // 2 + 4]) == []


def test_a_new_column_stays_out_of_the_warehouse_until_configured_and_a_check_names_it(pipeline, mariadb, tmp_path):
    day = date(2024, 1, 4)
    phone = f"PIIPHONE{uuid.uuid4().hex}"
    source_database(
        mariadb,
        day,
        "ALTER TABLE customers ADD COLUMN phone varchar(60) AFTER email;\n"
        f"UPDATE customers SET phone = CONCAT('{phone}-', id);",
    )
    land(pipeline, day, dump_of(mariadb, tmp_path))

    pipeline.daemon.drain()

    assert not pipeline.daemon.failures
    assert "phone" not in pipeline.raw_columns("customers")
    assert places_holding(pipeline, phone) == []
    check = latest_check(pipeline, "customers", "columns_listed")
    assert check.passed is False and check.severity.value == "WARN"
    assert check.metadata["unlisted_columns"].value == {"phone": "excluded"}
    assert "phone (excluded)" in check.description
    assert latest_check(pipeline, "orders", "columns_listed").passed is True

    configure_phone(pipeline)  # the user lists it (in clear) and replays the partition's import
    pipeline.daemon.execute(
        "ui", RunRequest(job_name=IMPORT_JOB, partition_key=str(dump_partition_key(SOURCE, day.isoformat())))
    )
    pipeline.daemon.drain()

    assert not pipeline.daemon.failures
    rows = pipeline.query(
        f"SELECT id, phone FROM {pipeline.raw_dataset}.customers WHERE _dump_date = ? ORDER BY id", [day]
    )
    assert rows and all(value == f"{phone}-{customer}" for customer, value in rows)
    assert latest_check(pipeline, "customers", "columns_listed").passed is True


def latest_check(pipeline, table: str, check_name: str):
    """The newest evaluation of a raw table's check, from the instance as the UI reads it."""
    key = AssetCheckKey(raw_asset_key(table), check_name)
    record = pipeline.daemon.instance.event_log_storage.get_latest_asset_check_execution_by_key([key])[key]
    return record.event.dagster_event.event_specific_data


def configure_phone(pipeline) -> None:
    """The pipeline config with `phone` listed in customers' `include`; the code location reloads it."""
    path = pipeline.settings.pipeline_config_path
    config = yaml.safe_load(path.read_text())
    config["tables"]["customers"]["columns"]["include"].append("phone")
    path.write_text(yaml.safe_dump(config))
    pipeline.defs = build_definitions(pipeline.settings)
    pipeline.daemon.defs = pipeline.defs
