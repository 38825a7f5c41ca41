"""What the fuzz suites share: their Hypothesis sizes, hostile user text carrying a marker that
must never reach a query, secrets whose every encoding must never reach a log line or a post,
and a loopback Prometheus that records each query it is sent.

Sizes: ``HYPOTHESIS_PROFILE=ci`` (the default) runs each target at the small size it names
in ``fuzz(ci=...)``, derandomized so a CI failure replays on any machine;
``HYPOTHESIS_PROFILE=nightly`` runs every target at ``NIGHTLY_EXAMPLES`` with fresh
randomness, keeping failing examples in ``.hypothesis/`` so the next run tries them first.
"""

from __future__ import annotations

import base64
import copy
import json
import logging
import os
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, quote_plus, urlsplit

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

from daemon.runtime.logs import JsonFormatter

PROFILE_ENV = "HYPOTHESIS_PROFILE"
NIGHTLY_EXAMPLES = 10_000
_SLOW_IS_FINE = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

# deadline=None everywhere: the targets do I/O (SQLite, loopback HTTP), whose timing is noise
settings.register_profile(
    "ci",
    max_examples=100,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=_SLOW_IS_FINE,
)
settings.register_profile(
    "nightly",
    max_examples=NIGHTLY_EXAMPLES,
    derandomize=False,
    database=DirectoryBasedExampleDatabase(".hypothesis/examples"),
    deadline=None,
    print_blob=True,
    suppress_health_check=_SLOW_IS_FINE,
)


def profile() -> str:
    return os.environ.get(PROFILE_ENV, "ci")


def load_profile() -> None:
    """Called once by tests/conftest.py; an unknown profile name is an error, not a default."""
    settings.load_profile(profile())


def fuzz(ci: int, nightly: int = NIGHTLY_EXAMPLES) -> settings:
    """The settings of one fuzz target: ``ci`` examples in CI, ``nightly`` in the nightly run."""
    return settings(max_examples=ci if profile() == "ci" else nightly)


# -- hostile text ------------------------------------------------------------------------------

# Never in a config, a query, a template or a message: where it shows up, user text went.
MARKER = "qzxmark"

# What a person (or a forged request) might put in text the daemon echoes or stores
HOSTILE = (
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U0BOSS99>",
    "<@W0BOSS99|boss>",
    "<#C0GENERAL>",
    "<!subteam^S0ALLHANDS>",
    "<https://evil.example/|click me>",
    "<mailto:a@b.c|mail>",
    "&amp;",
    "&lt;!channel&gt;",
    "*bold*",
    "_it_",
    "~strike~",
    "`code`",
    "```block```",
    "> quote",
    '"} or vector(1) or {x="',
    '{service=~".+"}',
    "[5m]",
    "{{.window}}",
    "${PAGERDUTY_TOKEN}",
    "$${X}",
    "by 2026-11-27",
    "by 2026-13-40",
    "by 12/04/2026",
    "Q-ABCDEF",
    "O1",
    "\\",
    "\x00",
    "\x07",
    "\u202e",
    "\u2028",
    "\u200b",
    "\ufeff",
    "\u00a0",
    "\u3000",
    "\u017f",  # long s: upper-cases to "S"
    "\u0130",  # dotted capital I: lower-cases to two code points
    "🙂",
    "\t",
    "\n",
    "\r\n",
)

hostile_fragment = st.sampled_from(HOSTILE)
# every code point except lone surrogates (they cannot travel in UTF-8, so not over HTTP)
any_text = st.text(st.characters(codec="utf-8"), max_size=80)
words = st.text(st.characters(codec="utf-8", exclude_categories=("Z", "C")), min_size=1)


@st.composite
def marked_text(draw: st.DrawFn, max_pieces: int = 6) -> str:
    """Free text with ``MARKER`` somewhere in it, mixed with hostile fragments and noise."""
    pieces = draw(st.lists(st.one_of(hostile_fragment, any_text, words), max_size=max_pieces))
    at = draw(st.integers(0, len(pieces)))
    pieces.insert(at, MARKER)
    separators = draw(st.lists(st.sampled_from([" ", "", "  ", "\t", "\n"]), min_size=len(pieces)))
    return "".join(p + s for p, s in zip(pieces, separators, strict=False)).strip() or MARKER


def mostly(usual: st.SearchStrategy[str], odd: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """``usual`` four times in five, else ``odd``: a hostile field in every request would stop
    most of them at the first check, and the paths behind it would go untested."""
    return st.sampled_from([usual] * 4 + [odd]).flatmap(lambda chosen: chosen)


# -- documents ---------------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    any_text,
    hostile_fragment,
    marked_text(),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=10,
)

Path = tuple[str | int, ...]


