"""`pip install` of the built wheel (not editable) loads the code location from the dbt manifest
packaged at build time, with no source checkout and no `dbt` to parse with: what the image does
(elt_pipeline/deploy/Dockerfile runs the same deploy/build-wheel.sh)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from elt_pipeline.settings import PACKAGE_DIR, PROJECT_DIR

BUILD_WHEEL = PACKAGE_DIR / "deploy" / "build-wheel.sh"
VENV_BIN = Path(sys.executable).parent
UNTRACKED = shutil.ignore_patterns("__pycache__", "*.so", "target", "logs", "dbt_packages", ".user.yml")

# Run by the installed package: where its modules and dbt manifest are, and what it serves.
PROBE = """
import json, elt_pipeline
from dagster import Definitions
from elt_pipeline.defs.dbt.project import dbt_project
from elt_pipeline.definitions import build_definitions
from elt_pipeline.settings import load_settings
settings = load_settings()
defs = build_definitions(settings)
keys = defs.resolve_asset_graph().get_all_asset_keys()
print(json.dumps({
    "package": elt_pipeline.__file__,
    "manifest": str(dbt_project(settings.dbt_target).manifest_path),
    "dbt_assets": sorted(k.to_user_string() for k in keys if not k.path[0] == "raw"),
}))
"""


def copy_sources(destination: Path) -> Path:
    """The files the image's build stage copies (Dockerfile COPY lines), without build output."""
    destination.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(PROJECT_DIR / name, destination / name)
    for folder in ("elt_pipeline", "dbt_project"):
        shutil.copytree(PROJECT_DIR / folder, destination / folder, ignore=UNTRACKED)
    return destination


@pytest.mark.slow
def test_installed_wheel_loads_definitions_from_the_packaged_manifest(tmp_path):
    source = copy_sources(tmp_path / "src")
    # The copy's package, not the checkout's editable install, is what gets prepared.
    environment = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(source)}
    subprocess.run(
        ["bash", str(source / BUILD_WHEEL.relative_to(PROJECT_DIR)), str(tmp_path / "wheels")],
        check=True,
        env=environment,
        cwd=tmp_path,
    )
    assert not (source / "elt_pipeline" / "dbt_project").exists(), "the packaged copy was left in the checkout"
    (wheel,) = (tmp_path / "wheels").glob("elt_pipeline-*.whl")

    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(wheel)], check=True
    )
    shutil.rmtree(source)  # nothing may read the sources any more

    # gcp settings, no dbt on PATH (a parse would fail) and not under `dagster dev`.
    run_environment = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(site),
        "HOME": str(tmp_path),
        "ELT_ENV": "gcp",
        "ELT_GCP_PROJECT": "installed-check",
        "ELT_HASH_SALT": "installed-package-salt",
    }
    probe = subprocess.run(
        [sys.executable, "-c", PROBE], env=run_environment, cwd=tmp_path, capture_output=True, text=True
    )
    assert probe.returncode == 0, probe.stderr[-3000:]
    loaded = json.loads(probe.stdout.strip().splitlines()[-1])

    assert Path(loaded["package"]).is_relative_to(site)
    manifest = Path(loaded["manifest"])
    assert manifest == site / "elt_pipeline" / "dbt_project" / "target" / "bigquery" / "manifest.json"
    nodes = json.loads(manifest.read_text())["nodes"]
    models = {n["name"] for n in nodes.values() if n["resource_type"] == "model"}
    assert models and {key.rsplit("/", 1)[-1] for key in loaded["dbt_assets"]} >= models
