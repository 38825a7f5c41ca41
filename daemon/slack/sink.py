"""The daemon's sink on Slack: posts through ``SlackPoster`` (one post per second per channel,
429s retried), ephemeral replies, ``response_url`` answers, modals and user groups. Satisfies
``daemon.runtime.sinks.Sink``; every failure is a ``SlackError``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from slack_sdk.errors import SlackClientError
from slack_sdk.webhook import WebhookClient

from daemon.slack.poster import CONNECTION_ERROR, SlackPoster, call_slack, slack_error

Message = Mapping[str, Any]
_SLACK_HOOKS_HOST = "hooks.slack.com"


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
        call_slack(
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
        call_slack(
            "views.open", lambda: self.client.views_open(trigger_id=trigger_id, view=dict(view))
        )

    def group_members(self, group_id: str) -> frozenset[str]:
        answer = call_slack(
            "usergroups.users.list", lambda: self.client.usergroups_users_list(usergroup=group_id)
        )
        users = answer.get("users")
        if not isinstance(users, list):
            return frozenset()
        return frozenset(u for u in users if isinstance(u, str))

    def archive(self, pack_id: str, document: Mapping[str, Any]) -> None:
        return None
