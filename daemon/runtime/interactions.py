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


def handle_interaction(rt: Runtime, payload: Mapping[str, Any]) -> Answer:
    kind = payload.get("type")
    user = _str((payload.get("user") or {}).get("id"))
    if kind == "block_actions":
        actions = payload.get("actions") or []
        action = actions[0] if actions and isinstance(actions[0], Mapping) else {}
        return _button(rt, payload, _str(action.get("action_id")), _str(action.get("value")), user)
    if kind == "view_submission":
        view = payload.get("view") or {}
        if view.get("callback_id") == DECIDE_VIEW:
            return _submit_decision(rt, view, user)
    return Answer()


def _button(
    rt: Runtime, payload: Mapping[str, Any], action_id: str, question_id: str, user: str
) -> Answer:
    response_url = _str(payload.get("response_url"))
    channel = _str((payload.get("channel") or {}).get("id"))
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
    question = rt.store.get_question(question_id)
    if question is None:
        commands.send_later(rt, request, m.CMD_UNKNOWN_QUESTION.format(id=question_id))
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
    values = (view.get("state") or {}).get("values") or {}
    option = ((values.get(OPTION_BLOCK) or {}).get(OPTION_ACTION) or {}).get("selected_option")
    note = ((values.get(NOTE_BLOCK) or {}).get(NOTE_ACTION) or {}).get("value")
    option_id = _str((option or {}).get("value")) if isinstance(option, Mapping) else ""
    return option_id, (note.strip() or None) if isinstance(note, str) else None


def _submit_decision(rt: Runtime, view: Mapping[str, Any], user: str) -> Answer:
    question_id = _str(view.get("private_metadata"))
    option_id, note = _selected(view)
    try:
        reply = commands.decide(rt, question_id, option_id, note, user)
    except commands.Refused as refused:
        rt.metrics.commands.labels(subcommand="decide_modal", outcome="refused").inc()
        return Answer(
            ack={"response_action": "errors", "errors": {OPTION_BLOCK: str(refused)[:150]}}
        )
    rt.metrics.commands.labels(subcommand="decide_modal", outcome="ok").inc()
    return Answer(follow_up=reply.follow_up)
