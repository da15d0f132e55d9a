"""`elt-pipeline add-source --from-dump gs://...` reads the dump from a bucket (fake-gcs-server);
a source group's raw tables land in BigQuery (bqemulator) as `<group>__<table>`."""

from __future__ import annotations

import os
import shutil

import pytest
import yaml

from elt_pipeline.lib.onboarding import add_source
from elt_pipeline.lib.pipeline_config import load_pipeline_config
from elt_pipeline.settings import DEFAULT_PIPELINE_CONFIG
from tests.support.orchestration import FOLLOW_UP_SENSOR, LANDING_SENSOR
from tests.support.pipelines import pipeline_on
from tests.test_add_source import DUMP_DATE, dbt_project_copy, ground_truth, required_sakila_dump, run_cli

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


@pytest.mark.slow
def test_a_source_group_loads_into_its_own_bigquery_tables(emulators, tmp_path):
    """Sakila as group `sakila` beside the shop: its dump loads into `sakila__<table>` tables of
    the raw dataset, by the group's own load job, with every row of the ground truth."""
    onboarded = tmp_path / "onboarded.yaml"
    shutil.copyfile(DEFAULT_PIPELINE_CONFIG, onboarded)
    add_source("sakila", str(required_sakila_dump()), onboarded, tmp_path / "dbt")
    groups = yaml.safe_load(onboarded.read_text())["groups"]

    with pipeline_on("gcp", tmp_path, ["shop_eu"], emulators, groups=groups) as pipeline:
        pipeline.landing.put(f"sakila/{DUMP_DATE}/sakila.sql.gz", required_sakila_dump().read_bytes())
        daemon = pipeline.daemon
        (imported,) = daemon.tick(LANDING_SENSOR)
        assert daemon.execute(LANDING_SENSOR, imported).success
        (load,) = daemon.tick(FOLLOW_UP_SENSOR)
        assert (load.job_name, load.partition_key) == ("load_sakila_raw_tables", f"{DUMP_DATE}|sakila")
        assert daemon.execute(FOLLOW_UP_SENSOR, load).success

        raw = pipeline.raw_dataset
        assert {name for name in pipeline.relations() if name.startswith(f"{raw}.")} == {
            f"{raw}.sakila__{table}" for table in ground_truth()
        }
        for table, truth in ground_truth().items():
            assert pipeline.raw_count(f"sakila__{table}", "sakila", DUMP_DATE) == truth["rows"], table
