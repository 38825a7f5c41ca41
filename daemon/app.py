"""The one place where clients are built from config."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from collectors import pagerduty
from collectors.prometheus import PrometheusCollector, connect
from daemon.config.model import PagerDutyConfig, PrometheusConfig


def build_prometheus(config: PrometheusConfig) -> PrometheusCollector:
    headers = dict(config.headers)
    if config.bearer_token:
        headers["Authorization"] = f"Bearer {config.bearer_token}"
    return connect(
        config.url,
        timeout_seconds=config.timeout_seconds,
        retries=config.retries,
        headers=headers,
        verify_tls=config.verify_tls,
        pool_size=config.max_concurrency,
    )


def build_pagerduty(config: PagerDutyConfig | None) -> pagerduty.PagerDutyCollector | None:
    if config is None:
        return None
    return pagerduty.connect(
        config.url,
        config.token,
        timeout_seconds=config.timeout_seconds,
        retries=config.retries,
        max_wait_seconds=config.max_retry_wait_seconds,
        ca_file=config.ca_file,
    )


def package_version() -> str:
    try:
        return version("slo-prep")
    except PackageNotFoundError:
        return "not installed"


def generator_name() -> str:
    found = package_version()
    return f"slo-prep {found}" if found != "not installed" else "slo-prep (not installed)"
