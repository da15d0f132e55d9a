"""GcsLanding on fake-gcs-server, and the dump sensor's discovery driven through it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
import requests

from elt_pipeline.lib.discovery import discover_dumps
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
    result = discover_dumps(GcsLanding(f"gs://{bucket.name}/in", client=gcs_client), SOURCES, None)
    assert [landed.key for landed, _ in result.dumps] == ["shop_eu/2024-01-01/ok.sql.gz"]
    reasons = "\n".join(result.skipped)
    assert "mystery" in reasons and "2024-13-01" in reasons and "notes.txt" in reasons
    assert ".uploading" not in reasons  # temporary names are ignored, not reported


@pytest.mark.gcp
def test_tick_after_10000_objects_lists_only_new_objects(emulators, bucket, recording_gcs):
    """10,000 dumps in the bucket; the next tick reads only the newest date's folder + new ones."""
    start = date(2024, 1, 1)
    per_day, days = 50, 200  # 10,000 objects under shop_eu
    names = [
        f"landing/shop_eu/{start + timedelta(days=day)}/part{n:03d}.sql.gz"
        for day in range(days)
        for n in range(per_day)
    ]
    bulk_upload(emulators.gcs.endpoint, bucket.name, names)
    landing = GcsLanding(f"gs://{bucket.name}/landing", client=recording_gcs)
    http = recording_gcs._http

    first = discover_dumps(landing, SOURCES, None)
    assert len(first.dumps) == 10_000
    newest = str(start + timedelta(days=days - 1))
    assert sum(call.items for call in http.listings()) >= 10_000

    # New arrivals: a late file for the newest date, a new date, and another source.
    upload(
        bucket,
        [
            f"landing/shop_eu/{newest}/late.sql.gz",
            f"landing/shop_eu/{start + timedelta(days=days)}/part000.sql.gz",
            "landing/shop_us/2024-03-01/part000.sql.gz",
        ],
    )
    http.clear()
    second = discover_dumps(landing, SOURCES, first.cursor)

    listings = http.listings()
    objects_returned = sum(call.items for call in listings)
    # Only the newest date's folder (50 + 1 late) and the new objects come back, never 10,000.
    assert objects_returned == per_day + 3, objects_returned
    assert len(listings) == 1 + len(SOURCES)  # one delimiter listing + one page per source
    assert all(call.query.get("startOffset") or call.query.get("delimiter") for call in listings)
    # Dedup of already-seen keys is by run key (Dagster skips run keys it has seen).
    seen = {landed.run_key for landed, _ in first.dumps}
    fresh = sorted(landed.key for landed, _ in second.dumps if landed.run_key not in seen)
    assert fresh == [
        f"shop_eu/{newest}/late.sql.gz",
        f"shop_eu/{start + timedelta(days=days)}/part000.sql.gz",
        "shop_us/2024-03-01/part000.sql.gz",
    ]
