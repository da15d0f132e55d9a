"""Google Cloud Storage: the landing area and Parquet store under `gs://bucket/prefix`.

Credentials come from the environment only (Application Default Credentials / workload
identity); `google-cloud-storage` itself honours `STORAGE_EMULATOR_HOST`, which is how the
tests reach fake-gcs-server: there is no emulator-specific branch here.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from google.api_core.exceptions import NotFound, PreconditionFailed
from google.cloud import storage

from elt_pipeline.lib.manifest import MANIFEST_NAME, Manifest
from elt_pipeline.lib.storage import ConcurrentPublish, LandedFile, ManifestNotFound, common_schema
from elt_pipeline.lib.storage.layout import is_part_file, partition_prefix, versioned_manifest

# Listing pages: the maximum GCS serves per request.
LIST_PAGE_SIZE = 1000
FOOTER_READ_CHUNK = 256 * 1024
PARQUET_CONTENT_TYPE = "application/vnd.apache.parquet"


def split_gs_uri(uri: str) -> tuple[str, str]:
    """`gs://bucket/a/b` -> ("bucket", "a/b/"); the prefix is "" or ends with "/"."""
    if not uri.startswith("gs://"):
        raise ValueError(f"not a gs:// URI: {uri!r}")
    bucket, _, prefix = uri[len("gs://") :].partition("/")
    if not bucket:
        raise ValueError(f"no bucket in {uri!r}")
    prefix = prefix.strip("/")
    return bucket, f"{prefix}/" if prefix else ""


class _GcsLocation:
    def __init__(self, uri: str, client: storage.Client | None = None):
        self.bucket_name, self.prefix = split_gs_uri(uri)
        self.client = client if client is not None else storage.Client()
        self.bucket = self.client.bucket(self.bucket_name)
        self.location = f"gs://{self.bucket_name}/{self.prefix}"

    def _uri(self, name: str) -> str:
        return f"gs://{self.bucket_name}/{name}"


class GcsLanding(_GcsLocation):
    """A landing area under `gs://bucket/prefix`; keys are relative to the prefix."""

    def list_from(self, prefix: str, start_offset: str) -> Iterator[LandedFile]:
        """Objects under `prefix` whose key is >= `start_offset`, listed from there by GCS."""
        blobs = self.client.list_blobs(
            self.bucket_name,
            prefix=self.prefix + prefix,
            start_offset=self.prefix + start_offset,
            page_size=LIST_PAGE_SIZE,
            fields="items(name,generation,size,updated),nextPageToken",
        )
        for blob in blobs:
            key = blob.name[len(self.prefix) :]
            # start_offset is inclusive and GCS already applies it; the guard keeps the contract
            # if a server ignores it.
            if key >= start_offset and not blob.name.endswith("/"):
                yield LandedFile(
                    key=key,
                    version=str(blob.generation),
                    size=blob.size or 0,
                    uri=self._uri(blob.name),
                    updated=blob.updated.timestamp() if blob.updated else 0.0,
                )

    def top_level_names(self) -> list[str]:
        """First path segments under the prefix, from one delimiter listing (folders + loose objects)."""
        iterator = self.client.list_blobs(
            self.bucket_name,
            prefix=self.prefix,
            delimiter="/",
            page_size=LIST_PAGE_SIZE,
            fields="items(name),prefixes,nextPageToken",
        )
        names = {blob.name[len(self.prefix) :] for blob in iterator}
        names |= {folder[len(self.prefix) :].rstrip("/") for folder in iterator.prefixes}
        return sorted(name for name in names if name)

    def download(self, landed: LandedFile, destination: Path) -> None:
        """Download exactly generation `landed.version` (checksum-verified by the client)."""
        blob = self.bucket.blob(self.prefix + landed.key, generation=int(landed.version))
        blob.download_to_filename(str(destination))

    def put(self, key: str, content: bytes) -> None:
        blob = self.bucket.get_blob(self.prefix + key)
        if blob is not None and blob.md5_hash == _md5_base64(content):
            return
        self.bucket.blob(self.prefix + key).upload_from_string(content, content_type="application/gzip")


def _manifest_at(blob: storage.Blob | None) -> Manifest | None:
    """The manifest at the blob's generation; None when there is none (or it was replaced
    since: then the publish's generation precondition fails anyway)."""
    if blob is None:
        return None
    try:
        return Manifest.from_json(blob.download_as_text(if_generation_match=blob.generation))
    except (NotFound, PreconditionFailed):
        return None


