"""`elt-pipeline add-source --from-dump gs://...` reads the dump from a bucket (fake-gcs-server)."""

from __future__ import annotations

import os

import pytest

from elt_pipeline.lib.pipeline_config import load_pipeline_config
from tests.test_add_source import dbt_project_copy, ground_truth, required_sakila_dump, run_cli

pytestmark = pytest.mark.gcp


def test_add_source_reads_a_dump_from_a_bucket(bucket, emulators, tmp_path):
    bucket.blob("exports/sakila/2026-11-20/sakila.sql.gz").upload_from_filename(str(required_sakila_dump()))
    config, dbt_dir = tmp_path / "pipeline.yaml", dbt_project_copy(tmp_path)
    uri = f"gs://{bucket.name}/exports/sakila/2026-11-20/sakila.sql.gz"
    assert os.environ["STORAGE_EMULATOR_HOST"] == emulators.gcs.endpoint  # the subprocess inherits it

    result = run_cli("add-source", "sakila", "--from-dump", uri, "--dbt-project", str(dbt_dir), config=config)

    assert result.returncode == 0, result.stderr
    assert sorted(load_pipeline_config(config).tables) == sorted(ground_truth())
    assert (dbt_dir / "models" / "staging" / "_sakila__sources.yml").exists()


def test_add_source_names_a_missing_object(bucket, emulators, tmp_path):
    uri = f"gs://{bucket.name}/nowhere/sakila.sql.gz"
    result = run_cli(
        "add-source", "sakila", "--from-dump", uri, "--dbt-project", str(tmp_path), config=tmp_path / "p.yaml"
    )
    assert result.returncode == 1
    assert f"{uri}: no such object" in result.stderr
    assert not (tmp_path / "p.yaml").exists()
