"""Where the daemon's messages go: Slack (``SlackSink``) or, with ``slack.mode: off`` and with
``--dry-run``, a text stream and an optional directory of Markdown packs (``TextSink``).

Thin: each method is one Slack call (through ``SlackPoster`` for posts, which keeps to one
post per second per channel and retries 429s) or one write.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, TextIO
from urllib.parse import urlsplit

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.webhook import WebhookClient

from daemon.render.markdown import render_markdown
from daemon.slack.poster import CONNECTION_ERROR, SlackPoster, slack_error

Message = Mapping[str, Any]
_SLACK_HOOKS_HOST = "hooks.slack.com"


class Sink(Protocol):
    def post(self, channel: str, message: Message, thread_ts: str | None) -> str:
        """Post one message; its ``ts``. Raises ``SlackError``."""

    def upload(self, channel: str, thread_ts: str, data: bytes, name: str) -> None: ...

    def update(self, channel: str, ts: str, message: Message) -> None: ...

    def ephemeral(self, channel: str, user: str, text: str) -> None: ...

    def respond(self, response_url: str, text: str) -> None: ...

    def open_view(self, trigger_id: str, view: Mapping[str, Any]) -> None: ...

    def group_members(self, group_id: str) -> frozenset[str]: ...

    def archive(self, pack_id: str, document: Mapping[str, Any]) -> None:
        """Keep a copy of a pack about to be posted (the Markdown file of ``slack.mode: off``)."""


class SlackSink:
    def __init__(self, poster: SlackPoster, api_url: str) -> None:
        self.poster = poster
        self.client = poster.client
        # a response_url is only ever followed to Slack (or the configured API host, a test's
        # loopback fake): a forged one must not make the daemon call anywhere else
        self._hosts = {_SLACK_HOOKS_HOST, urlsplit(api_url).netloc}

    def post(self, channel: str, message: Message, thread_ts: str | None) -> str:
        return self.poster.post_message(channel, message, thread_ts)

    def upload(self, channel: str, thread_ts: str, data: bytes, name: str) -> None:
        self.poster.upload(channel, thread_ts, data, name)

    def update(self, channel: str, ts: str, message: Message) -> None:
        self.poster.update_message(channel, ts, message)

    def ephemeral(self, channel: str, user: str, text: str) -> None:
        self._call(
            "chat.postEphemeral",
            lambda: self.client.chat_postEphemeral(channel=channel, user=user, text=text),
        )

    def respond(self, response_url: str, text: str) -> None:
        if urlsplit(response_url).netloc not in self._hosts:
            raise slack_error("response_url", "response_url_not_slack")
        webhook = WebhookClient(response_url, timeout=10)
        try:
            answer = webhook.send(text=text, response_type="ephemeral", replace_original=False)
        except (SlackClientError, OSError):
            raise slack_error("response_url", CONNECTION_ERROR) from None
        if answer.status_code != 200:
            raise slack_error(
                "response_url", answer.body or "http_error", status=answer.status_code
            )

    def open_view(self, trigger_id: str, view: Mapping[str, Any]) -> None:
        self._call(
            "views.open", lambda: self.client.views_open(trigger_id=trigger_id, view=dict(view))
        )

    def group_members(self, group_id: str) -> frozenset[str]:
        answer = self._call(
            "usergroups.users.list", lambda: self.client.usergroups_users_list(usergroup=group_id)
        )
        users = answer.get("users")
        return (
            frozenset(u for u in users if isinstance(u, str))
            if isinstance(users, list)
            else (frozenset())
        )

    def archive(self, pack_id: str, document: Mapping[str, Any]) -> None:
        return None

    def _call(self, method: str, send: Any) -> Any:
        try:
            return send()
        except SlackApiError as err:
            data = getattr(err.response, "data", None)
            code = data.get("error") if isinstance(data, Mapping) else None
            status = getattr(err.response, "status_code", None)
            raise slack_error(method, str(code or "error"), status=status) from None
        except (SlackClientError, OSError):
            raise slack_error(method, CONNECTION_ERROR) from None


class TextSink:
    """Writes what would be posted to ``out`` (one JSON object per message) and, with a
    ``directory``, each pack as ``<pack id>.md`` there."""

    def __init__(self, out: TextIO, directory: Path | None = None) -> None:
        self._out = out
        self._directory = directory
        self._lock = threading.Lock()
        self._count = 0

    def post(self, channel: str, message: Message, thread_ts: str | None) -> str:
        with self._lock:
            self._count += 1
            ts = f"dry-run.{self._count:06d}"
            record = {"channel": channel, "thread_ts": thread_ts, "ts": ts, **message}
            self._out.write(json.dumps(record, ensure_ascii=False) + "\n")
            self._out.flush()
            return ts

    def upload(self, channel: str, thread_ts: str, data: bytes, name: str) -> None:
        self._write({"channel": channel, "thread_ts": thread_ts, "file": name, "bytes": len(data)})

    def update(self, channel: str, ts: str, message: Message) -> None:
        self._write({"channel": channel, "update": ts, **message})

    def ephemeral(self, channel: str, user: str, text: str) -> None:
        self._write({"channel": channel, "ephemeral_to": user, "text": text})

    def respond(self, response_url: str, text: str) -> None:
        self._write({"response_url": "(response_url)", "text": text})

    def open_view(self, trigger_id: str, view: Mapping[str, Any]) -> None:
        self._write({"view": view})

    def group_members(self, group_id: str) -> frozenset[str]:
        return frozenset()

    def archive(self, pack_id: str, document: Mapping[str, Any]) -> None:
        if self._directory is None:
            return
        self._directory.mkdir(parents=True, exist_ok=True)
        path = self._directory / f"{pack_id}.md"
        path.write_text(render_markdown(dict(document)), encoding="utf-8")

    def _write(self, record: Mapping[str, Any]) -> None:
        with self._lock:
            self._out.write(json.dumps(record, ensure_ascii=False) + "\n")
            self._out.flush()
