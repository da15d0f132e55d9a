"""Per-source converter options in the pipeline config, as the import job passes them to convert_dump."""

from __future__ import annotations

import pytest

from elt_pipeline.converter import DumpError, convert_dump
from elt_pipeline.lib.pipeline_config import PipelineConfigError, load_pipeline_config

CONFIG = """partitions_start_date: 2024-01-01
sources:
  - name: shop_eu
    database: shop
    accept_unconfirmed_end: true
  - name: shop_us
tables:
  t: {}
"""
TWO_DATABASES = """-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)
CREATE DATABASE `archive`;
USE `archive`;
CREATE TABLE `t` (`id` int);
INSERT INTO `t` VALUES (1);
CREATE DATABASE `shop`;
USE `shop`;
CREATE TABLE `t` (`id` int);
INSERT INTO `t` VALUES (2),(3);
-- Dump completed on 2026-11-22 21:14:51
"""


def test_source_options_load_with_safe_defaults(tmp_path):
    path = tmp_path / "pipeline.yaml"
    path.write_text(CONFIG)
    eu, us = load_pipeline_config(path).sources
    assert (eu.database, eu.accept_unconfirmed_end) == ("shop", True)
    assert (us.database, us.accept_unconfirmed_end) == (None, False)
    path.write_text(CONFIG.replace("database: shop", "database: ''"))
    with pytest.raises(PipelineConfigError, match="database"):
        load_pipeline_config(path)


def test_source_database_picks_the_source_in_a_dump_of_several(tmp_path):
    path = tmp_path / "pipeline.yaml"
    path.write_text(CONFIG)
    eu, us = load_pipeline_config(path).sources
    dump = tmp_path / "two.sql"
    dump.write_text(TWO_DATABASES)
    options = {"database": eu.database, "accept_unconfirmed_end": eu.accept_unconfirmed_end}
    manifest = convert_dump(dump, tmp_path / "eu", **options)
    assert manifest.tables["t"].row_count == 2 and manifest.database == "shop"
    assert manifest.databases == ["archive", "shop"]
    with pytest.raises(DumpError, match="'archive' and 'shop'"):
        convert_dump(dump, tmp_path / "us", database=us.database)