def _md5_base64(content: bytes) -> str:
    return base64.b64encode(hashlib.md5(content).digest()).decode()


class GcsParquetStore(_GcsLocation):
    """The Parquet store under `gs://bucket/prefix`."""

    def _folder(self, source_db: str, dump_date: str) -> str:
        return f"{self.prefix}{partition_prefix(source_db, dump_date)}/"

    def publish(self, local_dir: Path, manifest: Manifest, import_id: str) -> str:
        """Upload every listed file, then `_manifest.json` if no other import replaced it since
        this one began (a generation precondition), then drop earlier imports' files."""
        folder = self._folder(manifest.source_db, manifest.dump_date)
        current = self.bucket.get_blob(folder + MANIFEST_NAME)  # before any upload: see _remove_older_unlisted
        replaced = current.generation if current is not None else 0  # 0: must not exist yet
        published, renames = versioned_manifest(manifest, import_id, _manifest_at(current))
        for old, new in renames.items():
            blob = self.bucket.blob(folder + new)
            blob.upload_from_filename(str(Path(local_dir) / old), content_type=PARQUET_CONTENT_TYPE)
        manifest_blob = self.bucket.blob(folder + MANIFEST_NAME)
        text = published.to_json()
        try:
            manifest_blob.upload_from_string(text, content_type="application/json", if_generation_match=replaced)
        except PreconditionFailed:
            manifest_blob = self.bucket.get_blob(folder + MANIFEST_NAME)
            if manifest_blob is None or manifest_blob.download_as_text() != text:  # not a retried upload of ours
                self._remove(folder, renames.values())
                raise ConcurrentPublish(
                    f"{self._uri(folder + MANIFEST_NAME)} was replaced by another import while {import_id} uploaded"
                ) from None
        self._remove_older_unlisted(folder, set(renames.values()), manifest_blob.time_created)
        return self._uri(folder + MANIFEST_NAME)

    def _remove(self, folder: str, relatives: Iterable[str]) -> None:
        for relative in relatives:
            with contextlib.suppress(NotFound):
                self.bucket.blob(folder + relative).delete()

    def _remove_older_unlisted(self, folder: str, listed: set[str], manifest_created: datetime) -> None:
        """Delete part files of earlier imports (no manifest lists them). Files created after the
        manifest belong to an import that began after it and will replace it: they stay."""
        blobs = self.client.list_blobs(self.bucket_name, prefix=folder, fields="items(name,timeCreated),nextPageToken")
        for blob in blobs:
            relative = blob.name[len(folder) :]
            if is_part_file(relative) and relative not in listed and blob.time_created < manifest_created:
                with contextlib.suppress(NotFound):  # another publisher removed it first
                    blob.delete()

    def read_manifest(self, source_db: str, dump_date: str) -> Manifest:
        name = self._folder(source_db, dump_date) + MANIFEST_NAME
        try:
            text = self.bucket.blob(name).download_as_text()
        except NotFound:
            raise ManifestNotFound(
                f"no manifest at {self._uri(name)}: import the dump for this partition first"
            ) from None
        return Manifest.from_json(text)

    def file_uri(self, source_db: str, dump_date: str, relative: str) -> str:
        return self._uri(self._folder(source_db, dump_date) + relative)

    def read_schema(self, uris: list[str]) -> pa.Schema:
        """Footers only: a ranged read per file, never the whole object."""
        schemas = {}
        for uri in uris:
            bucket, name = split_gs_uri(uri)
            blob = self.client.bucket(bucket).blob(name.rstrip("/"))
            try:
                with blob.open("rb", chunk_size=FOOTER_READ_CHUNK) as handle:
                    schemas[uri] = pq.read_schema(handle)
            except NotFound as error:
                raise FileNotFoundError(f"{uri}: listed by the manifest but missing") from error
        return common_schema(schemas)
