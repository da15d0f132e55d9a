"""The code location loads, and its asset graph is one lineage: raw -> staging -> marts."""

import os
import subprocess
import sys

from dagster import AssetKey

from elt_pipeline.settings import PROJECT_DIR
from tests.support.local_pipeline import make_local_pipeline


def test_dagster_validates_the_workspace(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=PROJECT_DIR, env={**os.environ, "ELT_DATA_DIR": str(tmp_path)},
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation successful" in result.stdout + result.stderr


def test_lineage_runs_from_raw_tables_through_staging_to_the_marts(tmp_path):
    graph = make_local_pipeline(tmp_path).defs.resolve_asset_graph()
    staging_customers = AssetKey(["elt_staging", "stg_shop__customers"])
    assert graph.get(staging_customers).parent_keys == {AssetKey(["raw", "customers"])}
    features = AssetKey(["elt_marts", "fct_customer_features"])
    upstream = graph.get_ancestor_asset_keys(features)
    assert {AssetKey(["raw", table]) for table in ("customers", "orders", "order_items")} <= upstream
    assert graph.get(AssetKey(["elt_marts", "customer_features_latest"])).parent_keys == {features}
