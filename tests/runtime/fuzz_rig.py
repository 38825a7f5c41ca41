"""A daemon runtime for the fuzz targets: every secret it holds is a marker (``SECRETS``), its
Prometheus records each query (empty answers, or the scenario's real Prometheus behind it),
PagerDuty and Slack are the loopback fakes, and every log record at every level is checked for
the secrets as it is written. Built once per module: Hypothesis runs thousands of examples
against one runtime, as a daemon serves thousands of requests."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from daemon import messages as m
from daemon.config import load_config
from daemon.core.pack import Decision
from daemon.drafting import draft_pack
from daemon.render.markdown import render_markdown
from daemon.runtime.context import Runtime
from daemon.runtime.logs import redacted_config
from daemon.runtime.run import build_runtime
from tests.runtime.conftest import (
    ASK_CHANNEL,
    MANAGER,
    OUTSIDER,
    SERVICE_CHANNEL,
    SRE_CHANNEL,
    Clock,
    daemon_config,
)
from tests.support.fake_pagerduty import FakePagerDuty, fake_pagerduty
from tests.support.fake_slack import FakeSlack, fake_slack
from tests.support.fuzz import (
    SECRETS,
    LeakWatch,
    RecordedQuery,
    RecordingPrometheus,
    Secrets,
    recording_prometheus,
    user_text_in,
    watch_logs,
)
from tests.support.tls import Tls

AT = datetime(2026, 11, 16, tzinfo=UTC)
PAGERDUTY_SERVICE = "PFUZZ01"
# ids the daemon itself may mention (<@U…>, <#C…>): the configured ones and the test's users
KNOWN_IDS = frozenset({MANAGER, OUTSIDER, SERVICE_CHANNEL, SRE_CHANNEL, ASK_CHANNEL})
_MENTION = re.compile(r"<(?:@|#|!subteam\^)([A-Z0-9]+)>")
_RAW_AMPERSAND = re.compile(r"&(?!amp;|lt;|gt;)")
_QUOTE = re.compile(r"^> ", re.MULTILINE)


def injected(text: str, known: frozenset[str] = KNOWN_IDS) -> list[str]:
    """What in ``text`` Slack would read as markup that the daemon did not write: a ``<``,
    ``>`` or ``&`` outside a mention of an id the test knows."""
    rest = _MENTION.sub(lambda m: "" if m[1] in known else m[0], text)
    rest = _QUOTE.sub("", rest)  # POST_DECISION_NOTE quotes the note: a `>` the daemon wrote
    found = [c for c in "<>" if c in rest]
    if _RAW_AMPERSAND.search(rest):
        found.append("&")
    return found


class Rig:
    """The runtime and what it talks to. Not a dataclass: Hypothesis prints a failing
    example's arguments, and this one's fields would fill the screen."""

    def __init__(
        self,
        rt: Runtime,
        slack: FakeSlack,
        prometheus: RecordingPrometheus,
        pagerduty: FakePagerDuty,
        logs: LeakWatch,
        secrets: Secrets,
        expected_auth: str,
    ) -> None:
        self.rt = rt
        self.slack = slack
        self.prometheus = prometheus
        self.pagerduty = pagerduty
        self.logs = logs
        self.secrets = secrets
        # the Authorization header every query must arrive with
        self.expected_auth = expected_auth
        # every query a pack of each service sends when no user text is involved
        self.baseline: dict[str, frozenset[str]] = {}
        self._seen_calls = 0
        self._seen_responses = 0

    def __repr__(self) -> str:
        return f"Rig({self.rt.config.source})"

    def settle(self) -> None:
        """Wait for the work after the acks, in both pools: a webhook's alerts are drafted in
        the alert pool, which ``conftest.settle`` leaves running."""
        for name in ("work", "alert_work"):
            pool = getattr(self.rt, name)
            if pool is not None:
                pool.shutdown(wait=True)
                setattr(self.rt, name, ThreadPoolExecutor(4))

    def new_slack_calls(self) -> list[Any]:
        calls = self.slack.calls[self._seen_calls :]
        self._seen_calls += len(calls)
        return calls

    def check_queries(self, queries: list[RecordedQuery]) -> None:
        """No query carries user text, and each is one a pack sends without any."""
        assert user_text_in(queries) == []
        assert {q.query for q in queries} <= self.queries_allowed()
        # the credentials went where they belong (so their absence elsewhere means something)
        assert all(q.authorization == self.expected_auth for q in queries)

    def queries_allowed(self) -> frozenset[str]:
        return frozenset().union(*self.baseline.values())

    def check_posts(self) -> None:
        """Nothing posted since the last check holds a secret or markup from user text."""
        for call in self.new_slack_calls():
            params = {k: v for k, v in call.params.items() if k != "token"}
            body = json.dumps(params, ensure_ascii=False)
            assert self.secrets.leaked(body) == [], call.method
            for text in _texts(params):
                assert injected(text) == [], (call.method, text)
        responses = self.slack.responses[self._seen_responses :]
        self._seen_responses += len(responses)
        for response in responses:
            assert self.secrets.leaked(json.dumps(response, ensure_ascii=False)) == []
            for text in _texts(response):
                assert injected(text) == [], ("response_url", text)
        assert self.logs.leaks == []
        assert self.logs.crashes == []

    def check_store(self) -> None:
        """No stored pack, rendered or not, and no byte of the database holds a secret."""
        for question in self.rt.store.list_questions():
            for stored in self.rt.store.packs_for_question(question.id):
                assert self.secrets.leaked(stored.document) == []
                assert self.secrets.leaked(render_markdown(json.loads(stored.document))) == []
        database = Path(self.rt.config.store.url.removeprefix("sqlite:///"))
        for path in database.parent.glob(database.name + "*"):
            raw = path.read_bytes()
            for form in self.secrets.forms():
                assert form.encode() not in raw, path


def _texts(value: Any) -> Iterator[str]:
    """Every mrkdwn/plain text a Slack payload shows (``text`` fields, at any depth)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "text" and isinstance(item, str):
                yield item
            else:
                yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)
    elif isinstance(value, str) and value[:1] in "[{":
        try:
            yield from _texts(json.loads(value))
        except ValueError:
            return


