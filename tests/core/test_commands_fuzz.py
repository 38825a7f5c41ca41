"""Fuzzing the slash-command parser: any text is a command or one of our usage errors, never an
exception; errors echo user text only escaped; an asked question comes back verbatim."""

from __future__ import annotations

import re
from datetime import date

from hypothesis import example, given
from hypothesis import strategies as st

from daemon import messages
from daemon.core import commands
from daemon.core.commands import (
    MAX_NOTE_CHARS,
    MAX_QUESTION_CHARS,
    Ask,
    Command,
    CommandError,
    Decide,
    Help,
    parse,
)
from tests.support.fuzz import (
    HOSTILE,
    QUESTION_ID_ALPHABET,
    SUBCOMMANDS,
    any_text,
    cased,
    command_texts,
    fuzz,
    hostile_fragment,
    marked_text,
    separator,
)

SERVICES = ("checkout", "payments", "search-api", "auth.v2")
_TEMPLATES = (
    messages.CMD_UNKNOWN_SUBCOMMAND,
    messages.CMD_MISSING,
    messages.CMD_EXTRA,
    messages.CMD_UNKNOWN_SERVICE,
    messages.CMD_NO_SERVICES,
    messages.CMD_BAD_QUESTION_ID,
    messages.CMD_BAD_OPTION_ID,
    messages.CMD_QUESTION_TOO_LONG,
    messages.CMD_NOTE_TOO_LONG,
    messages.CMD_BAD_DEADLINE,
    messages.CMD_BAD_CHARACTER,
)


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{[a-z_]+\}", template)
    return re.compile(".*".join(re.escape(p) for p in parts), re.DOTALL)


_USAGE = _pattern(messages.CMD_USAGE_LINE).pattern
# one of our sentences (echoed text may hold line breaks), then the usage line when there is one
_ERRORS = tuple(re.compile(f"{_pattern(t).pattern}(?:\\n{_USAGE})?", re.DOTALL) for t in _TEMPLATES)
# an entity escape_mrkdwn makes; any other `&` would be raw user text
_RAW_AMPERSAND = re.compile(r"&(?!amp;|lt;|gt;)")


def check_error(error: CommandError) -> None:
    """A usage error is one of our sentences, with every piece of user text escaped."""
    message = error.message
    assert "<" not in message and ">" not in message, message
    assert not _RAW_AMPERSAND.search(message), message
    assert any(p.fullmatch(message) for p in _ERRORS), message


def check(text: str, result: Command | CommandError) -> None:
    if isinstance(result, CommandError):
        check_error(result)
    elif isinstance(result, Ask):
        assert result.service in SERVICES
        assert result.question and result.question in text
        assert len(result.question) <= MAX_QUESTION_CHARS
    elif isinstance(result, Decide):
        assert result.note is None or (result.note in text and len(result.note) <= MAX_NOTE_CHARS)
    if not text.split():
        assert result == Help()


@fuzz(ci=400)
@given(text=st.one_of(any_text, command_texts(SERVICES), st.text(max_size=700)))
@example(text="ask checkout \x00 can we ship?")
@example(text="ask checkout " + "x" * MAX_QUESTION_CHARS + " by 2026-11-27")
@example(text="decide Q-ABCDEF o1 " + "\u017f" * (MAX_NOTE_CHARS + 1))
@example(text="help \u2028 ask")
def test_any_text_is_a_command_or_a_clear_error(text: str) -> None:
    check(text, parse(text, SERVICES))


@fuzz(ci=100)
@given(text=st.one_of(any_text, command_texts(SERVICES)))
def test_without_services_every_service_is_unknown(text: str) -> None:
    result = parse(text, [])
    check(text, result)
    assert not isinstance(result, Ask)


def _ends_with_a_date(question: str) -> bool:
    found = question.split()
    return len(found) >= 2 and found[-2].casefold() == "by"


@fuzz(ci=300)
@given(
    sub=cased("ask"),
    service=st.sampled_from(SERVICES).flatmap(cased),
    question=st.one_of(marked_text(), any_text, st.lists(hostile_fragment).map(" ".join)),
    deadline=st.none() | st.dates(),
    gap=separator,
)
@example(sub="ask", service="checkout", question="Ship <!channel> & <@U1>?", deadline=None, gap=" ")
@example(sub="ask", service="checkout", question="Ship by Friday", deadline=None, gap=" ")
def test_the_question_comes_back_verbatim(
    sub: str, service: str, question: str, deadline: date | None, gap: str
) -> None:
    """The question is what was typed between the service and ``by DATE``, ends stripped: the
    expectation follows from how the text was built, not from the parser."""
    text = f"{sub}{gap}{service}{gap}{question}"
    if deadline is not None:
        text += f"{gap}by{gap}{deadline.isoformat()}"
    result = parse(text, SERVICES)
    check(text, result)
    want = question.strip()
    if deadline is None and _ends_with_a_date(want):
        return  # the question's own last two words are "by <something>": covered above
    if not want:
        assert isinstance(result, CommandError)
        assert messages.CMD_MISSING.format(what=messages.CMD_WHAT_QUESTION) in result.message
    elif len(want) > MAX_QUESTION_CHARS:
        assert isinstance(result, CommandError)
        assert f"{len(want)} characters" in result.message
    elif any(c == "\x00" or "\ud800" <= c <= "\udfff" for c in want):
        assert isinstance(result, CommandError)
        assert result.message.startswith(messages.CMD_BAD_CHARACTER.split("{")[0])
    else:
        assert result == Ask(service.casefold(), want, deadline), text


def test_the_strategies_speak_the_parsers_language() -> None:
    # the strategies are only as good as their words and fragments
    assert SUBCOMMANDS == commands.SUBCOMMANDS
    assert QUESTION_ID_ALPHABET == commands.QUESTION_ID_ALPHABET
    assert {"<!channel>", "<!here>", "<@U0BOSS99>", "\x00"} <= set(HOSTILE)
