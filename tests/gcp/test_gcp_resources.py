"""ELT_ENV=gcp binds the GCS and BigQuery backends, and the CLI seeds the bucket, not a folder."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from elt_pipeline.defs.resources import BigQueryWarehouseResource, GcsLandingResource, build_resources
from elt_pipeline.lib.pipeline_config import load_pipeline_config
from elt_pipeline.lib.storage.gcs import GcsLanding, GcsParquetStore
from elt_pipeline.lib.warehouse.bigquery import BigQueryWarehouse
from elt_pipeline.settings import DEFAULT_PIPELINE_CONFIG, load_settings

pytestmark = pytest.mark.gcp


def gcp_environment(emulators, bucket) -> dict[str, str]:
    return {
        **emulators.environ,
        "ELT_ENV": "gcp",
        "ELT_HASH_SALT": "a-real-salt",
        "ELT_LANDING_URI": f"gs://{bucket.name}/landing",
        "ELT_PARQUET_URI": f"gs://{bucket.name}/parquet",
    }


def test_gcp_settings_bind_the_gcs_and_bigquery_backends(emulators, bucket):
    resources = build_resources(
        load_settings(gcp_environment(emulators, bucket)), load_pipeline_config(DEFAULT_PIPELINE_CONFIG)
    )
    assert isinstance(resources["landing"], GcsLandingResource)
    assert isinstance(resources["warehouse"], BigQueryWarehouseResource)
    assert isinstance(resources["landing"].open(), GcsLanding)
    assert isinstance(resources["parquet"].open(), GcsParquetStore)
    assert isinstance(resources["warehouse"].open(), BigQueryWarehouse)


def test_seed_under_gcp_lands_in_the_bucket_and_writes_no_local_folder(emulators, bucket, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "elt_pipeline.cli", "seed", "--days", "1"],
        cwd=tmp_path,
        env={**os.environ, **gcp_environment(emulators, bucket)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    names = sorted(blob.name for blob in bucket.list_blobs())
    assert names == sorted(f"landing/{s}/2024-01-01/{s}.sql.gz" for s in ("shop_eu", "shop_us", "shop_apac"))
    assert list(tmp_path.iterdir()) == []  # no `gs:` folder, nothing local
