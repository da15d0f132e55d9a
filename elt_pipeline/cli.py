"""`elt-pipeline`: convert one dump, onboard a source from a dump, land sample dumps, or run the local
demo with the web UI."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import yaml

from elt_pipeline.lib.pipeline_config import PipelineConfigError, load_pipeline_config
from elt_pipeline.lib.sample_data import seed_landing
from elt_pipeline.settings import DBT_PROJECT_DIR, PACKAGE_DIR, PROJECT_DIR, LocalSettings, load_settings

DEMO_FIRST_DATE = date(2024, 1, 1)
DEMO_DAYS = 3


def demo_dates(today: date, days: int = DEMO_DAYS) -> list[date]:
    """The demo's dump dates: the `days` days before `today`, as a production landing holds them."""
    return [today - timedelta(days=days - n) for n in range(days)]


def write_demo_config(source: Path, destination: Path, first_date: date) -> Path:
    """Copy the pipeline config with partitions starting at the demo's first dump date, so the UI
    shows the sample partitions at the right end and not years of missing ones beside them."""
    config = yaml.safe_load(source.read_text())
    config["partitions_start_date"] = first_date.isoformat()
    header = f"# Written by `elt-pipeline demo` from {source}; partitions start at the first sample dump.\n"
    destination.write_text(header + yaml.safe_dump(config, sort_keys=False))
    return destination


def convert(args: argparse.Namespace) -> int:
    from elt_pipeline.converter import DumpError, convert_dump

    try:
        manifest = convert_dump(
            Path(args.dump), Path(args.out), database=args.database, accept_unconfirmed_end=args.accept_unconfirmed_end
        )
    except DumpError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for name, table in sorted(manifest.tables.items()):
        print(f"{name}: {table.row_count} rows")
    return 0


def seed(args: argparse.Namespace) -> int:
    """Land sample dumps in the landing area of the settings' environment (folder or bucket)."""
    from elt_pipeline.defs.resources import build_resources

    settings = load_settings()
    config = load_pipeline_config(settings.pipeline_config_path)
    landing = build_resources(settings, config)["landing"].open()
    dates = [date.fromisoformat(args.first_date) + timedelta(days=n) for n in range(args.days)]
    snapshots = seed_landing(landing, config.source_names, dates, seed=args.seed)  # shop data: the default group
    print(f"landed {len(snapshots)} sample dumps in {landing.location}")
    return 0


def demo(args: argparse.Namespace) -> int:
    """Land sample dumps, then serve the pipeline and its web UI with `dagster dev`."""
    settings = load_settings()
    if not isinstance(settings, LocalSettings):
        print("error: the demo runs on the local default (unset ELT_ENV)", file=sys.stderr)
        return 2
    dagster_home = Path(os.environ.get("DAGSTER_HOME", settings.duckdb_path.parent / "dagster_home"))
    dagster_home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PACKAGE_DIR / "dagster_local.yaml", dagster_home / "dagster.yaml")
    dates = demo_dates(date.today())
    config_path = write_demo_config(settings.pipeline_config_path, dagster_home / "pipeline.yaml", dates[0])
    os.environ["ELT_PIPELINE_CONFIG"] = str(config_path)
    seed(argparse.Namespace(first_date=dates[0].isoformat(), days=len(dates), seed=7))
    print(f"Dagster UI: http://{args.host}:{args.port}  (sensors pick the dumps up within a minute)")
    command = [
        sys.executable,
        "-m",
        "dagster",
        "dev",
        "-w",
        str(PROJECT_DIR / "workspace.yaml"),
        "-h",
        args.host,
        "-p",
        str(args.port),
    ]
    # `dagster dev` parses the dbt project with the `dbt` beside this interpreter, activated or not.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    environment = {**os.environ, "DAGSTER_HOME": str(dagster_home), "PATH": path}
    return subprocess.call(command, cwd=PROJECT_DIR, env=environment)


def add_source(args: argparse.Namespace) -> int:
    """Onboard a source from a dump: its tables into the pipeline config in use, its dbt sources file."""
    from elt_pipeline.converter import DumpError
    from elt_pipeline.lib.onboarding import OnboardingError
    from elt_pipeline.lib.onboarding import add_source as onboard

    settings = load_settings()
    if args.dbt_project is None and not DBT_PROJECT_DIR.exists():
        print(f"error: no dbt project at {DBT_PROJECT_DIR} (an installed package): pass --dbt-project", file=sys.stderr)
        return 2
    start = date.fromisoformat(args.partitions_start_date) if args.partitions_start_date else None
    try:
        done = onboard(
            args.name,
            args.from_dump,
            settings.pipeline_config_path,
            Path(args.dbt_project or DBT_PROJECT_DIR),
            dbt_source=args.dbt_source,
            partitions_start=start,
            group=args.group,
        )
    except (DumpError, OnboardingError, PipelineConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if not done.written:
        print(f"{args.name}: no change, {done.config_path} already matches {args.from_dump}")
        return 0
    for line in done.diff.lines():
        print(line)
    for column, policy in done.suggestions.items():
        print(f"suggested: {policy} {column} (its name looks personal; review in {done.config_path})")
    print(f"wrote {done.config_path} (source group {done.group})")
    print(f"wrote {done.dbt_sources}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="elt-pipeline", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    convert_parser = commands.add_parser("convert", help="convert one dump to per-table Parquet + manifest")
    convert_parser.add_argument("dump", help="a .sql or .sql.gz dump")
    convert_parser.add_argument("--out", required=True, help="output folder (must not exist or be empty)")
    convert_parser.add_argument("--database", help="the database to convert from a dump of several")
    convert_parser.add_argument(
        "--accept-unconfirmed-end",
        action="store_true",
        help="convert a dump whose generator writes no completeness signal (a cut one would pass as whole)",
    )
    convert_parser.set_defaults(handler=convert)

    seed_parser = commands.add_parser("seed", help="land seeded sample dumps in the landing area (ELT_LANDING_URI)")
    seed_parser.add_argument("--first-date", default=DEMO_FIRST_DATE.isoformat())
    seed_parser.add_argument("--days", type=int, default=DEMO_DAYS)
    seed_parser.add_argument("--seed", type=int, default=7)
    seed_parser.set_defaults(handler=seed)

    demo_parser = commands.add_parser("demo", help="land sample dumps and start the pipeline with its web UI")
    demo_parser.add_argument("--host", default="127.0.0.1")
    demo_parser.add_argument("--port", type=int, default=3000)
    demo_parser.set_defaults(handler=demo)

    add_parser = commands.add_parser(
        "add-source", help="onboard a database from a dump: pipeline config (ELT_PIPELINE_CONFIG) and dbt sources"
    )
    add_parser.add_argument("name", help="the source's name (its landing folder)")
    add_parser.add_argument("--from-dump", required=True, help="a .sql or .sql.gz dump: a path or gs:// URI")
    add_parser.add_argument("--dbt-project", help="the dbt project to write sources into (default: the project's)")
    add_parser.add_argument(
        "--group",
        help="the source group to join or create (default: the default group if the dump holds its tables, "
        "else a new group named after the source)",
    )
    add_parser.add_argument(
        "--dbt-source", help="the dbt source's name (default: the source's name; in a group: the group's name)"
    )
    add_parser.add_argument("--partitions-start-date", help="YYYY-MM-DD, for a new pipeline config (default: today)")
    add_parser.set_defaults(handler=add_source)

    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
