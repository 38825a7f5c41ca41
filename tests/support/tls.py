"""A throwaway self-signed certificate for loopback servers that must speak TLS (PagerDuty's
client refuses any base URL that is not https://, as it should)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Tls:
    cert: Path
    key: Path


def self_signed(directory: Path) -> Tls:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("openssl is needed for the TLS test fakes: apt-get install -y openssl")
    tls = Tls(directory / "cert.pem", directory / "key.pem")
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(tls.key),
            "-out",
            str(tls.cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return tls
