"""Drafts packs for the daemon and queues them in the outbox: the registration pack of a
question, its refreshes (with what changed), an alert's pack for SRE, and single messages.

Everything posted goes through here and the outbox: stored first, posted by ``outbox.drain``
after, each under an idempotency key, so a crash in between neither loses nor repeats it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from daemon import messages as m
from daemon.config.model import ServiceConfig
from daemon.core.alerts import BurnAlert
from daemon.core.mrkdwn import escape_mrkdwn
from daemon.core.pack import Decision
from daemon.render.changes import what_changed
from daemon.runtime.context import Runtime
from daemon.store import OutboxEntry, PackKind, Question, alert_key, question_key

ACTION_REFRESH = "slo_prep_refresh"
ACTION_DECIDE = "slo_prep_decide"
ACTIONS_BLOCK = "slo_prep_actions"
CHART_NAME = "burn-down.png"
# Block Kit: at most 50 blocks in a message (FACTS.md)
_MAX_BLOCKS = 50


def deadline_instant(question: Question) -> datetime | None:
    """The decision is due at the start of its deadline day (UTC)."""
    if question.deadline is None:
        return None
    return datetime.combine(question.deadline, time(0, 0), UTC)


def question_channel(rt: Runtime, question: Question) -> str:
    """The service's channel, else the channel the question was asked in."""
    service = rt.config.service(question.service)
    return (service.slack_channel if service else None) or question.channel


def with_buttons(message: Mapping[str, Any], question_id: str) -> dict[str, Any]:
    """The parent message with Refresh and Record decision buttons for ``question_id``."""
    blocks = list(message.get("blocks") or [])
    if len(blocks) >= _MAX_BLOCKS:
        return dict(message)
    blocks.append(
        {
            "type": "actions",
            "block_id": ACTIONS_BLOCK,
            "elements": [
                _button(ACTION_REFRESH, m.BUTTON_REFRESH, question_id),
                {**_button(ACTION_DECIDE, m.BUTTON_DECIDE, question_id), "style": "primary"},
            ],
        }
    )
    return {**message, "blocks": blocks}


def _button(action_id: str, label: str, value: str) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label},
        "value": value,
    }


def _text_message(lines: Sequence[str]) -> dict[str, Any]:
    text = "\n".join(lines)
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


def _decision(question: Question) -> Decision:
    return Decision(
        question=question.question, deadline=question.deadline, horizon=question.horizon
    )


def next_refresh_no(rt: Runtime, question: Question) -> int:
    return len(rt.store.packs_for_question(question.id))


def enqueue_question_pack(
    rt: Runtime, question: Question, refresh_no: int, note: str | None = None
) -> tuple[OutboxEntry, bool]:
    """Draft ``question``'s pack now and queue it: refresh 0 is the registration pack, posted
    top-level; a refresh is posted in its thread after "what changed", and updates the parent.
    ``(entry, created)``: a key already queued returns the first entry untouched."""
    key = question_key(question.id, refresh_no)
    existing = rt.store.get_entry_by_key(key)
    if existing is not None:
        return existing, False
    now = rt.now()
    previous = rt.store.packs_for_question(question.id)
    drafted = rt.draft(question.service, now, _decision(question))
    document = drafted.document
    kind: PackKind = "registration" if refresh_no == 0 else "refresh"
    stored = rt.store.add_pack(
        kind=kind,
        service=question.service,
        document=json.dumps(document),
        now=now,
        question_id=question.id,
    )
    rt.metrics.packs_drafted.labels(kind=kind).inc()
    rendered = drafted.messages
    parent = with_buttons(rendered[0], question.id)
    # the notification and the channel list show the question, escaped like everything else
    parent["text"] = m.POST_PACK_TEXT.format(
        service=escape_mrkdwn(question.service), question=escape_mrkdwn(question.question)
    )
    payload: dict[str, Any] = {"kind": "pack", "chart": drafted.chart}
    thread_of: str | None = None
    if refresh_no == 0 or not previous:
        payload["messages"] = [parent, *rendered[1:]]
    else:
        thread_of = question_key(question.id, 0)
        lines = what_changed(json.loads(previous[-1].document), document)
        if note:
            lines.append(note)
        payload["messages"] = [_text_message(lines), *rendered]
        payload["update_parent"] = parent
    return rt.store.enqueue(
        key,
        channel=question_channel(rt, question),
        payload=json.dumps(payload),
        now=now,
        pack_id=stored.id,
        thread_of=thread_of,
    )


def enqueue_alert_pack(
    rt: Runtime,
    service: ServiceConfig,
    severity: str,
    alerts: Sequence[BurnAlert],
    now: datetime,
) -> str | None:
    """Draft the pack for a new burn alert and queue it for ``slack.sre_channel``: the full pack
    when a question is open for the service, else the evidence (NO_DECISION_FRAMED) and how to
    frame one. The idempotency key (service, severity, hour); None without an SRE channel."""
    channel = rt.config.slack.sre_channel
    key = alert_key(service.name, severity, now)
    if channel is None:
        return None
    if rt.store.get_entry_by_key(key) is not None:
        return key
    open_questions = rt.store.list_questions(service=service.name, status="open", limit=1)
    question = open_questions[0] if open_questions else None
    decision = _decision(question) if question is not None else Decision(question=None)
    drafted = rt.draft(service.name, now, decision, alert=True)
    document = drafted.document
    stored = rt.store.add_pack(
        kind="alert",
        service=service.name,
        document=json.dumps(document),
        now=now,
        question_id=question.id if question is not None else None,
    )
    rt.metrics.packs_drafted.labels(kind="alert").inc()
    sources = sorted({a.source for a in alerts})
    names = sorted({a.alertname for a in alerts if a.alertname})
    intro = [
        m.POST_ALERT_INTRO.format(
            service=escape_mrkdwn(service.name),
            severity=escape_mrkdwn(severity),
            sources=", ".join(sources),
            alerts=escape_mrkdwn(", ".join(names)) or "—",
        ),
        m.POST_ALERT_QUESTION.format(id=question.id)
        if question is not None
        else m.POST_ALERT_NO_QUESTION.format(
            service=escape_mrkdwn(service.name), command=rt.config.slack.command
        ),
    ]
    rendered = drafted.messages
    parent = dict(rendered[0])
    parent["blocks"] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(intro)}},
        *list(parent.get("blocks") or [])[: _MAX_BLOCKS - 1],
    ]
    parent["text"] = m.POST_ALERT_HEADER.format(
        service=escape_mrkdwn(service.name), severity=escape_mrkdwn(severity)
    )
    payload = {"kind": "pack", "chart": drafted.chart, "messages": [parent, *rendered[1:]]}
    rt.store.enqueue(key, channel=channel, payload=json.dumps(payload), now=now, pack_id=stored.id)
    return key


def enqueue_reply(
    rt: Runtime, key: str, thread_of: str, channel: str, lines: Sequence[str]
) -> tuple[OutboxEntry, bool]:
    """Queue one message in the thread of the entry keyed ``thread_of``."""
    payload = {"kind": "message", "messages": [_text_message(lines)]}
    return rt.store.enqueue(
        key, channel=channel, payload=json.dumps(payload), now=rt.now(), thread_of=thread_of
    )


def deadline_refresh_due(question: Question, last_pack_at: datetime, now: datetime) -> bool:
    """True from an hour before the deadline until it, unless a pack was drafted in that hour."""
    due = deadline_instant(question)
    if due is None:
        return False
    start = due - timedelta(hours=1)
    return start <= now < due and last_pack_at < start
