"""The code location loads, its asset graph is one lineage (raw -> staging -> marts), and the
code is shaped so it stays that way: no import cycles, one manifest for every environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from dagster import AssetKey

from elt_pipeline import settings as elt_settings
from elt_pipeline.definitions import build_definitions
from elt_pipeline.defs.dbt.project import bigquery_project, duckdb_project
from elt_pipeline.settings import DEFAULT_PIPELINE_CONFIG, PACKAGE_DIR, PROJECT_DIR, load_settings
from tests.support.imports import cycles, import_graph


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
    graph = build_definitions(load_settings({"ELT_DATA_DIR": str(tmp_path)})).resolve_asset_graph()
    staging_customers = AssetKey(["staging", "stg_shop__customers"])
    assert graph.get(staging_customers).parent_keys == {AssetKey(["raw", "customers"])}
    features = AssetKey(["marts", "fct_customer_features"])
    upstream = graph.get_ancestor_asset_keys(features)
    assert {AssetKey(["raw", table]) for table in ("customers", "orders", "order_items")} <= upstream
    assert graph.get(AssetKey(["marts", "customer_features_latest"])).parent_keys == {features}


def test_settings_name_tables_and_datasets_without_changing_asset_keys_or_the_manifest(tmp_path):
    manifest_before = duckdb_project.manifest_path.read_bytes()
    renamed = {
        "ELT_DATA_DIR": str(tmp_path / "a"),
        "ELT_STAGING_DATASET": "team_staging",
        "ELT_MARTS_DATASET": "team_marts",
    }
    renamed_defs = build_definitions(load_settings(renamed))
    default_defs = build_definitions(load_settings({"ELT_DATA_DIR": str(tmp_path / "b")}))
    gcp_defs = build_definitions(
        load_settings({"ELT_ENV": "gcp", "ELT_GCP_PROJECT": "acme-ml", "ELT_HASH_SALT": "a-real-salt"})
    )

    keys = {
        name: d.resolve_asset_graph().get_all_asset_keys() for name, d in (("r", renamed_defs), ("d", default_defs))
    }
    assert keys["r"] == keys["d"] == gcp_defs.resolve_asset_graph().get_all_asset_keys()
    features = AssetKey(["marts", "fct_customer_features"])
    table_name = {
        name: defs.resolve_assets_def(features).specs_by_key[features].metadata["dagster/table_name"]
        for name, defs in (("renamed", renamed_defs), ("default", default_defs), ("gcp", gcp_defs))
    }
    assert table_name == {
        "renamed": "warehouse.team_marts.fct_customer_features",
        "default": "warehouse.elt_marts.fct_customer_features",
        "gcp": "acme-ml.elt_marts.fct_customer_features",
    }
    assert duckdb_project.manifest_path.read_bytes() == manifest_before  # nothing re-parsed


def test_the_manifests_hold_no_environment_and_the_dbt_defaults_are_the_settings_defaults():
    for project in (duckdb_project, bigquery_project):
        manifest = json.loads(project.manifest_path.read_text())
        schemas = {node["schema"] for node in manifest["nodes"].values() if node["resource_type"] == "model"}
        assert schemas == {elt_settings.DEFAULT_STAGING_DATASET, elt_settings.DEFAULT_MARTS_DATASET}
        assert {source["schema"] for source in manifest["sources"].values()} == {elt_settings.DEFAULT_RAW_DATASET}
        text = project.manifest_path.read_text()
        assert str(PROJECT_DIR / "data") not in text and "ELT_" not in json.dumps(manifest["metadata"]["env"])


def test_the_package_has_no_import_cycle():
    graph = import_graph(PACKAGE_DIR)
    assert len(graph) > 20 and "elt_pipeline.lib.storage.gcs" in graph
    assert cycles(graph) == []


def test_the_readme_layout_table_names_paths_that_exist():
    readme = (PROJECT_DIR / "README.md").read_text()
    table = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    paths = [line.split("`")[1] for line in table.splitlines() if line.startswith("| `")]
    assert len(paths) >= 6
    missing = [path for path in paths if not (PROJECT_DIR / path.rstrip("/")).exists()]
    assert missing == [], f"README layout names paths that do not exist: {missing}"
    packages = sorted(
        path.relative_to(PROJECT_DIR).as_posix() + "/"
        for path in Path(PACKAGE_DIR).iterdir()
        if path.is_dir() and (path / "__init__.py").exists()
    )
    assert [p for p in packages if p not in paths] == [], "README layout misses a package"


def test_raw_tables_are_warehouse_tables_named_in_full_for_each_environment(tmp_path):
    local = build_definitions(load_settings({"ELT_DATA_DIR": str(tmp_path)}))
    gcp = build_definitions(
        load_settings({"ELT_ENV": "gcp", "ELT_GCP_PROJECT": "acme-ml", "ELT_HASH_SALT": "a-real-salt"})
    )
    orders = AssetKey(["raw", "orders"])
    specs = {name: d.resolve_assets_def(orders).specs_by_key[orders] for name, d in (("local", local), ("gcp", gcp))}
    assert {name: set(spec.kinds) for name, spec in specs.items()} == {"local": {"duckdb"}, "gcp": {"bigquery"}}
    assert {name: spec.metadata["dagster/table_name"] for name, spec in specs.items()} == {
        "local": "warehouse.elt_raw.orders",
        "gcp": "acme-ml.elt_raw.orders",
    }


def test_a_source_group_has_its_own_raw_assets_partitions_and_load_job(tmp_path):
    """Group `films` beside the shop: its tables are raw/films/<table> in Dagster group
    `raw_films`, warehouse tables films__<table>, partitioned by its own sources only, loaded by
    `load_films_raw_tables`; the shop's raw tables and load job are unchanged."""
    config = yaml.safe_load(DEFAULT_PIPELINE_CONFIG.read_text())
    config["groups"] = {"films": {"sources": [{"name": "sakila", "owners": ["team:films"]}], "tables": {"actor": {}}}}
    (tmp_path / "pipeline.yaml").write_text(yaml.safe_dump(config))
    environ = {"ELT_DATA_DIR": str(tmp_path), "ELT_PIPELINE_CONFIG": str(tmp_path / "pipeline.yaml")}
    defs = build_definitions(load_settings(environ))
    graph = defs.resolve_asset_graph()
    actor, orders = AssetKey(["raw", "films", "actor"]), AssetKey(["raw", "orders"])

    assert {key for key in graph.get_all_asset_keys() if key.path[0] == "raw"} == {
        actor,
        *(AssetKey(["raw", table]) for table in config["tables"]),
    }
    spec = defs.resolve_assets_def(actor).specs_by_key[actor]
    assert (spec.group_name, spec.metadata["dagster/table_name"]) == ("raw_films", "warehouse.elt_raw.films__actor")
    assert list(graph.get(actor).owners) == ["team:films"]
    assert graph.get(orders).group_name == "raw"

    def sources(partitions_def) -> list[str]:
        return list(partitions_def.get_partitions_def_for_dimension("source_db").get_partition_keys())

    assert {key: sources(graph.get(key).partitions_def) for key in (actor, orders)} == {
        actor: ["sakila"],
        orders: ["shop_eu", "shop_us", "shop_apac"],
    }
    assert defs.resolve_job_def("load_films_raw_tables").asset_layer.executable_asset_keys == {actor}
    assert orders in defs.resolve_job_def("load_raw_tables").asset_layer.executable_asset_keys
    assert sources(defs.resolve_job_def("import_dump").partitions_def) == ["shop_eu", "shop_us", "shop_apac", "sakila"]


