"""Serves the WSGI app with waitress (threaded, pure Python) in a background thread."""

from __future__ import annotations

import threading
from typing import Any

from waitress.server import create_server

# enough worker threads that 50 slash commands at once are acknowledged without queueing
# behind one another (an ack is a parse and one store write)
THREADS = 32


class HttpServer:
    def __init__(self, app: Any, host: str, port: int, threads: int = THREADS) -> None:
        self._server: Any = create_server(
            app,
            host=host,
            port=port,
            threads=threads,
            ident="slo-prep",
            # the daemon logs its own errors; waitress would print tracebacks to stderr
            expose_tracebacks=False,
            clear_untrusted_proxy_headers=True,
        )
        self._thread = threading.Thread(target=self._server.run, name="http", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    @property
    def host(self) -> str:
        return str(self._server.effective_host)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._server.close()
        self._server.task_dispatcher.shutdown(timeout=timeout)
        self._thread.join(timeout)
