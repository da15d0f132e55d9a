"""The dbt project, prepared by dagster-dbt: one manifest per target, independent of any data path.

`dagster dev` re-parses at code load (`prepare_if_dev`); deployments and the test suite prepare
once beforehand (`dagster-dbt project prepare-and-package --file elt_pipeline/defs/dbt/project.py`
finds the module-level projects below). Settings reach dbt only through `--vars` (`dbt_vars`),
so the manifest holds no data directory, dataset name or credential of any environment.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from dagster_dbt import DbtProject

from elt_pipeline.defs.dbt.translator import model_layer
from elt_pipeline.settings import DBT_PROJECT_DIR, PACKAGE_DIR, Settings

PACKAGED_DBT_PROJECT_DIR = PACKAGE_DIR / "dbt_project"  # where prepare-and-package copies it
GENERATED_FOLDERS = {"target", "logs", "dbt_packages"}  # written by dbt, not part of the project


def dbt_executable() -> str:
    """The `dbt` installed beside this interpreter (activated venv or not): the same dbt-core
    that dagster-dbt imports here; `dbt` on PATH only where this environment has none."""
    own = Path(sys.executable).parent / "dbt"
    return str(own) if own.exists() else shutil.which("dbt") or str(own)


def _project(target: str) -> DbtProject:
    # An installed package (the image) has only the packaged copy: dagster-dbt insists that
    # project_dir exists even when it then uses packaged_project_dir.
    return DbtProject(
        project_dir=DBT_PROJECT_DIR if DBT_PROJECT_DIR.exists() else PACKAGED_DBT_PROJECT_DIR,
        packaged_project_dir=PACKAGED_DBT_PROJECT_DIR,
        target=target,
        target_path=Path("target") / target,
    )


duckdb_project = _project("duckdb")
bigquery_project = _project("bigquery")


@functools.cache
def dbt_project(target: str) -> DbtProject:
    """The project of a dbt target, parsed at code load under `dagster dev` when its manifest is
    older than a project file (every run worker loads the code too: re-parsing there would cost
    seconds per run and contend for dagster-dbt's manifest lock)."""
    project = {"duckdb": duckdb_project, "bigquery": bigquery_project}[target]
    if manifest_is_stale(project):
        project.prepare_if_dev()
    return project


def manifest_is_stale(project: DbtProject) -> bool:
    """No manifest yet, or a file of the project (models, macros, YAML) changed after it."""
    if not project.manifest_path.exists():
        return True
    parsed_at = project.manifest_path.stat().st_mtime
    for folder, subfolders, files in os.walk(project.project_dir):
        if folder == str(project.project_dir):  # never descend into what dbt writes (grows with every run)
            subfolders[:] = [name for name in subfolders if name not in GENERATED_FOLDERS]
        if any(os.stat(os.path.join(folder, name)).st_mtime > parsed_at for name in files):
            return True
    return False


def manifest_for(settings: Settings) -> dict[str, Any]:
    """The target's manifest with every model and source relation named for `settings` (catalog:
    the DuckDB file or the GCP project; schema: the layer's dataset), as the build with
    `dbt_vars(settings)` names them. The parsed file stays free of any environment; what
    dagster-dbt reads from this copy (table names, the relations it counts rows and reads
    columns of after a build) is this environment's own."""
    manifest = json.loads(dbt_project(settings.dbt_target).manifest_path.read_text())
    for node in [*manifest["nodes"].values(), *manifest["sources"].values()]:
        if node["resource_type"] == "source":
            dataset, table = settings.raw_dataset, node["identifier"]
        elif (layer := model_layer(node)) is not None:
            dataset, table = settings.dataset_of_layer(layer), node["alias"]
        else:
            continue
        quote = node["relation_name"][0]  # the adapter's quote: " (DuckDB) or ` (BigQuery)
        node["database"], node["schema"] = settings.catalog, dataset
        node["relation_name"] = ".".join(f"{quote}{part}{quote}" for part in (settings.catalog, dataset, table))
    return manifest


def dbt_vars(settings: Settings, first_date: str | None = None, last_date: str | None = None) -> dict[str, str]:
    """`--vars` of a dbt invocation: datasets and connection from the settings, and the dump
    dates to rebuild (inclusive; none: every date)."""
    dates = {"dump_date_start": first_date, "dump_date_end": last_date} if first_date else {}
    return {
        "raw_dataset": settings.raw_dataset,
        "staging_dataset": settings.staging_dataset,
        "marts_dataset": settings.marts_dataset,
        **settings.dbt_profile_vars(),
        **dates,
    }
