"""The daemon's ends to the outside: the ``http``, ``slack``, ``alertmanager`` and ``alerts``
sections, and each service's ``slack_channel`` and ``managers``."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from daemon.config.model import AlertmanagerConfig, AlertsConfig, HttpConfig, SlackConfig
from daemon.config.paths import item
from daemon.config.reader import Reader, Text, describe, quote

_HTTP_KEYS = ("listen",)
_SLACK_KEYS = (
    "mode",
    "api_url",
    "bot_token",
    "app_token",
    "signing_secret",
    "sre_channel",
    "command",
    "output_dir",
)
_ALERTMANAGER_KEYS = ("token",)
_ALERTS_KEYS = ("match", "service_label")
_SLACK_DEFAULTS = SlackConfig()
_ALERTS_DEFAULTS = AlertsConfig()
SlackMode = Literal["off", "socket", "http"]
_SLACK_MODES: tuple[SlackMode, ...] = ("off", "socket", "http")
# the secrets each mode needs, besides those of the others
_NEEDED_BY: dict[str, tuple[SlackMode, ...]] = {
    "bot_token": ("socket", "http"),
    "app_token": ("socket",),
    "signing_secret": ("http",),
}
_TOKEN_PREFIXES = {"bot_token": "xoxb-", "app_token": "xapp-"}
_TOKEN_KINDS = {"xoxb-": "a bot token", "xapp-": "an app-level token", "xoxp-": "a user token"}
_LISTEN_FORM = "host:port, as in 0.0.0.0:8080 or [::]:8080"
_PORT = re.compile(r"^[0-9]{1,5}$")
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_USERINFO = re.compile(r"//[^/@]*@")
_CHANNEL = re.compile(r"^[CGD][A-Z0-9]{6,}$")
_CHANNEL_WHAT = "a Slack channel id, as in C0123456789, not the #name"
_MANAGER = re.compile(r"^[UWS][A-Z0-9]{6,}$")
_MANAGER_WHAT = "a Slack user id (U... or W...) or user-group id (S...), not the @name"
_COMMAND = re.compile(r"^/[a-z0-9_-]{1,31}$")
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


def read_http(r: Reader, value: object, path: str) -> HttpConfig | None:
    f = r.mapping(value, path, _HTTP_KEYS)
    if f is None:
        return None
    listen = f.required("listen", lambda v, p: _listen(r, v, p))
    if listen is None:
        return None
    host, port = listen
    return HttpConfig(listen_host=host, listen_port=port)


def _listen(r: Reader, value: object, path: str) -> tuple[str, int] | None:
    """``host:port``: an IPv4 address, an ``[IPv6]`` address or a host name, and a port from 0
    (any free one, for tests) to 65535."""
    text = r.text(value, path)
    if text is None:
        return None
    host, sep, port = text.value.strip().rpartition(":")
    if not sep or not host:
        hint = "; add the port" if not sep else ""
        r.add(path, f"must be {_LISTEN_FORM} (got {quote(text.shown)}){hint}")
        return None
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        if not _is_ip(host, 6):
            r.add(path, f"must have an IPv6 address in the brackets (got {quote(text.shown)})")
            return None
    elif ":" in host:
        hint = "; put an IPv6 address in brackets, as in [::1]:8080" if _is_ip(host, 6) else ""
        r.add(path, f"must be {_LISTEN_FORM} (got {quote(text.shown)}){hint}")
        return None
    elif not _is_ip(host, 4) and not _is_host_name(host):
        r.add(
            path,
            "must have an IPv4 address, an [IPv6] address or a host name before the port "
            f"(got {quote(text.shown)})",
        )
        return None
    if not _PORT.fullmatch(port) or int(port) > 65535:
        r.add(path, f"must have a port from 0 to 65535 after the colon (got {quote(text.shown)})")
        return None
    return host, int(port)


def _is_ip(text: str, version: int) -> bool:
    try:
        return ipaddress.ip_address(text).version == version
    except ValueError:
        return False


def _is_host_name(text: str) -> bool:
    labels = text.removesuffix(".").split(".")
    # all digits and dots is a mistyped IPv4 address, not a name
    if all(label.isdigit() for label in labels):
        return False
    return len(text) <= 253 and all(_HOST_LABEL.fullmatch(label) for label in labels)


def read_slack(r: Reader, value: object, path: str) -> SlackConfig | None:
    f = r.mapping(value, path, _SLACK_KEYS)
    if f is None:
        return None
    defaults = _SLACK_DEFAULTS
    mode = f.required("mode", lambda v, p: _slack_mode(r, v, p))
    api_url = f.optional("api_url", lambda v, p: _api_url(r, v, p))
    bot_token = f.optional("bot_token", lambda v, p: _token(r, v, p, "bot_token"))
    app_token = f.optional("app_token", lambda v, p: _token(r, v, p, "app_token"))
    signing_secret = f.optional("signing_secret", r.secret)
    sre_channel = f.optional("sre_channel", lambda v, p: r.matching(v, p, _CHANNEL, _CHANNEL_WHAT))
    command = f.optional("command", lambda v, p: _command(r, v, p))
    output_dir = f.optional("output_dir", r.text)
    if mode is None:
        return None
    # given but wrong, a secret has been reported: it is not also missing
    missing = [key for key, modes in _NEEDED_BY.items() if mode in modes and not f.has(key)]
    for key in missing:
        r.add(f.at(key), f"required when {f.at('mode')} is {mode}")
    if missing:
        return None
    return SlackConfig(
        mode=mode,
        api_url=api_url if api_url is not None else defaults.api_url,
        bot_token=bot_token.value if bot_token is not None else None,
        app_token=app_token.value if app_token is not None else None,
        signing_secret=signing_secret.value if signing_secret is not None else None,
        sre_channel=sre_channel.value if sre_channel is not None else None,
        command=command if command is not None else defaults.command,
        output_dir=output_dir.value if output_dir is not None else None,
    )


def _slack_mode(r: Reader, value: object, path: str) -> SlackMode | None:
    # YAML 1.1 reads a bare `off` (or `no`, `false`) as False; all of them mean off
    if value is False:
        return "off"
    expected = f"one of {', '.join(_SLACK_MODES)}"
    if not isinstance(value, str):
        hint = "; YAML reads a bare on/yes/true as a boolean" if value is True else ""
        r.add(path, f"must be {expected} (got {describe(value)}){hint}")
        return None
    text = r.text(value, path)
    if text is None:
        return None
    for mode in _SLACK_MODES:
        if text.value == mode:
            return mode
    r.add(path, f"must be {expected} (got {quote(text.shown)})")
    return None


def _api_url(r: Reader, value: object, path: str) -> str | None:
    url = r.http_url(value, path)
    if url is not None and not url.endswith("/"):
        # http_url took a string; shown as written, a user:password@ part hidden
        shown = _USERINFO.sub("//***@", str(value).strip())
        r.add(
            path,
            f"must end with '/' (got {quote(shown)}): the method names are appended to it, "
            "as in https://slack.com/api/",
        )
        return None
    return url


def _token(r: Reader, value: object, path: str, key: str) -> Text | None:
    """A Slack token: a secret with the prefix of its kind; only the kind is ever named."""
    text = r.secret(value, path)
    if text is None:
        return None
    prefix = _TOKEN_PREFIXES[key]
    if not text.value.startswith(prefix):
        kind = next((k for p, k in _TOKEN_KINDS.items() if text.value.startswith(p)), None)
        got = f"; got {kind}" if kind is not None else ""
        other = next((k for k, p in _TOKEN_PREFIXES.items() if text.value.startswith(p)), None)
        hint = f": it goes in {other}" if other is not None else ""
        r.add(path, f"must start with {prefix} ({_TOKEN_KINDS[prefix]}{got}{hint})")
        return None
    return text


def _command(r: Reader, value: object, path: str) -> str | None:
    text = r.text(value, path)
    if text is None:
        return None
    if not _COMMAND.fullmatch(text.value):
        hint = "; start it with '/'" if _COMMAND.fullmatch(f"/{text.value}") else ""
        r.add(
            path,
            f"must match {_COMMAND.pattern} (a slash command, as in /slo-prep; "
            f"got {quote(text.shown)}){hint}",
        )
        return None
    return text.value


def read_alertmanager(r: Reader, value: object, path: str) -> AlertmanagerConfig | None:
    f = r.mapping(value, path, _ALERTMANAGER_KEYS)
    if f is None:
        return None
    token = f.required("token", r.secret)
    return AlertmanagerConfig(token=token.value) if token is not None else None


def read_alerts(r: Reader, value: object, path: str) -> AlertsConfig | None:
    f = r.mapping(value, path, _ALERTS_KEYS)
    if f is None:
        return None
    defaults = _ALERTS_DEFAULTS
    match = f.optional("match", lambda v, p: _match(r, v, p))
    label = f.optional(
        "service_label",
        lambda v, p: r.matching(v, p, _LABEL, "a Prometheus label name, as in service"),
    )
    if (f.has("match") and match is None) or (f.has("service_label") and label is None):
        return None
    return AlertsConfig(
        match=match,
        service_label=label.value if label is not None else defaults.service_label,
    )


def _match(r: Reader, value: object, path: str) -> str | None:
    text = r.text(value, path)
    if text is None:
        return None
    match = text.value.strip()
    if not (match.startswith("{") and match.endswith("}")):
        r.add(
            path,
            "must be a label-matcher set in braces, like '{sloth_id!=\"\"}' "
            f"(got {quote(text.shown)})",
        )
        return None
    return match


def read_slack_channel(r: Reader, value: object, path: str) -> str | None:
    text = r.matching(value, path, _CHANNEL, _CHANNEL_WHAT)
    return text.value if text is not None else None


def read_managers(r: Reader, value: object, path: str) -> tuple[str, ...] | None:
    items = r.sequence(value, path)
    if items is None:
        return None
    first_at: dict[str, str] = {}
    managers: list[str] = []
    for index, raw in enumerate(items):
        at = item(path, index)
        text = r.matching(raw, at, _MANAGER, _MANAGER_WHAT)
        if text is None:
            continue
        if text.value not in first_at:
            managers.append(text.value)
        r.unique(text, at, first_at, "manager id")
    return tuple(managers)
