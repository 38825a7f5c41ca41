"""Fuzzing the config loader (``slo-prep validate-config``): random YAML, and the shipped configs
with values replaced, keys dropped or added. Always a ``Config`` or a ``ConfigError`` whose every
issue names a key path of the document, never another exception; no secret, nor an encoding of
one, in an error or in the effective config the daemon logs at start."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from daemon.cli import EXIT_USAGE, main
from daemon.config import load_config
from daemon.errors import ConfigError
from daemon.runtime.logs import redacted_config
from tests.support.fuzz import SECRETS, any_text, fuzz, hostile_fragment, json_values, mutated

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
ENVIRON = {
    "PROMETHEUS_TOKEN": SECRETS.prometheus_bearer,
    "PAGERDUTY_TOKEN": SECRETS.pagerduty,
    "SLACK_BOT_TOKEN": SECRETS.slack_bot,
    "PROMETHEUS_PASSWORD": quote(SECRETS.prometheus_password, safe=""),
    "SLO_PREP_DEMO_PROMETHEUS_URL": "http://127.0.0.1:9090",
    "SLO_PREP_DEMO_PAGERDUTY_URL": "https://127.0.0.1:9443",
    "SLO_PREP_DEMO_PAGERDUTY_TOKEN": SECRETS.pagerduty,
    "SLO_PREP_DEMO_CA_FILE": "/etc/ssl/certs/ca-certificates.crt",
}


def _shipped(name: str) -> dict[str, Any]:
    data = yaml.safe_load((CONFIG_DIR / name).read_text())
    assert isinstance(data, dict)
    return data


def _with_every_secret() -> dict[str, Any]:
    """example.yaml with each secret the config can hold set, literally or through ${VAR}."""
    doc = _shipped("example.yaml")
    password = quote(SECRETS.prometheus_password, safe="")
    doc["prometheus"]["url"] = "http://fuzz:${PROMETHEUS_PASSWORD}@127.0.0.1:9090"
    doc["prometheus"]["headers"] = {"X-Scope-OrgID": SECRETS.prometheus_header}
    doc["store"]["url"] = f"postgresql://slo:{password}@127.0.0.1:5432/slo"
    doc["slack"] |= {
        "mode": "http",
        "bot_token": "${SLACK_BOT_TOKEN}",
        "signing_secret": SECRETS.signing,
        "api_url": f"https://proxy:{password}@127.0.0.1:8443/api/",
    }
    doc["alertmanager"] = {"token": SECRETS.webhook}
    return doc


BASES = {
    "example.yaml": _shipped("example.yaml"),
    "demo.yaml": _shipped("demo.yaml"),
    "minimal.yaml": _shipped("minimal.yaml"),
    "secrets": _with_every_secret(),
}
yaml_values = st.one_of(
    json_values,
    st.dates(),
    st.sampled_from(["off", "on", "yes", "no", "~", "${UNSET_VAR}", "${", "$${X}", "${1BAD}"]),
    st.sampled_from([float("nan"), float("inf"), 10**400, -1, 0, 1e-300]),
    hostile_fragment,
)
documents = st.sampled_from(sorted(BASES)).flatmap(
    lambda name: mutated(BASES[name], values=yaml_values, most=4)
)
yaml_texts = st.one_of(
    st.text(st.sampled_from(list("abc:-[]{}#&*!|>'\"%@`,?$ \n\t0.1")), max_size=120),
    any_text,
)


def _paths(doc: Any, at: str = "") -> set[str]:
    """Every key path of ``doc`` written the way issues write them (``services[0].name``,
    ``[1]`` for a key that is not a string), built here from the document itself."""
    found = {at}
    if isinstance(doc, dict):
        for key, value in doc.items():
            step = (f"{at}.{key}" if at else key) if isinstance(key, str) else f"{at}[{key!r}]"
            found |= _paths(value, step)
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found |= _paths(value, f"{at}[{index}]")
    return found


def _load(tmp: Path, text: str | bytes) -> Any:
    path = tmp / "config.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    try:
        return load_config(path, ENVIRON)
    except ConfigError as error:
        return error


def check_secrets(result: Any) -> None:
    shown = (
        str(result)
        if isinstance(result, ConfigError)
        else json.dumps(redacted_config(result), default=str)
    )
    assert SECRETS.leaked(shown) == [], shown


@fuzz(ci=150)
@given(doc=documents)
@example(doc=BASES["secrets"])
@example(doc={**BASES["secrets"], "slack": {**BASES["secrets"]["slack"], "command": "slo"}})
@example(doc={**BASES["minimal.yaml"], "services": [{"name": "a"}, {"name": "a"}], 1: None})
def test_a_mutated_config_loads_or_names_the_exact_key_path(
    tmp_path_factory: pytest.TempPathFactory, doc: Any
) -> None:
    tmp = tmp_path_factory.mktemp("config", numbered=True)
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    result = _load(tmp, text)
    check_secrets(result)
    if not isinstance(result, ConfigError):
        return
    paths = _paths(doc)
    for issue in result.issues:
        parent = issue.path.rsplit(".", 1)[0] if "." in issue.path else ""
        missing = issue.message == "missing required key" or issue.message.startswith(
            "required when"
        )
        assert issue.path in paths or (missing and parent in paths), issue


@fuzz(ci=150)
@given(text=st.one_of(yaml_texts, st.binary(max_size=120)))
@example(text="a: [1, ${X}]")
@example(text="&a [*a]")
@example(text="\ufeffapiVersion: slo-prep/v1")
@example(text=b"\xff")
@example(text="\x08")  # failed in PyYAML's reader, before the parser: a traceback
@example(text="a: !!python/object:os.system {}")
def test_any_file_is_a_config_or_a_config_error(
    tmp_path_factory: pytest.TempPathFactory, text: str | bytes
) -> None:
    result = _load(tmp_path_factory.mktemp("yaml", numbered=True), text)
    assert isinstance(result, ConfigError)  # none of these is a whole config
    assert result.issues and all(i.message for i in result.issues)


@pytest.mark.parametrize(
    "doc",
    [
        {**BASES["secrets"], "prometheus": {"url": "http://x:9090", "retries": 11}},
        {**BASES["secrets"], "services": [{"name": "Bad Name", "slos": "x"}]},
        [1, 2],
        {"apiVersion": date(2026, 1, 1)},
    ],
)
def test_validate_config_exits_2_with_the_issues_and_no_traceback(tmp_path: Path, doc: Any) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(doc))
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.MonkeyPatch.context() as env:
        for name, value in ENVIRON.items():
            env.setenv(name, value)
        code = main(["validate-config", "-c", str(path)])
    error = _load(tmp_path, path.read_text())
    assert code == EXIT_USAGE and isinstance(error, ConfigError)
    # the CLI prints the issues, each at its key path, and nothing else
    assert err.getvalue().replace(str(path), "F") == str(error).replace(error.source, "F") + "\n"
    assert SECRETS.leaked(err.getvalue()) == []
