"""Fixtures for the gcp-backend tests: clients of the emulators (tests/conftest.py starts them),
a bucket and a dataset per test, and an HTTP session that records what the storage client asks.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

import pytest
import requests


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
    """A fresh dataset per test (terraform creates the real ones; a load never does)."""
    name = f"raw_{uuid.uuid4().hex[:10]}"
    bq_client.create_dataset(f"{emulators.project}.{name}")
    yield name
    bq_client.delete_dataset(f"{emulators.project}.{name}", delete_contents=True, not_found_ok=True)
