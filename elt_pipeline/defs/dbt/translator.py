"""How dbt nodes appear in Dagster: keys and groups by layer, owners from `meta.owner`,
partition mapping to the raw tables. Table names come from the manifest, resolved for the
environment (`project.manifest_for`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dagster import AssetKey, MultiToSingleDimensionPartitionMapping, PartitionMapping
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from elt_pipeline.defs.partitions import DATE_DIMENSION


class EltDbtTranslator(DagsterDbtTranslator):
    def __init__(self):
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=False))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        """`<layer>/<model>` (e.g. `marts/fct_customer_features`) for models; sources keep the
        raw table keys from their `meta.dagster.asset_key`.

        Keys do not contain the dataset (schema) name: renaming a dataset, or running gcp and
        local side by side, keeps every asset's history and lineage.
        """
        layer = model_layer(dbt_resource_props)
        if layer is None:
            return super().get_asset_key(dbt_resource_props)
        return AssetKey([layer, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return model_layer(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        """`meta.owner` (dbt's convention, set per layer in dbt_project.yml), else dagster-dbt's
        default (`meta.dagster.owners`, the dbt group's owner)."""
        owner = dbt_resource_props.get("meta", {}).get("owner")
        if owner:
            return [owner] if isinstance(owner, str) else list(owner)
        return super().get_owners(dbt_resource_props)

    def get_partition_mapping(
        self, dbt_resource_props: Mapping[str, Any], dbt_parent_resource_props: Mapping[str, Any]
    ) -> PartitionMapping | None:
        """A dump date of a model depends on that date of a raw table, for every source."""
        if dbt_parent_resource_props["resource_type"] == "source":
            return MultiToSingleDimensionPartitionMapping(partition_dimension_name=DATE_DIMENSION)
        return None


def model_layer(dbt_resource_props: Mapping[str, Any]) -> str | None:
    """staging / intermediate / marts: the folder of a model under `models/` (None otherwise)."""
    fqn = dbt_resource_props.get("fqn", [])
    return fqn[1] if dbt_resource_props["resource_type"] == "model" and len(fqn) > 2 else None
