"""The README's screenshots of the demo, regenerated with `.venv/bin/python tests/screenshots.py`
(needs `chromium` and `chromium-driver`: `bash .ci/install-chromium.sh`).

Starts `elt-pipeline demo` in a temporary folder, waits until its sensors have imported, loaded
and built every sample dump, then goes through the UI as a user does and writes into
tests/screenshots/: the asset graph, `raw/orders`' partition grid, a replay of one partition
(the launch dialog and the finished run) and a backfill of every partition (the backfills page).
"""

from __future__ import annotations

import sys
import tempfile
from datetime import date
from pathlib import Path

from dagster import DagsterRunStatus, RunsFilter

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))  # `python tests/screenshots.py` from anywhere

from elt_pipeline.cli import demo_dates  # noqa: E402
from tests.support.browser import DagsterUi, chromium, launched_run_prefix  # noqa: E402
from tests.support.dagster_dev import DagsterDev, running_demo  # noqa: E402
from tests.support.orchestration import dbt_dates  # noqa: E402

OUT_DIR = Path(__file__).resolve().parent / "screenshots"
GROUPS = ["raw", "staging", "intermediate", "marts"]
IN_FLIGHT = [DagsterRunStatus.QUEUED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED]


def settled(demo: DagsterDev, dates: list[date]) -> bool:
    """Every date built by dbt after its loads: nothing queued or running any more."""
    if demo.instance.get_run_ids(RunsFilter(statuses=IN_FLIGHT), limit=1):
        return False
    builds = demo.instance.get_run_records(RunsFilter(job_name="dbt_build", statuses=[DagsterRunStatus.SUCCESS]))
    return {day.isoformat() for day in dates} <= set().union(*(dbt_dates(record.dagster_run.tags) for record in builds))


def take(ui: DagsterUi, name: str) -> None:
    path = OUT_DIR / f"{name}.png"
    ui.driver.save_screenshot(str(path))
    print(f"wrote {path.relative_to(PROJECT_DIR)} ({path.stat().st_size // 1024} KB)")


def main() -> int:
    OUT_DIR.mkdir(exist_ok=True)
    dates = demo_dates(date.today())
    with tempfile.TemporaryDirectory() as root, running_demo(Path(root)) as demo:
        demo.wait_for(demo.answers, "the web UI")
        demo.wait_for(lambda: settled(demo, dates), "the sensors to import, load and build every sample dump")
        with chromium(width=1400, height=900) as driver:
            ui = DagsterUi(driver, demo.url)
            ui.open("/assets")
            ui.dismiss_first_run_dialog()

            expanded = ",".join(f"global@global:{group}" for group in GROUPS)
            ui.open(f"/asset-groups?expanded={expanded}")
            ui.visible("//*[contains(text(),'int_orders__totals')]", "the expanded asset graph")
            take(ui, "asset-graph")

            ui.open_partitions("raw/orders")
            take(ui, "partitions")

            ui.open_materialize_dialog()
            ui.select_partitions(dates[-1].isoformat(), "shop_us")
            take(ui, "replay-launch")
            ui.open_run_from_runs_page(launched_run_prefix(ui.launch("Launch 1 run")))
            ui.wait_for_run_to_finish()
            take(ui, "replay-run")

            ui.open_partitions("raw/orders")
            ui.open_materialize_dialog()
            ui.select_partitions(f"[{dates[0].isoformat()}...{dates[-1].isoformat()}]", None)
            backfill_id = ui.launch("Launch backfill").split()[-1]
            demo.wait_for_backfill(backfill_id)
            ui.open("/overview/backfills")
            ui.visible(f"//*[contains(text(),'{backfill_id}')]", "the backfill on the backfills page")
            take(ui, "backfill")
    return 0


if __name__ == "__main__":
    sys.exit(main())
