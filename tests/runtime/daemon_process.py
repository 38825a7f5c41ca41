"""``slo-prep run`` as a real process for the tests: started with a config on free loopback
ports, waited for on ``/readyz``, signed Slack requests sent to it, stopped or killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from daemon.slack.signature import sign
from tests.runtime.conftest import SIGNING_SECRET

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Answer:
    status: int
    body: bytes
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    url: str, data: bytes | None = None, headers: dict[str, str] | None = None, timeout: float = 10
) -> Answer:
    started = time.monotonic()
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return Answer(response.status, response.read(), time.monotonic() - started)
    except urllib.error.HTTPError as err:
        return Answer(err.code, err.read(), time.monotonic() - started)


def signed_headers(
    body: bytes, timestamp: int | None = None, secret: str = SIGNING_SECRET
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": sign(secret, ts, body),
    }


def command_body(text: str, user: str = "U0MANAGER1", channel: str = "C0ASKEDHERE") -> bytes:
    return urlencode(
        {
            "token": "legacy-ignored",
            "team_id": "T0TEAM",
            "channel_id": channel,
            "user_id": user,
            "command": "/slo-prep",
            "text": text,
            "api_app_id": "A0FAKEAPP1",
            "trigger_id": "1.2.3",
        }
    ).encode()


@dataclass
class DaemonProcess:
    config: Path
    port: int
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *args: str) -> DaemonProcess:
        env = {**os.environ, "LOG_FORMAT": "json", **self.env}
        self.started_at = time.monotonic()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "daemon", "run", "-c", str(self.config), *args],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=log,
            )
        return self

    def wait_ready(self, timeout: float = 60) -> float:
        """Seconds from start until ``/readyz`` answered 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"daemon exited {self.process.returncode}:\n{self.tail()}")
            try:
                if request(self.url + "/readyz", timeout=1).status == 200:
                    return time.monotonic() - self.started_at
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"daemon not ready after {timeout}s:\n{self.tail()}")

    def command(self, text: str, **kw: Any) -> Answer:
        body = command_body(text, **kw)
        return request(self.url + "/slack/commands", body, signed_headers(body))

    def terminate(self, timeout: float = 30) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()  # SIGKILL: no cleanup at all
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
