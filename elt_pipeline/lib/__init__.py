"""Pure helpers with no Dagster dependency: config, paths, manifests, storage, warehouses."""
