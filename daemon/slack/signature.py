"""Verifies that an HTTP request (slash command, interaction) really comes from Slack.

Slack's scheme (https://docs.slack.dev/authentication/verifying-requests-from-slack/):
``X-Slack-Signature`` is ``v0=`` followed by the hex HMAC-SHA256, keyed with the app's signing
secret, of ``v0:{X-Slack-Request-Timestamp}:{raw request body}``. A request whose timestamp is
more than five minutes from now, in either direction, is refused so that a captured request
cannot be replayed later.

Implemented here rather than with ``slack_sdk.signature.SignatureVerifier``, which raises on a
non-numeric timestamp (``int()``) and on a body that is not UTF-8 (it decodes the body): this
module never raises on what a client sent, it answers False. The body is signed as the exact
bytes received; ``now`` is passed in (seconds since the epoch), so there is no hidden clock.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping

MAX_SKEW_SECONDS = 5 * 60
SIGNATURE_HEADER = "x-slack-signature"
TIMESTAMP_HEADER = "x-slack-request-timestamp"

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_VERSION = "v0"


def sign(signing_secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Slack-Signature`` value Slack sends for ``body`` at ``timestamp``."""
    base = f"{_VERSION}:{timestamp}:".encode() + body
    digest = hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    return f"{_VERSION}={digest}"


def verify(signing_secret: str, headers: Mapping[str, str], body: bytes, now: float) -> bool:
    """Whether ``headers`` carry a valid, fresh Slack signature of the raw ``body``.

    Header names are matched case-insensitively. False (never an exception) for a missing or
    garbled header, a timestamp more than ``MAX_SKEW_SECONDS`` before or after ``now``, a wrong
    signature, or an empty signing secret (which would let anyone sign)."""
    if not signing_secret:
        return False
    timestamp = _header(headers, TIMESTAMP_HEADER)
    signature = _header(headers, SIGNATURE_HEADER)
    if timestamp is None or signature is None:
        return False
    timestamp = timestamp.strip()
    if not _TIMESTAMP.fullmatch(timestamp):
        return False
    if not abs(now - int(timestamp)) <= MAX_SKEW_SECONDS:  # also False when now is NaN
        return False
    if not signature.startswith(f"{_VERSION}="):
        return False
    expected = sign(signing_secret, timestamp, body)
    # bytes, not str: compare_digest raises TypeError on a non-ASCII str
    return hmac.compare_digest(expected.encode(), signature.strip().encode("utf-8", "replace"))


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header ``name`` (lower case), whatever the case it was sent in."""
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == name and isinstance(value, str):
            return value
    return None
