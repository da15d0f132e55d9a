#!/usr/bin/env bash
# Build the code location's wheel with the dbt project prepared inside it, as the image does:
#   bash elt_pipeline/deploy/build-wheel.sh OUT_DIR
# Needs the project's dependencies installed (dagster-dbt and dbt on PATH). dbt parses each
# target once here; `prepare-and-package` copies dbt_project/ with its manifests into
# elt_pipeline/dbt_project/ (package data), so an installed package loads without parsing.
set -euo pipefail
out="$(realpath -m "${1:?usage: build-wheel.sh OUT_DIR}")"
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# The packaged copy lives only in the wheel: left in a checkout, it would shadow dbt_project/.
rm -rf elt_pipeline/dbt_project
trap 'rm -rf elt_pipeline/dbt_project' EXIT
dagster-dbt project prepare-and-package --file elt_pipeline/defs/dbt/project.py
python -m pip wheel --quiet --no-deps --wheel-dir "$out" .
