"""The long-running processes of a test (`dagster dev`, a code server, a daemon, a webserver),
each in a session of its own, and a poll for what they should bring about that fails at once,
with their logs, when one of them exits."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from pathlib import Path

TIMEOUT_SECONDS = 900
# `dagster dev` gives its webserver and daemon up to 60 s each to stop after SIGTERM.
SHUTDOWN_SECONDS = 150


def poll(
    condition: Callable[[], object],
    what: str,
    processes: Mapping[str, subprocess.Popen],
    logs: Callable[[], str],
    timeout: float = TIMEOUT_SECONDS,
    interval: float = 3,
):
    """Call `condition` every `interval` seconds until it returns a truthy value, and return it;
    fail with `logs()` past `timeout` or as soon as one of `processes` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, process in processes.items():
            if process.poll() is not None:
                raise AssertionError(f"{name} exited ({process.returncode}) waiting for {what}:\n{logs()}")
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}:\n{logs()}")


def stop_process_group(server: subprocess.Popen) -> None:
    """SIGTERM the server's whole session (webserver, daemon, code server, run workers), wait for
    its clean shutdown, then SIGKILL whatever is left of the group (or all of it, past the wait)."""
    _signal_group(server, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        server.wait(timeout=SHUTDOWN_SECONDS)
    _signal_group(server, signal.SIGKILL)
    server.wait(timeout=30)


def _signal_group(server: subprocess.Popen, signum: int) -> None:
    with suppress(ProcessLookupError):  # every process of the group has exited
        os.killpg(server.pid, signum)


class Processes:
    """Named processes started in `folder` (their working directory and log folder)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: list[str], environment: dict[str, str] | None = None) -> None:
        """Start `command` as `name` (replacing an exited process of that name), logging to
        `<folder>/<name>.log`."""
        with (self.folder / f"{name}.log").open("ab") as log:
            self.running[name] = subprocess.Popen(
                command, env=environment, cwd=self.folder, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def logs(self) -> str:
        return "\n".join(
            f"--- {name}\n{(self.folder / f'{name}.log').read_text(errors='replace')[-3000:]}" for name in self.running
        )

    def wait_for(
        self, condition: Callable[[], object], what: str, timeout: float = TIMEOUT_SECONDS, interval: float = 3
    ):
        """`poll` while every process runs."""
        return poll(condition, what, self.running, self.logs, timeout, interval)

    def stop(self) -> None:
        for process in self.running.values():
            stop_process_group(process)
