"""Where the daemon's messages go: Slack (``daemon.slack.sink.SlackSink``) or, with
``slack.mode: off`` and with ``--dry-run``, a text stream and an optional directory of Markdown
packs (``TextSink``). Both satisfy ``Sink``; each method is one call or one write.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, TextIO

from daemon.render.markdown import render_markdown

Message = Mapping[str, Any]


class Sink(Protocol):
    def post(self, channel: str, message: Message, thread_ts: str | None) -> str:
        """Post one message; its ``ts``. Raises ``SlackError``."""

    def upload(self, channel: str, thread_ts: str, data: bytes, name: str) -> None: ...

    def update(self, channel: str, ts: str, message: Message) -> None: ...

    def ephemeral(self, channel: str, user: str, text: str) -> None: ...

    def respond(self, response_url: str, text: str) -> None: ...

    def open_view(self, trigger_id: str, view: Mapping[str, Any]) -> None: ...

    def group_members(self, group_id: str) -> frozenset[str]: ...

    def archive(self, pack_id: str, document: Mapping[str, Any]) -> None:
        """Keep a copy of a pack about to be posted (the Markdown file of ``slack.mode: off``)."""


class TextSink:
    """Writes what would be posted to ``out`` (one JSON object per message) and, with a
    ``directory``, each pack as ``<pack id>.md`` there."""

    def __init__(self, out: TextIO, directory: Path | None = None) -> None:
        self._out = out
        self._directory = directory
        self._lock = threading.Lock()
        self._count = 0

    def post(self, channel: str, message: Message, thread_ts: str | None) -> str:
        with self._lock:
            self._count += 1
            ts = f"dry-run.{self._count:06d}"
            record = {"channel": channel, "thread_ts": thread_ts, "ts": ts, **message}
            self._out.write(json.dumps(record, ensure_ascii=False) + "\n")
            self._out.flush()
            return ts

    def upload(self, channel: str, thread_ts: str, data: bytes, name: str) -> None:
        self._write({"channel": channel, "thread_ts": thread_ts, "file": name, "bytes": len(data)})

    def update(self, channel: str, ts: str, message: Message) -> None:
        self._write({"channel": channel, "update": ts, **message})

    def ephemeral(self, channel: str, user: str, text: str) -> None:
        self._write({"channel": channel, "ephemeral_to": user, "text": text})

    def respond(self, response_url: str, text: str) -> None:
        self._write({"response_url": "(response_url)", "text": text})

    def open_view(self, trigger_id: str, view: Mapping[str, Any]) -> None:
        self._write({"view": view})

    def group_members(self, group_id: str) -> frozenset[str]:
        return frozenset()

    def archive(self, pack_id: str, document: Mapping[str, Any]) -> None:
        if self._directory is None:
            return
        self._directory.mkdir(parents=True, exist_ok=True)
        path = self._directory / f"{pack_id}.md"
        path.write_text(render_markdown(dict(document)), encoding="utf-8")

    def _write(self, record: Mapping[str, Any]) -> None:
        with self._lock:
            self._out.write(json.dumps(record, ensure_ascii=False) + "\n")
            self._out.flush()
