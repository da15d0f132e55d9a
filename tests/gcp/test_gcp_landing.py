"""GcsLanding on fake-gcs-server, and the dump sensor's discovery driven through it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
import requests

from elt_pipeline.lib.discovery import DiscoveryState, PartitionWindow, discover_dumps
from elt_pipeline.lib.storage.gcs import GcsLanding, split_gs_uri

SOURCES = ["shop_eu", "shop_us", "shop_apac"]


def upload(bucket, names, data=b"-- dump\n"):
    for name in names:
        bucket.blob(name).upload_from_string(data)


def bulk_upload(endpoint, bucket_name, names, data=b"-- dump\n", threads=8):
    """Seed many objects through the JSON API's media upload (the client library costs ~3x)."""
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=threads))

    def one(name):
        session.post(
            f"{endpoint}/upload/storage/v1/b/{bucket_name}/o",
            params={"uploadType": "media", "name": name},
            data=data,
        ).raise_for_status()

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, names))


def test_split_gs_uri():
    assert split_gs_uri("gs://b") == ("b", "")
    assert split_gs_uri("gs://b/") == ("b", "")
    assert split_gs_uri("gs://b/a/c/") == ("b", "a/c/")
    with pytest.raises(ValueError):
        split_gs_uri("/local/path")


@pytest.mark.gcp
def test_list_from_is_relative_versioned_and_ordered(bucket, gcs_client, tmp_path):
    upload(
        bucket,
        [
            "landing/shop_eu/2024-01-02/a.sql.gz",
            "landing/shop_eu/2024-01-01/a.sql.gz",
            "landing/shop_eu/2024-01-01/b.sql",
            "landing/shop_us/2024-01-01/a.sql",
            "elsewhere/shop_eu/2024-01-01/x.sql",
        ],
    )
    landing = GcsLanding(f"gs://{bucket.name}/landing", client=gcs_client)
    listed = list(landing.list_from("shop_eu/", "shop_eu/2024-01-01/b"))
    assert [f.key for f in listed] == ["shop_eu/2024-01-01/b.sql", "shop_eu/2024-01-02/a.sql.gz"]
    first = listed[0]
    blob = bucket.get_blob("landing/shop_eu/2024-01-01/b.sql")
    assert first.version == str(blob.generation)
    assert first.uri == f"gs://{bucket.name}/landing/shop_eu/2024-01-01/b.sql"
    assert first.size == len(b"-- dump\n")
    assert first.run_key == f"shop_eu/2024-01-01/b.sql@{blob.generation}"
    assert landing.top_level_names() == ["shop_eu", "shop_us"]


@pytest.mark.gcp
def test_reupload_gets_a_new_run_key_and_download_reads_that_generation(bucket, gcs_client, tmp_path):
    landing = GcsLanding(f"gs://{bucket.name}", client=gcs_client)
    upload(bucket, ["shop_eu/2024-01-01/d.sql"], b"first")
    (old,) = landing.list_from("shop_eu/", "shop_eu/")
    upload(bucket, ["shop_eu/2024-01-01/d.sql"], b"second version")
    (new,) = landing.list_from("shop_eu/", "shop_eu/")
    assert old.key == new.key and old.run_key != new.run_key
    landing.download(new, tmp_path / "new.sql")
    assert (tmp_path / "new.sql").read_bytes() == b"second version"


EVERY_DATE = PartitionWindow(first="2000-01-01", last="2099-12-31")


def discover(landing, state=None, now=1_000_000.0, imported=frozenset()):
    return discover_dumps(
        landing,
        SOURCES,
        state or DiscoveryState(),
        partitions=EVERY_DATE,
        now=now,
        imported=lambda keys: set(imported) & set(keys),
    )


@pytest.mark.gcp
def test_discovery_skips_unknown_sources_and_bad_paths(bucket, gcs_client):
    upload(
        bucket,
        [
            "in/shop_eu/2024-01-01/ok.sql.gz",
            "in/shop_eu/2024-13-01/bad-date.sql",
            "in/shop_eu/2024-01-01/notes.txt",
            "in/shop_eu/2024-01-01/.ok.sql.gz.uploading",
            "in/mystery/2024-01-01/x.sql",
        ],
    )
    result = discover(GcsLanding(f"gs://{bucket.name}/in", client=gcs_client))
    assert [landed.key for landed, _ in result.dumps] == ["shop_eu/2024-01-01/ok.sql.gz"]
    reasons = "\n".join(skip.reason for skip in result.skips)
    assert "mystery" in reasons and "2024-13-01" in reasons and "notes.txt" in reasons
    assert ".uploading" not in reasons  # temporary names are ignored, not reported


@pytest.mark.gcp
def test_a_tick_lists_recent_folders_and_an_hourly_reconciliation_the_whole_bucket(emulators, bucket, recording_gcs):
    """10,200 dumps in the bucket (3 sources x 3,400 nightly dates): a tick reads each source's
    newest 8 date folders and new objects; only a reconciliation reads them all, and requests
    nothing already imported."""
    start, days = date(2015, 1, 1), 3_400
    names = [
        f"landing/{source}/{start + timedelta(days=day)}/{source}.sql.gz" for source in SOURCES for day in range(days)
    ]
    bulk_upload(emulators.gcs.endpoint, bucket.name, names)
    landing = GcsLanding(f"gs://{bucket.name}/landing", client=recording_gcs)
    http = recording_gcs._http

    first = discover(landing)
    assert first.reconciled and len(first.dumps) == 10_200 and first.listed == 10_200
    imported = {landed.run_key for landed, _ in first.dumps}

    newest = start + timedelta(days=days - 1)
    upload(
        bucket,
        [
            f"landing/shop_eu/{newest}/shop_eu.sql.gz",  # re-upload of the newest date
            f"landing/shop_eu/{newest + timedelta(days=1)}/shop_eu.sql.gz",  # the next night
            f"landing/shop_us/{start + timedelta(days=100)}/shop_us.sql.gz",  # a corrected dump, years old
        ],
    )
    http.clear()
    tick = discover(landing, first.state, now=1_000_030.0, imported=imported)
    listings = http.listings()
    assert not tick.reconciled
    assert tick.listed == sum(call.items for call in listings) == len(SOURCES) * 8 + 1
    assert len(listings) == 1 + len(SOURCES)  # one delimiter listing + one page per source
    assert all(call.query.get("startOffset") or call.query.get("delimiter") for call in listings)
    assert sorted(landed.key for landed, _ in tick.dumps) == [
        f"shop_eu/{newest}/shop_eu.sql.gz",
        f"shop_eu/{newest + timedelta(days=1)}/shop_eu.sql.gz",
    ]
    imported |= {landed.run_key for landed, _ in tick.dumps}

    http.clear()
    reconciliation = discover(landing, tick.state, now=1_000_000.0 + 3_600, imported=imported)
    assert reconciliation.reconciled and reconciliation.listed == 10_201
    assert [landed.key for landed, _ in reconciliation.dumps] == [
        f"shop_us/{start + timedelta(days=100)}/shop_us.sql.gz"
    ]
    assert len(http.listings()) == 1 + len(SOURCES) * 4  # 1,000 objects a page
