"""`elt-pipeline add-source`: onboard Sakila (the shared corpus) from its dump, as a user would, then
land the dump and let the real sensors import and load it; the raw tables equal the corpus ground
truth. A newer dump's differences are shown and applied, and nothing else in the files changes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from elt_pipeline.defs.dbt.project import DBT_PROJECT_DIR
from elt_pipeline.lib.onboarding import ColumnChange, diff_schema, suggested_policy
from elt_pipeline.settings import DEFAULT_PIPELINE_CONFIG
from tests.support.corpus import corpus_dir

SAKILA_DUMP = corpus_dir() / "sakila.default.sql.gz"
DUMP_DATE = date(2026, 11, 20)
INTEGER_OR_DECIMAL = re.compile(r"^(tinyint|smallint|mediumint|int|bigint|decimal)")
TEMPORAL = re.compile(r"^(date|datetime|timestamp|year)")


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


def test_a_different_database_cannot_join_the_shop_sources(tmp_path):
    config = tmp_path / "pipeline.yaml"
    shutil.copyfile(DEFAULT_PIPELINE_CONFIG, config)
    before = config.read_text()
    result = run_cli(
        "add-source", "sakila", "--from-dump", str(SAKILA_DUMP), "--dbt-project", str(tmp_path), config=config
    )
    assert result.returncode == 1
    assert "lacks tables ['customers', 'order_items', 'orders', 'products']" in result.stderr
    assert "ELT_PIPELINE_CONFIG" in result.stderr
    assert config.read_text() == before
    assert not list(tmp_path.rglob("*.yml"))


def test_a_missing_dump_is_named(tmp_path):
    result = run_cli("add-source", "x", "--from-dump", str(tmp_path / "nope.sql"), config=tmp_path / "p.yaml")
    assert result.returncode == 1
    assert f"{tmp_path / 'nope.sql'}: no such dump file" in result.stderr
    assert not (tmp_path / "p.yaml").exists()
