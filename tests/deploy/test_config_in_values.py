"""The config the chart puts in its ConfigMap passes ``slo-prep validate-config``, run as the
CLI in a subprocess with only the environment the chart gives the pod: the variables wired
from the Secret (dummy values of the right shape) and ``extraEnv``."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.deploy.chart import CI_CASES, case_values, default_values, readme_examples
from tests.deploy.pod import DUMMY_SECRETS, PLACEHOLDER, pod_environment, validate


def test_the_default_config_passes_validate_config(tmp_path: Path) -> None:
    values = default_values()
    result = validate(values["config"], pod_environment(values), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK" in result.stdout


@pytest.mark.parametrize("case", CI_CASES, ids=lambda p: p.name)
def test_each_ci_cases_config_passes_validate_config(case: Path, tmp_path: Path) -> None:
    values = case_values(case)
    result = validate(values["config"], pod_environment(values), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_chart_readmes_examples_pass_validate_config(tmp_path: Path) -> None:
    for number, values in enumerate(readme_examples()):
        where = tmp_path / str(number)
        where.mkdir()
        result = validate(values["config"], pod_environment(values), where)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("case", CI_CASES, ids=lambda p: p.name)
def test_every_placeholder_is_a_variable_the_pod_gets(case: Path) -> None:
    values = case_values(case)
    used = set(PLACEHOLDER.findall(yaml.safe_dump(values["config"])))
    assert used <= set(pod_environment(values)), used - set(pod_environment(values))


def test_without_the_secret_the_daemon_names_the_missing_variable(tmp_path: Path) -> None:
    # the check above is only worth something if the variables really matter
    result = validate(default_values()["config"], {}, tmp_path)
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stdout + result.stderr
    assert DUMMY_SECRETS["SLACK_BOT_TOKEN"] not in result.stdout + result.stderr
