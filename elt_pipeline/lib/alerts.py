"""Send an alert: a Slack-compatible incoming webhook (JSON `{"text": ...}`) and/or e-mail over
SMTP. Standard library only; what to say is decided by the alert sensor."""

from __future__ import annotations

import json
import smtplib
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage

from elt_pipeline.settings import AlertSettings, EmailSettings

TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class Alert:
    subject: str  # one line: the e-mail subject, the first line of the chat message
    body: str


class AlertDeliveryError(RuntimeError):
    """One or more destinations refused or could not be reached."""


def send_alert(alert: Alert, settings: AlertSettings) -> None:
    """Deliver `alert` to every configured destination; try each, then raise naming the ones that failed."""
    errors = []
    if settings.webhook_url:
        try:
            post_webhook(settings.webhook_url, alert)
        except OSError as error:  # urllib's HTTPError and URLError are OSErrors
            errors.append(f"webhook: {error}")
    if settings.email:
        try:
            send_email(settings.email, alert)
        except (OSError, smtplib.SMTPException) as error:
            errors.append(f"e-mail via {settings.email.host}:{settings.email.port}: {error}")
    if errors:
        raise AlertDeliveryError(f"alert {alert.subject!r} not delivered: {'; '.join(errors)}")


def post_webhook(url: str, alert: Alert) -> None:
    """POST the alert as Slack's incoming-webhook payload (Google Chat and Mattermost accept it too)."""
    payload = json.dumps({"text": f"*{alert.subject}*\n{alert.body}"}).encode()
    request = urllib.request.Request(url, data=payload, headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        response.read()


def send_email(email: EmailSettings, alert: Alert) -> None:
    """Send the alert as a plain-text e-mail to every recipient."""
    message = EmailMessage()
    message["Subject"] = alert.subject
    message["From"] = email.sender
    message["To"] = ", ".join(email.recipients)
    message.set_content(alert.body)
    with smtplib.SMTP(email.host, email.port, timeout=TIMEOUT_SECONDS) as smtp:
        if email.starttls:
            smtp.starttls()
        if email.username:
            smtp.login(email.username, email.password or "")
        smtp.send_message(message)
