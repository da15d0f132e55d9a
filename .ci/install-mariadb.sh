#!/usr/bin/env bash
# Install the MariaDB server and client the converter's differential tests start (idempotent).
set -euo pipefail
if command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ]; then
    echo "mariadbd already installed: $(/usr/sbin/mariadbd --version 2>/dev/null || mariadbd --version)"
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends mariadb-server mariadb-client
