"""Posts a rendered pack to Slack: the parent message, its thread replies, the chart.

Pure of business logic: it posts the payloads it is given (``render_slack``'s output), in order,
and nothing else. Slack's rules it does follow (FACTS.md, "Slack"):

- ``chat.postMessage`` takes about one message per second per channel: the poster waits between
  two posts to the same channel (``min_interval_seconds``, measured from the end of the previous
  post, with the injected ``clock`` and ``sleep``). The chart's file share counts as a post.
- a 429 carries ``Retry-After``; slack_sdk retries only connection errors unless
  ``RateLimitErrorRetryHandler`` is added, so the poster makes sure the client has one.
- ``files.upload`` is retired: the chart goes through ``files_upload_v2`` into the thread.

Errors are ``SlackError``: ``TransientSlackError`` when trying again later may work (rate limit
after the retries, Slack down, connection failed), ``PermanentSlackError`` when a person must
change something (``channel_not_found``, ``not_in_channel``, ``invalid_auth``, ...). Each carries
the Slack error ``code``, the API ``method`` and what was posted before the failure
(``posted``), so a caller can finish or clean up instead of posting the pack twice. Neither the
message nor the attributes ever contain the token.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError, SlackRequestError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.web import SlackResponse

from daemon import messages as m
from daemon.errors import SloPrepError

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_MAX_RETRIES = 2

# our error codes, next to Slack's own
CONNECTION_ERROR = "connection_error"  # Slack could not be reached (after slack_sdk's retries)
UPLOAD_FAILED = "upload_failed"  # the file upload POST was not answered 200
BAD_RESPONSE = "bad_response"  # an ok answer without what it must carry (``ts``)

# Slack error codes worth trying again later; every other code needs a person.
TRANSIENT_CODES = frozenset(
    {
        "ratelimited",
        "rate_limited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "team_added_to_org",
        CONNECTION_ERROR,
        UPLOAD_FAILED,
    }
)


@dataclass(frozen=True)
class PostResult:
    """What was posted: the parent's ``ts``, the replies' in order, the chart's file id."""

    parent_ts: str
    reply_ts: list[str] = field(default_factory=list)
    file_id: str | None = None


class SlackError(SloPrepError):
    """Slack refused or could not be reached. ``code`` is Slack's error code (``channel_not_found``)
    or one of ours (``connection_error``, ``upload_failed``, ``bad_response``)."""

    def __init__(
        self, method: str, code: str, *, status: int | None = None, posted: PostResult | None = None
    ) -> None:
        self.method = method
        self.code = code
        self.status = status
        self.posted = posted
        super().__init__(m.SLACK_API_ERROR.format(method=method, code=code))


class TransientSlackError(SlackError):
    """Worth retrying later: rate limited beyond the retries, Slack down, network failed."""


class PermanentSlackError(SlackError):
    """Retrying will not help: the channel, the token, the scopes or the payload are wrong."""


def slack_error(
    method: str, code: str, *, status: int | None = None, posted: PostResult | None = None
) -> SlackError:
    """The right ``SlackError`` subclass for ``code`` (and the HTTP ``status``, if any)."""
    transient = code in TRANSIENT_CODES or (status is not None and (status == 429 or status >= 500))
    kind = TransientSlackError if transient else PermanentSlackError
    return kind(method, code, status=status, posted=posted)


def ensure_rate_limit_retries(client: WebClient, max_retries: int = DEFAULT_MAX_RETRIES) -> None:
    """Give ``client`` a ``RateLimitErrorRetryHandler`` (429 → wait ``Retry-After``, retry) unless
    it has one."""
    if not any(isinstance(h, RateLimitErrorRetryHandler) for h in client.retry_handlers):
        client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=max_retries))


def build_client(
    token: str,
    api_url: str = DEFAULT_API_URL,
    timeout: float = 30,
    max_retries: int = DEFAULT_MAX_RETRIES,
) -> WebClient:
    """A ``WebClient`` for ``api_url`` that retries connection errors (slack_sdk's default) and
    429s after ``Retry-After`` (up to ``max_retries`` times). ``timeout`` is rounded up to whole
    seconds (slack_sdk's type)."""
    client = WebClient(token=token, base_url=api_url, timeout=math.ceil(timeout))
    ensure_rate_limit_retries(client, max_retries)
    return client


