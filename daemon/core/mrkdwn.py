"""Slack mrkdwn escaping, in one place for every piece of user text sent to Slack."""

from __future__ import annotations


def escape_mrkdwn(text: object) -> str:
    """``&``, ``<``, ``>`` as entities and nothing else (Slack's rule), so user text can never
    mention (``<!channel>``), link or format its way out."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
