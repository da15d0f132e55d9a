"""Dagster definitions, one module per stage; `elt_pipeline.definitions` assembles them."""
