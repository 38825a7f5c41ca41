"""The fake Slack Web API answers the real ``slack_sdk.WebClient`` as Slack does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.support.fake_slack import (
    HEADER_TEXT_LIMIT,
    MAX_BLOCKS,
    MESSAGE_TEXT_CEILING,
    SECTION_TEXT_LIMIT,
    FakeSlack,
    fake_slack,
)

CHANNEL = "C0SLOPREP1"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with fake_slack() as fake:
        yield fake


def client_for(fake: FakeSlack, token: str | None = "xoxb-test") -> WebClient:
    return WebClient(token=token, base_url=fake.url + "/api/", timeout=5)


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text}}


def api_error(excinfo: pytest.ExceptionInfo[SlackApiError]) -> str:
    error = excinfo.value.response["error"]
    assert isinstance(error, str)
    return error


# --- auth --------------------------------------------------------------------------------------


def test_auth_test_answers_with_the_bot_identity(slack: FakeSlack) -> None:
    response = client_for(slack).auth_test()
    assert response["ok"] is True
    assert response["user_id"].startswith("U")
    assert slack.calls[0].method == "auth.test"
    assert slack.calls[0].headers["authorization"] == "Bearer xoxb-test"


def test_missing_token_is_not_authed(slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client_for(slack, token=None).chat_postMessage(channel=CHANNEL, text="hi")
    assert api_error(excinfo) == "not_authed"
    assert excinfo.value.response.status_code == 200
    assert slack.messages == []


def test_wrong_token_is_invalid_auth(slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client_for(slack, token="xoxb-wrong").auth_test()
    assert api_error(excinfo) == "invalid_auth"


def test_token_as_a_form_parameter_is_accepted(slack: FakeSlack) -> None:
    response = client_for(slack, token=None).api_call("auth.test", params={"token": "xoxb-test"})
    assert response["ok"] is True


def test_unknown_method(slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client_for(slack).api_call("chat.frobnicate")
    assert api_error(excinfo) == "unknown_method"


# --- chat.postMessage --------------------------------------------------------------------------


def test_post_message_returns_ts_and_channel_and_records_the_thread(slack: FakeSlack) -> None:
    client = client_for(slack)
    parent = client.chat_postMessage(channel=CHANNEL, text="parent", blocks=[section("p")])
    reply = client.chat_postMessage(channel=CHANNEL, text="reply", thread_ts=parent["ts"])
    assert parent["channel"] == CHANNEL
    assert parent["ts"] != reply["ts"]
    assert float(parent["ts"]) < float(reply["ts"])
    assert [(m.text, m.thread_ts) for m in slack.messages] == [
        ("parent", None),
        ("reply", parent["ts"]),
    ]
    assert slack.messages[0].blocks == [section("p")]
    assert slack.calls[0].headers["content-type"].startswith("application/json")


def test_form_encoded_blocks_are_parsed_and_checked(slack: FakeSlack) -> None:
    client = client_for(slack)
    ok = client.api_call(
        "chat.postMessage",
        params={"channel": CHANNEL, "text": "t", "blocks": json.dumps([section("form")])},
    )
    assert ok["ok"] is True
    assert slack.calls[0].headers["content-type"] == "application/x-www-form-urlencoded"
    assert slack.messages[0].blocks == [section("form")]
    too_many = json.dumps([section("x")] * (MAX_BLOCKS + 1))
    with pytest.raises(SlackApiError) as excinfo:
        client.api_call(
            "chat.postMessage", params={"channel": CHANNEL, "text": "t", "blocks": too_many}
        )
    assert api_error(excinfo) == "invalid_blocks"


def test_blocks_that_are_not_json_are_invalid_blocks_format(slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client_for(slack).api_call(
            "chat.postMessage", params={"channel": CHANNEL, "blocks": "[{not json"}
        )
    assert api_error(excinfo) == "invalid_blocks_format"


def test_fifty_blocks_pass_fifty_one_are_invalid_blocks(slack: FakeSlack) -> None:
    client = client_for(slack)
    client.chat_postMessage(channel=CHANNEL, text="t", blocks=[section("x")] * MAX_BLOCKS)
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel=CHANNEL, text="t", blocks=[section("x")] * (MAX_BLOCKS + 1))
    assert api_error(excinfo) == "invalid_blocks"
    assert excinfo.value.response["errors"] == [
        "no more than 50 items allowed [json-pointer:/blocks]"
    ]
    assert len(slack.messages) == 1


@pytest.mark.parametrize(
    ("make", "limit"),
    [(section, SECTION_TEXT_LIMIT), (header, HEADER_TEXT_LIMIT)],
    ids=["section", "header"],
)
def test_text_limits_per_block(slack: FakeSlack, make: Any, limit: int) -> None:
    client = client_for(slack)
    client.chat_postMessage(channel=CHANNEL, text="t", blocks=[make("a" * limit)])
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel=CHANNEL, text="t", blocks=[make("a" * (limit + 1))])
    assert api_error(excinfo) == "invalid_blocks"
    assert excinfo.value.response["errors"] == [
        f"must be less than {limit + 1} characters [json-pointer:/blocks/0/text/text]"
    ]


def test_lengths_are_counted_in_utf16_code_units(slack: FakeSlack) -> None:
    client = client_for(slack)
    emoji = "\U0001f600"  # two UTF-16 code units
    client.chat_postMessage(channel=CHANNEL, text="t", blocks=[section(emoji * 1500)])
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel=CHANNEL, text="t", blocks=[section(emoji * 1501)])
    assert api_error(excinfo) == "invalid_blocks"


def test_header_must_be_plain_text_and_texts_non_empty(slack: FakeSlack) -> None:
    client = client_for(slack)
    bad = [
        {"type": "header", "text": {"type": "mrkdwn", "text": "*h*"}},
        section(""),
        {"type": "section"},
        {"type": "no_such_block"},
        {"type": "context", "elements": []},
    ]
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel=CHANNEL, text="t", blocks=bad)
    assert api_error(excinfo) == "invalid_blocks"
    pointers = [e.rsplit("[json-pointer:", 1)[1] for e in excinfo.value.response["errors"]]
    assert pointers == [
        "/blocks/0/text/type]",
        "/blocks/1/text/text]",
        "/blocks/2]",
        "/blocks/3/type]",
        "/blocks/4/elements]",
    ]


def test_duplicate_block_ids_are_invalid(slack: FakeSlack) -> None:
    blocks = [{**section("a"), "block_id": "b1"}, {**section("b"), "block_id": "b1"}]
    with pytest.raises(SlackApiError) as excinfo:
        client_for(slack).chat_postMessage(channel=CHANNEL, text="t", blocks=blocks)
    assert api_error(excinfo) == "invalid_blocks"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_too_much_text_in_one_message_is_msg_blocks_too_long(slack: FakeSlack) -> None:
    client = client_for(slack)
    chunk = "a" * 2_750  # 4 x 2,750 = 11,000: at the ceiling, with no fallback text
    client.chat_postMessage(channel=CHANNEL, blocks=[section(chunk)] * 4)
    assert 4 * len(chunk) == MESSAGE_TEXT_CEILING
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel=CHANNEL, text="fallback", blocks=[section(chunk)] * 4)
    assert api_error(excinfo) == "msg_blocks_too_long"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_a_message_without_text_or_blocks_is_no_text(slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client_for(slack).chat_postMessage(channel=CHANNEL)
    assert api_error(excinfo) == "no_text"


def test_known_channels_only_when_given() -> None:
    with fake_slack(channels={CHANNEL}) as slack:
        client = client_for(slack)
        client.chat_postMessage(channel=CHANNEL, text="hi")
        with pytest.raises(SlackApiError) as excinfo:
            client.chat_postMessage(channel="C0NOWHERE", text="hi")
    assert api_error(excinfo) == "channel_not_found"


# --- scripted faults ---------------------------------------------------------------------------


def test_rate_limit_is_a_429_with_retry_after_then_normal_service(slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=3)
    client = client_for(slack)
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel=CHANNEL, text="hi")
    response = excinfo.value.response
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    assert response["error"] == "ratelimited"
    assert client.chat_postMessage(channel=CHANNEL, text="hi")["ok"] is True
    assert len(slack.calls_to("chat.postMessage")) == 2
    assert len(slack.messages) == 1


def test_fail_next_with_an_error_code_answers_200_count_times(slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", error="channel_not_found", count=2)
    client = client_for(slack)
    for _ in range(2):
        with pytest.raises(SlackApiError) as excinfo:
            client.chat_postMessage(channel=CHANNEL, text="hi")
        assert api_error(excinfo) == "channel_not_found"
        assert excinfo.value.response.status_code == 200
    client.chat_postMessage(channel=CHANNEL, text="hi")
    client.auth_test()  # other methods are never affected


def test_server_error(slack: FakeSlack) -> None:
    slack.fail_next("auth.test", status=503)
    with pytest.raises(SlackApiError) as excinfo:
        client_for(slack).auth_test()
    assert excinfo.value.response.status_code == 503


# --- other methods -----------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_post_ephemeral_and_update(slack: FakeSlack) -> None:
    client = client_for(slack)
    eph = client.chat_postEphemeral(channel=CHANNEL, user="U0ASKER01", text="only you")
    assert eph["message_ts"]
    assert slack.messages[0].ephemeral and slack.messages[0].user == "U0ASKER01"
    posted = client.chat_postMessage(channel=CHANNEL, text="draft")
    updated = client.chat_update(channel=CHANNEL, ts=posted["ts"], text="final")
    assert updated["ts"] == posted["ts"]
    assert slack.messages[1].text == "final"
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_update(channel=CHANNEL, ts="1.000001", text="x")
    assert api_error(excinfo) == "message_not_found"
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_update(
            channel=CHANNEL, ts=posted["ts"], blocks=[section("a" * (SECTION_TEXT_LIMIT + 1))]
        )
    assert api_error(excinfo) == "invalid_blocks"


def test_views_open(slack: FakeSlack) -> None:
    client = client_for(slack)
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Ask"}, "blocks": []}
    response = client.views_open(trigger_id="123.456.abc", view=view)
    assert response["view"]["id"].startswith("V")
    assert slack.views == [view]
    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id="", view=view)
    assert api_error(excinfo) == "invalid_arguments"


def test_files_upload_v2_goes_through_all_three_steps(slack: FakeSlack) -> None:
    client = client_for(slack)
    parent = client.chat_postMessage(channel=CHANNEL, text="parent")
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    response = client.files_upload_v2(
        channel=CHANNEL, thread_ts=parent["ts"], file=png, filename="burn-down.png"
    )
    assert response["file"]["id"] == slack.files[0].file_id
    assert [c.method for c in slack.calls] == [
        "chat.postMessage",
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    (uploaded,) = slack.files
    assert uploaded.completed
    assert uploaded.content == png
    assert uploaded.length == len(png)
    assert (uploaded.filename, uploaded.channel_id, uploaded.thread_ts) == (
        "burn-down.png",
        CHANNEL,
        parent["ts"],
    )


def test_complete_upload_needs_the_upload_and_a_known_file(slack: FakeSlack) -> None:
    client = client_for(slack)
    url = client.files_getUploadURLExternal(filename="a.png", length=3)
    with pytest.raises(SlackApiError) as excinfo:
        client.files_completeUploadExternal(files=[{"id": url["file_id"]}], channel_id=CHANNEL)
    assert api_error(excinfo) == "file_upload_not_completed"
    with pytest.raises(SlackApiError) as excinfo:
        client.files_completeUploadExternal(files=[{"id": "F0NOPE"}], channel_id=CHANNEL)
    assert api_error(excinfo) == "file_not_found"
