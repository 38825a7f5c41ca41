"""A loopback fake of the Slack Web API for the real ``slack_sdk.WebClient``.

slack_sdk talks urllib, so ``responses`` cannot mock it (FACTS.md): point the client at this
server instead.

    with fake_slack() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.url + "/api/")
        client.chat_postMessage(channel="C0SLOPREP", text="hi")
        assert slack.messages[0].text == "hi"

It answers as Slack answers: HTTP 200 with ``{"ok": true, ...}`` or ``{"ok": false, "error":
"..."}`` for API errors, HTTP 429 with ``Retry-After`` and ``{"ok": false, "error":
"ratelimited"}`` for rate limits. Requests may be form-encoded or JSON (slack_sdk sends
``chat.postMessage`` as JSON, most other methods form-encoded); ``blocks`` and ``view`` may be
JSON strings or JSON values. The token comes from ``Authorization: Bearer`` or a ``token``
parameter: missing is ``not_authed``, wrong is ``invalid_auth``, the app-level token (``xapp-``)
on a bot method is ``not_allowed_token_type``.

``apps.connections.open`` (Socket Mode) takes only the app-level token, and only in the
``Authorization`` header: the bot token there is ``not_allowed_token_type``, the app token as a
form parameter ``invalid_auth`` (slack-ruby-client#363, python-slack-sdk#1877). It answers the
``ws://`` URL of the attached ``socket_mode`` endpoint (tests/support/fake_socket_mode.py),
a new single-use ticket each call.

Block Kit limits enforced on ``chat.postMessage``, ``chat.postEphemeral`` and ``chat.update``
(FACTS.md, "Block Kit"): at most 50 blocks (100 in a ``views.open`` view), a known block type,
text objects of type ``plain_text``/``mrkdwn`` with non-empty text, header text ``plain_text``
≤ 150, section text ≤ 3,000, section fields ≤ 10 of ≤ 2,000, context elements 1-10 of ≤ 3,000,
``block_id`` ≤ 255 and unique: otherwise ``invalid_blocks`` with Slack's ``errors`` list
(json-pointer style). Every text of a message with blocks, its fallback ``text`` included, is
summed in UTF-16 code units: more than ``MESSAGE_TEXT_CEILING`` (11,000, the low end of Slack's
undocumented ~11-13k) is ``msg_blocks_too_long``. A message without blocks or text is
``no_text``; a block-less ``text`` over 40,000 is ``msg_too_long``.

Not emulated: ``thread_ts`` is recorded but not checked against existing messages (Slack's
behaviour for an unknown one is not documented); channel names are not resolved to IDs; scopes.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

MAX_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
HEADER_TEXT_LIMIT = 150
SECTION_TEXT_LIMIT = 3_000
FIELD_TEXT_LIMIT = 2_000
MAX_FIELDS = 10
CONTEXT_TEXT_LIMIT = 3_000
MAX_CONTEXT_ELEMENTS = 10
MARKDOWN_BLOCK_LIMIT = 12_000
BLOCK_ID_LIMIT = 255
MESSAGE_TEXT_CEILING = 11_000
PLAIN_TEXT_LIMIT = 40_000
BLOCK_TYPES = frozenset(
    {
        "actions",
        "context",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "video",
    }
)
TEXT_TYPES = ("plain_text", "mrkdwn")
TEAM_ID = "T0FAKE0001"
BOT_USER_ID = "U0FAKEBOT1"
APP_ID = "A0FAKEAPP1"
# Methods an app-level token may call; everything else here wants the bot token.
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})


class SocketModeEndpoint(Protocol):
    """What ``apps.connections.open`` hands out URLs for (``FakeSocketMode``)."""

    def issue_url(self) -> str: ...


@dataclass(frozen=True)
class Call:
    """One request to ``/api/<method>`` as the fake parsed it."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    at: float  # time.monotonic() on arrival


@dataclass
class Message:
    channel: str
    ts: str
    text: str | None
    blocks: list[Any] | None
    thread_ts: str | None = None
    user: str | None = None  # set for ephemeral messages
    ephemeral: bool = False
    at: float = 0.0  # time.monotonic() when accepted


