#!/usr/bin/env bash
# Install checkov in its own virtualenv (its dependencies conflict with the project's).
# Idempotent: does nothing when the pinned version is already installed.
#   CHECKOV_VENV   where the venv lives (default: ~/.cache/elt-pipeline/checkov-venv)
#   CHECKOV_PYTHON interpreter to create it with (default: python3)
set -euo pipefail

CHECKOV_VERSION="3.3.30"
CHECKOV_VENV="${CHECKOV_VENV:-$HOME/.cache/elt-pipeline/checkov-venv}"
PYTHON="${CHECKOV_PYTHON:-python3}"

if [ -x "$CHECKOV_VENV/bin/checkov" ] \
  && [ "$("$CHECKOV_VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("checkov"))' 2>/dev/null)" = "$CHECKOV_VERSION" ]; then
  echo "checkov $CHECKOV_VERSION already installed in $CHECKOV_VENV"
  exit 0
fi

mkdir -p "$(dirname "$CHECKOV_VENV")"
"$PYTHON" -m venv "$CHECKOV_VENV"
"$CHECKOV_VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$CHECKOV_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
echo "checkov $("$CHECKOV_VENV/bin/checkov" --version) installed in $CHECKOV_VENV"
