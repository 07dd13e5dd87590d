"""Alerts: a failed check, a failed run or parked sync rejects, told to a person.

Every alert goes to the run log (logger ``revloop.alerts``, WARNING/ERROR) and, when
``REVLOOP_ALERT_WEBHOOK_URL`` is set, to that webhook as Slack-compatible JSON (a ``text``
fallback plus ``blocks``; Slack, Mattermost, Rocket.Chat and most chat bridges accept it).
An alert names the check, the asset, the owner and the backup. Delivery is best effort:
two attempts with a short timeout, a failed delivery is logged and never fails the run.
The webhook URL carries its own secret and is never logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import requests

log = logging.getLogger("revloop.alerts")
TIMEOUT_SECONDS = 10
ATTEMPTS = 2


@dataclass(frozen=True)
class Alert:
    """What broke, where, and who answers for it."""

    kind: str  # "check" | "run" | "sync_rejects"
    severity: str  # "error" | "warn"
    title: str
    message: str
    asset: str = ""
    check: str = ""
    owner: str = ""
    backup: str = ""
    run_id: str = ""
    links: tuple[str, ...] = field(default_factory=tuple)

    def text(self) -> str:
        """One plain-text line per fact (the webhook's ``text`` and the run log's line)."""
        lines = [f"[revloop {self.severity.upper()}] {self.title}"]
        if self.check:
            lines.append(f"check: {self.check}")
        if self.asset:
            lines.append(f"asset: {self.asset}")
        lines.append(f"owner: {self.owner or 'unassigned'}  backup: {self.backup or 'unassigned'}")
        if self.run_id:
            lines.append(f"run: {self.run_id}")
        lines.append(self.message)
        lines.extend(self.links)
        return "\n".join(lines)

    def payload(self) -> dict:
        """Slack incoming-webhook JSON."""
        facts = " | ".join(
            f"*{k}:* {v}"
            for k, v in (
                ("check", self.check),
                ("asset", self.asset),
                ("owner", self.owner or "unassigned"),
                ("backup", self.backup or "unassigned"),
                ("run", self.run_id),
            )
            if v
        )
        body = self.message if len(self.message) <= 2900 else self.message[:2897] + "..."
        return {
            "text": self.text()[:3900],
            "blocks": [
                {
                    "type": "header",
                    "text": {
                        "type": "plain_text",
                        "text": f"revloop {self.severity.upper()}: {self.title}"[:150],
                    },
                },
                {"type": "context", "elements": [{"type": "mrkdwn", "text": facts[:2900]}]},
                {"type": "section", "text": {"type": "mrkdwn", "text": body}},
            ],
        }


def send(alert: Alert, webhook_url: str = "") -> bool:
    """Log ``alert``; POST it to ``webhook_url`` when given. True when delivered (or no URL)."""
    level = logging.ERROR if alert.severity == "error" else logging.WARNING
    log.log(level, "%s", alert.text())
    if not webhook_url:
        return True
    for attempt in range(1, ATTEMPTS + 1):
        try:
            resp = requests.post(webhook_url, json=alert.payload(), timeout=TIMEOUT_SECONDS)
            if resp.status_code < 300:
                return True
            reason = f"HTTP {resp.status_code}"
        except requests.RequestException as exc:
            reason = type(exc).__name__
        log.warning("alert webhook delivery attempt %d/%d failed: %s", attempt, ATTEMPTS, reason)
    return False
