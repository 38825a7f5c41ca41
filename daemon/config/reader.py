"""Typed reads of parsed YAML that record every problem instead of stopping at the first.

A read returns ``None`` when the value is absent or wrong; a wrong value has always been
recorded as an issue by then, so ``load_config`` raises before any half-read result escapes.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar
from urllib.parse import urlsplit

from daemon.config.env import substitute
from daemon.config.paths import child
from daemon.errors import ConfigIssue

T = TypeVar("T")

_MAX_SHOWN = 60
_USERINFO = re.compile(r"//[^/@]*@")


def quote(text: str) -> str:
    """``text`` as messages show it: quoted, and cut short so a long query stays readable."""
    if len(text) > _MAX_SHOWN:
        text = text[: _MAX_SHOWN - 3] + "..."
    return repr(text)


def describe(value: object) -> str:
    """What a YAML value is, for "must be X (got Y)" messages."""
    if value is None:
        return "null"
    # bool before int: YAML's true is a Python int too
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"number {value!r}"
    if isinstance(value, str):
        return f"string {quote(value)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, date):
        return f"date {value.isoformat()}"
    if isinstance(value, bytes):
        return "binary data"
    return type(value).__name__


def kind(value: object) -> str:
    """What a YAML value is, without the value itself: for secrets, where ``describe`` would
    echo a token written unquoted (``token: 12345``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, date):
        return "a date"
    if isinstance(value, bytes):
        return "binary data"
    return type(value).__name__


@dataclass(frozen=True)
class Text:
    """A string value after ``${VAR}`` substitution."""

    value: str
    # what a message may show: the placeholder form whenever a variable's value went in
    shown: str


@dataclass
class Reader:
    environ: Mapping[str, str]
    issues: list[ConfigIssue] = field(default_factory=list)

    def add(self, path: str, message: str) -> None:
        self.issues.append(ConfigIssue(path, message))

    def expected(self, path: str, what: str, value: object) -> None:
        self.add(path, f"must be {what} (got {describe(value)})")

    def plain_mapping(self, value: object, path: str) -> dict[object, object] | None:
        if not isinstance(value, dict):
            self.expected(path, "a mapping", value)
            return None
        return value

    def mapping(self, value: object, path: str, keys: tuple[str, ...]) -> Fields | None:
        """A mapping with exactly the known ``keys``; each unknown key is an issue."""
        data = self.plain_mapping(value, path)
        if data is None:
            return None
        known: dict[str, object] = {}
        for key, item in data.items():
            if isinstance(key, str) and key in keys:
                known[key] = item
            else:
                self.add(child(path, key), _unknown_key(key, keys))
        return Fields(self, path, known)

    def sequence(self, value: object, path: str) -> list[object] | None:
        if not isinstance(value, list):
            self.expected(path, "a list", value)
            return None
        return value

    def text(self, value: object, path: str) -> Text | None:
        """A non-blank string, with ``${VAR}`` filled in."""
        if not isinstance(value, str):
            hint = "; quote it to keep it as text" if _is_scalar(value) else ""
            self.add(path, f"must be a string (got {describe(value)}){hint}")
            return None
        result = substitute(value, self.environ)
        for problem in result.problems:
            self.add(path, problem)
        if result.problems:
            return None
        text = Text(result.value, value if result.substituted else result.value)
        if not text.value.strip():
            shown = f" (got {quote(text.shown)})" if result.substituted else ""
            self.add(path, f"must not be empty{shown}")
            return None
        return text

    def secret(self, value: object, path: str) -> Text | None:
        """A token: as ``text``, but no message ever shows the value, not even of a wrong type;
        it goes into an HTTP header, so a line break is an error too."""
        if not isinstance(value, str):
            hint = "; quote it to keep it as text" if _is_scalar(value) else ""
            self.add(path, f"must be a string (got {kind(value)}){hint}")
            return None
        text = self.text(value, path)
        if text is not None and ("\r" in text.value or "\n" in text.value):
            self.add(path, "must not contain line breaks")
            return None
        return text

    def http_url(self, value: object, path: str) -> str | None:
        """An http:// or https:// URL with a host; a user:password@ part is never shown."""
        text = self.text(value, path)
        if text is None:
            return None
        url = text.value.strip()
        try:
            parts = urlsplit(url)
            ok = parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in url
            _ = parts.port  # raises ValueError on a malformed port
        except ValueError:
            ok = False
        if not ok:
            shown = _USERINFO.sub("//***@", text.shown)
            hint = f"; add the scheme, as in http://{shown}" if "://" not in shown else ""
            self.add(
                path, f"must be an http:// or https:// URL with a host (got {quote(shown)}){hint}"
            )
            return None
        return url

    def number(self, value: object, path: str) -> float | None:
        # bool is an int subclass, and `objective: true` is a mistake, not 1
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.expected(path, "a number", value)
            return None
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            self.add(path, f"must be a finite number (got {value!r})")
            return None
        return number

    def positive(self, value: object, path: str) -> float | None:
        number = self.number(value, path)
        if number is not None and number <= 0:
            self.add(path, f"must be greater than 0 (got {value!r})")
            return None
        return number

    def integer(
        self, value: object, path: str, *, minimum: int, maximum: int | None = None
    ) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.expected(path, "an integer", value)
            return None
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"at least {minimum}" if maximum is None else f"{minimum} to {maximum}"
            self.add(path, f"must be {bounds} (got {value})")
            return None
        return value

    def boolean(self, value: object, path: str) -> bool | None:
        if not isinstance(value, bool):
            self.expected(path, "true or false", value)
            return None
        return value

    def unique(self, name: Text, path: str, first_at: dict[str, str], what: str) -> None:
        """Report ``name`` at ``path`` if an earlier entry (in ``first_at``) has it."""
        if name.value in first_at:
            self.add(
                path, f"duplicate {what} {quote(name.shown)} (first at {first_at[name.value]})"
            )
        else:
            first_at[name.value] = path

    def matching(
        self, value: object, path: str, pattern: re.Pattern[str], what: str
    ) -> Text | None:
        text = self.text(value, path)
        if text is not None and not pattern.fullmatch(text.value):
            self.add(path, f"must match {pattern.pattern} ({what}; got {quote(text.shown)})")
            return None
        return text


@dataclass(frozen=True)
class Fields:
    """The known keys of one mapping, read by key so a missing one is reported at its path."""

    reader: Reader
    path: str
    data: Mapping[str, object]

    def at(self, key: str) -> str:
        return child(self.path, key)

    def has(self, key: str) -> bool:
        # `key:` with nothing after it (null) counts as not given: the usual way to blank a key
        return self.data.get(key) is not None

    def required(self, key: str, read: Callable[[object, str], T]) -> T | None:
        if key not in self.data:
            self.reader.add(self.at(key), "missing required key")
            return None
        return read(self.data[key], self.at(key))

    def optional(self, key: str, read: Callable[[object, str], T]) -> T | None:
        if not self.has(key):
            return None
        return read(self.data[key], self.at(key))


def _is_scalar(value: object) -> bool:
    return isinstance(value, int | float | date)


def _unknown_key(key: object, keys: tuple[str, ...]) -> str:
    message = f"unknown key (expected one of: {', '.join(keys)})"
    if isinstance(key, str):
        close = difflib.get_close_matches(key, keys, n=1)
        if close:
            message += f"; did you mean {close[0]!r}?"
    return message
