"""Slack request signatures, checked against requests signed here with Slack's scheme."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

import pytest

from daemon.slack.signature import verify

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW = 1_795_000_000.0
BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&command=%2Fslo-prep"
    b"&text=ask+checkout+Can+we+ship+by+Friday%3F+by+2026-12-04&user_id=U2CERLKJA"
)


def slack_headers(
    body: bytes = BODY, timestamp: float = NOW, secret: str = SECRET
) -> dict[str, str]:
    """The two headers Slack would send, computed independently of the module under test."""
    ts = str(int(timestamp))
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + digest}


def test_valid_request() -> None:
    assert verify(SECRET, slack_headers(), BODY, NOW)


def test_known_vector_from_slack_docs() -> None:
    # the example request of Slack's "Verifying requests from Slack" page
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&"
        b"channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&"
        b"command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
        b"commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
        b"trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    headers = {
        "X-Slack-Request-Timestamp": "1531420618",
        "X-Slack-Signature": (
            "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
        ),
    }
    assert verify(SECRET, headers, body, 1531420618 + 10)


def test_header_names_are_case_insensitive() -> None:
    headers = {k.lower(): v for k, v in slack_headers().items()}
    assert verify(SECRET, headers, BODY, NOW)
    headers = {k.upper(): v for k, v in slack_headers().items()}
    assert verify(SECRET, headers, BODY, NOW)


def test_body_is_signed_as_raw_bytes_even_when_not_utf8() -> None:
    body = b"text=\xff\xfe"
    assert verify(SECRET, slack_headers(body=body), body, NOW)
    assert not verify(SECRET, slack_headers(body=body), b"text=\xff\xff", NOW)


def test_wrong_secret() -> None:
    assert not verify("another-secret", slack_headers(), BODY, NOW)


def test_empty_secret_is_refused_even_if_signed_with_it() -> None:
    assert not verify("", slack_headers(secret=""), BODY, NOW)


def test_body_tampered() -> None:
    tampered = BODY.replace(b"checkout", b"payments")
    assert not verify(SECRET, slack_headers(), tampered, NOW)
    assert not verify(SECRET, slack_headers(), BODY + b"&x=1", NOW)


def test_timestamp_header_tampered() -> None:
    headers = slack_headers()
    headers["X-Slack-Request-Timestamp"] = str(int(NOW) + 1)
    assert not verify(SECRET, headers, BODY, NOW)


@pytest.mark.parametrize(
    ("age", "ok"),
    [
        (0, True),
        (299, True),
        (300, True),
        (301, False),
        (360, False),  # replay: older than 5 minutes
        (-300, True),
        (-301, False),
        (-360, False),  # 6 minutes in the future
    ],
)
def test_timestamp_window(age: int, ok: bool) -> None:
    assert verify(SECRET, slack_headers(timestamp=NOW - age), BODY, NOW) is ok


def test_nan_clock_refuses() -> None:
    assert not verify(SECRET, slack_headers(), BODY, float("nan"))


@pytest.mark.parametrize("missing", ["X-Slack-Request-Timestamp", "X-Slack-Signature"])
def test_missing_header(missing: str) -> None:
    headers = slack_headers()
    del headers[missing]
    assert not verify(SECRET, headers, BODY, NOW)


def test_no_headers() -> None:
    assert not verify(SECRET, {}, BODY, NOW)


@pytest.mark.parametrize("timestamp", ["", "abc", "1795000000.5", "-1795000000", "1e9", "١٢٣"])
def test_non_numeric_timestamp(timestamp: str) -> None:
    headers = slack_headers()
    headers["X-Slack-Request-Timestamp"] = timestamp
    assert not verify(SECRET, headers, BODY, NOW)


def test_non_numeric_timestamp_signed_consistently_is_still_refused() -> None:
    # signed over the garbled timestamp itself: refused for the timestamp, not the digest
    base = b"v0:abc:" + BODY
    digest = hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()
    headers = {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=" + digest}
    assert not verify(SECRET, headers, BODY, NOW)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda s: s.removeprefix("v0="),  # bare hex digest
        lambda s: "v1=" + s.removeprefix("v0="),
        lambda s: "V0=" + s.removeprefix("v0="),
        lambda s: s[:-2],
        lambda s: s + "00",
        lambda s: s.upper(),
        lambda s: "",
        lambda s: "v0=",
        lambda s: "v0=é" + s[4:],
    ],
)
def test_garbled_signature(mangle: Callable[[str], str]) -> None:
    headers = slack_headers()
    headers["X-Slack-Signature"] = mangle(headers["X-Slack-Signature"])
    assert not verify(SECRET, headers, BODY, NOW)
