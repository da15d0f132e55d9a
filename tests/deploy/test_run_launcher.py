"""The image's second instance config, runs in their own containers (dagster-docker's
DockerRunLauncher): built the way the Dockerfile builds it, loaded by Dagster's own instance
config loader, the launcher constructed from it. No Docker daemon runs here, so no run is
launched: what is checked is that the config Dagster reads is valid, that everything else
stays the production instance's, and that each run container gets every variable a run reads."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from dagster._core.instance.config import dagster_instance_config
from dagster._serdes import ConfigurableClassData
from dagster_docker import DockerRunLauncher

from elt_pipeline.settings import PACKAGE_DIR
from tests.test_terraform import DAGSTER_ENV, LOCAL_ONLY_ENV, settings_env_names

DEPLOY = PACKAGE_DIR / "deploy"
DOCKERFILE = (DEPLOY / "Dockerfile").read_text()
# In a run: the alert sensor's and the UI link's variables are read by the code server only.
NOT_READ_BY_RUNS = {"ELT_UI_BASE_URL"}


def build_docker_home(root: Path) -> Path:
    """Run the Dockerfile's `python -c <merge> <instance> <launcher> <home>/dagster.yaml` on the
    repo's files."""
    copies = dict(re.findall(r"^COPY (elt_pipeline/deploy/\S+) (\S+)$", DOCKERFILE, re.M))
    joined = DOCKERFILE.replace("\\\n", " ")  # continuation lines
    command = re.search(r"&& (python -c '[^']*'\s+\S+\s+\S+\s+\S+/dagster\.yaml)", joined)
    assert command, "the Dockerfile no longer builds the docker variant with python -c"
    _, _, code, *sources, target = shlex.split(command.group(1))
    from_image = {image_path: PACKAGE_DIR.parent / repo_path for repo_path, image_path in copies.items()}
    home = root / Path(target).parent.name
    home.mkdir()
    subprocess.run(
        [sys.executable, "-c", code, *(str(from_image[path]) for path in sources), str(home / "dagster.yaml")],
        check=True,
    )
    return home


@pytest.fixture
def docker_home(tmp_path, monkeypatch) -> Path:
    for name in DAGSTER_ENV | {"DAGSTER_PG_PASSWORD", "DAGSTER_DOCKER_NETWORK"}:
        monkeypatch.setenv(name, "5432" if name == "DAGSTER_PG_PORT" else f"sample-{name.lower()}")
    return build_docker_home(tmp_path)


def test_the_variant_is_the_production_instance_plus_the_docker_launcher(docker_home):
    config, _ = dagster_instance_config(str(docker_home))
    production, _ = dagster_instance_config(str(DEPLOY))
    assert {key: value for key, value in config.items() if key != "run_launcher"} == {
        key: value for key, value in production.items() if key != "run_launcher"
    }
    # runs are subprocesses of the code server there, with a worker health check
    assert production["run_launcher"]["class"] == "MonitoredRunLauncher"
    variant = yaml.safe_load((docker_home / "dagster.yaml").read_text())
    assert variant["run_launcher"]["class"] == "DockerRunLauncher"


def test_dagster_builds_a_docker_run_launcher_on_the_services_network(docker_home):
    config, _ = dagster_instance_config(str(docker_home))
    block = config["run_launcher"]
    launcher = ConfigurableClassData(block["module"], block["class"], yaml.safe_dump(block["config"])).rehydrate(
        DockerRunLauncher
    )
    assert isinstance(launcher, DockerRunLauncher)
    assert launcher.networks == ["sample-dagster_docker_network"]
    assert launcher.container_kwargs == {"auto_remove": True, "log_config": {"type": "gcplogs"}}


def test_each_run_container_gets_every_variable_a_run_reads(docker_home):
    config, _ = dagster_instance_config(str(docker_home))
    passed = set(config["run_launcher"]["config"]["env_vars"])
    settings_vars = {name for name in settings_env_names() if not name.startswith("ELT_ALERT_")}
    needed = (settings_vars - LOCAL_ONLY_ENV - NOT_READ_BY_RUNS) | DAGSTER_ENV | {"DAGSTER_PG_PASSWORD", "DAGSTER_HOME"}
    assert needed <= passed, sorted(needed - passed)
    assert passed <= needed, sorted(passed - needed)  # nothing a run does not read (alert secrets stay out)


def test_the_image_installs_dagster_docker_pinned_with_dagster():
    assert "pip install -e '.[docker]'" in DOCKERFILE
    pyproject = (PACKAGE_DIR.parent / "pyproject.toml").read_text()
    assert re.search(r'^docker = \["dagster-docker==0\.29\.27"\]$', pyproject, re.M)
    assert '"dagster==1.13.27"' in pyproject
