"""Tell people: late or missing submissions, refused files, failed tasks.

The deployment chooses the channels in the environment (read when a notice is sent):
  CAMPAIGN_NOTIFY_WEBHOOK         comma-separated URLs; each gets an HTTP POST of JSON
  CAMPAIGN_NOTIFY_WEBHOOK_FORMAT  json (default: event, severity, title, text, details) or
                                  text-msg ({"msgtype": "text", "text": {"content": ...}}, the
                                  shape WeCom / DingTalk group robots accept)
  CAMPAIGN_NOTIFY_WEBHOOK_TOKEN   optional bearer token sent with every webhook POST
  CAMPAIGN_NOTIFY_EMAIL           comma-separated addresses; plain-text mail through
  CAMPAIGN_SMTP_HOST / _PORT / _USER / _PASSWORD / _FROM / _STARTTLS (defaults localhost, 25,
                                  no login, campaign-warehouse@localhost, off)
Every notice is also logged, so the task log shows it with or without a channel.
"""
from __future__ import annotations

import json
import logging
import os
import smtplib
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from ingest.errors import TransientError
from ingest.rows.pii import redact, redact_any

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10


class NotifyFailed(TransientError):
    """A channel could not be reached; worth a retry."""


@dataclass
class Notice:
    event: str                      # ASCII: submissions_late_missing | files_refused | task_failed
    title: str                      # one line, Chinese first
    lines: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    severity: str = "warning"       # info | warning | error

    def text(self) -> str:
        return "\n".join([self.title, *self.lines])

    def payload(self) -> dict[str, Any]:
        return {"source": "campaign-warehouse", "event": self.event, "severity": self.severity,
                "title": self.title, "text": self.text(), "details": self.details}


def _listed(name: str) -> list[str]:
    return [v.strip() for v in os.environ.get(name, "").split(",") if v.strip()]


def send(notice: Notice, strict: bool = False) -> dict[str, str]:
    """Deliver to every configured channel; {channel: 'sent' | 'failed: why'}.
    strict=True raises NotifyFailed when any channel failed (a task then retries). Every text is
    redacted first: file names, clerks' messages and error texts may carry personal numbers."""
    notice = Notice(notice.event, redact(notice.title), [redact(line) for line in notice.lines],
                    redact_any(notice.details), notice.severity)
    log.warning("notice %s: %s", notice.event, notice.text())
    results: dict[str, str] = {}
    for url in _listed("CAMPAIGN_NOTIFY_WEBHOOK"):
        results[f"webhook {url}"] = _deliver(lambda: _post(url, notice))
    recipients = _listed("CAMPAIGN_NOTIFY_EMAIL")
    if recipients:
        results[f"email {','.join(recipients)}"] = _deliver(lambda: _mail(recipients, notice))
    for channel, outcome in results.items():
        (log.info if outcome == "sent" else log.error)("notice %s -> %s: %s", notice.event, channel, outcome)
    failed = {c: o for c, o in results.items() if o != "sent"}
    if strict and failed:
        raise NotifyFailed(f"notice {notice.event} not delivered: {failed}")
    return results


def _deliver(action) -> str:
    try:
        action()
        return "sent"
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        return f"failed: {exc}"


def _post(url: str, notice: Notice) -> None:
    if os.environ.get("CAMPAIGN_NOTIFY_WEBHOOK_FORMAT", "json") == "text-msg":
        body: dict[str, Any] = {"msgtype": "text", "text": {"content": notice.text()}}
    else:
        body = notice.payload()
    headers = {"Content-Type": "application/json; charset=utf-8"}
    token = os.environ.get("CAMPAIGN_NOTIFY_WEBHOOK_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=json.dumps(body, ensure_ascii=False, default=str).encode("utf-8"),
                                     headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # raises on 4xx/5xx
        response.read()


def _mail(recipients: list[str], notice: Notice) -> None:
    msg = EmailMessage()
    msg["Subject"] = f"[campaign] {notice.title}"
    msg["From"] = os.environ.get("CAMPAIGN_SMTP_FROM", "campaign-warehouse@localhost")
    msg["To"] = ", ".join(recipients)
    msg.set_content(notice.text() + "\n\n" + json.dumps(notice.details, ensure_ascii=False, indent=1, default=str))
    host = os.environ.get("CAMPAIGN_SMTP_HOST", "localhost")
    port = int(os.environ.get("CAMPAIGN_SMTP_PORT", "25"))
    with smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS) as smtp:
        if os.environ.get("CAMPAIGN_SMTP_STARTTLS") == "1":
            smtp.starttls()
        user = os.environ.get("CAMPAIGN_SMTP_USER")
        if user:
            smtp.login(user, os.environ.get("CAMPAIGN_SMTP_PASSWORD", ""))
        smtp.send_message(msg)


def task_failed(dag_id: str, task_id: str, run_id: str, error: BaseException | str | None,
                map_index: int = -1, try_number: int | None = None, label: str | None = None) -> Notice:
    """The notice for a task that failed for good (retries, if any, used up)."""
    what = f"{dag_id}.{task_id}" + (f"[{label or map_index}]" if map_index >= 0 else "")
    return Notice("task_failed", f"任务失败 / task failed: {what}",
                  [f"run: {run_id}", f"try: {try_number}", f"error: {error}"],
                  {"dag_id": dag_id, "task_id": task_id, "run_id": run_id, "map_index": map_index,
                   "label": label, "try_number": try_number, "error": str(error)}, severity="error")
