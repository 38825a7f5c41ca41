"""Posts what the outbox holds, oldest first, and marks each entry posted once Slack said ok.

An entry is one or more messages (a pack: the parent, then its thread; a reply: one message in
the thread of another entry), maybe a chart, maybe an update of an earlier parent. Progress is
saved after every message, so a retry (after a Slack failure or a restart) continues where it
stopped instead of posting the parent again. A reply waits until the entry it answers is
posted. Only the leader drains, one drain at a time.

Two faults are handled here rather than retried blindly:

- Slack took a message but the store could not record it (SQLite locked, PostgreSQL
  restarting): the progress is kept in memory and written before anything else is posted for
  that entry, so the message is not posted again when the store is back.
- Slack refused a message as ``msg_blocks_too_long`` (its limit is undocumented, ~11-13k
  characters, and may count differently from the renderer): the message is posted again in
  parts of a few blocks each, its parts in the same thread, instead of being retried whole
  forever.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from daemon.runtime.context import Runtime
from daemon.slack.poster import PermanentSlackError, SlackError
from daemon.store import OutboxEntry, StoreError

log = logging.getLogger("slo_prep.outbox")

# a failing entry waits 5 s, 10 s, 20 s ... up to 10 minutes between tries
_BACKOFF_FIRST = 5.0
_BACKOFF_MAX = 600.0
_BATCH = 100
_CHANNELS_AT_ONCE = 4
# Slack's code for a message whose blocks hold more text than it takes
TOO_LONG = "msg_blocks_too_long"
# text per part when a message Slack refused as too long is posted in parts: well under the
# lowest limit Slack has shown, and above the longest single block (a section, 3,000)
_PART_TEXT = 4_000
_PART_FALLBACK = 150


@dataclass
class _Progress:
    thread_ts: str | None = None  # the parent's ts, or the thread a reply entry posts in
    sent: int = 0
    chart: bool = False
    updated: bool = False
    # message ``sent`` posted in parts (after msg_blocks_too_long): parts done, the first's ts
    parts: int = 0
    part_ts: str | None = None

    @classmethod
    def of(cls, entry: OutboxEntry) -> _Progress:
        if not entry.progress:
            return cls()
        raw = json.loads(entry.progress)
        return cls(
            raw.get("thread_ts"),
            int(raw.get("sent", 0)),
            bool(raw.get("chart")),
            bool(raw.get("updated")),
            int(raw.get("parts", 0)),
            raw.get("part_ts"),
        )

    def dump(self) -> str:
        return json.dumps(
            {
                "thread_ts": self.thread_ts,
                "sent": self.sent,
                "chart": self.chart,
                "updated": self.updated,
                "parts": self.parts,
                "part_ts": self.part_ts,
            }
        )


@dataclass
class Backoff:
    """In memory: after a restart every pending entry is tried again at once."""

    until: dict[int, float] = field(default_factory=dict)
    delay: dict[int, float] = field(default_factory=dict)
    # progress Slack acknowledged but the store could not save yet, by entry id
    unsaved: dict[int, str] = field(default_factory=dict)

    def ready(self, entry_id: int) -> bool:
        return time.monotonic() >= self.until.get(entry_id, 0.0)

    def failed(self, entry_id: int) -> None:
        delay = min(self.delay.get(entry_id, _BACKOFF_FIRST / 2) * 2, _BACKOFF_MAX)
        self.delay[entry_id] = delay
        self.until[entry_id] = time.monotonic() + delay

    def clear(self, entry_id: int) -> None:
        self.until.pop(entry_id, None)
        self.delay.pop(entry_id, None)


_backoff = Backoff()


def drain(rt: Runtime, backoff: Backoff = _backoff) -> int:
    """Post every pending entry that can go now; how many were completed.

    Each channel is drained by one thread at a time, in order, until it has nothing postable
    left (an entry queued meanwhile, or a reply whose parent just went out, goes in the same
    drain). Channels are independent: Slack's limit is per channel, and an alert for the SRE
    channel must not wait behind a backlog of packs elsewhere. A channel another thread is
    draining is skipped; that thread takes the new entries."""
    if not rt.leadership.is_leader:
        return 0
    channels = rt.store.pending_channels()
    if len(channels) <= 1:
        done = sum(_drain_channel(rt, channel, backoff) for channel in channels)
    else:
        with ThreadPoolExecutor(min(len(channels), _CHANNELS_AT_ONCE)) as pool:
            done = sum(pool.map(lambda c: _drain_channel(rt, c, backoff), channels))
    update_depth(rt)
    return done


def _drain_channel(rt: Runtime, channel: str, backoff: Backoff) -> int:
    lock = rt.channel_locks.setdefault(channel, threading.Lock())
    if not lock.acquire(blocking=False):
        return 0
    try:
        done = 0
        while True:
            posted = _post_channel(rt, rt.store.pending(channel=channel, limit=_BATCH), backoff)
            done += posted
            if not posted:
                return done
    finally:
        lock.release()


def _post_channel(rt: Runtime, entries: list[OutboxEntry], backoff: Backoff) -> int:
    posted = 0
    for entry in entries:
        if not rt.leadership.is_leader or rt.health.stopping:
            break
        if not backoff.ready(entry.id):
            continue
        unsaved = backoff.unsaved.get(entry.id)
        if unsaved is not None:
            # before anything else for this entry: what Slack already has (raises while the
            # store still fails, and nothing is posted meanwhile)
            rt.store.save_progress(entry.id, unsaved)
            del backoff.unsaved[entry.id]
            entry = dataclasses.replace(entry, progress=unsaved)
        thread_ts: str | None = None
        if entry.thread_of is not None:
            thread_ts = _parent_ts(rt, entry.thread_of)
            if thread_ts is None:
                continue  # its parent is not out yet: a later pass
        try:
            _deliver(rt, entry, thread_ts, backoff)
        except SlackError as exc:
            permanent = isinstance(exc, PermanentSlackError)
            outcome = "permanent_error" if permanent else "transient_error"
            rt.metrics.slack_posts.labels(outcome=outcome).inc()
            rt.store.mark_failed(entry.id, f"{exc.method}: {exc.code}")
            backoff.failed(entry.id)
            log.warning(
                "posting outbox entry %s failed: %s %s (%s)",
                entry.idempotency_key,
                exc.method,
                exc.code,
                outcome,
            )
            continue
        rt.store.mark_posted(entry.id, rt.now())
        rt.metrics.slack_posts.labels(outcome="ok").inc()
        backoff.clear(entry.id)
        posted += 1
    return posted


def update_depth(rt: Runtime) -> None:
    count, oldest = rt.store.outbox_depth()
    rt.metrics.outbox_pending.set(count)
    age = 0.0 if oldest is None else max(0.0, (rt.clock() - oldest).total_seconds())
    rt.metrics.outbox_oldest_age.set(age)


def _parent_ts(rt: Runtime, key: str) -> str | None:
    parent = rt.store.get_entry_by_key(key)
    if parent is None:
        return None
    return _Progress.of(parent).thread_ts


def _save(rt: Runtime, entry: OutboxEntry, progress: _Progress, backoff: Backoff) -> None:
    try:
        rt.store.save_progress(entry.id, progress.dump())
    except StoreError:
        backoff.unsaved[entry.id] = progress.dump()
        raise


def _deliver(rt: Runtime, entry: OutboxEntry, thread_ts: str | None, backoff: Backoff) -> None:
    payload: dict[str, Any] = json.loads(entry.payload)
    messages: list[dict[str, Any]] = payload.get("messages") or []
    progress = _Progress.of(entry)
    if entry.pack_id is not None and progress.sent == 0 and progress.parts == 0:
        stored = rt.store.get_pack(entry.pack_id)
        if stored is not None:
            rt.sink.archive(stored.id, json.loads(stored.document))
    in_thread = thread_ts is not None
    for index in range(progress.sent, len(messages)):
        reply_to = thread_ts if in_thread else (None if index == 0 else progress.thread_ts)
        ts = _post(rt, entry, progress, messages[index], reply_to, backoff)
        if index == 0 and not in_thread:
            progress.thread_ts = ts
        elif in_thread:
            progress.thread_ts = thread_ts
        progress.sent = index + 1
        progress.parts, progress.part_ts = 0, None
        _save(rt, entry, progress, backoff)
    root = thread_ts if in_thread else progress.thread_ts
    chart = payload.get("chart")
    if chart and root is not None and not progress.chart:
        rt.sink.upload(entry.channel, root, base64.b64decode(chart), "burn-down.png")
        progress.chart = True
        _save(rt, entry, progress, backoff)
    update = payload.get("update_parent")
    if update and thread_ts is not None and not progress.updated:
        rt.sink.update(entry.channel, thread_ts, update)
        progress.updated = True
        _save(rt, entry, progress, backoff)


def _post(
    rt: Runtime,
    entry: OutboxEntry,
    progress: _Progress,
    message: dict[str, Any],
    reply_to: str | None,
    backoff: Backoff,
) -> str:
    """Post one message of the entry; its ``ts`` (of its first part when posted in parts)."""
    parts = split_message(message)
    if progress.parts == 0:
        try:
            return rt.sink.post(entry.channel, message, reply_to)
        except PermanentSlackError as exc:
            if exc.code != TOO_LONG or len(parts) < 2:
                raise
            log.warning(
                "Slack refused %s message %d as %s: posting it in %d parts",
                entry.idempotency_key,
                progress.sent,
                TOO_LONG,
                len(parts),
            )
    for number in range(progress.parts, len(parts)):
        # the first part stands where the message would have; the others follow in its
        # thread (a parent's) or in the same thread (a reply's)
        target = reply_to if number == 0 or reply_to is not None else progress.part_ts
        ts = rt.sink.post(entry.channel, parts[number], target)
        if number == 0:
            progress.part_ts = ts
        progress.parts = number + 1
        _save(rt, entry, progress, backoff)
    assert progress.part_ts is not None
    return progress.part_ts


def split_message(message: dict[str, Any]) -> list[dict[str, Any]]:
    """``message`` as consecutive parts of its blocks: at least two when it has two blocks,
    each part's blocks at most about 4,000 characters of JSON (a longer single block is a part
    of its own); each part's fallback ``text`` is the message's, cut to 150 characters."""
    blocks: list[dict[str, Any]] = list(message.get("blocks") or [])
    text = str(message.get("text") or "")[:_PART_FALLBACK]
    lengths = [len(json.dumps(block, ensure_ascii=False)) for block in blocks]
    budget = min(_PART_TEXT, max(1, (sum(lengths) + 1) // 2))
    groups: list[list[dict[str, Any]]] = []
    size = 0
    for block, length in zip(blocks, lengths, strict=True):
        if groups and size + length <= budget:
            groups[-1].append(block)
            size += length
        else:
            groups.append([block])
            size = length
    return [{**message, "text": text, "blocks": group} for group in groups]
