"""The /slo-prep slash-command parser: every subcommand, its errors, and what it echoes."""

from __future__ import annotations

from datetime import date

import pytest

from daemon.core.commands import (
    MAX_QUESTION_CHARS,
    SUBCOMMANDS,
    Ask,
    Cancel,
    Command,
    CommandError,
    Decide,
    Help,
    ListQuestions,
    Refresh,
    Show,
    Status,
    escape_mrkdwn,
    help_text,
    parse,
)

SERVICES = ("checkout", "payments", "Search-API")
QID = "Q-7K2M9P"


def error(text: str, services: tuple[str, ...] = SERVICES) -> str:
    result = parse(text, services)
    assert isinstance(result, CommandError), result
    return result.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # help
        ("", Help()),
        ("   \n\t ", Help()),
        ("help", Help()),
        ("HELP", Help()),
        ("help ask", Help(topic="ask")),
        ("help Decide", Help(topic="decide")),
        # ask
        (
            "ask checkout Can we ship the new cart?",
            Ask("checkout", "Can we ship the new cart?", None),
        ),
        (
            "ask checkout Can we ship the new cart? by 2026-12-04",
            Ask("checkout", "Can we ship the new cart?", date(2026, 12, 4)),
        ),
        (
            "  Ask   checkout   Can we ship?   BY   2026-12-04  ",
            Ask("checkout", "Can we ship?", date(2026, 12, 4)),
        ),
        (
            "ask checkout Can we be done by Friday?",
            Ask("checkout", "Can we be done by Friday?", None),
        ),
        (
            "ask checkout Can we be done by 2026-12-01 or by 2026-12-04",
            Ask("checkout", "Can we be done by 2026-12-01 or", date(2026, 12, 4)),
        ),
        (
            "ask checkout by 2026-12-01 can we ship?",
            Ask("checkout", "by 2026-12-01 can we ship?", None),
        ),
        (
            "ask checkout Ship  v2   with\ttabs\nand lines? by 2026-12-04",
            Ask("checkout", "Ship  v2   with\ttabs\nand lines?", date(2026, 12, 4)),
        ),
        (
            "ask checkout Ship by 2026-12-04 please",
            Ask("checkout", "Ship by 2026-12-04 please", None),
        ),
        ("ask checkout Ship by v1.2.3", Ask("checkout", "Ship by v1.2.3", None)),
        ("ask checkout by", Ask("checkout", "by", None)),
        (
            "ask checkout Können wir den Warenkorb ausrollen? 🚀🛒 by 2026-12-04",
            Ask("checkout", "Können wir den Warenkorb ausrollen? 🚀🛒", date(2026, 12, 4)),
        ),
        (
            "ask checkout 出荷できますか\uff1f:rocket:",
            Ask("checkout", "出荷できますか\uff1f:rocket:", None),
        ),
        (
            "ask checkout <!channel> can we ship <@U123|bob> & co?",
            Ask("checkout", "<!channel> can we ship <@U123|bob> & co?", None),
        ),
        ("ask CHECKOUT ship?", Ask("checkout", "ship?", None)),
        ("ask search-api ship?", Ask("Search-API", "ship?", None)),
        # list
        ("list", ListQuestions(None)),
        ("list payments", ListQuestions("payments")),
        # show / refresh / cancel
        (f"show {QID}", Show(QID)),
        ("show q-7k2m9p", Show(QID)),
        (f"refresh {QID}", Refresh(QID)),
        (f"cancel {QID}", Cancel(QID)),
        # decide
        (f"decide {QID} O2", Decide(QID, "O2", None)),
        (f"decide {QID} o6   ", Decide(QID, "O6", None)),
        (
            f"decide {QID} O1 Ship behind a flag;  revisit  <!here> Monday 👍",
            Decide(QID, "O1", "Ship behind a flag;  revisit  <!here> Monday 👍"),
        ),
        # status
        ("status payments", Status("payments")),
    ],
)
def test_parses(text: str, expected: Command) -> None:
    assert parse(text, SERVICES) == expected


def test_question_of_500_characters_is_accepted_501_refused() -> None:
    at_limit = "é" * (MAX_QUESTION_CHARS - 1) + "?"
    assert parse(f"ask checkout {at_limit} by 2026-12-04", SERVICES) == Ask(
        "checkout", at_limit, date(2026, 12, 4)
    )
    message = error(f"ask checkout {at_limit}x")
    assert "501 characters" in message and "limit is 500" in message
    assert "Usage: `/slo-prep ask" in message