def _paths(doc: Any, at: Path = ()) -> Iterator[Path]:
    yield at
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from _paths(value, (*at, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            yield from _paths(value, (*at, index))


def _get(doc: Any, path: Path) -> Any:
    for step in path:
        doc = doc[step]
    return doc


@st.composite
def mutated(
    draw: st.DrawFn, base: Any, values: st.SearchStrategy[Any] = json_values, most: int = 3
) -> Any:
    """``base`` (deep-copied) after up to ``most`` mutations, each at a random place: a value
    replaced by any other (a wrong type, hostile text), a key or item dropped, an unknown key
    added, a list emptied. Zero mutations leave it valid, so the valid path is fuzzed too."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(0, most))):
        path = draw(st.sampled_from(list(_paths(doc))))
        operation = draw(st.sampled_from(["replace", "drop", "add", "empty"]))
        if not path or operation == "replace":
            replacement = draw(values)
            if not path:
                doc = replacement
                continue
            _get(doc, path[:-1])[path[-1]] = replacement
            continue
        parent = _get(doc, path[:-1])
        if operation == "drop":
            del parent[path[-1]]
        elif operation == "add" and isinstance(parent, dict):
            parent[draw(st.one_of(words, hostile_fragment))] = draw(values)
        elif operation == "add" and isinstance(parent, list):
            parent.insert(draw(st.integers(0, len(parent))), draw(values))
        else:
            target = parent[path[-1]]
            parent[path[-1]] = type(target)() if isinstance(target, dict | list | str) else None
    return doc


# -- slash commands ----------------------------------------------------------------------------

SUBCOMMANDS = ("ask", "list", "show", "refresh", "cancel", "decide", "status", "help")
QUESTION_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
separator = st.sampled_from([" ", "  ", "\t", "\n", "\u00a0", "\u3000", "\u2028", " \r\n "])


def cased(word: str) -> st.SearchStrategy[str]:
    """``word`` with each letter upper- or lower-case."""
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda flips: "".join(c.upper() if f else c for c, f in zip(word, flips, strict=True))
    )


def question_ids(known: Sequence[str] = ()) -> st.SearchStrategy[str]:
    """Ids of stored questions (any case), well-formed ones of no question, and near misses."""
    shaped = st.text(st.sampled_from(QUESTION_ID_ALPHABET), min_size=6, max_size=6)
    found = [
        shaped.map(lambda s: "Q-" + s),
        st.text(st.sampled_from(QUESTION_ID_ALPHABET + "01IOq-"), max_size=9).map(
            lambda s: "Q-" + s
        ),
        words,
    ]
    if known:
        found.insert(0, st.sampled_from(list(known)).flatmap(cased))
    return st.one_of(found)


@st.composite
def command_texts(draw: st.DrawFn, services: Sequence[str], known_ids: Sequence[str] = ()) -> str:
    """Texts shaped like ``/slo-prep`` commands: a subcommand word (or not) and tokens the
    subcommands take, or hostile ones, with odd whitespace between them."""
    subcommand = st.one_of(
        st.sampled_from(SUBCOMMANDS).flatmap(cased), words, hostile_fragment, st.just("")
    )
    token = st.one_of(
        st.sampled_from(list(services)).flatmap(cased),
        question_ids(known_ids),
        st.sampled_from(["O1", "o3", "O6", "O7", "O0", "by", "BY", "2026-11-27", "2026-02-30"]),
        st.dates().map(lambda d: d.isoformat()),
        hostile_fragment,
        words,
        marked_text(),
    )
    pieces = [draw(subcommand), *draw(st.lists(token, max_size=8))]
    gaps = draw(st.lists(separator, min_size=len(pieces), max_size=len(pieces)))
    lead = draw(st.sampled_from(["", " ", "\n"]))
    return lead + "".join(p + g for p, g in zip(pieces, gaps, strict=True))


# -- secrets -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Secrets:
    """One unique value per secret the daemon holds, with characters that URL and base64
    encodings change, so an encoded leak is not missed."""

    slack_bot: str = "xoxb-sekret-bot-7Fq2/+Zx"
    signing: str = "sekret-signing-9Kd4/+Vw"
    pagerduty: str = "sekret-pd-3Jt8/+Qe"
    prometheus_bearer: str = "sekret-bearer-5Hn1/+Lp"
    prometheus_user: str = "fuzz"
    prometheus_password: str = "sekret-pw-8Rm6/+Cy"
    prometheus_header: str = "sekret-tenant-2Wb9"
    webhook: str = "sekret-webhook-4Gs7/+Ua"

    def values(self) -> tuple[str, ...]:
        return (
            self.slack_bot,
            self.signing,
            self.pagerduty,
            self.prometheus_bearer,
            self.prometheus_password,
            self.prometheus_header,
            self.webhook,
        )

    def basic_auth(self) -> str:
        pair = f"{self.prometheus_user}:{self.prometheus_password}"
        return "Basic " + base64.b64encode(pair.encode()).decode()

    def forms(self) -> tuple[str, ...]:
        """Every secret as it could leak: raw, URL-encoded, base64, JSON-escaped, and the
        basic-auth pair as the ``Authorization`` header carries it."""
        found: set[str] = set()
        for value in self.values():
            found |= {
                value,
                quote(value, safe=""),
                quote_plus(value),
                base64.b64encode(value.encode()).decode(),
                base64.urlsafe_b64encode(value.encode()).decode(),
                json.dumps(value)[1:-1],
            }
        found.add(self.basic_auth().removeprefix("Basic "))
        return tuple(sorted(found))

    def leaked(self, text: str) -> list[str]:
        return [form for form in self.forms() if form in text]


SECRETS = Secrets()


class LeakWatch(logging.Handler):
    """Formats every record at every level, as plain text and as the daemon's JSON line (with
    its traceback), and keeps each line that carries a secret."""

    def __init__(self, secrets: Secrets) -> None:
        super().__init__(logging.DEBUG)
        self._secrets = secrets
        self._plain = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._json = JsonFormatter()
        self.lines = 0
        self.leaks: list[str] = []
        # records logged with a traceback: something failed that was not meant to
        self.crashes: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        plain = self._plain.format(record)
        if record.exc_info:
            plain += "\n" + self._plain.formatException(record.exc_info)
            self.crashes.append(plain)
        for line in (plain, self._json.format(record)):
            self.lines += 1
            if self._secrets.leaked(line):
                self.leaks.append(line)


@contextmanager
def watch_logs(secrets: Secrets = SECRETS) -> Iterator[LeakWatch]:
    """Every logger at DEBUG, into a ``LeakWatch``, for the duration."""
    root = logging.getLogger()
    watch = LeakWatch(secrets)
    level = root.level
    root.addHandler(watch)
    root.setLevel(logging.DEBUG)
    try:
        yield watch
    finally:
        root.removeHandler(watch)
        root.setLevel(level)


# -- a Prometheus that records -----------------------------------------------------------------


@dataclass
class RecordedQuery:
    path: str
    query: str
    authorization: str | None
    headers: dict[str, str] = field(default_factory=dict)


class RecordingPrometheus:
    """The Prometheus query API on loopback, recording each query's PromQL and credentials.

    Without ``upstream`` it answers every instant query with an empty vector and every range
    query with an empty matrix (Prometheus's answer for a selector that matches nothing), in
    microseconds; with ``upstream`` it forwards to that real Prometheus and returns its answer.
    """

    def __init__(self, upstream: str | None = None) -> None:
        self.upstream = upstream.rstrip("/") if upstream else None
        self.queries: list[RecordedQuery] = []
        self._lock = threading.Lock()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, body: bytes) -> None:
                parts = urlsplit(self.path)
                fields = parse_qs(parts.query) | parse_qs(body.decode("utf-8", "replace"))
                with recorder._lock:
                    recorder.queries.append(
                        RecordedQuery(
                            parts.path,
                            (fields.get("query") or [""])[0],
                            self.headers.get("Authorization"),
                            {k.lower(): v for k, v in self.headers.items()},
                        )
                    )
                status, ctype, data = recorder._respond(self.command, self.path, body)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._answer(b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self._answer(self.rfile.read(length))

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def _respond(self, method: str, path: str, body: bytes) -> tuple[int, str, bytes]:
        if self.upstream is not None:
            request = urllib.request.Request(self.upstream + path, data=body or None, method=method)
            if body:
                request.add_header("Content-Type", "application/x-www-form-urlencoded")
            try:
                with urllib.request.urlopen(request, timeout=60) as up:
                    return up.status, up.headers.get("Content-Type", "application/json"), up.read()
            except urllib.error.HTTPError as err:
                return err.code, err.headers.get("Content-Type", "application/json"), err.read()
        kind = "matrix" if urlsplit(path).path.endswith("query_range") else "vector"
        answer = {"status": "success", "data": {"resultType": kind, "result": []}}
        return 200, "application/json", json.dumps(answer).encode()

    def taken(self) -> list[RecordedQuery]:
        """The queries recorded since the last call, and forgets them."""
        with self._lock:
            taken, self.queries = self.queries, []
        return taken

    def start(self) -> RecordingPrometheus:
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def recording_prometheus(upstream: str | None = None) -> Iterator[RecordingPrometheus]:
    server = RecordingPrometheus(upstream).start()
    try:
        yield server
    finally:
        server.stop()


def user_text_in(queries: Sequence[RecordedQuery], marker: str = MARKER) -> list[str]:
    """The queries that carry ``marker`` in any case (user text went in if one does)."""
    return [q.query for q in queries if marker in q.query.casefold()]
