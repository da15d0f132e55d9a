#!/usr/bin/env bash
# Static security checks of terraform/ with checkov (installed by .ci/install-checkov.sh).
# Exits non-zero on any failed check. Skips are only the inline `#checkov:skip=ID:reason`
# comments in the .tf files, each with its reason.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHECKOV_VENV="${CHECKOV_VENV:-$HOME/.cache/elt-pipeline/checkov-venv}"
CHECKOV="$CHECKOV_VENV/bin/checkov"

if [ ! -x "$CHECKOV" ]; then
  bash "$ROOT/.ci/install-checkov.sh"
fi

# Offline: local modules only (no external module download), no platform mapping or
# guideline download. Extra arguments are passed through (e.g. `--output json`).
export BC_SKIP_MAPPING=TRUE

exec "$CHECKOV" \
  --directory "$ROOT/terraform" \
  --framework terraform \
  --download-external-modules false \
  --skip-download \
  --quiet \
  --compact \
  "$@"
