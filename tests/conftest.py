"""Real parts shared by the test modules: a MariaDB server and the GCP emulators (one each per
session) and the dbt manifests every definitions build reads (parsed once per session, as a
deployment does)."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.emulators import (
    BqEmulator,
    FakeGcs,
    start_bqemulator,
    start_fake_gcs,
    unavailable_reason,
)
from tests.support.mariadb import MariaDB, missing_binaries
from tests.support.required import skip_or_fail

# dagster-dbt's preparer runs `dbt` from PATH: the one beside this interpreter, venv activated or not.
os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


@functools.cache
def prepare_dbt_manifests() -> None:
    """Parse the dbt project once per target, as `dagster-dbt project prepare-and-package` does."""
    from elt_pipeline.defs.dbt.project import bigquery_project, duckdb_project

    for project in (duckdb_project, bigquery_project):
        project.preparer.prepare(project)


@pytest.fixture(scope="session", autouse=True)
def dbt_manifests() -> None:
    prepare_dbt_manifests()


@pytest.fixture(scope="session")
def mariadb(tmp_path_factory) -> Iterator[MariaDB]:
    """A running private MariaDB server; skipped when not installed, except under CI=true where it fails."""
    missing = missing_binaries()
    if missing:
        skip_or_fail(f"MariaDB not installed (missing {', '.join(missing)}); run .ci/install-mariadb.sh")
    server = MariaDB.start(tmp_path_factory.mktemp("mariadb"))
    yield server
    server.stop()


EMULATOR_PROJECT = "elt-emulated"


@dataclass
class Emulators:
    gcs: FakeGcs
    bq: BqEmulator
    project: str = EMULATOR_PROJECT

    @property
    def environ(self) -> dict[str, str]:
        """What a gcp-mode process needs besides buckets/datasets (see deploy/env.example)."""
        return {
            "STORAGE_EMULATOR_HOST": self.gcs.endpoint,
            "ELT_BQ_API_ENDPOINT": self.bq.endpoint,
            "ELT_GCP_PROJECT": self.project,
        }


@pytest.fixture(scope="session")
def emulators(tmp_path_factory) -> Iterator[Emulators]:
    reason = unavailable_reason()
    if reason:
        skip_or_fail(f"gcp emulators not installed: {reason}")
    workdir = tmp_path_factory.mktemp("emulators")
    gcs = start_fake_gcs(workdir)
    try:
        bq = start_bqemulator(workdir, gcs.root, EMULATOR_PROJECT)
    except BaseException:
        gcs.stop()
        raise
    running = Emulators(gcs=gcs, bq=bq)
    _fail_fast_on_emulator_errors()
    saved = {key: os.environ.get(key) for key in running.environ}
    os.environ["STORAGE_EMULATOR_HOST"] = gcs.endpoint  # read by google-cloud-storage itself
    try:
        yield running
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        bq.stop()
        gcs.stop()


def _fail_fast_on_emulator_errors() -> None:
    """Client retries wait up to 600 s on a 5xx; an emulator 500 is a bug to see, not to wait out."""
    from google.cloud.bigquery import retry as bigquery_retry

    from elt_pipeline.lib.warehouse.bigquery import JOB_RETRY

    for policy in (bigquery_retry.DEFAULT_RETRY, bigquery_retry.DEFAULT_JOB_RETRY, JOB_RETRY):
        policy._timeout = 20
