"""The ``/slo-prep`` slash command: its text parsed into a typed command or a usage error.

Pure: no I/O, no clock. ``parse(text, known_services)`` returns one of the command dataclasses
below or a ``CommandError`` whose ``message`` is Slack mrkdwn, safe to post as is: every piece
of user text it echoes (and every usage line, which contains ``<...>``) goes through
``escape_mrkdwn``. The parsed commands themselves carry user text verbatim (``Ask.question``,
``Decide.note``); whoever renders them escapes them.

Grammar (subcommand words are case-insensitive; empty text means ``help``)::

    ask <service> <question> [by YYYY-MM-DD]
    list [service]
    show <question-id> | refresh <question-id> | cancel <question-id>
    decide <question-id> <option-id> [note]
    status <service>
    help [subcommand]

``by YYYY-MM-DD`` is the deadline only when it is exactly the last two words of ``ask``; any
other ``by`` belongs to the question. A trailing ``by`` followed by something date-shaped that is
not a real YYYY-MM-DD date (``by 2026-13-40``, ``by 12/04/2026``) is refused rather than
silently kept in the question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from daemon import messages
from daemon.core.mrkdwn import escape_mrkdwn

MAX_QUESTION_CHARS = 500
MAX_NOTE_CHARS = 500
QUESTION_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
SUBCOMMANDS = ("ask", "list", "show", "refresh", "cancel", "decide", "status", "help")

_QUESTION_ID = re.compile(rf"Q-[{QUESTION_ID_ALPHABET}]{{6}}")
_OPTION_ID = re.compile(r"O[1-6]")
_DEADLINE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
# what a person meant as a date, right or wrong: refused when it is not a real YYYY-MM-DD
_DATE_SHAPED = re.compile(r"[0-9]+[-/][0-9]+[-/][0-9]+")
_ECHO_LIMIT = 60


@dataclass(frozen=True)
class Ask:
    service: str
    question: str
    deadline: date | None


@dataclass(frozen=True)
class ListQuestions:
    service: str | None


@dataclass(frozen=True)
class Show:
    question_id: str


@dataclass(frozen=True)
class Refresh:
    question_id: str


@dataclass(frozen=True)
class Cancel:
    question_id: str


@dataclass(frozen=True)
class Decide:
    question_id: str
    option_id: str
    note: str | None


@dataclass(frozen=True)
class Status:
    service: str


@dataclass(frozen=True)
class Help:
    topic: str | None = None


@dataclass(frozen=True)
class CommandError:
    """A usage error; ``message`` is mrkdwn with all user text escaped."""

    message: str


Command = Ask | ListQuestions | Show | Refresh | Cancel | Decide | Status | Help


def usage(subcommand: str) -> str:
    """The usage line of ``subcommand``, escaped for mrkdwn."""
    return messages.CMD_USAGE_LINE.format(usage=escape_mrkdwn(messages.CMD_USAGE[subcommand]))


def help_text(topic: str | None = None) -> str:
    """The help for one subcommand, or every usage line; mrkdwn."""
    topics = SUBCOMMANDS if topic is None else (topic,)
    lines = [messages.CMD_HELP_INTRO] if topic is None else []
    lines += [
        messages.CMD_HELP_LINE.format(usage=escape_mrkdwn(messages.CMD_USAGE[name]))
        for name in topics
    ]
    return "\n".join(lines)


def parse(text: str, known_services: Sequence[str]) -> Command | CommandError:
    """The command ``text`` (the slash command's ``text`` field) asks for, or why it is wrong."""
    word, rest = _split_first(text)
    if not word:
        return Help()
    sub = word.casefold()
    if sub not in SUBCOMMANDS:
        return CommandError(
            messages.CMD_UNKNOWN_SUBCOMMAND.format(
                word=_echo(word), subcommands=", ".join(SUBCOMMANDS)
            )
        )
    try:
        return _PARSERS[sub](rest, tuple(known_services))
    except _Usage as problem:
        return CommandError(f"{problem.message}\n{usage(sub)}")


class _Usage(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _split_first(text: str) -> tuple[str, str]:
    """The first whitespace-separated word and the rest with its ends stripped."""
    parts = text.split(None, 1)
    if not parts:
        return "", ""
    return parts[0], parts[1].strip() if len(parts) > 1 else ""


def _echo(text: str) -> str:
    """User text to quote in a message: shortened, then escaped (no entity is ever cut)."""
    if len(text) > _ECHO_LIMIT:
        text = text[: _ECHO_LIMIT - 1] + "…"
    return escape_mrkdwn(text)


def _missing(what: str) -> _Usage:
    return _Usage(messages.CMD_MISSING.format(what=what))


def _no_extra(rest: str, after: str) -> None:
    if rest:
        raise _Usage(messages.CMD_EXTRA.format(what=after, extra=_echo(rest)))


def _service(word: str, known: Sequence[str]) -> str:
    """The configured name of ``word``: exact match, else the only case-insensitive match."""
    if word in known:
        return word
    folded = [name for name in known if name.casefold() == word.casefold()]
    if len(folded) == 1:
        return folded[0]
    if not known:
        raise _Usage(messages.CMD_NO_SERVICES.format(service=_echo(word)))
    raise _Usage(
        messages.CMD_UNKNOWN_SERVICE.format(
            service=_echo(word), known=", ".join(escape_mrkdwn(name) for name in known)
        )
    )


def _question_id(word: str) -> str:
    upper = word.upper()  # ASCII only: U+017F (long s) upper-cases to "S"
    if not word.isascii() or not _QUESTION_ID.fullmatch(upper):
        raise _Usage(messages.CMD_BAD_QUESTION_ID.format(value=_echo(word)))
    return upper


def _option_id(word: str) -> str:
    upper = word.upper()
    if not word.isascii() or not _OPTION_ID.fullmatch(upper):
        raise _Usage(messages.CMD_BAD_OPTION_ID.format(value=_echo(word)))
    return upper


def _deadline(word: str) -> date:
    match = _DEADLINE.fullmatch(word)
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    raise _Usage(messages.CMD_BAD_DEADLINE.format(value=_echo(word)))


def _split_deadline(rest: str) -> tuple[str, date | None]:
    """The question and its deadline, when the last two words are ``by`` and a date."""
    words = rest.split()
    if len(words) < 2 or words[-2].casefold() != "by" or not _DATE_SHAPED.fullmatch(words[-1]):
        return rest, None
    deadline = _deadline(words[-1])
    question = rest.rstrip()[: -len(words[-1])].rstrip()
    question = question[: -len(words[-2])].rstrip()
    return question, deadline


def unstorable(text: str, what: str) -> str | None:
    """Why ``text`` cannot be stored, or None. The store keeps UTF-8 text without NUL
    (PostgreSQL cannot hold U+0000; a lone surrogate, which a Socket Mode JSON payload can
    carry, is not UTF-8): refused up front with a reason, not failed on at the insert."""
    for char in text:
        if char == "\x00" or "\ud800" <= char <= "\udfff":
            return messages.CMD_BAD_CHARACTER.format(what=what, char=f"U+{ord(char):04X}")
    return None


def is_question_id(value: str) -> bool:
    """``Q-`` and six of the id alphabet, exactly (as stored: upper case)."""
    return _QUESTION_ID.fullmatch(value) is not None


def is_option_id(value: str) -> bool:
    """``O1`` to ``O6``, exactly (the modal's option, unlike the command's, is not upper-cased)."""
    return _OPTION_ID.fullmatch(value) is not None


def _storable(text: str, what: str) -> None:
    problem = unstorable(text, what)
    if problem is not None:
        raise _Usage(problem)


def _parse_ask(rest: str, known: Sequence[str]) -> Command:
    word, rest = _split_first(rest)
    if not word:
        raise _missing(messages.CMD_WHAT_SERVICE)
    service = _service(word, known)
    question, deadline = _split_deadline(rest)
    if not question:
        raise _missing(messages.CMD_WHAT_QUESTION)
    if len(question) > MAX_QUESTION_CHARS:
        raise _Usage(
            messages.CMD_QUESTION_TOO_LONG.format(length=len(question), limit=MAX_QUESTION_CHARS)
        )
    _storable(question, messages.CMD_WHAT_QUESTION)
    return Ask(service=service, question=question, deadline=deadline)


def _parse_list(rest: str, known: Sequence[str]) -> Command:
    word, rest = _split_first(rest)
    if not word:
        return ListQuestions(service=None)
    service = _service(word, known)
    _no_extra(rest, messages.CMD_WHAT_SERVICE)
    return ListQuestions(service=service)


def _one_question_id(rest: str) -> str:
    word, rest = _split_first(rest)
    if not word:
        raise _missing(messages.CMD_WHAT_QUESTION_ID)
    question_id = _question_id(word)
    _no_extra(rest, messages.CMD_WHAT_QUESTION_ID)
    return question_id


def _parse_show(rest: str, known: Sequence[str]) -> Command:
    return Show(question_id=_one_question_id(rest))


def _parse_refresh(rest: str, known: Sequence[str]) -> Command:
    return Refresh(question_id=_one_question_id(rest))


def _parse_cancel(rest: str, known: Sequence[str]) -> Command:
    return Cancel(question_id=_one_question_id(rest))


def _parse_decide(rest: str, known: Sequence[str]) -> Command:
    word, rest = _split_first(rest)
    if not word:
        raise _missing(messages.CMD_WHAT_QUESTION_ID)
    question_id = _question_id(word)
    word, note = _split_first(rest)
    if not word:
        raise _missing(messages.CMD_WHAT_OPTION_ID)
    option_id = _option_id(word)
    if len(note) > MAX_NOTE_CHARS:
        raise _Usage(messages.CMD_NOTE_TOO_LONG.format(length=len(note), limit=MAX_NOTE_CHARS))
    _storable(note, messages.CMD_WHAT_NOTE)
    return Decide(question_id=question_id, option_id=option_id, note=note or None)


def _parse_status(rest: str, known: Sequence[str]) -> Command:
    word, rest = _split_first(rest)
    if not word:
        raise _missing(messages.CMD_WHAT_SERVICE)
    service = _service(word, known)
    _no_extra(rest, messages.CMD_WHAT_SERVICE)
    return Status(service=service)


def _parse_help(rest: str, known: Sequence[str]) -> Command:
    word, rest = _split_first(rest)
    if not word:
        return Help()
    topic = word.casefold()
    if topic not in SUBCOMMANDS:
        raise _Usage(
            messages.CMD_UNKNOWN_SUBCOMMAND.format(
                word=_echo(word), subcommands=", ".join(SUBCOMMANDS)
            )
        )
    _no_extra(rest, topic)
    return Help(topic=topic)


_PARSERS = {
    "ask": _parse_ask,
    "list": _parse_list,
    "show": _parse_show,
    "refresh": _parse_refresh,
    "cancel": _parse_cancel,
    "decide": _parse_decide,
    "status": _parse_status,
    "help": _parse_help,
}
