"""The buttons on a question's pack (Refresh, Record decision) and the decision modal.

``handle_interaction`` takes the interaction payload Slack sends (HTTP form field ``payload``,
or a Socket Mode ``interactive`` envelope) and returns what to answer in the ack (``None``, or
the modal's validation errors) and the work to do after it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from daemon import messages as m
from daemon.core import commands as parse_commands
from daemon.core.mrkdwn import escape_mrkdwn
from daemon.runtime import commands, packs
from daemon.runtime.context import Runtime
from daemon.slack.poster import SlackError

log = logging.getLogger("slo_prep.interactions")

DECIDE_VIEW = "slo_prep_decide"
OPTION_BLOCK = "option"
OPTION_ACTION = "option_id"
NOTE_BLOCK = "note"
NOTE_ACTION = "note_text"


@dataclass(frozen=True)
class Answer:
    ack: dict[str, Any] | None = None
    follow_up: Callable[[], None] | None = None


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _map(value: object) -> Mapping[str, Any]:
    """``value`` when it is an object: a payload of another shape is read as empty, never
    indexed into (``"user": "U1"`` must not be an AttributeError and a 500)."""
    return value if isinstance(value, Mapping) else {}


def handle_interaction(rt: Runtime, payload: Mapping[str, Any]) -> Answer:
    kind = payload.get("type")
    user = _str(_map(payload.get("user")).get("id"))
    if kind not in ("block_actions", "view_submission"):
        return Answer()
    if not commands.is_slack_id(user):
        log.warning("%s without a Slack user id: ignored", kind)
        if kind == "view_submission":
            text = m.CMD_BAD_REQUEST.format(field="user.id")
            return Answer(ack={"response_action": "errors", "errors": {OPTION_BLOCK: text}})
        return Answer()
    if kind == "block_actions":
        actions = payload.get("actions")
        action = _map(actions[0]) if isinstance(actions, list) and actions else {}
        return _button(rt, payload, _str(action.get("action_id")), _str(action.get("value")), user)
    view = _map(payload.get("view"))
    if view.get("callback_id") == DECIDE_VIEW:
        return _submit_decision(rt, view, user)
    return Answer()


def _button(
    rt: Runtime, payload: Mapping[str, Any], action_id: str, question_id: str, user: str
) -> Answer:
    response_url = _str(payload.get("response_url"))
    channel = _str(_map(payload.get("channel")).get("id"))
    request = commands.CommandRequest("", "", user, channel, response_url or None)
    if action_id == packs.ACTION_REFRESH:
        try:
            reply = commands.refresh(rt, question_id, user)
        except commands.Refused as refused:
            text = str(refused)
            return Answer(follow_up=lambda: commands.send_later(rt, request, text))
        rt.metrics.commands.labels(subcommand="refresh_button", outcome="ok").inc()

        def refresh_later() -> None:
            commands.send_later(rt, request, reply.text)
            if reply.follow_up is not None:
                reply.follow_up()

        return Answer(follow_up=refresh_later)
    if action_id == packs.ACTION_DECIDE:
        trigger = _str(payload.get("trigger_id"))
        return Answer(follow_up=lambda: _open_modal(rt, request, question_id, trigger))
    return Answer()


def decision_modal(
    question_id: str, question: str, options: list[Mapping[str, Any]]
) -> dict[str, Any]:
    choices = [
        {
            "text": {"type": "plain_text", "text": f"{o.get('id')} — {o.get('title')}"[:75]},
            "value": str(o.get("id")),
        }
        for o in options
    ]
    return {
        "type": "modal",
        "callback_id": DECIDE_VIEW,
        "private_metadata": question_id,
        "title": {"type": "plain_text", "text": m.MODAL_TITLE},
        "submit": {"type": "plain_text", "text": m.MODAL_SUBMIT},
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": m.MODAL_QUESTION.format(
                        id=question_id, question=escape_mrkdwn(question[:200])
                    ),
                },
            },
            {
                "type": "input",
                "block_id": OPTION_BLOCK,
                "label": {"type": "plain_text", "text": m.MODAL_OPTION},
                "element": {
                    "type": "static_select",
                    "action_id": OPTION_ACTION,
                    "options": choices,
                },
            },
            {
                "type": "input",
                "block_id": NOTE_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": m.MODAL_NOTE},
                "element": {
                    "type": "plain_text_input",
                    "action_id": NOTE_ACTION,
                    "multiline": True,
                    "max_length": 500,
                },
            },
        ],
    }


def _open_modal(
    rt: Runtime, request: commands.CommandRequest, question_id: str, trigger: str
) -> None:
    is_id = parse_commands.is_question_id(question_id)
    question = rt.store.get_question(question_id) if is_id else None
    if question is None:
        text = m.CMD_UNKNOWN_QUESTION.format(id=escape_mrkdwn(question_id))
        commands.send_later(rt, request, text)
        return
    stored = rt.store.packs_for_question(question_id)
    options = json.loads(stored[-1].document).get("options") or [] if stored else []
    if not options:
        commands.send_later(rt, request, m.MODAL_NO_OPTIONS)
        return
    try:
        rt.sink.open_view(trigger, decision_modal(question_id, question.question, options))
    except SlackError as exc:
        log.warning("views.open failed: %s", exc.code)


def _selected(view: Mapping[str, Any]) -> tuple[str, str | None]:
    values = _map(_map(view.get("state")).get("values"))
    option = _map(_map(values.get(OPTION_BLOCK)).get(OPTION_ACTION)).get("selected_option")
    note = _map(_map(values.get(NOTE_BLOCK)).get(NOTE_ACTION)).get("value")
    option_id = _str(_map(option).get("value"))
    return option_id, (note.strip() or None) if isinstance(note, str) else None


def _submit_decision(rt: Runtime, view: Mapping[str, Any], user: str) -> Answer:
    question_id = _str(view.get("private_metadata"))
    option_id, note = _selected(view)
    # the modal offers only the pack's options, but what comes back is the client's say-so
    problems = {}
    if not parse_commands.is_option_id(option_id):
        problems[OPTION_BLOCK] = m.CMD_BAD_OPTION_ID.format(value=escape_mrkdwn(option_id[:40]))
    unstorable = parse_commands.unstorable(note or "", m.CMD_WHAT_NOTE)
    if unstorable is not None:
        problems[NOTE_BLOCK] = unstorable
    if problems:
        rt.metrics.commands.labels(subcommand="decide_modal", outcome="refused").inc()
        return Answer(ack={"response_action": "errors", "errors": problems})
    try:
        reply = commands.decide(rt, question_id, option_id, note, user)
    except commands.Refused as refused:
        rt.metrics.commands.labels(subcommand="decide_modal", outcome="refused").inc()
        return Answer(
            ack={"response_action": "errors", "errors": {OPTION_BLOCK: str(refused)[:150]}}
        )
    rt.metrics.commands.labels(subcommand="decide_modal", outcome="ok").inc()
    return Answer(follow_up=reply.follow_up)
