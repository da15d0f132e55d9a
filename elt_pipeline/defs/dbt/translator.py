"""How dbt nodes appear in Dagster: keys and groups by layer, table names from the settings,
partition mapping to the raw tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dagster import AssetKey, MultiToSingleDimensionPartitionMapping, PartitionMapping
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from elt_pipeline.defs.partitions import DATE_DIMENSION
from elt_pipeline.settings import Settings


class EltDbtTranslator(DagsterDbtTranslator):
    def __init__(self, settings: Settings):
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=False))
        self.elt_settings = settings

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

    def get_metadata(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
        """The manifest is parsed once for every environment, so the table a model writes is
        named from the settings (its layer's dataset), not from the manifest."""
        metadata = dict(super().get_metadata(dbt_resource_props))
        layer = model_layer(dbt_resource_props)
        if layer is not None:
            dataset = self.elt_settings.dataset_of_layer(layer)
            table = dbt_resource_props.get("alias") or dbt_resource_props["name"]
            metadata["dagster/table_name"] = self.elt_settings.qualified_table(dataset, table)
        return metadata

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