@dataclass
class UploadedFile:
    file_id: str
    filename: str
    length: int
    alt_txt: str | None = None
    content: bytes | None = None  # set by the upload POST
    title: str | None = None
    channel_id: str | None = None  # set by files.completeUploadExternal
    thread_ts: str | None = None
    initial_comment: str | None = None
    completed: bool = False
    at: float = 0.0  # time.monotonic() when completed


@dataclass
class _Fault:
    status: int
    error: str
    retry_after: int | None
    remaining: int


class _ApiError(Exception):
    def __init__(self, error: str, **extra: Any) -> None:
        self.error = error
        self.extra = extra
        super().__init__(error)


def text_length(text: str) -> int:
    """Length in UTF-16 code units, as Slack counts."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


@dataclass
class FakeSlack:
    token: str = "xoxb-test"
    channels: frozenset[str] | None = None  # None: every channel exists
    app_token: str = "xapp-test"  # the app-level token, for apps.connections.open only
    url: str = ""
    calls: list[Call] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    files: list[UploadedFile] = field(default_factory=list)
    uploads: list[bytes] = field(default_factory=list)  # raw bodies of upload POSTs
    views: list[dict[str, Any]] = field(default_factory=list)
    # what was POSTed to a response_url (``response_url(...)`` makes one), in order
    responses: list[dict[str, Any]] = field(default_factory=list)
    socket_mode: SocketModeEndpoint | None = None  # None: apps.connections.open fails
    # called with each message ``chat.postMessage`` accepted, before the answer is sent: a
    # fault test breaks the daemon's store there, between Slack's ok and its own commit
    after_post: Callable[[Message], None] | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, list[_Fault]] = {}
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def api_url(self) -> str:
        """``base_url`` for ``WebClient``: slack_sdk joins it with the method name."""
        return f"{self.url}/api/"

    # --- scripting -----------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int | None = None,
        retry_after: int | None = 1,
        count: int = 1,
        error: str | None = None,
    ) -> None:
        """The next ``count`` calls of ``method`` fail. Without ``error``: HTTP ``status``
        (default 429, with ``Retry-After: retry_after`` and error ``ratelimited``). With
        ``error``: that Slack error code, HTTP 200 unless ``status`` is given."""
        if error is None:
            status = 429 if status is None else status
            error = "ratelimited" if status == 429 else "internal_error"
        else:
            status = 200 if status is None else status
        with self._lock:
            self._faults.setdefault(method, []).append(
                _Fault(status, error, retry_after if status == 429 else None, count)
            )

    def response_url(self, name: str = "1") -> str:
        """A ``response_url`` as Slack gives with a command or an interaction; POSTs to it are
        recorded in ``responses`` (Slack answers them with 200 ``ok``)."""
        return f"{self.url}/commands/T0FAKE/{name}"

    def clear_faults(self) -> None:
        """Forget every failure scripted with ``fail_next`` and not used yet."""
        with self._lock:
            self._faults.clear()

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # --- dispatch ------------------------------------------------------------------------------

    def handle_api(
        self, method: str, params: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        now = time.monotonic()
        with self._lock:
            self.calls.append(Call(method, params, headers, now))
            fault = self._take_fault(method)
            if fault is not None:
                extra = {}
                if fault.retry_after is not None:
                    extra["Retry-After"] = str(fault.retry_after)
                return fault.status, extra, {"ok": False, "error": fault.error}
            try:
                self._authenticate(method, params, headers)
                handler = _METHODS.get(method)
                if handler is None:
                    raise _ApiError("unknown_method")
                body = handler(self, params, now)
            except _ApiError as err:
                return 200, {}, {"ok": False, "error": err.error, **err.extra}
            posted = self.messages[-1] if method == "chat.postMessage" else None
        if posted is not None and self.after_post is not None:
            self.after_post(posted)
        return 200, {}, {"ok": True, **body}

    def handle_upload(self, file_id: str, data: bytes) -> int:
        with self._lock:
            self.uploads.append(data)
            for f in self.files:
                if f.file_id == file_id and not f.completed:
                    f.content = data
                    return 200
            return 404

    def _take_fault(self, method: str) -> _Fault | None:
        queue = self._faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.pop(0)
        return fault

    def _authenticate(
        self, method: str, params: Mapping[str, Any], headers: Mapping[str, str]
    ) -> None:
        auth = headers.get("authorization", "")
        bearer = auth[len("Bearer ") :] if auth.startswith("Bearer ") else None
        if method in APP_TOKEN_METHODS:
            if not bearer:
                # Slack refuses an app token passed as a parameter (python-slack-sdk#1877)
                raise _ApiError("invalid_auth" if params.get("token") else "not_authed")
            if bearer == self.token:
                raise _ApiError("not_allowed_token_type")
            if bearer != self.app_token:
                raise _ApiError("invalid_auth")
            return
        token = bearer or params.get("token")
        if not token:
            raise _ApiError("not_authed")
        if token == self.app_token:
            raise _ApiError("not_allowed_token_type")
        if token != self.token:
            raise _ApiError("invalid_auth")

    def _next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.{next(self._ids):06d}"

    def _channel(self, params: Mapping[str, Any], key: str = "channel") -> str:
        channel = params.get(key)
        if not isinstance(channel, str) or not channel:
            raise _ApiError("channel_not_found")
        if self.channels is not None and channel not in self.channels:
            raise _ApiError("channel_not_found")
        return channel

    # --- methods -------------------------------------------------------------------------------

    def _connections_open(self, params: dict[str, Any], now: float) -> dict[str, Any]:
        if self.socket_mode is None:
            # fake's code: a test forgot to attach the Socket Mode server
            raise _ApiError("socket_mode_not_attached")
        return {"url": self.socket_mode.issue_url()}

    def _auth_test(self, params: dict[str, Any], now: float) -> dict[str, Any]:
        return {
            "url": "https://fake-slack.test/",
            "team": "Fake",
            "user": "slo-prep",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": "B0FAKEBOT1",
        }

    def _post_message(self, params: dict[str, Any], now: float) -> dict[str, Any]:
        channel = self._channel(params)
        text, blocks = _content(params)
        ts = self._next_ts()
        thread_ts = _optional_str(params.get("thread_ts"))
        self.messages.append(Message(channel, ts, text, blocks, thread_ts, at=now))
        message: dict[str, Any] = {
            "type": "message",
            "text": text or "",
            "user": BOT_USER_ID,
            "ts": ts,
        }
        if blocks is not None:
            message["blocks"] = blocks
        if thread_ts is not None:
            message["thread_ts"] = thread_ts
        return {"channel": channel, "ts": ts, "message": message}

    def _post_ephemeral(self, params: dict[str, Any], now: float) -> dict[str, Any]:
        channel = self._channel(params)
        user = _optional_str(params.get("user"))
        if not user:
            raise _ApiError("user_not_in_channel")
        text, blocks = _content(params)
        ts = self._next_ts()
        thread_ts = _optional_str(params.get("thread_ts"))
        self.messages.append(
            Message(channel, ts, text, blocks, thread_ts, user=user, ephemeral=True, at=now)
        )
        return {"message_ts": ts}

    def _update(self, params: dict[str, Any], now: float) -> dict[str, Any]:
        channel = self._channel(params)
        ts = _optional_str(params.get("ts"))
        target = next(
            (
                msg
                for msg in self.messages
                if msg.channel == channel and msg.ts == ts and not msg.ephemeral
            ),
            None,
        )
        if target is None:
            raise _ApiError("message_not_found")
        text, blocks = _content(params)
        target.text, target.blocks = text, blocks
        return {"channel": channel, "ts": target.ts, "text": text or ""}

    def _get_upload_url(self, params: dict[str, Any], now: float) -> dict[str, Any]:
        filename = _optional_str(params.get("filename"))
        length = params.get("length")
        try:
            size = int(length) if length is not None else -1
        except (TypeError, ValueError):
            size = -1
        if not filename or size < 0:
            raise _ApiError("invalid_arguments")
        file_id = f"F{next(self._ids):09d}"
        self.files.append(
            UploadedFile(file_id, filename, size, alt_txt=_optional_str(params.get("alt_txt")))
        )
        return {"upload_url": f"{self.url}/upload/v1/{file_id}", "file_id": file_id}

    def _complete_upload(self, params: dict[str, Any], now: float) -> dict[str, Any]:
        raw = params.get("files")
        try:
            entries = json.loads(raw) if isinstance(raw, str) else raw
        except json.JSONDecodeError:
            raise _ApiError("invalid_arguments") from None
        if not isinstance(entries, list) or not entries:
            raise _ApiError("invalid_arguments")
        channel = self._channel(params, "channel_id") if params.get("channel_id") else None
        thread_ts = _optional_str(params.get("thread_ts"))
        done: list[UploadedFile] = []
        for entry in entries:
            file_id = entry.get("id") if isinstance(entry, dict) else None
            found = next((f for f in self.files if f.file_id == file_id), None)
            if found is None or found.completed:
                raise _ApiError("file_not_found")
            if found.content is None:
                raise _ApiError("file_upload_not_completed")  # fake's code: upload POST missing
            found.title = _optional_str(entry.get("title")) or found.filename
            done.append(found)
        for found in done:
            found.completed = True
            found.channel_id = channel
            found.thread_ts = thread_ts
            found.initial_comment = _optional_str(params.get("initial_comment"))
            found.at = now
        return {
            "files": [
                {"id": f.file_id, "name": f.filename, "title": f.title, "size": f.length}
                for f in done
            ]
        }

    def _views_open(self, params: dict[str, Any], now: float) -> dict[str, Any]:
        if not _optional_str(params.get("trigger_id")):
            raise _ApiError("invalid_arguments")
        raw = params.get("view")
        try:
            view = json.loads(raw) if isinstance(raw, str) else raw
        except json.JSONDecodeError:
            raise _ApiError("invalid_arguments") from None
        if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
            raise _ApiError("invalid_arguments")
        _check_blocks(view.get("blocks", []), MAX_VIEW_BLOCKS)
        view_id = f"V{next(self._ids):09d}"
        self.views.append(view)
        return {"view": {**view, "id": view_id, "team_id": TEAM_ID}}


_METHODS = {
    "apps.connections.open": FakeSlack._connections_open,
    "auth.test": FakeSlack._auth_test,
    "chat.postMessage": FakeSlack._post_message,
    "chat.postEphemeral": FakeSlack._post_ephemeral,
    "chat.update": FakeSlack._update,
    "files.getUploadURLExternal": FakeSlack._get_upload_url,
    "files.completeUploadExternal": FakeSlack._complete_upload,
    "views.open": FakeSlack._views_open,
}


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _content(params: Mapping[str, Any]) -> tuple[str | None, list[Any] | None]:
    """The message's fallback text and blocks, checked against Slack's limits."""
    text = params.get("text")
    if text is not None and not isinstance(text, str):
        text = str(text)
    raw = params.get("blocks")
    blocks: list[Any] | None = None
    if raw is not None and raw != "":
        try:
            parsed = json.loads(raw) if isinstance(raw, str) else raw
        except json.JSONDecodeError:
            raise _ApiError("invalid_blocks_format") from None
        if not isinstance(parsed, list):
            raise _ApiError("invalid_blocks_format")
        blocks = parsed
    if blocks:
        texts = _check_blocks(blocks, MAX_BLOCKS)
        total = sum(text_length(t) for t in texts) + text_length(text or "")
        if total > MESSAGE_TEXT_CEILING:
            raise _ApiError("msg_blocks_too_long")
        return text, blocks
    if not text and not params.get("attachments"):
        raise _ApiError("no_text")
    if text and text_length(text) > PLAIN_TEXT_LIMIT:
        raise _ApiError("msg_too_long")
    return text, blocks


def _check_blocks(blocks: Any, most: int) -> list[str]:
    """Every text in ``blocks``; raises ``invalid_blocks`` listing every problem found."""
    problems: list[str] = []
    texts: list[str] = []
    if not isinstance(blocks, list):
        raise _ApiError("invalid_blocks_format")
    if len(blocks) > most:
        problems.append(f"no more than {most} items allowed [json-pointer:/blocks]")
    seen_ids: set[str] = set()
    for i, block in enumerate(blocks):
        where = f"/blocks/{i}"
        if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES:
            problems.append(f"invalid block type [json-pointer:{where}/type]")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or len(block_id) > BLOCK_ID_LIMIT:
                problems.append(f"invalid block_id [json-pointer:{where}/block_id]")
            elif block_id in seen_ids:
                problems.append(f"duplicate block_id [json-pointer:{where}/block_id]")
            else:
                seen_ids.add(block_id)
        kind = block["type"]
        if kind == "header":
            _text_object(
                block.get("text"),
                f"{where}/text",
                HEADER_TEXT_LIMIT,
                problems,
                texts,
                plain_only=True,
            )
        elif kind == "section":
            fields = block.get("fields")
            if block.get("text") is None and not fields:
                problems.append(f"must provide text or fields [json-pointer:{where}]")
            if block.get("text") is not None:
                _text_object(block["text"], f"{where}/text", SECTION_TEXT_LIMIT, problems, texts)
            if fields is not None:
                if not isinstance(fields, list) or len(fields) > MAX_FIELDS:
                    problems.append(
                        f"no more than {MAX_FIELDS} items allowed [json-pointer:{where}/fields]"
                    )
                else:
                    for j, item in enumerate(fields):
                        _text_object(item, f"{where}/fields/{j}", FIELD_TEXT_LIMIT, problems, texts)
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= MAX_CONTEXT_ELEMENTS:
                problems.append(
                    f"must have 1-{MAX_CONTEXT_ELEMENTS} items [json-pointer:{where}/elements]"
                )
            else:
                for j, element in enumerate(elements):
                    if isinstance(element, dict) and element.get("type") == "image":
                        continue
                    _text_object(
                        element, f"{where}/elements/{j}", CONTEXT_TEXT_LIMIT, problems, texts
                    )
        elif kind == "markdown":
            text = block.get("text")
            if not isinstance(text, str) or not 0 < text_length(text) <= MARKDOWN_BLOCK_LIMIT:
                problems.append(f"invalid markdown text [json-pointer:{where}/text]")
            else:
                texts.append(text)
    if problems:
        raise _ApiError("invalid_blocks", errors=problems)
    return texts


def _text_object(
    obj: Any,
    where: str,
    limit: int,
    problems: list[str],
    texts: list[str],
    *,
    plain_only: bool = False,
) -> None:
    allowed = ("plain_text",) if plain_only else TEXT_TYPES
    if not isinstance(obj, dict) or obj.get("type") not in allowed:
        problems.append(
            f"must be a valid text object of type {'/'.join(allowed)} [json-pointer:{where}/type]"
        )
        return
    text = obj.get("text")
    if not isinstance(text, str) or text_length(text) == 0:
        problems.append(f"must be more than 0 characters [json-pointer:{where}/text]")
        return
    if text_length(text) > limit:
        problems.append(f"must be less than {limit + 1} characters [json-pointer:{where}/text]")
        return
    texts.append(text)


def _parse_body(content_type: str, body: bytes, query: str) -> dict[str, Any]:
    params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query).items()}
    if not body:
        return params
    if content_type.startswith("application/json"):
        try:
            data = json.loads(body)
        except json.JSONDecodeError:
            return {**params, "__invalid_json__": True}
        if isinstance(data, dict):
            params.update(data)
        return params
    form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
    params.update({k: v[-1] for k, v in form.items()})
    return params


def _handler_for(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _read(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _send(self, status: int, body: bytes, headers: Mapping[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _dispatch(self) -> None:
            split = urlsplit(self.path)
            body = self._read()
            if split.path.startswith("/upload/v1/"):
                status = fake.handle_upload(split.path.rsplit("/", 1)[-1], body)
                text = b"OK - " + str(len(body)).encode() if status == 200 else b"not found"
                self._send(status, text, {"Content-Type": "text/plain"})
                return
            if split.path.startswith("/commands/"):
                with fake._lock:
                    fake.responses.append(json.loads(body or b"{}"))
                self._send(200, b"ok", {"Content-Type": "text/plain"})
                return
            if not split.path.startswith("/api/"):
                self._send(404, b"not found", {"Content-Type": "text/plain"})
                return
            method = split.path[len("/api/") :]
            params = _parse_body(self.headers.get("Content-Type", ""), body, split.query)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, answer = fake.handle_api(method, params, headers)
            payload = json.dumps(answer).encode()
            self._send(status, payload, {"Content-Type": "application/json", **extra})

        do_POST = _dispatch
        do_GET = _dispatch

    return Handler


@contextmanager
def fake_slack(
    token: str = "xoxb-test",
    channels: frozenset[str] | set[str] | None = None,
    app_token: str = "xapp-test",
) -> Iterator[FakeSlack]:
    """A running ``FakeSlack`` on 127.0.0.1 (random port), stopped on exit. With ``channels``,
    any other channel is ``channel_not_found``."""
    fake = FakeSlack(
        token=token,
        app_token=app_token,
        channels=frozenset(channels) if channels is not None else None,
    )
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
