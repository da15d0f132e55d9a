"""The code location `dagster dev -w workspace.yaml` loads, configured from the environment."""

from elt_pipeline.defs import build_definitions
from elt_pipeline.settings import load_settings

defs = build_definitions(load_settings())