def rig_config(
    directory: Path,
    prometheus: RecordingPrometheus,
    slack: FakeSlack,
    pagerduty: FakePagerDuty,
    tls: Tls,
    *,
    auth: str,
    secrets: Secrets = SECRETS,
) -> Path:
    url = prometheus.url
    if auth == "basic":
        password = secrets.prometheus_password.replace("/", "%2F").replace("+", "%2B")
        url = f"http://{secrets.prometheus_user}:{password}@127.0.0.1:{prometheus.port}"
    document = daemon_config(
        url,
        slack.api_url,
        f"sqlite:///{directory / 'fuzz.db'}",
        managers=[MANAGER],
        alerts_match='{alertname=~".+"}',
    )
    if auth == "bearer":
        document["prometheus"]["bearer_token"] = secrets.prometheus_bearer
    document["prometheus"]["headers"] = {"X-Scope-OrgID": secrets.prometheus_header}
    document["slack"] |= {"bot_token": secrets.slack_bot, "signing_secret": secrets.signing}
    document["alertmanager"] = {"token": secrets.webhook}
    document["pagerduty"] = {
        "url": pagerduty.url,
        "token": secrets.pagerduty,
        "retries": 0,
        "ca_file": str(tls.cert),
    }
    document["services"][0]["pagerduty_service_ids"] = [PAGERDUTY_SERVICE]
    path = directory / "fuzz.yaml"
    path.write_text(json.dumps(document))
    return path


@contextmanager
def rig(
    directory: Path, tls: Tls, *, auth: str = "bearer", upstream: str | None = None
) -> Iterator[Rig]:
    """The runtime, its fakes and the leak watch; ``auth`` is how it authenticates to
    Prometheus (``bearer`` token or ``basic`` user:password in the URL); ``upstream`` a real
    Prometheus to forward the queries to."""
    secrets = SECRETS
    with ExitStack() as stack:
        slack = stack.enter_context(fake_slack(token=secrets.slack_bot))
        prometheus = stack.enter_context(recording_prometheus(upstream))
        pagerduty = stack.enter_context(fake_pagerduty([], token=secrets.pagerduty, tls=tls))
        logs = stack.enter_context(watch_logs(secrets))
        config = load_config(rig_config(directory, prometheus, slack, pagerduty, tls, auth=auth))
        # the line `slo-prep run` logs at start, through the same watch
        summary = redacted_config(config)
        logging.getLogger("slo_prep").info(
            m.LOG_CONFIG + " %s", json.dumps(summary), extra={"config": summary}
        )
        rt = build_runtime(config, out=io.StringIO(), clock=Clock(AT), post_interval=0)
        stack.callback(rt.store.close)
        stack.callback(rt.leadership.release)
        stack.callback(lambda: rt.work.shutdown(wait=True))
        stack.callback(lambda: rt.alert_work and rt.alert_work.shutdown(wait=True))
        rt.leadership.check()
        expected_auth = (
            secrets.basic_auth() if auth == "basic" else f"Bearer {secrets.prometheus_bearer}"
        )
        found = Rig(rt, slack, prometheus, pagerduty, logs, secrets, expected_auth)
        for service in rt.config.services:
            draft_pack(
                rt.config,
                service.name,
                AT,
                Decision(question="baseline?"),
                rt.prometheus,
                rt.generator,
                rt.pagerduty,
            )
            found.baseline[service.name] = frozenset(q.query for q in prometheus.taken())
        assert found.baseline["checkout"], "the baseline pack sent no query"
        assert pagerduty.requests, "PagerDuty was never asked: its token proves nothing"
        yield found
        found.settle()
        found.check_posts()
        found.check_store()
        assert user_text_in([RecordedQuery("", q, None) for q in found.queries_allowed()]) == []
