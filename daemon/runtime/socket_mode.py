"""Slack Socket Mode (``slack.mode: socket``): the same handlers as the HTTP endpoints, fed the
envelopes Slack sends over its WebSocket, acknowledged with the ephemeral reply as payload.
No ingress needed; Slack delivers each envelope to one connection, so with several replicas
each command is handled once."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from daemon import messages as m
from daemon.runtime.commands import CommandRequest, handle_command
from daemon.runtime.context import Runtime
from daemon.runtime.interactions import handle_interaction

log = logging.getLogger("slo_prep.socket_mode")


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def on_envelope(rt: Runtime, req: SocketModeRequest) -> SocketModeResponse:
    """The ack of one envelope; the work after it is submitted to the runtime's pool."""
    payload: dict[str, Any] = req.payload if isinstance(req.payload, dict) else {}
    if req.type == "slash_commands":
        expected = rt.config.slack.command
        command = _str(payload.get("command")) or expected
        if command != expected:
            text = m.CMD_WRONG_COMMAND.format(expected=expected, got=command[:40])
            return SocketModeResponse(
                req.envelope_id, payload={"response_type": "ephemeral", "text": text}
            )
        request = CommandRequest(
            command=command,
            text=_str(payload.get("text")),
            user_id=_str(payload.get("user_id")),
            channel_id=_str(payload.get("channel_id")),
            response_url=_str(payload.get("response_url")) or None,
        )
        reply = handle_command(rt, request)
        if reply.follow_up is not None:
            rt.submit(reply.follow_up, "socket mode command")
        return SocketModeResponse(
            req.envelope_id, payload={"response_type": "ephemeral", "text": reply.text}
        )
    if req.type == "interactive":
        answer = handle_interaction(rt, payload)
        if answer.follow_up is not None:
            rt.submit(answer.follow_up, "socket mode interaction")
        return SocketModeResponse(req.envelope_id, payload=answer.ack)
    return SocketModeResponse(req.envelope_id)


def connect(rt: Runtime, app_token: str, web_client: WebClient) -> SocketModeClient:
    client = SocketModeClient(app_token=app_token, web_client=web_client, logger=log)

    def listener(client: BaseSocketModeClient, req: SocketModeRequest) -> None:
        try:
            response = on_envelope(rt, req)
        except Exception:
            log.exception("socket mode envelope %s failed", req.type)
            response = SocketModeResponse(req.envelope_id)
        client.send_socket_mode_response(response)

    client.socket_mode_request_listeners.append(listener)
    client.connect()
    return client
