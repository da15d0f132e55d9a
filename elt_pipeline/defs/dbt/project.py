"""The dbt project handle: executable, profile environment, manifest preparation."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from elt_pipeline.settings import DBT_PROJECT_DIR, Settings


def dbt_executable() -> str:
    """`dbt` on PATH, else the one installed beside this interpreter (an unactivated venv)."""
    return shutil.which("dbt") or str(Path(sys.executable).parent / "dbt")


def export_dbt_env(settings: Settings) -> None:
    """dbt reads its profile from environment variables: export the settings' values."""
    os.environ.update(settings.dbt_env())


def dbt_resource(settings: Settings) -> DbtCliResource:
    return DbtCliResource(
        project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR), target=settings.dbt_target,
        dbt_executable=dbt_executable(),
    )


def prepared_dbt_project(settings: Settings) -> DbtProject:
    """The dbt project with a manifest: parsed at load under `dagster dev` or when missing."""
    export_dbt_env(settings)
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target=settings.dbt_target)
    if os.environ.get("DAGSTER_IS_DEV_CLI") or not project.manifest_path.exists():
        dbt_resource(settings).cli(["parse", "--quiet"], target_path=project.target_path).wait()
    return project
