"""Fixtures for the converter tests: a private MariaDB server (session-wide)."""

from __future__ import annotations

import pytest

from tests.support.mariadb import MariaDB, missing_binaries
from tests.support.required import skip_or_fail


@pytest.fixture(scope="session")
def mariadb(tmp_path_factory) -> MariaDB:
    """A running MariaDB; skipped when not installed, except under CI=true where it fails."""
    missing = missing_binaries()
    if missing:
        skip_or_fail(f"MariaDB not installed (missing {', '.join(missing)}); run .ci/install-mariadb.sh")
    server = MariaDB.start(tmp_path_factory.mktemp("mariadb"))
    yield server
    server.stop()