class SlackPoster:
    """Posts packs through ``client``, at most one post per ``min_interval_seconds`` per channel."""

    def __init__(
        self,
        client: WebClient,
        min_interval_seconds: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        max_retries: int = DEFAULT_MAX_RETRIES,
    ) -> None:
        self.client = client
        self.min_interval_seconds = min_interval_seconds
        self._sleep = sleep
        self._clock = clock
        self._last_post: dict[str, float] = {}
        ensure_rate_limit_retries(client, max_retries)

    def post_pack(
        self,
        channel: str,
        payloads: Sequence[Mapping[str, Any]],
        chart: bytes | None = None,
        chart_name: str = "burn-down.png",
    ) -> PostResult:
        """Post ``payloads[0]`` to ``channel``, the rest as replies in its thread, in order, then
        ``chart`` (PNG bytes) as a file in the thread. Raises ``SlackError`` on the first failure,
        with what was already posted in ``posted``."""
        if not payloads:
            raise ValueError(m.SLACK_NOTHING_TO_POST)
        parent_ts = self.post_message(channel, payloads[0])
        result = PostResult(parent_ts)
        for payload in payloads[1:]:
            result.reply_ts.append(self.post_message(channel, payload, parent_ts, result))
        if chart is not None:
            file_id = self.upload(channel, parent_ts, chart, chart_name, result)
            result = PostResult(parent_ts, result.reply_ts, file_id)
        return result

    def post_message(
        self,
        channel: str,
        payload: Mapping[str, Any],
        thread_ts: str | None = None,
        posted: PostResult | None = None,
    ) -> str:
        """Post one message (a reply when ``thread_ts`` is given); its ``ts``."""
        args: dict[str, Any] = {**payload, "channel": channel}
        if thread_ts is not None:
            args["thread_ts"] = thread_ts
        else:
            args.pop("thread_ts", None)
        response = self._call(
            "chat.postMessage", channel, posted, lambda: self.client.chat_postMessage(**args)
        )
        ts = response.get("ts")
        if not isinstance(ts, str) or not ts:
            raise slack_error("chat.postMessage", BAD_RESPONSE, posted=posted)
        return ts

    def update_message(self, channel: str, ts: str, payload: Mapping[str, Any]) -> None:
        """Replace the message ``ts`` with ``payload`` (``chat.update``)."""
        args: dict[str, Any] = {**payload, "channel": channel, "ts": ts}
        args.pop("thread_ts", None)
        self._call("chat.update", channel, None, lambda: self.client.chat_update(**args))

    def upload(
        self,
        channel: str,
        thread_ts: str,
        chart: bytes,
        name: str,
        posted: PostResult | None = None,
    ) -> str | None:
        """Share ``chart`` (PNG) in the thread of ``thread_ts``; the file id."""
        response = self._call(
            "files.upload_v2",
            channel,
            posted,
            lambda: self.client.files_upload_v2(
                channel=channel, thread_ts=thread_ts, file=chart, filename=name, title=name
            ),
        )
        file = response.get("file")
        file_id = file.get("id") if isinstance(file, Mapping) else None
        return file_id if isinstance(file_id, str) else None

    def _call(
        self,
        method: str,
        channel: str,
        posted: PostResult | None,
        send: Callable[[], SlackResponse],
    ) -> SlackResponse:
        self._wait_turn(channel)
        try:
            return call_slack(method, send, posted)
        finally:
            self._last_post[channel] = self._clock()

    def _wait_turn(self, channel: str) -> None:
        last = self._last_post.get(channel)
        if last is None:
            return
        wait = last + self.min_interval_seconds - self._clock()
        if wait > 0:
            self._sleep(wait)


def call_slack(
    method: str, send: Callable[[], SlackResponse], posted: PostResult | None = None
) -> SlackResponse:
    """``send()``, with every slack_sdk failure turned into the right ``SlackError``."""
    try:
        return send()
    except SlackApiError as err:
        code = _error_code(err)
        status = getattr(err.response, "status_code", None)
        raise slack_error(method, code, status=status, posted=posted) from None
    except SlackRequestError:
        # files_upload_v2 raises it when the upload POST is not answered 200
        raise slack_error(method, UPLOAD_FAILED, posted=posted) from None
    except (SlackClientError, OSError):
        raise slack_error(method, CONNECTION_ERROR, posted=posted) from None


def _error_code(err: SlackApiError) -> str:
    data = getattr(err.response, "data", None)
    code = data.get("error") if isinstance(data, Mapping) else None
    return code if isinstance(code, str) and code else BAD_RESPONSE
