"""The daemon's HTTP endpoints, as a WSGI application (served by waitress in ``server.py``).

``GET /healthz``, ``GET /readyz``, ``GET /metrics``; with ``slack.mode: http``,
``POST /slack/commands`` and ``POST /slack/interactions`` (Slack's v0 signature checked on the
raw body before anything is read from it: 401 and nothing done otherwise); with an
``alertmanager`` section, ``POST /alertmanager/webhook`` (bearer token, else 401).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs

from collectors.alertmanager import WebhookError, check_bearer, parse_webhook
from daemon import messages as m
from daemon.core.mrkdwn import escape_mrkdwn
from daemon.runtime import alerts, outbox
from daemon.runtime.commands import CommandRequest, handle_command
from daemon.runtime.context import Runtime
from daemon.runtime.interactions import handle_interaction
from daemon.runtime.metrics import CONTENT_TYPE
from daemon.slack.signature import verify
from daemon.store import StoreError

log = logging.getLogger("slo_prep.http")

MAX_BODY = 1 << 20
StartResponse = Callable[..., Any]
_JSON = "application/json; charset=utf-8"


class _Response(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    503: "Service Unavailable",
}


def _headers(environ: Mapping[str, Any]) -> dict[str, str]:
    found = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        found["content-type"] = str(environ["CONTENT_TYPE"])
    return found


def _body(environ: Mapping[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise _Response(400, {"error": "bad Content-Length"}) from None
    if length > MAX_BODY:
        raise _Response(413, {"error": m.HTTP_TOO_LARGE})
    stream = environ["wsgi.input"]
    data: bytes = stream.read(length) if length > 0 else b""
    return data


def _form(body: bytes) -> dict[str, str]:
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise _Response(400, {"error": "form body is not UTF-8"}) from None
    return {key: values[0] for key, values in fields.items()}


class App:
    def __init__(self, rt: Runtime, clock: Callable[[], float] = time.time) -> None:
        self.rt = rt
        self._clock = clock
        self._routes: dict[tuple[str, str], Callable[[Mapping[str, Any]], Any]] = {
            ("GET", "/healthz"): self.healthz,
            ("GET", "/readyz"): self.readyz,
            ("GET", "/metrics"): self.metrics,
        }
        if rt.config.slack.mode == "http":
            self._routes[("POST", "/slack/commands")] = self.slack_command
            self._routes[("POST", "/slack/interactions")] = self.slack_interaction
        if rt.config.alertmanager is not None:
            self._routes[("POST", "/alertmanager/webhook")] = self.alertmanager_webhook

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET"))
        path = str(environ.get("PATH_INFO", "/"))
        route = self._routes.get((method, path))
        try:
            if route is None:
                known = any(p == path for _, p in self._routes)
                raise _Response(405 if known else 404, {"error": m.HTTP_NOT_FOUND})
            result = route(environ)
            status, body, content_type = 200, result, _JSON
            if isinstance(result, tuple):
                status, body, content_type = result
        except _Response as response:
            status, body, content_type = response.status, response.body, _JSON
        except Exception:
            log.exception("%s %s failed", method, path)
            status, body, content_type = 500, {"error": "internal error"}, _JSON
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        reason = _REASONS.get(status, "Error")
        start_response(
            f"{status} {reason}",
            [("Content-Type", content_type), ("Content-Length", str(len(data)))],
        )
        return [data]

    # -- health ------------------------------------------------------------------------------

    def healthz(self, environ: Mapping[str, Any]) -> Any:
        healthy, details = self.rt.health.report(self.rt.leadership.is_leader)
        return (200 if healthy else 503), details, _JSON

    def readyz(self, environ: Mapping[str, Any]) -> Any:
        ready = self.rt.health.ready and not self.rt.health.stopping
        return (200 if ready else 503), {"ready": ready}, _JSON

    def metrics(self, environ: Mapping[str, Any]) -> Any:
        try:
            outbox.update_depth(self.rt)
        except StoreError as exc:
            log.warning("outbox depth unknown: %s", exc)
        return 200, self.rt.metrics.exposition(), CONTENT_TYPE

    # -- Slack -------------------------------------------------------------------------------

    def _verified(self, environ: Mapping[str, Any]) -> bytes:
        body = _body(environ)
        secret = self.rt.config.slack.signing_secret or ""
        if not verify(secret, _headers(environ), body, self._clock()):
            raise _Response(401, {"error": m.HTTP_UNAUTHORIZED})
        return body

    def slack_command(self, environ: Mapping[str, Any]) -> Any:
        form = _form(self._verified(environ))
        if form.get("ssl_check"):
            return {}
        expected = self.rt.config.slack.command
        if form.get("command") and form["command"] != expected:
            got = escape_mrkdwn(form["command"][:40])
            text = m.CMD_WRONG_COMMAND.format(expected=expected, got=got)
            return {"response_type": "ephemeral", "text": text}
        request = CommandRequest(
            command=form.get("command", expected),
            text=form.get("text", ""),
            user_id=form.get("user_id", ""),
            channel_id=form.get("channel_id", ""),
            response_url=form.get("response_url") or None,
        )
        reply = handle_command(self.rt, request)
        if reply.follow_up is not None:
            self.rt.submit(reply.follow_up, f"command {request.text.split(' ', 1)[0]!r}")
        return {"response_type": "ephemeral", "text": reply.text}

    def slack_interaction(self, environ: Mapping[str, Any]) -> Any:
        form = _form(self._verified(environ))
        try:
            payload = json.loads(form.get("payload", ""))
        except (ValueError, RecursionError):
            # RecursionError: nested past the parser's depth; ValueError also covers an integer
            # of more than 4,300 digits, which json refuses without a JSONDecodeError
            raise _Response(400, {"error": "payload is not JSON"}) from None
        if not isinstance(payload, dict):
            raise _Response(400, {"error": "payload is not an object"})
        answer = handle_interaction(self.rt, payload)
        if answer.follow_up is not None:
            self.rt.submit(answer.follow_up, f"interaction {payload.get('type')!r}")
        return (200, b"", _JSON) if answer.ack is None else answer.ack

    # -- Alertmanager ------------------------------------------------------------------------

    def alertmanager_webhook(self, environ: Mapping[str, Any]) -> Any:
        token = self.rt.config.alertmanager.token if self.rt.config.alertmanager else ""
        if not check_bearer(_headers(environ), token):
            raise _Response(401, {"error": m.HTTP_UNAUTHORIZED})
        body = _body(environ)
        try:
            received = parse_webhook(body, self.rt.config.alerts.service_label)
        except WebhookError as exc:
            raise _Response(400, {"error": m.HTTP_BAD_WEBHOOK.format(reason=exc)}) from None

        def ingest() -> None:
            alerts.ingest(self.rt, received)
            outbox.drain(self.rt)

        self.rt.submit(ingest, "alertmanager webhook", alert=True)
        return {"status": "accepted", "alerts": len(received)}
