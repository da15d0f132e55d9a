"""The import job: one landed dump -> per-table Parquet + manifest in the Parquet store.

Op-based and partitioned like the raw tables, so a run is one (dump_date, source_db): the
dump sensor passes the exact landed object; launched from the UI for a partition without
config, it imports the dump currently landed for that partition (replay). A folder holding
several dumps imports the one landed last, whoever asks (`layout.newest_dump`). A dump must
hold its source group's tables, converted with that group's column policies; no other group's.
"""

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dagster import (
    Backoff,
    Config,
    Failure,
    In,
    MetadataValue,
    MultiPartitionsDefinition,
    OpExecutionContext,
    Out,
    Output,
    RetryPolicy,
    in_process_executor,
    job,
    op,
)

from elt_pipeline.converter import DumpError, convert_dump
from elt_pipeline.defs.partitions import partition_of
from elt_pipeline.defs.resources import ConverterResource, LandingResource, ParquetStoreResource
from elt_pipeline.lib.manifest import MANIFEST_NAME, Manifest
from elt_pipeline.lib.pipeline_config import PipelineConfig
from elt_pipeline.lib.storage import ConcurrentPublish, LandedFile, Landing, ParquetStore
from elt_pipeline.lib.storage.layout import BadDumpPath, is_temporary, newest_dump, parse_dump_key
from elt_pipeline.settings import HASH_SALT_VARIABLE, LOCAL_DEVELOPMENT_SALT

TRANSIENT_RETRY = RetryPolicy(max_retries=3, delay=5, backoff=Backoff.EXPONENTIAL)


class ImportConfig(Config):
    """Which landed object to import; empty: the partition's dump (the one landed last)."""

    key: str = ""
    version: str = ""


@dataclass(frozen=True)
class FetchedDump:
    landed: LandedFile
    local_path: str
    work_dir: str


@dataclass(frozen=True)
class ConvertedDump:
    manifest_json: str
    out_dir: str
    work_dir: str


def _dump_to_import(context: OpExecutionContext, config: ImportConfig, landing: Landing) -> LandedFile | None:
    """The partition folder's dump (the one landed last, as the sensor decides), or None when
    the requested file or version has been superseded since it was listed: the newer one has
    its own import, and this run publishes nothing."""
    partition = partition_of(context.partition_key)
    folder = f"{partition.source_db}/{partition.dump_date}/"
    dumps = []
    for landed in landing.list_from(folder, folder):
        if is_temporary(landed.key):
            continue
        try:
            parse_dump_key(landed.key, [partition.source_db])
        except BadDumpPath as reason:
            context.log.warning(f"ignoring {reason}")
            continue
        dumps.append(landed)
    if not dumps:
        raise Failure(f"no dump under {folder} in the landing area", allow_retries=False)
    newest = newest_dump(dumps)
    requested = config.key or newest.key
    if requested != newest.key or (config.version and config.version != newest.version):
        context.log.warning(
            f"{requested}@{config.version or 'any'} is superseded by {newest.run_key}, landed later; nothing imported"
        )
        return None
    return newest


@op(retry_policy=TRANSIENT_RETRY, out=Out(FetchedDump, is_required=False))
def fetch_dump(context: OpExecutionContext, config: ImportConfig, landing: LandingResource) -> Iterator[Output]:
    """Copy the partition's dump to local scratch space (nothing if it was superseded)."""
    store = landing.open()
    landed = _dump_to_import(context, config, store)
    if landed is None:
        return
    work_dir = Path(tempfile.mkdtemp(prefix=f"elt-import-{context.run_id[:8]}-"))
    local_path = work_dir / landed.key.rsplit("/", 1)[-1]
    try:
        store.download(landed, local_path)
    except BaseException:
        shutil.rmtree(work_dir, ignore_errors=True)
        raise
    context.log.info(f"fetched {landed.uri} ({landed.size:,} bytes, version {landed.version})")
    yield Output(FetchedDump(landed=landed, local_path=str(local_path), work_dir=str(work_dir)))


