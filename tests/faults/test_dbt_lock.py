"""A `dbt` whose run worker was killed runs on to its end and holds the DuckDB file's write lock
meanwhile; the run's pool slot is already freed, so the retried dbt build can start before it
ends. The retry waits for the lock instead of failing at once on it (which would end the run
retries), then builds the date. Here a separate process holds the file's lock, as that `dbt`
would, while the real dbt_build job runs for a loaded date.
"""

import subprocess
import sys
import time
from datetime import date

import pytest

from elt_pipeline.settings import LOCAL_DEVELOPMENT_SALT
from tests.support.expected import assert_features_equal, expected_customer_features
from tests.support.orchestration import DBT_JOB
from tests.support.pipelines import loaded_pipeline

pytestmark = pytest.mark.slow

DAY = date(2024, 1, 1)
SOURCE = "shop_eu"
HOLD_SECONDS = 25  # longer than dbt takes to start and open the file
HOLD_LOCK = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1])  # read-write: DuckDB's exclusive file lock
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
connection.close()
"""


def test_a_dbt_build_waits_for_another_process_to_release_the_duckdb_file(tmp_path):
    with loaded_pipeline(tmp_path, [SOURCE], [DAY]) as pipeline:
        (snapshot,) = pipeline.land([DAY])  # the dump already landed and loaded: the same snapshot
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD_LOCK, str(pipeline.settings.duckdb_path), str(HOLD_SECONDS)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        result = pipeline.defs.resolve_job_def(DBT_JOB).execute_in_process(
            partition_key=DAY.isoformat(), instance=pipeline.daemon.instance, raise_on_error=False
        )
        took = time.monotonic() - started
        assert holder.wait(timeout=60) == 0

        assert result.success, [event.message for event in result.all_events if event.is_failure]
        assert took >= HOLD_SECONDS - 1, f"dbt ran in {took:.1f}s while the file was locked"
        expected = expected_customer_features(snapshot, LOCAL_DEVELOPMENT_SALT)
        assert_features_equal(pipeline.mart_rows(DAY, SOURCE), expected)
