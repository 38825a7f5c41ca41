"""What the chart gives the daemon's container (its environment), and the daemon's own
``validate-config`` run on a config as that container would see it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

# Shapes the config loader checks (daemon/config/integrations.py): Slack tokens by prefix,
# store URLs by scheme. None of these is a real credential.
DUMMY_SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-000000000000-0000000000000-testtesttesttesttesttest",
    "SLACK_APP_TOKEN": "xapp-1-A00000000000-0000000000000-testtesttest",
    "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef",
    "PAGERDUTY_TOKEN": "u+testtesttesttesttest",
    "ALERTMANAGER_TOKEN": "test-alertmanager-token",
    "PROMETHEUS_TOKEN": "test-prometheus-token",
    "STORE_URL": "postgresql://slo_prep:test@postgres.test:5432/slo_prep",
}
PLACEHOLDER = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def pod_environment(values: dict[str, Any]) -> dict[str, str]:
    """What the Deployment template puts in the container's environment."""
    env = {var: DUMMY_SECRETS.get(var, "test-value") for var in values["secrets"]["keys"]}
    for entry in values["extraEnv"]:
        env[entry["name"]] = str(entry.get("value", "test-value"))
    return env


def cli() -> list[str]:
    """The installed ``slo-prep`` command beside this interpreter, as a user runs it."""
    script = Path(sys.executable).with_name("slo-prep")
    return [str(script)] if script.exists() else [sys.executable, "-m", "daemon"]


def validate(
    config: dict[str, Any] | str, env: dict[str, str], where: Path
) -> subprocess.CompletedProcess[str]:
    """``slo-prep validate-config`` on ``config`` (a mapping, or YAML text as rendered)."""
    path = where / "config.yaml"
    text = config if isinstance(config, str) else yaml.safe_dump(config, sort_keys=True)
    path.write_text(text, encoding="utf-8")
    # PATH only: a token in the developer's own environment must not make the test pass
    return subprocess.run(
        [*cli(), "validate-config", "-c", str(path)],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        cwd=where,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
