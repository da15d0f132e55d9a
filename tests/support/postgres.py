"""A throwaway PostgreSQL cluster (Debian's `postgresql` package, .ci/install-postgres.sh) for
Dagster storage: its own data folder and port, password authentication over TCP, stopped and
deleted afterwards. The server refuses to run as root, so as root it runs as `postgres`."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.emulators import free_port

INSTALL_HINT = "run `bash .ci/install-postgres.sh`"


@dataclass(frozen=True)
class Postgres:
    host: str
    port: int
    db: str
    user: str
    password: str

    def dagster_environment(self) -> dict[str, str]:
        """The variables deploy/dagster.yaml reads its Postgres storage from."""
        return {
            "DAGSTER_PG_HOST": self.host,
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_DB": self.db,
            "DAGSTER_PG_USER": self.user,
            "DAGSTER_PG_PASSWORD": self.password,
        }


def postgres_bin() -> Path:
    """The newest installed server's bin folder."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if not found:
        raise FileNotFoundError(f"PostgreSQL server not installed ({INSTALL_HINT})")
    return found[-1].parent


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def running_postgres(
    db: str = "dagster", user: str = "dagster", password: str = "dagster-test-password"
) -> Iterator[Postgres]:
    """A started cluster with database `db` owned by `user` (scram-sha-256 over TCP)."""
    binaries = postgres_bin()
    root = Path(tempfile.mkdtemp(prefix="elt-postgres-"))
    data, log = root / "data", root / "server.log"
    (root / "password").write_text(password)
    if os.geteuid() == 0:
        server_user = pwd.getpwnam("postgres")
        for path in (root, root / "password"):
            os.chown(path, server_user.pw_uid, server_user.pw_gid)
    port = free_port()
    try:
        subprocess.run(
            _as_server_user(
                [
                    str(binaries / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    user,
                    "--auth=scram-sha-256",
                    f"--pwfile={root / 'password'}",
                    "--encoding=UTF8",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
        )
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            _as_server_user([str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"]),
            check=True,
            capture_output=True,
        )
        environment = {**os.environ, "PGPASSWORD": password}
        subprocess.run(
            [str(binaries / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", user, db],
            check=True,
            capture_output=True,
            env=environment,
        )
        yield Postgres("127.0.0.1", port, db, user, password)
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                _as_server_user([str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                check=False,
                capture_output=True,
            )
        shutil.rmtree(root, ignore_errors=True)
