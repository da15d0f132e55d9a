"""The code location loads, and its asset graph is one lineage: raw -> staging -> marts."""

import os
import subprocess
import sys

from dagster import AssetKey

from elt_pipeline.defs import build_definitions
from elt_pipeline.settings import PROJECT_DIR, load_settings
from tests.support.local_pipeline import make_local_pipeline


def test_dagster_validates_the_workspace(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=PROJECT_DIR,
        env={**os.environ, "ELT_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation successful" in result.stdout + result.stderr


def test_lineage_runs_from_raw_tables_through_staging_to_the_marts(tmp_path):
    graph = make_local_pipeline(tmp_path).defs.resolve_asset_graph()
    staging_customers = AssetKey(["staging", "stg_shop__customers"])
    assert graph.get(staging_customers).parent_keys == {AssetKey(["raw", "customers"])}
    features = AssetKey(["marts", "fct_customer_features"])
    upstream = graph.get_ancestor_asset_keys(features)
    assert {AssetKey(["raw", table]) for table in ("customers", "orders", "order_items")} <= upstream
    assert graph.get(AssetKey(["marts", "customer_features_latest"])).parent_keys == {features}


def test_dataset_names_change_neither_asset_keys_nor_the_manifest_of_other_settings(tmp_path):
    renamed = {"ELT_DATA_DIR": str(tmp_path), "ELT_STAGING_DATASET": "team_staging", "ELT_MARTS_DATASET": "team_marts"}
    renamed_defs = build_definitions(load_settings(renamed))
    default_defs = build_definitions(load_settings({"ELT_DATA_DIR": str(tmp_path)}))

    assert (
        renamed_defs.resolve_asset_graph().get_all_asset_keys()
        == default_defs.resolve_asset_graph().get_all_asset_keys()
    )
    features = AssetKey(["marts", "fct_customer_features"])
    relation = {
        name: defs.resolve_assets_def(features).specs_by_key[features].metadata["dagster/table_name"]
        for name, defs in (("renamed", renamed_defs), ("default", default_defs))
    }
    assert relation["renamed"].endswith("team_marts.fct_customer_features")
    assert relation["default"].endswith("elt_marts.fct_customer_features")
