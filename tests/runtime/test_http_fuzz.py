"""Fuzzing the daemon's HTTP endpoints through its WSGI application, in process: signed and
unsigned slash commands and interactions, Alertmanager webhooks with and without the bearer.
Every answer is a 2xx or 4xx with a clear body, never a 500; an unauthenticated request changes
nothing; the work after the ack crashes nothing, sends no query with user text and posts no
secret and no markup from user text."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
from collections.abc import Iterator
from datetime import UTC
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st

from daemon import messages as m
from daemon.runtime.http import MAX_BODY, App
from daemon.runtime.interactions import (
    DECIDE_VIEW,
    NOTE_ACTION,
    NOTE_BLOCK,
    OPTION_ACTION,
    OPTION_BLOCK,
)
from daemon.runtime.packs import ACTION_DECIDE, ACTION_REFRESH
from tests.runtime.conftest import ASK_CHANNEL, MANAGER, OUTSIDER
from tests.runtime.fuzz_rig import AT, Rig, injected, rig
from tests.support.fuzz import (
    any_text,
    command_texts,
    fuzz,
    hostile_fragment,
    json_values,
    marked_text,
    mostly,
    mutated,
    question_ids,
    words,
)
from tests.support.tls import Tls

NOW = AT.timestamp()
SERVICES = ("checkout", "payments")
# stand-ins replaced when the example runs: the fake's response_url, stored question ids
RESPONSE_URL = "@RESPONSE_URL"
STORED = ("@Q0", "@Q1")
# the bodies of the 4xx answers: ours, each saying what was wrong
_CLEAR_ERRORS = (
    m.HTTP_UNAUTHORIZED,
    m.HTTP_TOO_LARGE,
    "bad Content-Length",
    "form body is not UTF-8",
    "payload is not JSON",
    "payload is not an object",
)


@pytest.fixture(scope="module")
def fuzz_rig(tmp_path_factory: pytest.TempPathFactory, tls: Tls) -> Iterator[Rig]:
    with rig(tmp_path_factory.mktemp("http-fuzz"), tls, auth="basic") as found:
        yield found


@pytest.fixture(scope="module")
def app(fuzz_rig: Rig) -> App:
    return App(fuzz_rig.rt, clock=lambda: NOW)


def call(app: App, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": headers.pop("Content-Length", str(len(body))),
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        environ[key if key == "CONTENT_TYPE" else f"HTTP_{key}"] = value
    started: list[str] = []
    data = b"".join(app(environ, lambda status, _headers: started.append(status)))
    return int(started[0].split()[0]), data


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    # Slack's v0 scheme, written out here rather than taken from the code under test
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


signatures = mostly(
    st.just("valid"), st.sampled_from(["wrong", "missing", "stale", "future", "garbage"])
)


def signed(rig: Rig, how: str, body: bytes) -> dict[str, str]:
    timestamp = str(int(NOW))
    if how == "stale":
        timestamp = str(int(NOW) - 301)
    elif how == "future":
        timestamp = str(int(NOW) + 301)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if how == "missing":
        return headers
    secret = rig.secrets.signing if how != "wrong" else rig.secrets.signing + "x"
    headers["X-Slack-Request-Timestamp"] = timestamp if how != "garbage" else "12e3 <!channel>"
    headers["X-Slack-Signature"] = slack_signature(secret, timestamp, body)
    return headers


def resolve(rig: Rig, text: str) -> str:
    text = text.replace(RESPONSE_URL, rig.slack.response_url("fuzz"))
    ids = [q.id for q in rig.rt.store.list_questions(limit=len(STORED))]
    for index, stand_in in enumerate(STORED):
        if ids:
            text = text.replace(stand_in, ids[index % len(ids)])
    return text


def state(rig: Rig) -> tuple[Any, ...]:
    questions = tuple((q.id, q.status) for q in rig.rt.store.list_questions())
    return questions, len(rig.rt.store.pending())


def check_answer(status: int, data: bytes) -> Any:
    assert status in (200, 400, 401, 413), (status, data)
    if not data:
        assert status == 200
        return None
    body = json.loads(data)
    if status != 200:
        error = body["error"]
        assert error.startswith(_CLEAR_ERRORS) or error.startswith("bad webhook: "), error
        event(f"{status} {error.split(':')[0]}")
    return body


def after_the_ack(rig: Rig) -> None:
    rig.settle()
    rig.check_queries(rig.prometheus.taken())
    rig.check_posts()


# -- /slack/commands -----------------------------------------------------------------------------

users = mostly(st.sampled_from([MANAGER, OUTSIDER]), st.one_of(hostile_fragment, words))
command_fields = st.fixed_dictionaries(
    {
        "command": mostly(st.just("/slo-prep"), st.one_of(hostile_fragment, words, any_text)),
        "text": st.one_of(command_texts(SERVICES, STORED), marked_text(), any_text),
        "user_id": users,
        "channel_id": mostly(st.just(ASK_CHANNEL), st.one_of(hostile_fragment, words)),
        "response_url": mostly(st.just(RESPONSE_URL), st.one_of(any_text, hostile_fragment)),
    },
    optional={
        "ssl_check": st.sampled_from(["1", "", "0"]),
        "team_id": words,
        "trigger_id": any_text,
    },
)
form_bodies = mostly(
    command_fields.map(lambda fields: urlencode(fields).encode()),
    st.one_of(
        st.dictionaries(any_text, any_text, max_size=5).map(lambda f: urlencode(f).encode()),
        st.binary(max_size=300),
        st.sampled_from([b"text=%ff%fe&user_id=U0MANAGER1", b"&&==&", b"text=a&text=b", b"%"]),
    ),
)


@fuzz(ci=60)
@given(body=form_bodies, how=signatures)
@example(
    body=b"command=%2Fslo-prep&text=help&user_id=U0MANAGER1&channel_id=C0ASKEDHERE", how="valid"
)
@example(body=b"command=%2Fslo-prep%3E+%3C%21channel&text=help", how="valid")
@example(
    body=b"text=ask+payments+hi&user_id=U1%3E+%3C%21channel&channel_id=C0ASKEDHERE", how="valid"
)
def test_slash_command_bodies(fuzz_rig: Rig, app: App, body: bytes, how: str) -> None:
    body = resolve(fuzz_rig, body.decode("latin-1")).encode("latin-1")
    before, calls = state(fuzz_rig), len(fuzz_rig.slack.calls)
    status, data = call(app, "/slack/commands", body, signed(fuzz_rig, how, body))
    answer = check_answer(status, data)
    if how not in ("valid",):
        assert status == 401
        assert state(fuzz_rig) == before and len(fuzz_rig.slack.calls) == calls
        return
    if status == 200 and answer:
        assert answer["response_type"] == "ephemeral"
        assert injected(answer["text"]) == [], answer["text"]
        event(" ".join(answer["text"].split(" ", 2)[:2]))
    after_the_ack(fuzz_rig)


# -- /slack/interactions -------------------------------------------------------------------------

user_objects = mostly(st.fixed_dictionaries({"id": users}), json_values)
action_lists = mostly(
    st.lists(
        st.fixed_dictionaries(
            {
                "action_id": mostly(st.sampled_from([ACTION_REFRESH, ACTION_DECIDE]), any_text),
                "value": question_ids(STORED),
            }
        ),
        min_size=1,
        max_size=2,
    ),
    json_values,
)
block_actions = st.fixed_dictionaries(
    {
        "type": st.just("block_actions"),
        "user": user_objects,
        "actions": action_lists,
        "channel": mostly(st.fixed_dictionaries({"id": st.just(ASK_CHANNEL)}), json_values),
        "trigger_id": any_text,
        "response_url": mostly(st.just(RESPONSE_URL), json_values),
    }
)
decision_views = st.fixed_dictionaries(
    {
        "callback_id": mostly(st.just(DECIDE_VIEW), json_values),
        "private_metadata": mostly(question_ids(STORED), json_values),
        "state": st.fixed_dictionaries(
            {
                "values": st.fixed_dictionaries(
                    {
                        OPTION_BLOCK: st.fixed_dictionaries(
                            {
                                OPTION_ACTION: st.fixed_dictionaries(
                                    {
                                        "selected_option": st.fixed_dictionaries(
                                            {"value": st.sampled_from(["O1", "O2", "O7", ""])}
                                        )
                                    }
                                )
                            }
                        ),
                        NOTE_BLOCK: st.fixed_dictionaries(
                            {NOTE_ACTION: st.fixed_dictionaries({"value": marked_text()})}
                        ),
                    }
                )
            }
        ),
    }
)
view_submissions = st.fixed_dictionaries(
    {"type": st.just("view_submission"), "user": user_objects, "view": decision_views}
)
payloads = st.one_of(
    block_actions.flatmap(lambda doc: mutated(doc)),
    view_submissions.flatmap(lambda doc: mutated(doc)),
    json_values,
)
interaction_bodies = st.one_of(
    payloads.map(lambda p: urlencode({"payload": json.dumps(p)}).encode()),
    st.one_of(any_text, hostile_fragment).map(lambda t: urlencode({"payload": t}).encode()),
    st.binary(max_size=200),
)
DEEP = urlencode({"payload": "[" * 100_000}).encode()
HUGE_NUMBER = urlencode({"payload": '{"type": ' + "1" * 5000 + "}"}).encode()


@fuzz(ci=60)
@given(body=interaction_bodies, how=signatures)
@example(body=DEEP, how="valid")
@example(body=HUGE_NUMBER, how="valid")
@example(
    body=urlencode({"payload": '{"type": "block_actions", "user": "U1"}'}).encode(), how="valid"
)
@example(
    body=urlencode({"payload": '{"type": "view_submission", "view": []}'}).encode(), how="valid"
)
@example(
    body=urlencode(
        {"payload": '{"type": "block_actions", "actions": {"0": 1}, "user": {"id": "U0MANAGER1"}}'}
    ).encode(),
    how="valid",
)
def test_interaction_bodies(fuzz_rig: Rig, app: App, body: bytes, how: str) -> None:
    body = resolve(fuzz_rig, body.decode("latin-1")).encode("latin-1")
    before, calls = state(fuzz_rig), len(fuzz_rig.slack.calls)
    status, data = call(app, "/slack/interactions", body, signed(fuzz_rig, how, body))
    answer = check_answer(status, data)
    if how != "valid":
        assert status == 401
        assert state(fuzz_rig) == before and len(fuzz_rig.slack.calls) == calls
        return
    if status == 200 and answer:
        assert answer["response_action"] == "errors"
        for text in answer["errors"].values():
            assert injected(text) == [], text
    after_the_ack(fuzz_rig)


# -- /alertmanager/webhook -----------------------------------------------------------------------

timestamps = mostly(
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat().replace("+00:00", "Z")),
    st.one_of(st.just("0001-01-01T00:00:00Z"), any_text),
)
label_values = st.one_of(st.sampled_from(SERVICES), marked_text(), hostile_fragment, any_text)
alert_labels = st.fixed_dictionaries(
    {
        "alertname": st.one_of(st.just("CheckoutErrorBudgetBurn"), marked_text()),
        "service": mostly(st.sampled_from(SERVICES), label_values),
        "severity": st.one_of(
            st.sampled_from(["page", "ticket", "critical", "warning"]), label_values
        ),
    },
    optional={"sloth_service": label_values, "sloth_severity": label_values},
)
webhook_alerts = st.fixed_dictionaries(
    {
        "status": st.sampled_from(["firing", "resolved"]),
        "labels": alert_labels,
        "annotations": st.dictionaries(words, st.one_of(marked_text(), any_text), max_size=3),
        "startsAt": timestamps,
        "endsAt": timestamps,
        "generatorURL": any_text,
        "fingerprint": st.text("0123456789abcdef", min_size=16, max_size=16),
    }
)
webhooks = st.fixed_dictionaries(
    {
        "version": st.just("4"),
        "groupKey": any_text,
        "truncatedAlerts": st.integers(0, 3),
        "status": st.sampled_from(["firing", "resolved"]),
        "receiver": st.just("slo-prep"),
        "groupLabels": st.dictionaries(words, label_values, max_size=2),
        "commonLabels": st.dictionaries(words, label_values, max_size=2),
        "commonAnnotations": st.just({}),
        "externalURL": st.just("http://127.0.0.1:9093"),
        "alerts": st.lists(webhook_alerts, max_size=3),
    }
)
webhook_bodies = st.one_of(
    webhooks.flatmap(lambda doc: mutated(doc)).map(lambda d: json.dumps(d).encode()),
    json_values.map(lambda d: json.dumps(d).encode()),
    st.binary(max_size=200),
)
bearers = mostly(st.just("valid"), st.sampled_from(["wrong", "missing", "basic", "twice"]))


def bearer(rig: Rig, how: str) -> dict[str, str]:
    token = rig.secrets.webhook
    return {
        "valid": {"Authorization": f"Bearer {token}"},
        "wrong": {"Authorization": f"Bearer {token}x"},
        "missing": {},
        "basic": {"Authorization": f"Basic {token}"},
        # a WSGI server joins a repeated header with commas
        "twice": {"Authorization": f"Bearer {token}, Bearer {token}"},
    }[how] | {"Content-Type": "application/json"}


@fuzz(ci=60)
@given(body=webhook_bodies, how=bearers)
@example(body=b"[" * 100_000, how="valid")
@example(body=b'{"version": ' + b"1" * 5000 + b"}", how="valid")
@example(body=json.dumps({"version": "4", "alerts": []}).encode(), how="valid")
def test_webhook_bodies(fuzz_rig: Rig, app: App, body: bytes, how: str) -> None:
    before, calls = state(fuzz_rig), len(fuzz_rig.slack.calls)
    status, data = call(app, "/alertmanager/webhook", body, bearer(fuzz_rig, how))
    answer = check_answer(status, data)
    if how != "valid":
        assert status == 401
        assert state(fuzz_rig) == before and len(fuzz_rig.slack.calls) == calls
        return
    if status == 200:
        assert answer == {"status": "accepted", "alerts": len(json.loads(body)["alerts"])}
        event(f"accepted {answer['alerts']} alert(s)")
    after_the_ack(fuzz_rig)


def test_a_body_over_the_limit_is_refused_unread(fuzz_rig: Rig, app: App) -> None:
    headers = bearer(fuzz_rig, "valid") | {"Content-Length": str(MAX_BODY + 1)}
    status, data = call(app, "/alertmanager/webhook", b"", headers)
    assert (status, json.loads(data)) == (413, {"error": m.HTTP_TOO_LARGE})
