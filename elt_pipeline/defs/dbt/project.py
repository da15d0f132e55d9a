"""The dbt project handle: executable, profile environment, manifest preparation."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from elt_pipeline.settings import DBT_PROJECT_DIR, Settings

PROJECT_FOLDERS = ("models", "macros", "tests")


def dbt_executable() -> str:
    """`dbt` on PATH, else the one installed beside this interpreter (an unactivated venv)."""
    return shutil.which("dbt") or str(Path(sys.executable).parent / "dbt")


def export_dbt_env(settings: Settings) -> None:
    """dbt reads its profile from environment variables: export the settings' values."""
    os.environ.update(settings.dbt_env())


def dbt_resource(settings: Settings) -> DbtCliResource:
    return DbtCliResource(
        project_dir=str(DBT_PROJECT_DIR),
        profiles_dir=str(DBT_PROJECT_DIR),
        target=settings.dbt_target,
        dbt_executable=dbt_executable(),
    )


def manifest_is_stale(project: DbtProject) -> bool:
    """True if the manifest is missing or older than any file of the dbt project."""
    if not project.manifest_path.exists():
        return True
    built = project.manifest_path.stat().st_mtime
    root = Path(project.project_dir)
    sources = [root / "dbt_project.yml", root / "profiles.yml"] + [
        path for folder in PROJECT_FOLDERS for path in (root / folder).rglob("*") if path.is_file()
    ]
    return any(path.stat().st_mtime > built for path in sources)


def manifest_target_path(settings: Settings) -> Path:
    """`target/<dbt target>-<digest of the profile's environment>`, relative to the dbt project.

    A manifest holds the schemas, relations and adapter configs of one target and one set of
    dataset names: one parsed for other settings (a BigQuery run, other datasets) is never reused.
    """
    environment = json.dumps(settings.dbt_env(), sort_keys=True).encode()
    return Path("target") / f"{settings.dbt_target}-{hashlib.sha256(environment).hexdigest()[:12]}"


def prepared_dbt_project(settings: Settings) -> DbtProject:
    """The dbt project with an up-to-date manifest (`dbt parse` only when a file changed).

    Checked at every code load, so `dagster dev` picks up model edits without re-parsing in
    every run worker.
    """
    export_dbt_env(settings)
    project = DbtProject(
        project_dir=DBT_PROJECT_DIR,
        profiles_dir=DBT_PROJECT_DIR,
        target=settings.dbt_target,
        target_path=manifest_target_path(settings),
    )
    if manifest_is_stale(project):
        dbt_resource(settings).cli(["parse", "--quiet"], target_path=project.target_path).wait()
    return project