def test_limit_counts_characters_not_bytes_and_excludes_the_deadline() -> None:
    emoji = "🚀" * MAX_QUESTION_CHARS
    result = parse(f"ask checkout {emoji} by 2026-12-04", SERVICES)
    assert result == Ask("checkout", emoji, date(2026, 12, 4))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ask", "Missing service."),
        ("ask checkout", "Missing question."),
        ("ask checkout    ", "Missing question."),
        ("ask checkout by 2026-12-04", "Missing question."),
        ("show", "Missing question id."),
        ("refresh", "Missing question id."),
        ("cancel", "Missing question id."),
        ("decide", "Missing question id."),
        (f"decide {QID}", "Missing option id."),
        ("status", "Missing service."),
    ],
)
def test_missing_arguments(text: str, expected: str) -> None:
    message = error(text)
    assert message.startswith(expected)
    sub = text.split()[0]
    assert f"Usage: `/slo-prep {sub} " in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ask checkout Ship? by 2026-13-40", "“2026-13-40” is not a valid deadline"),
        ("ask checkout Ship? by 2026-02-30", "“2026-02-30” is not a valid deadline"),
        ("ask checkout Ship? by 12/04/2026", "“12/04/2026” is not a valid deadline"),
        ("ask checkout Ship? by 2026-12-4", "“2026-12-4” is not a valid deadline"),
        ("show Q-7K2M9", "“Q-7K2M9” is not a question id"),
        ("show Q-7K2M9O", "“Q-7K2M9O” is not a question id"),  # O is not in the alphabet
        ("show Q-7K2M91", "“Q-7K2M91” is not a question id"),  # neither is 1
        ("show 7K2M9P", "“7K2M9P” is not a question id"),
        ("show Q-\u017fK2M9P", "“Q-\u017fK2M9P” is not a question id"),  # long s upper-cases to S
        (f"decide {QID} O7", "“O7” is not an option id"),
        (f"decide {QID} 1", "“1” is not an option id"),
        (f"decide {QID} O0 note", "“O0” is not an option id"),
        (f"show {QID} now", "Unexpected text after question id: “now”"),
        (f"cancel {QID} {QID}", f"Unexpected text after question id: “{QID}”"),
        ("status checkout payments", "Unexpected text after service: “payments”"),
        ("list checkout payments", "Unexpected text after service: “payments”"),
        ("help ask please", "Unexpected text after ask: “please”"),
    ],
)
def test_invalid_arguments(text: str, expected: str) -> None:
    message = error(text)
    assert message.startswith(expected), message
    sub = text.split()[0]
    assert f"Usage: `/slo-prep {sub} " in message


def test_decide_note_over_the_limit_is_refused() -> None:
    message = error(f"decide {QID} O1 " + "n" * 501)
    assert "The note is 501 characters long; the limit is 500." in message


@pytest.mark.parametrize("text", ["ask shop Ship?", "list shop", "status shop", "status check-out"])
def test_unknown_service_lists_the_known_ones(text: str) -> None:
    message = error(text)
    assert message.startswith("Unknown service “")
    assert "Known services: checkout, payments, Search-API." in message


def test_unknown_service_without_configured_services() -> None:
    assert error("status checkout", ()).startswith(
        "Unknown service “checkout”: no services are configured."
    )


def test_ambiguous_case_insensitive_service_is_unknown() -> None:
    services = ("Checkout", "checkout")
    assert parse("status checkout", services) == Status("checkout")
    assert error("status CHECKOUT", services).startswith("Unknown service")


@pytest.mark.parametrize("text", ["deploy checkout", "asks checkout x", "?", "/slo-prep ask"])
def test_unknown_subcommand_lists_the_subcommands(text: str) -> None:
    message = error(text)
    assert "is not a `/slo-prep` subcommand" in message
    assert "Subcommands: ask, list, show, refresh, cancel, decide, status, help." in message


def test_help_on_unknown_topic() -> None:
    assert "“deploy” is not a `/slo-prep` subcommand" in error("help deploy")


@pytest.mark.parametrize(
    "text",
    [
        "<!channel> hello",
        "ask <!channel> Ship?",
        "status <@U123>&",
        "show <https://evil.example|Q-7K2M9P>",
        f"decide {QID} <!here>",
        "list <!everyone>&amp;",
        "help <!subteam^S123>",
        f"show {QID} <!channel>",
    ],
)
def test_user_text_is_escaped_in_errors(text: str) -> None:
    message = error(text, ("checkout", "a<b>&c"))
    assert "<" not in message and ">" not in message
    assert "&lt;" in message
    assert "&" not in message.replace("&lt;", "").replace("&gt;", "").replace("&amp;", "")


def test_channel_mention_is_kept_verbatim_when_the_command_is_valid() -> None:
    result = parse("ask checkout <!channel> ship?", SERVICES)
    assert isinstance(result, Ask) and result.question == "<!channel> ship?"


def test_long_echo_is_shortened() -> None:
    message = error("x" * 4000)
    assert len(message) < 300
    assert "…" in message


@pytest.mark.parametrize("sub", ["ask", "list", "show", "status", "decide"])
def test_every_error_has_no_raw_angle_brackets(sub: str) -> None:
    # the usage lines contain <service> etc.: escaped too
    message = error(f"{sub} <x>")
    assert "<" not in message and ">" not in message


def test_escape_mrkdwn() -> None:
    assert escape_mrkdwn("a & <b> &amp;") == "a &amp; &lt;b&gt; &amp;amp;"
    assert escape_mrkdwn("🚀 plain") == "🚀 plain"


def test_help_text_lists_every_subcommand_escaped() -> None:
    text = help_text()
    for sub in SUBCOMMANDS:
        assert f"`/slo-prep {sub}" in text
    assert "<" not in text and "&lt;service&gt;" in text
    assert help_text("status") == "• `/slo-prep status &lt;service&gt;`"
