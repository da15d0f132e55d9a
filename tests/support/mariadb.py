"""A private MariaDB server for tests: started from the Debian `mariadb-server` binaries.

    server = MariaDB.start(tmp_dir)
    server.execute("CREATE DATABASE d")           # SQL script via the mariadb client
    rows = server.query("SELECT HEX(x) FROM d.t")  # list of tuples of str | None
    path = server.dump(["--databases", "d"], tmp_dir / "d.sql")
    server.stop()

Values come back through `mariadb --batch`: NULL is None, and a text value 'NULL' cannot be
told from it, so select HEX()/CAST() of values when that matters.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

BINARIES = ("mariadbd", "mariadb-install-db", "mariadb", "mariadb-dump")


def missing_binaries() -> list[str]:
    """The MariaDB programs not on PATH (or in /usr/sbin)."""
    search = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin"
    return [name for name in BINARIES if shutil.which(name, path=search) is None]


def _which(name: str) -> str:
    return shutil.which(name, path=os.environ.get("PATH", "") + os.pathsep + "/usr/sbin") or name


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MariaDB:
    """A running private server; use `start`, then `stop` (the session fixture does both)."""

    def __init__(self, root: Path, process: subprocess.Popen, socket_path: Path, port: int):
        self.root = root
        self.process = process
        self.socket = socket_path
        self.port = port

    @classmethod
    def start(cls, root: Path, timeout: float = 60.0, server_args: tuple[str, ...] = ()) -> MariaDB:
        """Initialise a data directory under `root` and start mariadbd on a private socket and port.

        `server_args` are appended to mariadbd's command line (they override the small,
        test-friendly defaults below).
        """
        root.mkdir(parents=True, exist_ok=True)
        datadir = root / "data"
        subprocess.run(
            [
                _which("mariadb-install-db"),
                "--no-defaults",
                f"--datadir={datadir}",
                "--user=root",
                "--skip-test-db",
                "--auth-root-authentication-method=normal",
            ],
            check=True,
            capture_output=True,
        )
        socket_path = root / "mariadb.sock"
        port = _free_port()
        log = open(root / "mariadbd.log", "wb")  # noqa: SIM115 (open while the server runs)
        process = subprocess.Popen(
            [
                _which("mariadbd"),
                "--no-defaults",
                f"--datadir={datadir}",
                f"--socket={socket_path}",
                f"--port={port}",
                "--bind-address=127.0.0.1",
                "--skip-networking=0",
                "--skip-grant-tables",
                "--user=root",
                f"--pid-file={root / 'mariadbd.pid'}",
                "--innodb-buffer-pool-size=64M",
                "--innodb-log-file-size=64M",
                "--skip-log-bin",
                "--innodb-flush-log-at-trx-commit=0",
                *server_args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        server = cls(root, process, socket_path, port)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"mariadbd exited: {(root / 'mariadbd.log').read_text()[-2000:]}")
            if socket_path.exists() and server._ping():
                return server
            time.sleep(0.1)
        server.stop()
        raise RuntimeError("mariadbd did not become ready in time")

    def _client(self, program: str = "mariadb") -> list[str]:
        return [_which(program), "--no-defaults", f"--socket={self.socket}", "--user=root"]

    def _ping(self) -> bool:
        done = subprocess.run([*self._client(), "-e", "SELECT 1"], capture_output=True)
        return done.returncode == 0

    def execute(self, sql: str, database: str | None = None) -> None:
        """Run an SQL script (several statements, DELIMITER allowed)."""
        args = self._client() + ([database] if database else [])
        done = subprocess.run(args, input=sql.encode(), capture_output=True)
        if done.returncode != 0:
            raise RuntimeError(f"mariadb failed: {done.stderr.decode(errors='replace')}")

    def import_file(self, path: Path, database: str | None = None) -> None:
        """`mariadb [database] < path` (a plain .sql file)."""
        with open(path, "rb") as handle:
            done = subprocess.run(self._client() + ([database] if database else []), stdin=handle, capture_output=True)
        if done.returncode != 0:
            raise RuntimeError(f"mariadb import failed: {done.stderr.decode(errors='replace')[-2000:]}")

    def query(self, sql: str, database: str | None = None) -> list[tuple[str | None, ...]]:
        """Rows of the last result set of `sql`, as text (NULL -> None)."""
        args = self._client() + ["--batch", "--skip-column-names"] + ([database] if database else [])
        done = subprocess.run([*args, "-e", sql], capture_output=True)
        if done.returncode != 0:
            raise RuntimeError(f"mariadb query failed: {done.stderr.decode(errors='replace')}")
        rows = []
        for line in done.stdout.decode("utf-8", errors="surrogateescape").split("\n")[:-1]:
            rows.append(tuple(None if field == "NULL" else _unescape(field) for field in line.split("\t")))
        return rows

    def dump(self, args: list[str], path: Path) -> Path:
        """`mariadb-dump ARGS > path`; returns path."""
        with open(path, "wb") as out:
            done = subprocess.run(self._client("mariadb-dump") + list(args), stdout=out, stderr=subprocess.PIPE)
        if done.returncode != 0:
            raise RuntimeError(f"mariadb-dump failed: {done.stderr.decode(errors='replace')}")
        return path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _unescape(field: str) -> str:
    """Undo `mariadb --batch` escaping (\\0 \\t \\n \\\\)."""
    if "\\" not in field:
        return field
    out, chars = [], iter(field)
    for char in chars:
        if char == "\\":
            nxt = next(chars, "")
            out.append({"0": "\0", "t": "\t", "n": "\n", "\\": "\\"}.get(nxt, "\\" + nxt))
        else:
            out.append(char)
    return "".join(out)
