"""Slack Socket Mode through slack-sdk's built-in client: each envelope handed to ``handle``
as ``(type, payload)``, acknowledged with what it returns as the ack payload (None: a plain
ack). No ingress needed; Slack delivers each envelope to one connection."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

log = logging.getLogger("slo_prep.socket_mode")

__all__ = ["Handler", "SocketModeClient", "connect"]

Handler = Callable[[str, dict[str, Any]], dict[str, Any] | None]


def connect(app_token: str, web_client: WebClient, handle: Handler) -> SocketModeClient:
    client = SocketModeClient(app_token=app_token, web_client=web_client, logger=log)

    def listener(client: BaseSocketModeClient, req: SocketModeRequest) -> None:
        payload = req.payload if isinstance(req.payload, dict) else {}
        ack: dict[str, Any] | None = None
        try:
            ack = handle(req.type, payload)
        except Exception:
            # acknowledged anyway: Slack would redeliver, and the failure would repeat
            log.exception("socket mode envelope %s failed", req.type)
        client.send_socket_mode_response(SocketModeResponse(req.envelope_id, payload=ack))

    client.socket_mode_request_listeners.append(listener)
    client.connect()
    return client
