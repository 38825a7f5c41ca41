"""The VictoriaMetrics test server: every sample of the scenario imported, a clear error when
the binary is missing."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from datetime import datetime

import pytest

from tests.generator import victoria_metrics_server as vms
from tests.generator.prometheus_server import instant_value
from tests.generator.synthetic import DURATION, REQUESTS, build_scenario


@pytest.mark.prometheus
def test_import_lost_no_samples(victoria_metrics: vms.VictoriaMetricsServer) -> None:
    sc = victoria_metrics.scenario
    url = victoria_metrics.url
    assert instant_value(url, 'count({__name__=~"http_.+"})', victoria_metrics.at) == len(sc.series)
    picks = [
        sc.find(REQUESTS, service="checkout", instance="a", code="500"),
        sc.find(REQUESTS, service="checkout", instance="b", code="200"),
        sc.find(f"{DURATION}_bucket", service="checkout", instance="a", le="0.25"),
        sc.find(f"{DURATION}_sum", service="checkout", instance="a"),
        sc.find(REQUESTS, service="quiet", instance="a", code="200"),
    ]
    for s in picks:
        cum = sc.cumulative(s)
        # not k = 0: at the very instant of a series' first sample VictoriaMetrics 1.79 answers
        # nothing (a millisecond later it does); the export below shows that sample is there
        ks = {1, sc.minutes // 3, sc.index_of(victoria_metrics.at), sc.minutes - 1}
        for r in sc.reset_minutes(s)[:2]:
            ks |= {r - 1, r}
        for k in sorted(ks):
            got = instant_value(url, s.selector, sc.time_of(k))
            # the histogram's sum is a float with a dozen digits; VictoriaMetrics keeps 15-16
            assert got == pytest.approx(cum[k], rel=1e-12, abs=0), (s.selector, k, got, cum[k])
        exported = _export(url, s.selector, sc.time_of(0), sc.time_of(2))
        assert exported == (cum[:3], [int(sc.time_of(k).timestamp() * 1000) for k in range(3)])


def _export(url: str, selector: str, start: datetime, end: datetime) -> tuple[list, list]:
    """Raw samples of one series in [start, end] through /api/v1/export (JSON lines)."""
    query = urllib.parse.urlencode(
        {"match[]": selector, "start": int(start.timestamp()), "end": int(end.timestamp())}
    )
    with urllib.request.urlopen(f"{url}/api/v1/export?{query}", timeout=30) as response:
        lines = [json.loads(line) for line in response.read().splitlines()]
    assert len(lines) == 1, lines
    return lines[0]["values"], lines[0]["timestamps"]


def test_missing_binary_raises_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vms, "VICTORIA_METRICS", "/nonexistent/victoria-metrics")
    monkeypatch.setattr("shutil.which", lambda _name: None)
    server = vms.VictoriaMetricsServer(build_scenario(days_before=1, hours_after=0))
    with pytest.raises(vms.VictoriaMetricsError, match="apt-get install -y victoria-metrics"):
        server.start()
    assert server.workdir is None and server.process is None
