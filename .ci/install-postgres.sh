#!/usr/bin/env bash
# Install the PostgreSQL server the production-stack test uses as Dagster storage (Debian's
# `postgresql` package; the test starts its own throwaway cluster, never the system one).
# Idempotent.
set -euo pipefail
if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    echo "postgresql already installed: $(ls -d /usr/lib/postgresql/*/bin/initdb | tail -1)"
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends postgresql