def _convert_op(config: PipelineConfig):
    @op(name="convert_dump", ins={"fetched": In(FetchedDump)}, out=Out(ConvertedDump))
    def convert(context: OpExecutionContext, fetched: FetchedDump, converter: ConverterResource) -> ConvertedDump:
        """Validate and stream the dump once into per-table Parquet and a manifest."""
        partition = partition_of(context.partition_key)
        source, group = config.source(partition.source_db), config.group_of(partition.source_db)
        out_dir = Path(fetched.work_dir) / "staged"
        if converter.uses_development_salt:
            context.log.warning(
                f"hashing with the local development-only salt {LOCAL_DEVELOPMENT_SALT!r} "
                f"({HASH_SALT_VARIABLE} unset): it is public, so anyone can test guesses of a hashed value; "
                f"for real data set {HASH_SALT_VARIABLE} (ELT_ENV=gcp refuses this one)"
            )
        try:
            manifest = convert_dump(
                Path(fetched.local_path),
                out_dir,
                policies=group.column_policies(),
                hash_salt=converter.hash_salt,
                dump_uri=fetched.landed.uri,
                max_bytes=converter.max_dump_bytes,
                database=source.database,
                accept_unconfirmed_end=source.accept_unconfirmed_end,
            )
        except DumpError as error:
            where = {"table": error.table or "", "line": error.line or 0}
            raise _refused(fetched, str(error), where) from error
        if manifest.database is not None and manifest.database != source.database_name:
            raise _refused(
                fetched,
                f"it holds database {manifest.database!r}, but its source folder expects {source.database_name!r}; "
                f"if that is the source's database, set `database: {manifest.database}` for the source in the "
                "pipeline config",
                {"declared_database": manifest.database, "expected_database": source.database_name},
            )
        missing = [table for table in group.required_tables() if table not in manifest.tables]
        if missing:
            raise _refused(
                fetched,
                f"it lacks the configured table(s) {', '.join(missing)}; nothing was published or loaded "
                "(mark a table `optional: true` in the pipeline config if dumps may lack it)",
                {"missing_tables": ", ".join(missing)},
            )
        manifest = manifest.with_partition(partition.source_db, partition.dump_date, fetched.landed.uri)
        for name, table in manifest.tables.items():
            if table.unlisted_columns:
                context.log.warning(f"{name}: columns not listed in the pipeline config: {table.describe_unlisted()}")
        context.log.info(
            "converted: " + ", ".join(f"{name}={table.row_count:,}" for name, table in manifest.tables.items())
        )
        return ConvertedDump(manifest_json=manifest.to_json(), out_dir=str(out_dir), work_dir=fetched.work_dir)

    return convert


def _refused(fetched: FetchedDump, reason: str, metadata: dict) -> Failure:
    """A bad dump: its scratch space is removed, nothing is published, and retrying cannot help."""
    shutil.rmtree(fetched.work_dir, ignore_errors=True)
    uri = fetched.landed.uri
    return Failure(description=f"bad dump {uri}: {reason}", metadata={"file": uri, **metadata}, allow_retries=False)


@op(retry_policy=TRANSIENT_RETRY)
def publish_parquet(context: OpExecutionContext, converted: ConvertedDump, parquet: ParquetStoreResource) -> None:
    """Upload the Parquet files, then the manifest last; the load sensor takes it from here."""
    manifest = Manifest.from_json(converted.manifest_json)
    store = parquet.open()
    try:
        manifest_uri = store.publish(Path(converted.out_dir), manifest, import_id=context.run_id[:8])
    except ConcurrentPublish as conflict:
        shutil.rmtree(converted.work_dir, ignore_errors=True)
        manifest_uri = _published_by_another_import(context, store, manifest, conflict)
    except BaseException:
        if context.retry_number >= TRANSIENT_RETRY.max_retries:  # keep the files for the next retry
            shutil.rmtree(converted.work_dir, ignore_errors=True)
        raise
    shutil.rmtree(converted.work_dir, ignore_errors=True)
    context.add_output_metadata(
        {
            "manifest": MetadataValue.path(manifest_uri),
            "dump_uri": manifest.dump_uri,
            "dump_sha256": manifest.dump_sha256,
            "row_counts": MetadataValue.json({name: t.row_count for name, t in manifest.tables.items()}),
        }
    )


def _published_by_another_import(
    context: OpExecutionContext, store: ParquetStore, manifest: Manifest, conflict: ConcurrentPublish
) -> str:
    """A concurrent import (a replay while the sensor's run was in flight) published first: fine
    when it published the same dump, a failure naming both otherwise. Nothing of ours remains."""
    current = store.read_manifest(manifest.source_db, manifest.dump_date)
    if current.dump_sha256 != manifest.dump_sha256:
        raise Failure(
            f"{conflict}; it published {current.dump_uri} (sha256 {current.dump_sha256[:12]}), not "
            f"{manifest.dump_uri} (sha256 {manifest.dump_sha256[:12]}); nothing of this import was kept. "
            "Replay the partition to import the dump landed last.",
            allow_retries=False,
        ) from conflict
    context.log.warning(f"{conflict}; it published the same dump, which stands")
    return store.file_uri(manifest.source_db, manifest.dump_date, MANIFEST_NAME)


def build_import_job(config: PipelineConfig, partitions_def: MultiPartitionsDefinition):
    convert = _convert_op(config)

    @job(
        name="import_dump",
        partitions_def=partitions_def,
        executor_def=in_process_executor,
        # A run retried after its worker died starts over: the scratch files the first attempt
        # fetched are gone with a restarted machine, and fetching again is cheap.
        tags={"elt/stage": "import", "dagster/retry_strategy": "ALL_STEPS"},
        description="Validate one landed dump and convert it to per-table Parquet + manifest in the Parquet store.",
    )
    def import_dump():
        publish_parquet(convert(fetch_dump()))

    return import_dump
