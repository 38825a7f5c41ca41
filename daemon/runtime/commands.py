"""The slash command, from the parsed text to the ephemeral reply and the work after the ack.

``handle_command`` does only what must happen before Slack's 3-second ack (parse, authorize,
write the store) and returns the reply plus, for the slow part (drafting a pack, measuring a
service), a follow-up the caller runs after acknowledging. A question acknowledged is a
question stored: the insert commits before the reply exists.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from daemon import messages as m
from daemon.config.model import ServiceConfig
from daemon.core import commands as parse_commands
from daemon.core.mrkdwn import escape_mrkdwn
from daemon.core.pack import Decision
from daemon.render.environment import pct
from daemon.runtime import outbox, packs
from daemon.runtime.context import Runtime
from daemon.slack.poster import SlackError
from daemon.store import Question, StoreError, question_key

log = logging.getLogger("slo_prep.commands")

LIST_LIMIT = 10
_ECHO = 120
# a Slack user or channel id, all that `<@…>` and `<#…>` in our replies may enclose: anything
# else from a request would be markup in them (`U1> <!channel`)
_SLACK_ID = re.compile(r"[A-Z][A-Z0-9]+")


def is_slack_id(value: str) -> bool:
    return _SLACK_ID.fullmatch(value) is not None


@dataclass(frozen=True)
class CommandRequest:
    """The fields of a slash command that the daemon uses (HTTP form or Socket Mode payload)."""

    command: str
    text: str
    user_id: str
    channel_id: str
    response_url: str | None = None


@dataclass(frozen=True)
class Reply:
    text: str
    follow_up: Callable[[], None] | None = None


class Refused(Exception):
    """An ephemeral refusal (not authorized, unknown question, ...); nothing was changed."""


def _short(text: str) -> str:
    text = text if len(text) <= _ECHO else text[: _ECHO - 1] + "…"
    return escape_mrkdwn(text)


def may_act(rt: Runtime, service: ServiceConfig, user_id: str) -> bool:
    """Managers of the service (users, or members of listed user groups); anyone if none."""
    if not service.managers or user_id in service.managers:
        return True
    for group in (g for g in service.managers if g.startswith("S")):
        try:
            if user_id in rt.sink.group_members(group):
                return True
        except SlackError as exc:
            log.warning("could not read user group %s: %s", group, exc.code)
    return False


def _authorize(rt: Runtime, service_name: str, user_id: str, action: str) -> None:
    service = rt.config.service(service_name)
    if service is None or may_act(rt, service, user_id):
        return
    managers = ", ".join(
        f"<!subteam^{g}>" if g.startswith("S") else f"<@{g}>" for g in service.managers
    )
    raise Refused(
        m.CMD_NOT_MANAGER.format(
            service=escape_mrkdwn(service_name), action=action, managers=managers
        )
    )


def _question(rt: Runtime, question_id: str) -> Question:
    # from a button or a modal the id is whatever the client sent: one that cannot be an id
    # never reaches the store (PostgreSQL refuses a NUL in a parameter with an error)
    is_id = parse_commands.is_question_id(question_id)
    question = rt.store.get_question(question_id) if is_id else None
    if question is None:
        raise Refused(m.CMD_UNKNOWN_QUESTION.format(id=escape_mrkdwn(question_id)))
    return question


def _open(question: Question, action: str) -> None:
    if question.status != "open":
        raise Refused(m.CMD_NOT_OPEN.format(id=question.id, status=question.status, action=action))


def handle_command(rt: Runtime, request: CommandRequest) -> Reply:
    """The ephemeral reply to ``request``; counts it in ``slo_prep_commands_total``."""
    for field, value in (("user_id", request.user_id), ("channel_id", request.channel_id)):
        if not is_slack_id(value):
            rt.metrics.commands.labels(subcommand=_sub(request.text), outcome="refused").inc()
            return Reply(m.CMD_BAD_REQUEST.format(field=field))
    parsed = parse_commands.parse(request.text, [s.name for s in rt.config.services])
    if isinstance(parsed, parse_commands.CommandError):
        rt.metrics.commands.labels(subcommand=_sub(request.text), outcome="refused").inc()
        return Reply(parsed.message)
    name = type(parsed).__name__.lower()
    try:
        reply = _dispatch(rt, request, parsed)
    except Refused as refused:
        rt.metrics.commands.labels(subcommand=name, outcome="refused").inc()
        return Reply(str(refused))
    except StoreError:
        error_id = secrets.token_hex(4)
        log.exception("command failed (error id %s)", error_id)
        rt.metrics.commands.labels(subcommand=name, outcome="error").inc()
        return Reply(m.CMD_INTERNAL_ERROR.format(error_id=error_id))
    rt.metrics.commands.labels(subcommand=name, outcome="ok").inc()
    return reply


def _sub(text: str) -> str:
    word = text.split(None, 1)[0].casefold() if text.split() else "help"
    return word if word in parse_commands.SUBCOMMANDS else "unknown"


def _dispatch(rt: Runtime, request: CommandRequest, cmd: parse_commands.Command) -> Reply:
    match cmd:
        case parse_commands.Ask():
            return _ask(rt, request, cmd)
        case parse_commands.ListQuestions():
            return Reply(_list(rt, cmd.service))
        case parse_commands.Show():
            return Reply(_show(rt, _question(rt, cmd.question_id)))
        case parse_commands.Refresh():
            return refresh(rt, cmd.question_id, request.user_id)
        case parse_commands.Cancel():
            question = _question(rt, cmd.question_id)
            _authorize(rt, question.service, request.user_id, m.CMD_ACTION_CHANGE)
            _open(question, "cancelled")
            rt.store.cancel_question(question.id, now=rt.now())
            return Reply(m.CMD_CANCELLED.format(id=question.id))
        case parse_commands.Decide():
            return decide(rt, cmd.question_id, cmd.option_id, cmd.note, request.user_id)
        case parse_commands.Status():
            return _status(rt, request, cmd.service)
        case parse_commands.Help():
            return Reply(parse_commands.help_text(cmd.topic))


def _ask(rt: Runtime, request: CommandRequest, cmd: parse_commands.Ask) -> Reply:
    _authorize(rt, cmd.service, request.user_id, m.CMD_ACTION_REGISTER)
    question = rt.store.add_question(
        service=cmd.service,
        question=cmd.question,
        asked_by=request.user_id,
        channel=request.channel_id,
        now=rt.now(),
        deadline=cmd.deadline,
    )
    deadline = m.CMD_ASK_DEADLINE.format(deadline=cmd.deadline.isoformat()) if cmd.deadline else ""
    text = m.CMD_ASK_REGISTERED.format(
        id=question.id,
        service=escape_mrkdwn(cmd.service),
        question=_short(cmd.question),
        deadline=deadline,
        channel=packs.question_channel(rt, question),
    )

    def draft_and_post() -> None:
        packs.enqueue_question_pack(rt, question, 0)
        outbox.drain(rt)

    return Reply(text, draft_and_post)


def _list(rt: Runtime, service: str | None) -> str:
    questions = rt.store.list_questions(service=service, limit=LIST_LIMIT)
    scope = m.CMD_LIST_SCOPE.format(service=escape_mrkdwn(service)) if service else ""
    if not questions:
        return m.CMD_LIST_EMPTY.format(scope=scope)
    lines = [m.CMD_LIST_HEADER.format(scope=scope)]
    for q in questions:
        lines.append(
            m.CMD_LIST_LINE.format(
                question=_short(q.question),
                id=q.id,
                service=escape_mrkdwn(q.service),
                status=q.status,
                deadline=m.CMD_LIST_DEADLINE.format(deadline=q.deadline.isoformat())
                if q.deadline
                else "",
                user=q.asked_by,
                when=_day(q.created_at),
            )
        )
    return "\n".join(lines)


def _day(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def _show(rt: Runtime, q: Question) -> str:
    stored = rt.store.packs_for_question(q.id)
    latest = ""
    if stored:
        document = json.loads(stored[-1].document)
        latest = m.CMD_SHOW_LATEST.format(
            when=_day(stored[-1].created_at), headline=_headline(document)
        )
    text = m.CMD_SHOW.format(
        id=q.id,
        question=_short(q.question),
        service=escape_mrkdwn(q.service),
        status=q.status,
        deadline=m.CMD_LIST_DEADLINE.format(deadline=q.deadline.isoformat()) if q.deadline else "",
        user=q.asked_by,
        when=_day(q.created_at),
        packs=len(stored),
        latest=latest,
    )
    if q.status == "decided" and q.decided_at is not None:
        note = m.CMD_SHOW_NOTE.format(note=_short(q.decision_note)) if q.decision_note else ""
        by = f"<@{q.decided_by}>" if q.decided_by else "—"
        text += m.CMD_SHOW_DECIDED.format(
            option=q.decided_option, by=by, when=_day(q.decided_at), note=note
        )
    return text


def _headline(document: dict[str, object]) -> str:
    slos = document.get("slos")
    parts = []
    for slo in slos if isinstance(slos, list) else []:
        parts.append(_slo_status(slo))
    return "; ".join(parts) or str(document.get("status"))


def _slo_status(slo: dict[str, object]) -> str:
    name = escape_mrkdwn(str(slo.get("name")))
    budget = slo.get("budget")
    window = slo.get("window")
    if not isinstance(budget, dict) or not isinstance(window, dict):
        problems = slo.get("problems")
        reason = "no data"
        if isinstance(problems, list) and problems and isinstance(problems[0], dict):
            reason = str(problems[0].get("code"))
        return m.CMD_STATUS_SLO_UNMEASURED.format(name=name, reason=escape_mrkdwn(reason))
    return m.CMD_STATUS_SLO.format(
        name=name,
        consumed=pct(budget.get("consumed_fraction")),
        elapsed=pct(window.get("elapsed_fraction")),
        state=escape_mrkdwn(str(slo.get("policy_state"))),
    )


def refresh(rt: Runtime, question_id: str, user_id: str) -> Reply:
    question = _question(rt, question_id)
    _authorize(rt, question.service, user_id, m.CMD_ACTION_CHANGE)
    _open(question, "refreshed")

    def draft_and_post() -> None:
        packs.enqueue_question_pack(rt, question, packs.next_refresh_no(rt, question))
        outbox.drain(rt)

    return Reply(m.CMD_REFRESH_QUEUED.format(id=question.id), draft_and_post)


def decide(rt: Runtime, question_id: str, option_id: str, note: str | None, user_id: str) -> Reply:
    """Record the decision on the question (the audit trail) and post it in the pack's thread."""
    question = _question(rt, question_id)
    _authorize(rt, question.service, user_id, m.CMD_ACTION_CHANGE)
    _open(question, "decided")
    stored = rt.store.packs_for_question(question.id)
    if stored:
        options = [o.get("id") for o in json.loads(stored[-1].document).get("options") or []]
        if options and option_id not in options:
            raise Refused(
                m.CMD_BAD_OPTION_FOR_PACK.format(
                    option=option_id, id=question.id, options=", ".join(map(str, options))
                )
            )
    now = rt.now()
    rt.store.decide_question(question.id, option=option_id, now=now, note=note, by=user_id)
    noted = m.POST_DECISION_NOTE.format(note=escape_mrkdwn(note)) if note else ""
    line = m.POST_DECISION.format(option=option_id, user=user_id, when=_day(now), note=noted)
    parent = question_key(question.id, 0)

    def post() -> None:
        packs.enqueue_reply(
            rt,
            f"decision:{question.id}",
            parent,
            packs.question_channel(rt, question),
            [line],
        )
        outbox.drain(rt)

    return Reply(m.CMD_DECIDED.format(option=option_id, id=question.id), post)


def _status(rt: Runtime, request: CommandRequest, service: str) -> Reply:
    def measure() -> None:
        try:
            document = rt.draft(service, rt.now(), Decision(question=None), rendered=False).document
            slos = document.get("slos") or []
            text = m.CMD_STATUS_LINE.format(
                service=escape_mrkdwn(service),
                slos="; ".join(_slo_status(slo) for slo in slos) or "—",
            )
        except Exception as exc:  # the reply must come, whatever broke
            log.exception("status of %s failed", service)
            text = m.CMD_STATUS_FAILED.format(
                service=escape_mrkdwn(service), reason=escape_mrkdwn(type(exc).__name__)
            )
        send_later(rt, request, text)

    return Reply(m.CMD_STATUS_WORKING.format(service=escape_mrkdwn(service)), measure)


def send_later(rt: Runtime, request: CommandRequest, text: str) -> None:
    """An ephemeral message after the ack: through ``response_url``, else chat.postEphemeral."""
    try:
        if request.response_url:
            rt.sink.respond(request.response_url, text)
        else:
            rt.sink.ephemeral(request.channel_id, request.user_id, text)
    except SlackError as exc:
        log.warning("could not send the delayed reply: %s %s", exc.method, exc.code)
