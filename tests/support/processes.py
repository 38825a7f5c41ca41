"""The test servers' lifecycle: binaries (Prometheus, Alertmanager) run as child processes on a
loopback port, and ``http.server`` fakes served from a thread.

``launch_until_ready`` starts a binary on a free port and waits for ``/-/ready``; ``terminate``
stops it. ``ServerProcess`` is the lifecycle the binaries' wrappers share: find the binary,
prepare a working directory, launch, stop (also as a context manager). ``LoopbackHTTPServer`` is
the same for an in-process HTTP server.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Self

#: argv of the server for a given port
ArgvForPort = Callable[[int], list[str]]


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1 (bind port 0 and let the kernel choose)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tail(log: Path, lines: int = 30) -> str:
    """The last ``lines`` lines of ``log`` (``(no log)`` if it cannot be read)."""
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def launch_until_ready(
    name: str,
    argv_for_port: ArgvForPort,
    log: Path,
    *,
    port: int = 0,
    ready_timeout: float = 30.0,
    error: type[RuntimeError] = RuntimeError,
) -> tuple[subprocess.Popen[bytes], int]:
    """Start ``argv_for_port(port)`` (stderr to ``log``) and wait for ``/-/ready`` on it.

    With ``port=0`` a free port is picked, and picked again if another process took it between
    the probe and the bind. Raises ``error`` with the log tail on exit or timeout.
    """
    attempts = 1 if port else 3
    for attempt in range(attempts):
        chosen = port or free_port()
        with log.open("ab") as log_fh:
            proc = subprocess.Popen(
                argv_for_port(chosen),
                stdout=subprocess.DEVNULL,
                stderr=log_fh,
                # its own session: a Ctrl-C on pytest must not reach it before stop() does
                start_new_session=True,
            )
        try:
            problem = _wait_ready(
                name, proc, f"http://127.0.0.1:{chosen}/-/ready", log, ready_timeout
            )
        except BaseException:
            # the caller never gets the process, so nothing else would stop it (own session)
            terminate(proc)
            raise
        if problem is None:
            return proc, chosen
        terminate(proc)
        if "address already in use" not in problem or attempt == attempts - 1:
            raise error(problem)
    raise AssertionError("unreachable")


def _wait_ready(
    name: str, proc: subprocess.Popen[bytes], url: str, log: Path, timeout: float
) -> str | None:
    """None once ``url`` answers 200, else an error message with the log tail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return f"{name} exited with rc={proc.returncode}; stderr tail:\n{tail(log)}"
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return None
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    return f"{name} not ready after {timeout:.0f}s; stderr tail:\n{tail(log)}"


def terminate(proc: subprocess.Popen[bytes] | None, timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``timeout`` seconds."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


class StartStop:
    """``with X() as x:`` calls ``x.start()`` and, on the way out, ``x.stop()``."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class ServerProcess(StartStop):
    """A server binary run on 127.0.0.1 with its files in ``workdir``.

    ``workdir=None`` uses a temporary directory, removed on ``stop()``; a given one is kept.
    Subclasses set the class attributes, ``_find_binary`` (called before anything is created, so
    a missing binary leaves nothing behind) and ``_prepare`` (writes what the server needs into
    the working directory and returns its flags but the listen address and external URL).
    ``timings["start"]`` is the time from launch to ready.
    """

    #: the binary's name in error messages, e.g. "prometheus"
    name: ClassVar[str]
    #: the server's name in "... is not running"
    title: ClassVar[str]
    #: its stderr, in the working directory
    log_file: ClassVar[str]
    workdir_prefix: ClassVar[str]
    error: ClassVar[type[RuntimeError]]
    terminate_timeout: ClassVar[float] = 10.0
    #: pass ``--web.external-url`` too: the links the server sends (alerts' generatorURL, webhook
    #: bodies' externalURL) otherwise carry this machine's hostname
    external_url: ClassVar[bool] = True

    def __init__(
        self, *, port: int = 0, ready_timeout: float = 30.0, workdir: Path | None = None
    ) -> None:
        self._port = port
        self._ready_timeout = ready_timeout
        self._given_workdir = workdir
        self.workdir: Path | None = None
        self.port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.timings: dict[str, float] = {}

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:41234`` (only while running)."""
        if self.port is None:
            raise self.error(f"{self.title} is not running")
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> str:
        """The server's stderr so far (for assertion messages)."""
        if self.workdir is None:
            return "(not started)"
        return tail(self.workdir / self.log_file, lines=200)

    def _find_binary(self) -> str:
        raise NotImplementedError

    def _prepare(self, workdir: Path) -> list[str]:
        raise NotImplementedError

    def _argv_for_port(self, binary: str, flags: list[str]) -> ArgvForPort:
        def argv(port: int) -> list[str]:
            address = f"127.0.0.1:{port}"
            argv = [binary, *flags, f"--web.listen-address={address}"]
            if self.external_url:
                argv.append(f"--web.external-url=http://{address}")
            return argv

        return argv

    def start(self) -> Self:
        """Prepare the working directory, start the server and wait until ``/-/ready`` answers.

        If that fails, everything started so far is stopped again before the error propagates.
        """
        binary = self._find_binary()
        if self._given_workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix=self.workdir_prefix))
        else:
            self.workdir = self._given_workdir
            self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            argv_for_port = self._argv_for_port(binary, self._prepare(self.workdir))
            log = self.workdir / self.log_file
            # a kept workdir's log of an earlier run would otherwise end up in this run's tail
            log.unlink(missing_ok=True)
            t0 = time.monotonic()
            self.process, self.port = launch_until_ready(
                self.name,
                argv_for_port,
                log,
                port=self._port,
                ready_timeout=self._ready_timeout,
                error=self.error,
            )
            self.timings["start"] = time.monotonic() - t0
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL); remove the workdir if it was temporary."""
        proc, self.process = self.process, None
        terminate(proc, self.terminate_timeout)
        self.port = None
        if self._given_workdir is None and self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None


class LoopbackHTTPServer(StartStop):
    """An ``http.server`` on a free 127.0.0.1 port, served from a daemon thread.

    Subclasses return their request handler class from ``_handler``.
    """

    def __init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    def start(self) -> Self:
        """Listen on a free loopback port."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # shutdown() waits up to one poll interval
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