def test_owners_and_tags_come_from_the_pipeline_config_and_dbt_meta(tmp_path):
    config = yaml.safe_load(DEFAULT_PIPELINE_CONFIG.read_text())
    config["sources"][1]["owners"] = ["dba-us@example.com"]
    config["tables"]["orders"] = {"owners": ["team:sales-analytics"], "tags": {"domain": "sales"}}
    (tmp_path / "pipeline.yaml").write_text(yaml.safe_dump(config))
    environ = {"ELT_DATA_DIR": str(tmp_path), "ELT_PIPELINE_CONFIG": str(tmp_path / "pipeline.yaml")}
    graph = build_definitions(load_settings(environ)).resolve_asset_graph()

    def labels(*path: str) -> tuple[list[str], dict[str, str]]:
        node = graph.get(AssetKey(list(path)))
        return list(node.owners), {k: v for k, v in node.tags.items() if not k.startswith("dagster/kind/")}

    shop_owners = ["team:shop-backend", "dba-us@example.com"]
    assert labels("raw", "orders") == (["team:sales-analytics", *shop_owners], {"domain": "sales"})
    assert labels("raw", "customers") == (["team:data-platform", *shop_owners], {"domain": "commerce", "pii": "hashed"})
    assert labels("marts", "fct_customer_features") == (["team:ml-platform"], {"ml_features": ""})
    assert labels("staging", "stg_shop__orders") == (["team:data-platform"], {})


def test_a_local_run_process_loads_the_code_location_without_the_google_cloud_clients(tmp_path):
    """Every run process loads the code location; locally it never talks to GCP, and importing
    google-cloud-bigquery and -storage (pandas included) would cost each run ~0.4 s of start-up."""
    code = (
        "import sys\n"
        "from elt_pipeline.definitions import build_definitions\n"
        "from elt_pipeline.settings import load_settings\n"
        "build_definitions(load_settings()).get_repository_def().get_all_jobs()\n"
        "gcp = ('google.cloud.bigquery', 'google.cloud.storage', 'pandas')\n"
        "print(sorted(name for name in gcp if name in sys.modules))"
    )
    env = {**os.environ, "ELT_DATA_DIR": str(tmp_path)}
    env.pop("ELT_ENV", None)
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", result.stderr
