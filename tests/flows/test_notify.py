"""The notifier hook: a webhook (stub HTTP receiver on 127.0.0.1) and e-mail (stub SMTP server
on 127.0.0.1), chosen by the environment; a channel that cannot be reached is reported, and
raises only when the caller asks (a task then retries)."""
from __future__ import annotations

import datetime as dt
import email
import socketserver
import threading
from email.policy import default as default_policy

import pytest

from flows import notify, tracking
from tests.conftest import Webhook
from ingest.faults import is_transient


class Smtp(socketserver.ThreadingTCPServer):
    """Just enough SMTP to receive one message: EHLO/HELO, MAIL, RCPT, DATA, QUIT."""

    allow_reuse_address = True

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        messages = self.messages

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                rcpts: list[str] = []
                self.wfile.write(b"220 stub\r\n")
                while line := self.rfile.readline():
                    verb = line.split(b" ")[0].strip().upper()
                    if verb == b"EHLO":
                        self.wfile.write(b"250-stub\r\n250 8BITMIME\r\n")
                    elif verb == b"RCPT":
                        rcpts.append(line.decode().split(":", 1)[1].strip(" <>\r\n"))
                        self.wfile.write(b"250 ok\r\n")
                    elif verb == b"DATA":
                        self.wfile.write(b"354 go\r\n")
                        data = b"".join(iter(lambda: self.rfile.readline(), b".\r\n"))
                        messages.append((rcpts, data))
                        self.wfile.write(b"250 queued\r\n")
                    elif verb == b"QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:
                        self.wfile.write(b"250 ok\r\n")

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


@pytest.fixture(autouse=True)
def _no_channels(monkeypatch):
    for name in ("CAMPAIGN_NOTIFY_WEBHOOK", "CAMPAIGN_NOTIFY_EMAIL", "CAMPAIGN_NOTIFY_WEBHOOK_FORMAT",
                 "CAMPAIGN_NOTIFY_WEBHOOK_TOKEN"):
        monkeypatch.delenv(name, raising=False)


ROWS = [{"city": "格尔木市", "department_code": "golmud_jyj", "department_name": "格尔木市教育局", "kind": "volunteer",
         "period_month": dt.date(2022, 5, 1), "due_date": dt.date(2022, 6, 5), "status": "missing",
         "days_past_due": 30, "refused_files": 1},
        {"city": "格尔木市", "department_code": "golmud_fgw", "department_name": "格尔木市发展和改革委员会",
         "kind": "investment", "period_month": dt.date(2022, 5, 1), "due_date": dt.date(2022, 6, 5),
         "status": "late", "days_past_due": 2, "refused_files": 0}]


def test_late_and_missing_reach_a_webhook_as_json(monkeypatch):
    hook = Webhook()
    monkeypatch.setenv("CAMPAIGN_NOTIFY_WEBHOOK", hook.url)
    monkeypatch.setenv("CAMPAIGN_NOTIFY_WEBHOOK_TOKEN", "s3cret")
    note = tracking.notice(["2022-05"], ROWS)
    assert notify.send(note, strict=True) == {f"webhook {hook.url}": "sent"}
    headers, body = hook.requests[0]
    assert headers["Authorization"] == "Bearer s3cret"
    assert body["event"] == "submissions_late_missing"
    assert (body["details"]["missing"], body["details"]["late"]) == (1, 1)
    assert "格尔木市教育局 志愿服务记录 缺报" in body["text"] and "已退回 1 份文件" in body["text"]
    assert body["details"]["rows"][0]["period_month"] == "2022-05-01"
    hook.shutdown()


def test_text_msg_format_for_group_robots(monkeypatch):
    hook = Webhook()
    monkeypatch.setenv("CAMPAIGN_NOTIFY_WEBHOOK", hook.url)
    monkeypatch.setenv("CAMPAIGN_NOTIFY_WEBHOOK_FORMAT", "text-msg")
    notify.send(notify.task_failed("campaign_ingest", "load_file", "run-1", "boom", 3, 1, "a/b/issue/x.json"))
    body = hook.requests[0][1]
    assert body["msgtype"] == "text" and "campaign_ingest.load_file[a/b/issue/x.json]" in body["text"]["content"]
    hook.shutdown()


def test_email_goes_through_smtp(monkeypatch):
    smtp = Smtp()
    monkeypatch.setenv("CAMPAIGN_NOTIFY_EMAIL", "office@example.org, ops@example.org")
    monkeypatch.setenv("CAMPAIGN_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CAMPAIGN_SMTP_PORT", str(smtp.server_address[1]))
    result = notify.send(tracking.notice(["2022-05"], ROWS), strict=True)
    assert list(result.values()) == ["sent"]
    rcpts, data = smtp.messages[0]
    msg = email.message_from_bytes(data, policy=default_policy)
    assert rcpts == ["office@example.org", "ops@example.org"]
    assert "缺报 1 项" in msg["Subject"] and "格尔木市教育局" in msg.get_content()
    smtp.shutdown()


def test_an_unreachable_channel_is_reported_and_retried_only_when_strict(monkeypatch):
    hook = Webhook(status=503)
    monkeypatch.setenv("CAMPAIGN_NOTIFY_WEBHOOK", hook.url)
    note = tracking.notice(["2022-05"], ROWS)
    assert notify.send(note)[f"webhook {hook.url}"].startswith("failed: HTTP Error 503")
    with pytest.raises(notify.NotifyFailed) as err:
        notify.send(note, strict=True)
    assert is_transient(err.value)
    hook.shutdown()


def test_nothing_late_or_missing_is_no_notice():
    assert tracking.notice(["2022-05"], []) is None


def test_without_channels_a_notice_is_only_logged(caplog):
    caplog.set_level("WARNING", logger="flows.notify")
    assert notify.send(notify.task_failed("d", "t", "r", "why")) == {}
    assert "task failed: d.t" in caplog.text
