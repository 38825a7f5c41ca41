"""Posting to Slack: the Web API client and the pack poster."""

from daemon.slack.poster import (
    PermanentSlackError,
    PostResult,
    SlackError,
    SlackPoster,
    TransientSlackError,
    build_client,
)

__all__ = [
    "PermanentSlackError",
    "PostResult",
    "SlackError",
    "SlackPoster",
    "TransientSlackError",
    "build_client",
]
