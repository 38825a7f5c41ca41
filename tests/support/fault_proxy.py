"""A loopback HTTP proxy in front of a real backend (Prometheus) that injects the faults a
backend or the network between shows: an error status, an answer slower than the client's
timeout, a body that is not JSON, JSON cut short, a connection dropped without an answer.

    with FaultProxy(prometheus.url) as proxy:
        proxy.fail("status", status=503)         # every request until clear()
        proxy.fail("delay", seconds=3, count=1)  # the next request only
        ...
        proxy.clear()

Faults queue up in order; a fault with ``count=None`` stays until ``clear()``. Without a fault
the request goes to the backend and its answer comes back unchanged. A backend that does not
answer (killed, not started) drops the client's connection, as a dead backend behind a TCP
proxy does. ``before_forward`` (if set) is called with the request's number (1-based) before
it is forwarded: a test kills the backend there to kill it in the middle of a cycle.
``requests`` records (path, what the proxy did) for every request.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Literal, Self
from urllib.parse import urlsplit

from tests.support.processes import LoopbackHTTPServer

FaultKind = Literal["status", "delay", "malformed", "truncated", "reset"]

# what an overloaded Prometheus (or the load balancer in front of it) answers
_UNAVAILABLE = b"Service Unavailable\n"
# an HTML error page from a proxy: HTTP 200 but not the API's JSON
_HTML = b"<html><body><h1>Login required</h1></body></html>\n"
# the longest a delayed answer is held back, whatever a test asks: the proxy never hangs
_MAX_DELAY = 30.0


@dataclass
class _Fault:
    kind: FaultKind
    remaining: int | None  # None: until clear()
    status: int = 503
    seconds: float = 0.0


class FaultProxy(LoopbackHTTPServer):
    def __init__(self, upstream: str) -> None:
        super().__init__()
        self.upstream = upstream.rstrip("/")
        self.requests: list[tuple[str, str]] = []
        self.before_forward: Callable[[int], None] | None = None
        self._faults: deque[_Fault] = deque()
        self._lock = threading.Lock()
        self.url = ""

    def start(self) -> Self:
        super().start()
        assert self._server is not None
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self

    # --- scripting ------------------------------------------------------------------------------

    def fail(
        self,
        kind: FaultKind,
        *,
        count: int | None = None,
        status: int = 503,
        seconds: float = 0.0,
    ) -> None:
        """Queue a fault for the next ``count`` requests (None: every request until ``clear``).
        ``status`` for ``"status"``; ``seconds`` for ``"delay"`` (at most 30)."""
        if count is not None and count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._faults.append(_Fault(kind, count, status, min(seconds, _MAX_DELAY)))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def served(self, what: str) -> int:
        """How many requests were answered with ``what`` (a fault kind, or ``forwarded``,
        or ``dropped`` for a backend that did not answer)."""
        with self._lock:
            return sum(1 for _, done in self.requests if done == what)

    # --- serving --------------------------------------------------------------------------------

    def _take(self) -> tuple[int, _Fault | None]:
        with self._lock:
            number = len(self.requests) + 1
            self.requests.append(("", "pending"))
            fault = self._faults[0] if self._faults else None
            if fault is not None and fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.popleft()
            return number, fault

    def _record(self, number: int, path: str, what: str) -> None:
        with self._lock:
            self.requests[number - 1] = (path, what)

    def _forward(
        self, method: str, path: str, body: bytes | None, ctype: str | None
    ) -> tuple[int, bytes, str]:
        headers = {"Content-Type": ctype} if ctype else {}
        request = urllib.request.Request(
            self.upstream + path, data=body, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as up:
                return up.status, up.read(), up.headers.get("Content-Type", "application/json")
        except urllib.error.HTTPError as err:
            return err.code, err.read(), err.headers.get("Content-Type", "application/json")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                path = urlsplit(self.path).path
                number, fault = proxy._take()
                kind = fault.kind if fault is not None else None
                if kind == "reset":
                    proxy._record(number, path, "reset")
                    self._drop()
                    return
                if kind == "status":
                    assert fault is not None
                    proxy._record(number, path, "status")
                    self._answer(fault.status, _UNAVAILABLE, "text/plain")
                    return
                if kind == "malformed":
                    proxy._record(number, path, "malformed")
                    self._answer(200, _HTML, "text/html")
                    return
                if kind == "delay":
                    assert fault is not None
                    proxy._record(number, path, "delay")  # the client may give up meanwhile
                    time.sleep(fault.seconds)
                if proxy.before_forward is not None:
                    proxy.before_forward(number)
                try:
                    status, answer, ctype = proxy._forward(
                        self.command, self.path, body, self.headers.get("Content-Type")
                    )
                except OSError:
                    if kind != "delay":
                        proxy._record(number, path, "dropped")
                    self._drop()
                    return
                if kind == "truncated":
                    answer = answer[: len(answer) // 2]
                if kind != "delay":
                    proxy._record(number, path, kind or "forwarded")
                self._answer(status, answer, ctype)

            def _answer(self, status: int, body: bytes, ctype: str) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up first (a delayed answer after its timeout)

            def _drop(self) -> None:
                # linger 0: the close sends a RST, as a process killed mid-request does
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.close_connection = True
                self.connection.close()

            do_GET = do_POST = _serve

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
