"""Fixtures for the gcp-mode tests: fake-gcs-server and bqemulator, once per session.

The emulators come from `.ci/install-emulators.sh`. When they are missing the tests that need
them FAIL under CI=true (a broken install must not pass silently) and are skipped otherwise.
Pure tests in this folder (type mapping) run either way.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # `tests.support` without relying on how pytest was started
    sys.path.insert(0, str(REPO))

from tests.support.emulators import (  # noqa: E402
    BqEmulator,
    FakeGcs,
    start_bqemulator,
    start_fake_gcs,
    unavailable_reason,
)
from tests.support.required import skip_or_fail  # noqa: E402

EMULATOR_PROJECT = "elt-emulated"


def pytest_configure(config):
    config.addinivalue_line("markers", "gcp: needs fake-gcs-server and bqemulator (.ci/install-emulators.sh)")


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

    for policy in (bigquery_retry.DEFAULT_RETRY, bigquery_retry.DEFAULT_JOB_RETRY):
        policy._timeout = 20


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    items: int | None  # objects returned by a list call
    name: str | None  # object written or read (from the response resource)


class RecordingSession(requests.Session):
    """A real HTTP session that records each request and how many objects a listing returned."""

    def __init__(self):
        super().__init__()
        self.calls: list[Call] = []

    def request(self, method, url, *args, **kwargs):
        response = super().request(method, url, *args, **kwargs)
        parsed = urlparse(url)
        items = name = None
        if response.headers.get("content-type", "").startswith("application/json"):
            try:
                body = json.loads(response.content or b"{}")
            except ValueError:
                body = {}
            if isinstance(body, dict) and body.get("kind") == "storage#objects":
                items = len(body.get("items", []))
            if isinstance(body, dict) and body.get("kind") == "storage#object":
                name = body.get("name")
        self.calls.append(Call(method, parsed.path, parse_qs(parsed.query), items, name))
        return response

    def listings(self) -> list[Call]:
        return [call for call in self.calls if call.method == "GET" and call.items is not None]

    def clear(self) -> None:
        self.calls.clear()


@pytest.fixture
def recording_gcs(emulators):
    """A storage client whose HTTP calls are recorded (`client._http.calls`)."""
    from google.cloud import storage

    return storage.Client(project=emulators.project, _http=RecordingSession())


@pytest.fixture
def gcs_client(emulators):
    from google.cloud import storage

    return storage.Client(project=emulators.project)


@pytest.fixture
def bucket(gcs_client):
    """A fresh bucket per test."""
    return gcs_client.create_bucket(f"test-{uuid.uuid4().hex[:16]}")


@pytest.fixture
def bq_client(emulators):
    from elt_pipeline.lib.warehouse.bigquery import make_client

    return make_client(emulators.project, "EU", emulators.bq.endpoint)


@pytest.fixture
def bq_dataset(bq_client, emulators):
    """A fresh dataset name per test (created by the code under test)."""
    name = f"raw_{uuid.uuid4().hex[:10]}"
    yield name
    bq_client.delete_dataset(f"{emulators.project}.{name}", delete_contents=True, not_found_ok=True)
