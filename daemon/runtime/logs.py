"""Logging for the daemon: plain lines, or one JSON object per line with ``LOG_FORMAT=json``;
and the effective config as logged at start, with every secret left out."""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from collectors.prometheus import redact_url
from daemon.config.model import Config

# field names whose values are secrets, wherever they appear in the config
SECRET_FIELDS = frozenset(
    {"token", "bot_token", "app_token", "signing_secret", "bearer_token", "headers"}
)
_REDACTED = "<redacted>"
# LogRecord attributes that are not extras passed by the caller
_STANDARD = frozenset(vars(logging.makeLogRecord({})))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure(
    log_format: str | None, stream: TextIO = sys.stderr, level: int = logging.INFO
) -> None:
    handler = logging.StreamHandler(stream)
    if (log_format or "").lower() == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # the client libraries log request URLs and bodies at DEBUG; keep them at WARNING
    for noisy in ("urllib3", "slack_sdk", "waitress"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # "skipped: maximum number of running instances reached" is max_instances=1 working
    logging.getLogger("apscheduler").setLevel(logging.ERROR)


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: (_REDACTED if key in SECRET_FIELDS and item else _redact(item))
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redact(item) for item in value]
    return value


def redacted_config(config: Config) -> dict[str, Any]:
    """The effective config without secrets: tokens, headers and URL passwords left out."""
    raw = dataclasses.asdict(config)
    summary = {
        "source": config.source,
        "sha256": config.sha256,
        "prometheus": _redact(raw["prometheus"]) | {"url": redact_url(config.prometheus.url)},
        "store": {"url": _store_url(config.store.url)},
        # any URL may carry user:password@ (a proxy in front of Slack or PagerDuty)
        "slack": _redact(raw["slack"]) | {"api_url": redact_url(config.slack.api_url)},
        "pagerduty": _redact(raw["pagerduty"])
        if config.pagerduty is None
        else _redact(raw["pagerduty"]) | {"url": redact_url(config.pagerduty.url)},
        "http": raw["http"],
        "alertmanager": _redact(raw["alertmanager"]),
        "alerts": raw["alerts"],
        "schedule": raw["schedule"],
        "services": [
            {"name": s.name, "slos": [slo.name for slo in s.slos], "slack_channel": s.slack_channel}
            for s in config.services
        ],
    }
    return summary


def _store_url(url: str) -> str:
    # a SQLite URL holds a path and no password; redact_url would fold its slashes
    return url if url.startswith("sqlite") else redact_url(url)
