"""Alerts, as an operator gets them: real failed runs (a bad dump's import, a load stopped by a
failed blocking check) on the local default, the real run-failure sensor evaluated tick by tick
like the daemon does, a real HTTP server as the Slack webhook and a real SMTP server (aiosmtpd)
as the mail relay."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from datetime import date
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from dagster import DagsterRunStatus

from elt_pipeline.definitions import build_definitions
from elt_pipeline.defs.sensors.alerts import ALERT_SENSOR
from elt_pipeline.lib.alerts import Alert, AlertDeliveryError, send_alert
from elt_pipeline.settings import AlertSettings, SettingsError, load_settings
from tests.faults.test_partition_faults import dump_text, land, without_table
from tests.support.orchestration import DBT_JOB, IMPORT_JOB, LOAD_JOB, RANGE_END_TAG, RANGE_START_TAG
from tests.support.pipelines import pipeline_on

DAY, NEXT_DAY = date(2024, 1, 1), date(2024, 1, 2)
UI = "https://dagster.example.test"


class Webhook:
    """A local HTTP server recording each JSON body POSTed to it."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/T0/B0/secret"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Mailbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture(scope="module")
def webhook() -> Iterator[Webhook]:
    server = Webhook()
    yield server
    server.close()


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    with socket.socket() as probe:  # aiosmtpd's start-up check cannot follow port 0: pick a free one
        probe.bind(("127.0.0.1", 0))
        box.port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory, webhook, mailbox):
    """A pipeline whose environment configures both destinations; one good night built; the
    alert sensor's first tick (which only sets its cursor) done."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ELT_ALERT_WEBHOOK_URL", webhook.url)
        patch.setenv("ELT_ALERT_SMTP_HOST", "127.0.0.1")
        patch.setenv("ELT_ALERT_SMTP_PORT", str(mailbox.port))
        patch.setenv("ELT_ALERT_SMTP_STARTTLS", "false")
        patch.setenv("ELT_ALERT_EMAIL_FROM", "dagster@example.test")
        patch.setenv("ELT_ALERT_EMAIL_TO", "oncall@example.test, owner@example.test")
        patch.setenv("ELT_UI_BASE_URL", UI + "/")
        with pipeline_on("local", tmp_path_factory.mktemp("alerts"), ["shop_eu"]) as pipeline:
            pipeline.daemon.tick(ALERT_SENSOR)
            pipeline.land([DAY])
            pipeline.daemon.drain()
            assert not pipeline.daemon.failures
            yield pipeline


def alert_tick(pipeline, webhook, mailbox) -> tuple[list[dict], list[Message]]:
    """One tick of the alert sensor; what it delivered to each destination."""
    posted, mailed = len(webhook.bodies), len(mailbox.messages)
    pipeline.daemon.tick(ALERT_SENSOR)
    return webhook.bodies[posted:], mailbox.messages[mailed:]


@pytest.mark.slow
def test_successful_runs_send_nothing(pipeline, webhook, mailbox):
    assert pipeline.daemon.runs[LOAD_JOB] == 1
    assert alert_tick(pipeline, webhook, mailbox) == ([], [])


@pytest.mark.slow
def test_a_failed_import_is_posted_and_mailed_with_job_partition_step_error_and_link(pipeline, webhook, mailbox):
    key = land(pipeline, "shop_eu", DAY, without_table(dump_text("shop_eu", DAY) + "\n", "orders"))
    pipeline.daemon.drain()
    failed = pipeline.daemon.failures.pop().dagster_run
    assert failed.job_name == IMPORT_JOB

    posted, mailed = alert_tick(pipeline, webhook, mailbox)

    assert len(posted) == 1 and len(mailed) == 1
    text = posted[0]["text"]
    assert f"Dagster run failed: {IMPORT_JOB} [2024-01-01|shop_eu]" in text
    assert "Step convert_dump failed:" in text and key in text and "orders" in text, text
    assert f"{UI}/runs/{failed.run_id}" in text
    mail = mailed[0]
    assert mail["Subject"] == f"Dagster run failed: {IMPORT_JOB} [2024-01-01|shop_eu]"
    assert mail["To"] == "oncall@example.test, owner@example.test"
    body = mail.get_content()
    assert key in body and f"{UI}/runs/{failed.run_id}" in body
    assert alert_tick(pipeline, webhook, mailbox) == ([], [])  # each failure once


@pytest.mark.slow
def test_a_load_stopped_by_a_failed_blocking_check_names_the_check(pipeline, webhook, mailbox):
    emptied = re.sub(r"INSERT INTO `orders` VALUES .*\n", "", dump_text("shop_eu", NEXT_DAY))
    land(pipeline, "shop_eu", NEXT_DAY, emptied)
    pipeline.daemon.drain()
    failed = pipeline.daemon.failures.pop().dagster_run
    assert failed.job_name == LOAD_JOB  # a failed blocking check fails its run

    posted, mailed = alert_tick(pipeline, webhook, mailbox)

    assert len(posted) == 1 and len(mailed) == 1
    text = posted[0]["text"]
    assert f"{LOAD_JOB} [2024-01-02|shop_eu]" in text
    assert "Failed blocking checks:" in text
    assert re.search(r"- raw/orders not_emptied: .+", text), text
    assert "customers not_emptied" not in text  # passed checks are not listed
    assert f"{UI}/runs/{failed.run_id}" in text


def test_without_destinations_there_is_no_alert_sensor_and_the_log_says_so(tmp_path, caplog):
    defs = build_definitions(load_settings({"ELT_DATA_DIR": str(tmp_path)}))
    assert ALERT_SENSOR not in {sensor.name for sensor in defs.sensors}
    assert "no alerts: set ELT_ALERT_WEBHOOK_URL" in caplog.text


def test_half_configured_e_mail_is_refused_naming_the_variables():
    with pytest.raises(SettingsError, match="ELT_ALERT_EMAIL_FROM"):
        load_settings({"ELT_ALERT_SMTP_HOST": "smtp.example.test", "ELT_ALERT_EMAIL_TO": "a@example.test"})


def test_an_unreachable_destination_fails_the_delivery_naming_it(webhook):
    refused = AlertSettings(webhook_url=webhook.url.replace(str(webhook.server.server_port), "9"))
    with pytest.raises(AlertDeliveryError, match="webhook"):
        send_alert(Alert("subject", "body"), refused)


@pytest.mark.slow
def test_a_failed_dbt_run_over_a_range_of_dates_names_the_range(pipeline, webhook, mailbox):
    """A sensor's dbt run over consecutive dates has no single partition: the alert names its range.
    The run is recorded as the daemon records one whose worker died (no worker can die here)."""
    instance = pipeline.daemon.instance
    tags = {RANGE_START_TAG: DAY.isoformat(), RANGE_END_TAG: NEXT_DAY.isoformat()}
    dbt_job = pipeline.defs.resolve_job_def(DBT_JOB)
    run = instance.create_run_for_job(dbt_job, status=DagsterRunStatus.STARTED, tags=tags)
    instance.report_run_failed(run, "run worker process 4242 no longer exists")

    posted, mailed = alert_tick(pipeline, webhook, mailbox)

    assert len(posted) == 1 and len(mailed) == 1
    assert mailed[0]["Subject"] == f"Dagster run failed: {DBT_JOB} [2024-01-01...2024-01-02]"
    assert "Run failure: run worker process 4242 no longer exists" in posted[0]["text"]
