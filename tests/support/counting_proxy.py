"""A loopback HTTP proxy that forwards to a real backend and counts what passes through, so
tests measure round trips on the wire instead of trusting the code under test to count."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class CountingProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.paths: Counter[str] = Counter()
        #: the bodies of POST requests, in arrival order
        self.bodies: list[bytes] = []
        #: every request as (method, path with its query string, body or None), in order
        self.requests: list[tuple[str, str, bytes | None]] = []
        #: seconds each request is held before it is forwarded (a slow network)
        self.delay_seconds = 0.0
        #: the most requests that were in the proxy at once
        self.max_in_flight = 0
        self._in_flight = 0
        #: answer 503 instead of forwarding when this says so of a POST body (b"" for a GET):
        #: an outage of part of the traffic
        self.unavailable_when: Callable[[bytes], bool] | None = None
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._forward(None)

            def do_POST(self) -> None:
                # batched queries come as a form body
                length = int(self.headers.get("Content-Length") or 0)
                self._forward(self.rfile.read(length))

            def _forward(self, body: bytes | None) -> None:
                with proxy._lock:
                    proxy.paths[urlsplit(self.path).path] += 1
                    proxy.requests.append((self.command, self.path, body))
                    if body is not None:
                        proxy.bodies.append(body)
                    proxy._in_flight += 1
                    proxy.max_in_flight = max(proxy.max_in_flight, proxy._in_flight)
                self._counted = True
                try:
                    self._pass_on(body)
                finally:
                    self._done()

            def _done(self) -> None:
                # before the answer goes out: a client that reads it may send the next
                # request at once, and that one must not find this one still counted
                if getattr(self, "_counted", False):
                    self._counted = False
                    with proxy._lock:
                        proxy._in_flight -= 1

            def _pass_on(self, body: bytes | None) -> None:
                if proxy.delay_seconds:
                    time.sleep(proxy.delay_seconds)
                if proxy.unavailable_when is not None and proxy.unavailable_when(body or b""):
                    self._answer(503, b"unavailable", "text/plain")
                    return
                request = urllib.request.Request(proxy.upstream + self.path, data=body)
                if body is not None:
                    ctype = self.headers.get("Content-Type", "application/x-www-form-urlencoded")
                    request.add_header("Content-Type", ctype)
                try:
                    with urllib.request.urlopen(request, timeout=60) as up:
                        status, answer = up.status, up.read()
                        ctype = up.headers.get("Content-Type", "application/json")
                except urllib.error.HTTPError as err:
                    status, answer = err.code, err.read()
                    ctype = err.headers.get("Content-Type", "application/json")
                self._answer(status, answer, ctype)

            def _answer(self, status: int, body: bytes, ctype: str) -> None:
                self._done()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def total(self) -> int:
        return sum(self.paths.values())

    def reset(self) -> None:
        with self._lock:
            self.paths.clear()
            self.bodies.clear()
            self.requests.clear()
            self.max_in_flight = 0


@contextmanager
def counting_proxy(upstream: str) -> Iterator[CountingProxy]:
    proxy = CountingProxy(upstream)
    thread = threading.Thread(target=proxy._server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy._server.shutdown()
        proxy._server.server_close()
