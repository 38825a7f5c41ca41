"""SlackPoster against the loopback fake Slack with the real ``slack_sdk.WebClient``."""

from __future__ import annotations

import itertools
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from daemon.render.chart import render_chart
from daemon.render.slack import render_slack
from daemon.slack import (
    PermanentSlackError,
    PostResult,
    SlackError,
    SlackPoster,
    TransientSlackError,
    build_client,
)
from tests.render.test_slack import _packs  # the renderer's worst-case packs
from tests.support.fake_slack import FakeSlack, fake_slack

GOLDEN = Path(__file__).parents[1] / "render" / "golden"
CHANNEL = "C0SLOPREP1"
TOKEN = "xoxb-test"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with fake_slack(token=TOKEN) as fake:
        yield fake


@pytest.fixture(scope="module")
def pack() -> dict[str, Any]:
    document = json.loads((GOLDEN / "pack.json").read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def payloads(pack: dict[str, Any]) -> list[dict[str, Any]]:
    return render_slack(pack)


class FakeClock:
    """A monotonic clock that moves only when slept on (or when a test moves it)."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def client_for(fake: FakeSlack, token: str = TOKEN, max_retries: int = 2) -> WebClient:
    return build_client(token, api_url=fake.url + "/api/", timeout=5, max_retries=max_retries)


def poster_for(fake: FakeSlack, clock: FakeClock | None = None, **kwargs: Any) -> SlackPoster:
    clock = clock or FakeClock()
    return SlackPoster(client_for(fake), sleep=clock.sleep, clock=clock, **kwargs)


def text_payload(text: str) -> dict[str, Any]:
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


# --- threading and the chart -------------------------------------------------------------------


def test_parent_then_replies_threaded_in_order(
    slack: FakeSlack, payloads: list[dict[str, Any]]
) -> None:
    assert len(payloads) > 2
    result = poster_for(slack).post_pack(CHANNEL, payloads)
    parent, *replies = slack.messages
    assert result == PostResult(parent.ts, [m.ts for m in replies])
    assert (parent.channel, parent.thread_ts) == (CHANNEL, None)
    assert all(m.channel == CHANNEL and m.thread_ts == parent.ts for m in replies)
    assert [(m.text, m.blocks) for m in slack.messages] == [
        (p["text"], p["blocks"]) for p in payloads
    ]
    assert slack.files == []


def test_chart_is_uploaded_into_the_thread_after_the_replies(
    slack: FakeSlack, pack: dict[str, Any], payloads: list[dict[str, Any]]
) -> None:
    chart = render_chart(pack["slos"][0])
    result = poster_for(slack).post_pack(CHANNEL, payloads, chart=chart)
    (uploaded,) = slack.files
    assert uploaded.completed
    assert uploaded.content == chart
    assert (uploaded.channel_id, uploaded.thread_ts) == (CHANNEL, result.parent_ts)
    assert (uploaded.filename, uploaded.title) == ("burn-down.png", "burn-down.png")
    assert result.file_id == uploaded.file_id
    methods = [c.method for c in slack.calls]
    assert methods == ["chat.postMessage"] * len(payloads) + [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]


def test_chart_name_is_used(slack: FakeSlack) -> None:
    poster_for(slack).post_pack(
        CHANNEL, [text_payload("p")], chart=b"\x89PNG", chart_name="api.png"
    )
    assert slack.files[0].filename == "api.png"


@pytest.mark.parametrize("golden", ["slack.json", "slack_decision.json"])
def test_golden_renderings_are_within_the_fakes_limits(slack: FakeSlack, golden: str) -> None:
    rendered = json.loads((GOLDEN / golden).read_text(encoding="utf-8"))
    result = poster_for(slack).post_pack(CHANNEL, rendered)
    assert len(result.reply_ts) == len(rendered) - 1
    assert len(slack.messages) == len(rendered)


@pytest.fixture(scope="module")
def shared_slack() -> Iterator[FakeSlack]:
    with fake_slack(token=TOKEN) as fake:
        yield fake


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pack=_packs())
def test_worst_case_renderings_are_within_the_fakes_limits(
    shared_slack: FakeSlack, pack: dict[str, Any]
) -> None:
    rendered = render_slack(pack)
    result = poster_for(shared_slack, min_interval_seconds=0).post_pack(CHANNEL, rendered)
    assert len(result.reply_ts) == len(rendered) - 1


def test_a_payload_never_overrides_channel_or_thread(slack: FakeSlack) -> None:
    sneaky = [{**text_payload("p"), "thread_ts": "1.1"}, {**text_payload("r"), "channel": "C0X"}]
    result = poster_for(slack).post_pack(CHANNEL, sneaky)
    assert [(m.channel, m.thread_ts) for m in slack.messages] == [
        (CHANNEL, None),
        (CHANNEL, result.parent_ts),
    ]


def test_nothing_to_post_is_a_programming_error(slack: FakeSlack) -> None:
    with pytest.raises(ValueError):
        poster_for(slack).post_pack(CHANNEL, [])
    assert slack.calls == []


# --- one post per second per channel -----------------------------------------------------------


def test_one_post_per_interval_per_channel_with_an_injected_clock(slack: FakeSlack) -> None:
    clock = FakeClock()
    poster = poster_for(slack, clock)
    started = time.monotonic()
    poster.post_pack(CHANNEL, [text_payload(f"m{i}") for i in range(3)], chart=b"png")
    # parent, two replies, the chart: three waits of a full interval (the clock never moved)
    assert clock.sleeps == [1.0, 1.0, 1.0]
    # another channel is not held back by the first
    poster.post_pack("C0OTHER01", [text_payload("other")])
    assert clock.sleeps == [1.0, 1.0, 1.0]
    # time that passed on its own counts: 0.4 s later, the next post waits 0.6 s
    clock.now += 0.4
    poster.post_pack(CHANNEL, [text_payload("next pack")])
    assert clock.sleeps[3:] == [pytest.approx(0.6)]
    clock.now += 5
    poster.post_pack(CHANNEL, [text_payload("much later")])
    assert len(clock.sleeps) == 4
    assert time.monotonic() - started < 1.0  # no real waiting


def test_one_post_per_interval_per_channel_in_real_time(slack: FakeSlack) -> None:
    interval = 0.2
    poster = SlackPoster(client_for(slack), min_interval_seconds=interval)
    started = time.monotonic()
    poster.post_pack(CHANNEL, [text_payload(f"m{i}") for i in range(4)])
    elapsed = time.monotonic() - started
    arrivals = [m.at for m in slack.messages]
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert len(gaps) == 3
    assert all(gap >= interval for gap in gaps), gaps
    assert 3 * interval <= elapsed < 3 * interval + 1.0


# --- errors and retries ------------------------------------------------------------------------


def test_a_429_is_retried_after_retry_after_then_succeeds(slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    result = poster_for(slack).post_pack(CHANNEL, [text_payload("p"), text_payload("r")])
    first, retried, reply = slack.calls_to("chat.postMessage")
    assert retried.at - first.at >= 1.0
    assert [m.text for m in slack.messages] == ["p", "r"]
    assert result.reply_ts == [slack.messages[1].ts]
    assert reply.params["thread_ts"] == result.parent_ts


def test_429s_beyond_the_retries_are_transient(slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=0, count=2)
    poster = SlackPoster(client_for(slack, max_retries=1), sleep=FakeClock().sleep)
    with pytest.raises(TransientSlackError) as excinfo:
        poster.post_pack(CHANNEL, [text_payload("p")])
    assert (excinfo.value.code, excinfo.value.status) == ("ratelimited", 429)
    assert len(slack.calls_to("chat.postMessage")) == 2
    assert slack.messages == []


def test_channel_not_found_raises_with_the_code(slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", error="channel_not_found")
    with pytest.raises(PermanentSlackError) as excinfo:
        poster_for(slack).post_pack(CHANNEL, [text_payload("p")])
    err = excinfo.value
    assert isinstance(err, SlackError)
    assert (err.code, err.method, err.posted) == ("channel_not_found", "chat.postMessage", None)
    assert "channel_not_found" in str(err)
    assert len(slack.calls_to("chat.postMessage")) == 1  # an API error is not retried


def test_an_unknown_channel_of_a_real_workspace(payloads: list[dict[str, Any]]) -> None:
    with (
        fake_slack(token=TOKEN, channels={CHANNEL}) as slack,
        pytest.raises(PermanentSlackError) as excinfo,
    ):
        poster_for(slack).post_pack("C0NOWHERE", payloads)
    assert excinfo.value.code == "channel_not_found"


def test_a_failure_mid_thread_says_what_was_posted(slack: FakeSlack) -> None:
    too_many_blocks = {"text": "r2", "blocks": text_payload("x")["blocks"] * 51}
    with pytest.raises(PermanentSlackError) as excinfo:
        poster_for(slack).post_pack(
            CHANNEL, [text_payload("p"), text_payload("r1"), too_many_blocks, text_payload("r3")]
        )
    err = excinfo.value
    assert err.code == "invalid_blocks"
    assert err.posted == PostResult(slack.messages[0].ts, [slack.messages[1].ts])
    assert [m.text for m in slack.messages] == ["p", "r1"]


def test_a_failed_chart_upload_keeps_the_thread(slack: FakeSlack) -> None:
    slack.fail_next("files.completeUploadExternal", error="not_in_channel")
    with pytest.raises(PermanentSlackError) as excinfo:
        poster_for(slack).post_pack(CHANNEL, [text_payload("p"), text_payload("r")], chart=b"png")
    err = excinfo.value
    assert (err.code, err.method) == ("not_in_channel", "files.upload_v2")
    assert err.posted is not None and len(err.posted.reply_ts) == 1


def test_a_bad_token_never_shows_up_in_the_error(slack: FakeSlack) -> None:
    secret = "xoxb-1234-5678-SECRETSECRET"
    poster = SlackPoster(client_for(slack, token=secret), sleep=FakeClock().sleep)
    with pytest.raises(PermanentSlackError) as excinfo:
        poster.post_pack(CHANNEL, [text_payload("p")])
    err = excinfo.value
    assert err.code == "invalid_auth"
    shown = " ".join([str(err), repr(err), repr(vars(err)), repr(err.__cause__)])
    assert secret not in shown and "SECRET" not in shown
    assert err.__cause__ is None and err.__suppress_context__


def test_an_unreachable_slack_is_transient() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # nothing listens on the port any more
    client = build_client(TOKEN, api_url=f"http://127.0.0.1:{port}/api/", timeout=2)
    with pytest.raises(TransientSlackError) as excinfo:
        SlackPoster(client).post_pack(CHANNEL, [text_payload("p")])
    assert excinfo.value.code == "connection_error"


def test_a_server_error_is_transient(slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", status=503)
    with pytest.raises(TransientSlackError) as excinfo:
        poster_for(slack).post_pack(CHANNEL, [text_payload("p")])
    assert (excinfo.value.code, excinfo.value.status) == ("internal_error", 503)


# --- the client --------------------------------------------------------------------------------


def rate_limit_handlers(client: WebClient) -> list[RateLimitErrorRetryHandler]:
    return [h for h in client.retry_handlers if isinstance(h, RateLimitErrorRetryHandler)]


def test_build_client_retries_rate_limits() -> None:
    client = build_client(TOKEN, timeout=2.5)
    (handler,) = rate_limit_handlers(client)
    assert handler.max_retry_count == 2
    assert client.base_url == "https://slack.com/api/"
    assert client.timeout == 3
    assert rate_limit_handlers(build_client(TOKEN, max_retries=5))[0].max_retry_count == 5


def test_the_poster_adds_the_retry_handler_once(slack: FakeSlack) -> None:
    plain = WebClient(token=TOKEN, base_url=slack.url + "/api/")
    assert rate_limit_handlers(plain) == []
    SlackPoster(plain, max_retries=3)
    SlackPoster(plain)
    (handler,) = rate_limit_handlers(plain)
    assert handler.max_retry_count == 3
