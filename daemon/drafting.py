"""Drafts a pack: runs the queries for every SLO of a service at one pinned instant and hands
the answers to the pure core. The only place that decides which queries a pack needs."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from collectors.pagerduty import PagerDutyCollector
from collectors.prometheus import Labels, PrometheusCollector, RangeSeries, chunk_spans
from daemon import messages
from daemon.config.model import Config, ServiceConfig
from daemon.core.batch import KEY_LABEL, Batch, plan_batches
from daemon.core.burn import BURN_WINDOWS, LONGEST_WINDOW
from daemon.core.decide import DecisionHalf, decide
from daemon.core.evidence import Measurement, Problem, SloEvidence, SloInputs, assess_slo
from daemon.core.firings import STEP_SECONDS, MinuteSeries
from daemon.core.incidents import Incident
from daemon.core.pack import Decision, Pack, PackStatus, Source, pack_status
from daemon.core.promql import (
    SliTemplates,
    le_lookup_query,
    matching_le,
    minute_templates,
    sli_templates,
)
from daemon.core.reliability import Reliability, assess_reliability
from daemon.core.slo import LatencySli, SloSpec
from daemon.core.windows import BudgetWindow, earlier_windows, resolve_window
from daemon.errors import CollectorError, PermanentCollectorError, TransientCollectorError

# whole windows before the current one, measured for the "chronic misses" rule
EARLIER_WINDOWS = 2
# a pack's Prometheus queries in flight at once: enough to keep a 2-core server busy while the
# client decodes what is back
PACK_CONCURRENCY = 4


@dataclass
class QueryRun:
    """Sends the queries of one pack and keeps each as a cited source. After a transient
    failure the rest of the pack fails fast with the same problem instead of waiting out a
    timeout per query."""

    prometheus: PrometheusCollector
    sources: list[Source] = field(default_factory=list)
    answered: dict[tuple[str, datetime], tuple[float | None, str]] = field(default_factory=dict)
    fetched: dict[str, tuple[datetime, datetime, RangeSeries, str]] = field(default_factory=dict)
    outage: TransientCollectorError | None = None
    # the same queries, already sent in parallel: asked here in program order, so each
    # source keeps the id (q1, q2, ...) it has when the pack is drafted one query at a time
    prefetched: _Prefetch | None = None

    def _cite(self, source: Source) -> str:
        self.sources.append(source)
        return source.id

    def _next_id(self) -> str:
        return f"q{len(self.sources) + 1}"

    def _guard(self) -> None:
        if self.outage is not None:
            raise _Failed(self.outage, None)

    def _note(self, exc: CollectorError) -> None:
        if isinstance(exc, TransientCollectorError):
            self.outage = exc

    def scalar(self, query: str, at: datetime) -> tuple[float | None, str]:
        # SLOs sharing an SLI share their burn-rate queries: ask once, cite once
        if (query, at) in self.answered:
            return self.answered[(query, at)]
        self._guard()
        sid = self._cite(Source(self._next_id(), "instant", query, self.prometheus.backend, at))
        try:
            early = self.prefetched.scalars.get((query, at)) if self.prefetched else None
            value = early.result() if early else self.prometheus.scalar(query, at)
            self.answered[(query, at)] = (value, sid)
        except CollectorError as exc:
            self._note(exc)
            raise _Failed(exc, sid) from exc
        return self.answered[(query, at)]

    def vector_labels(self, query: str, at: datetime, label: str) -> tuple[list[str], str]:
        self._guard()
        sid = self._cite(Source(self._next_id(), "instant", query, self.prometheus.backend, at))
        try:
            early = self.prefetched.vectors.get((query, at)) if self.prefetched else None
            rows = early.result() if early else self.prometheus.vector(query, at)
        except CollectorError as exc:
            self._note(exc)
            raise _Failed(exc, sid) from exc
        return [labels[label] for labels, _ in rows if label in labels], sid

    def range(self, query: str, start: datetime, end: datetime) -> tuple[RangeSeries, str]:
        # SLOs sharing an SLI share the per-minute history: a range already fetched from an
        # earlier start (same grid, same end) holds every point a later start needs
        cached = self.fetched.get(query)
        if cached is not None and cached[0] <= start and cached[1] == end:
            return cached[2], cached[3]
        self._guard()
        sid = self._next_id()
        result: RangeSeries | None = None
        try:
            early = self.prefetched.series.get(query) if self.prefetched else None
            if early is not None and early[:2] == (start, end):
                merged = RangeSeries()
                for chunk in early[2]:
                    merged.merge(chunk.result())
                result = merged
            else:
                result = self.prometheus.series(query, start, end, STEP_SECONDS)
        except CollectorError as exc:
            self._note(exc)
            raise _Failed(exc, sid) from exc
        finally:
            self._cite(
                Source(
                    sid,
                    "range",
                    query,
                    self.prometheus.backend,
                    None,
                    start,
                    end,
                    STEP_SECONDS,
                    result.round_trips if result else 0,
                )
            )
        self.fetched[query] = (start, end, result, sid)
        return result, sid


@dataclass
class _Prefetch:
    """Walks a pack's SLOs once without the answers, starting every query they will ask, so
    Prometheus works on them in parallel while the client decodes the ones already back. Only
    a latency SLI's bucket lookup is waited for: the queries after it depend on its answer."""

    prometheus: PrometheusCollector
    pool: Executor
    scalars: dict[tuple[str, datetime], Future[float | None]] = field(default_factory=dict)
    vectors: dict[tuple[str, datetime], Future[list[tuple[Labels, float]]]] = field(
        default_factory=dict
    )
    series: dict[str, tuple[datetime, datetime, list[Future[RangeSeries]]]] = field(
        default_factory=dict
    )

    def scalar(self, query: str, at: datetime) -> tuple[float | None, str]:
        if (query, at) not in self.scalars:
            self.scalars[(query, at)] = self.pool.submit(self.prometheus.scalar, query, at)
        return None, ""

    def vector_labels(self, query: str, at: datetime, label: str) -> tuple[list[str], str]:
        if (query, at) not in self.vectors:
            self.vectors[(query, at)] = self.pool.submit(self.prometheus.vector, query, at)
        try:
            rows = self.vectors[(query, at)].result()
        except CollectorError as exc:
            raise _Failed(exc, None) from exc
        return [labels[label] for labels, _ in rows if label in labels], ""

    def range(self, query: str, start: datetime, end: datetime) -> tuple[RangeSeries, str]:
        known = self.series.get(query)
        if known is None or not (known[0] <= start and known[1] == end):
            # chunk by chunk: a quarter's history is 13 requests, not one long chain of them
            chunks = [
                self.pool.submit(self.prometheus.chunk, query, a, b, STEP_SECONDS)
                for a, b in chunk_spans(start, end, STEP_SECONDS)
            ]
            self.series[query] = (start, end, chunks)
        return RangeSeries(), ""


class _Failed(Exception):
    """A query that did not answer, as the problem the pack will show."""

    def __init__(self, error: CollectorError, source_id: str | None) -> None:
        super().__init__(str(error))
        self.problem = Problem(error.code, "error", str(error), source_id)


class _Asks(Protocol):
    """What measuring an SLO asks of a run: ``QueryRun`` sends each query, ``_Answered``
    reads the answers of a cycle's batched queries."""

    def scalar(self, query: str, at: datetime) -> tuple[float | None, str]: ...

    def vector_labels(self, query: str, at: datetime, label: str) -> tuple[list[str], str]: ...


class _PackAsks(_Asks, Protocol):
    """A pack also reads per-minute history: ``QueryRun`` fetches it, ``_Prefetch`` starts it."""

    def range(self, query: str, start: datetime, end: datetime) -> tuple[RangeSeries, str]: ...


def _measure(
    run: _Asks, templates: SliTemplates, seconds: float, at: datetime, offset: float = 0
) -> Measurement:
    try:
        bad_query, total_query = templates.at_window(seconds, offset)
    except ValueError:
        return Measurement(failure=Problem.of("earlier_unmeasurable", "warning"))
    ids: list[str] = []
    try:
        bad, bad_id = run.scalar(bad_query, at)
        ids.append(bad_id)
        total, total_id = run.scalar(total_query, at)
        ids.append(total_id)
    except _Failed as failed:
        return Measurement(source_ids=tuple(ids), failure=failed.problem)
    return Measurement(bad_rate=bad, total_rate=total, source_ids=tuple(ids))


def _minutes(
    run: _PackAsks, templates: SliTemplates, window: BudgetWindow
) -> tuple[MinuteSeries | Problem, tuple[str, ...]]:
    """Per-minute events from 3 days before the window (so the longest alert window is full at
    its start) to the evaluation time, on a grid that ends exactly at ``at``."""
    at = window.at
    steps = math.ceil(
        (at - (window.start - timedelta(seconds=LONGEST_WINDOW))).total_seconds() / STEP_SECONDS
    )
    first = at - timedelta(seconds=steps * STEP_SECONDS)
    bad_query, total_query = minute_templates(templates)
    ids: list[str] = []
    try:
        bad, bad_id = run.range(bad_query, first, at)
        ids.append(bad_id)
        total, total_id = run.range(total_query, first, at)
        ids.append(total_id)
    except _Failed as failed:
        return failed.problem, tuple(ids)
    if not total.values:
        return Problem.of("no_data", "error", ids[-1], what="the firing history"), tuple(ids)
    base = int(first.timestamp())
    stamps = range(base, base + (steps + 1) * STEP_SECONDS, STEP_SECONDS)
    bad_at, total_at = bad.values.get, total.values.get
    totals = [total_at(t) for t in stamps]
    return (
        MinuteSeries(
            first=first,
            bad=[bad_at(t, 0.0) * STEP_SECONDS for t in stamps],
            total=[None if v is None else v * STEP_SECONDS for v in totals],
        ),
        tuple(ids),
    )


def _latency_bucket(run: _Asks, sli: LatencySli, window: BudgetWindow) -> str | Problem:
    query = le_lookup_query(sli, window.length_seconds)
    try:
        les, sid = run.vector_labels(query, window.at, "le")
    except _Failed as failed:
        return failed.problem
    if not les:
        return Problem.of(
            "no_histogram", "error", sid, histogram=sli.histogram, selector=sli.selector
        )
    le = matching_le(sli.threshold_seconds, les)
    if le is None:
        ordered = sorted(les, key=lambda v: float(v) if v != "+Inf" else math.inf)
        return Problem.of(
            "missing_bucket",
            "error",
            sid,
            threshold=sli.threshold_seconds,
            buckets=", ".join(ordered),
        )
    return le


def _gather(run: _PackAsks, spec: SloSpec, window: BudgetWindow) -> SloInputs:
    le: str | None = None
    if isinstance(spec.sli, LatencySli):
        found = _latency_bucket(run, spec.sli, window)
        if isinstance(found, Problem):
            return SloInputs(setup=found)
        le = found
    templates = sli_templates(spec.sli, le)
    at = window.at
    budget = None
    if window.elapsed_seconds >= STEP_SECONDS:
        budget = _measure(run, templates, window.elapsed_seconds, at)
    burns = {seconds: _measure(run, templates, seconds, at) for seconds in BURN_WINDOWS}
    earlier = tuple(
        (w, _measure(run, templates, w.length_seconds, at, (at - w.end).total_seconds()))
        for w in earlier_windows(spec.window, window, EARLIER_WINDOWS)
    )
    minutes, minute_ids = _minutes(run, templates, window)
    return SloInputs(
        budget=budget,
        burns=burns,
        minutes=minutes,
        minute_source_ids=minute_ids,
        earlier=earlier,
    )


@dataclass
class IncidentRun:
    """The incident side of a pack: what PagerDuty answered, and every request it took."""

    incidents: tuple[Incident, ...] | None = None
    problem: Problem | None = None
    sources: list[Source] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)

    def cite(self, pagerduty: PagerDutyCollector, first: int) -> None:
        """Cite the requests the collector made since its ``first`` one."""
        for r in pagerduty.requests[first:]:
            sid = f"pd{len(self.sources) + 1}"
            self.sources.append(
                Source(
                    sid,
                    "pagerduty",
                    r.endpoint,
                    pagerduty.backend,
                    r.time,
                    params=r.params,
                    status=r.status,
                )
            )


def reliability_window_seconds(service: ServiceConfig, windows: list[BudgetWindow]) -> float:
    """The MTTR/MTBF window: configured, or the length of the service's first SLO window."""
    if service.reliability_window_days is not None:
        return service.reliability_window_days * 86400.0
    return windows[0].length_seconds


def _fetch_incidents(
    config: Config,
    service: ServiceConfig,
    pagerduty: PagerDutyCollector | None,
    at: datetime,
    windows: list[BudgetWindow],
) -> IncidentRun:
    if not service.pagerduty_service_ids or config.pagerduty is None or pagerduty is None:
        text = messages.INCIDENTS_NOT_CONFIGURED.format(service=service.name)
        return IncidentRun(problem=Problem("incidents_not_configured", "warning", text))
    w = timedelta(seconds=reliability_window_seconds(service, windows))
    # the trailing window for MTTR/MTBF, and incidents already open when a budget window began
    since = min(at - 2 * w, min(b.start for b in windows) - timedelta(seconds=LONGEST_WINDOW))
    first = len(pagerduty.requests)
    run = IncidentRun()
    try:
        run.incidents = tuple(pagerduty.incidents(service.pagerduty_service_ids, since, at))
    except CollectorError as exc:
        text = messages.INCIDENTS_UNAVAILABLE.format(reason=exc)
        run.problem = Problem("incidents_unavailable", "error", text)
    run.cite(pagerduty, first)
    return run


def _fetch_notes(
    config: Config, pagerduty: PagerDutyCollector, slos: tuple[SloEvidence, ...], run: IncidentRun
) -> None:
    """Root cause / notes for the incidents the pack shows, as configured; never invented."""
    settings = config.pagerduty
    if settings is None or settings.notes == "title":
        return
    top = config.reliability.top_incidents
    shown = {c.incident.id for e in slos if e.attribution for c in e.attribution.incidents[:top]}
    first = len(pagerduty.requests)
    try:
        for incident_id in sorted(shown):
            note = (
                pagerduty.latest_note(incident_id)
                if settings.notes == "latest_note"
                else pagerduty.custom_field(incident_id, settings.notes_field or "")
            )
            if note:
                run.notes[incident_id] = note
    except CollectorError as exc:
        text = messages.NOTES_UNAVAILABLE.format(reason=exc)
        run.problem = Problem("notes_unavailable", "warning", text)
    run.cite(pagerduty, first)


def draft_pack(
    config: Config,
    service_name: str,
    at: datetime,
    decision: Decision,
    prometheus: PrometheusCollector,
    generator: str,
    pagerduty: PagerDutyCollector | None = None,
) -> Pack:
    """The pack for ``service_name`` as of ``at``; every query uses that one instant."""
    service = config.service(service_name)
    status: PackStatus = pack_status(decision.question)
    slos: tuple[SloEvidence, ...] = ()
    sources: tuple[Source, ...] = ()
    problems: tuple[Problem, ...] = ()
    reliability: Reliability | None = None
    notes: dict[str, str] = {}
    half = DecisionHalf()
    rules = config.rules_for(service) if service is not None else config.decision
    if service is not None:
        stakeholders = tuple((s.role, s.name) for s in service.stakeholders)
        decision = replace(decision, stakeholders=stakeholders)
    if service is None or not service.slos:
        status = "MISSING_SLO"
        text = (
            messages.MISSING_SLO_UNKNOWN_SERVICE.format(
                service=service_name, known=", ".join(s.name for s in config.services) or "none"
            )
            if service is None
            else messages.MISSING_SLO_NO_SLOS.format(service=service_name)
        )
        problems = (Problem("missing_slo", "error", text),)
    else:
        run = QueryRun(prometheus)
        windows = [(spec, resolve_window(spec.window, at)) for spec in service.slos]
        # earliest window first, so later ones reuse its per-minute history; config order kept
        order = sorted(range(len(windows)), key=lambda i: windows[i][1].start)
        pool = ThreadPoolExecutor(PACK_CONCURRENCY, thread_name_prefix="pack")
        # PagerDuty answers on a thread of its own, while Prometheus works
        pagerduty_thread = ThreadPoolExecutor(1, thread_name_prefix="pack-incidents")
        try:
            asked = pagerduty_thread.submit(
                _fetch_incidents, config, service, pagerduty, at, [w for _, w in windows]
            )
            run.prefetched = _Prefetch(prometheus, pool)
            for i in order:
                _gather(run.prefetched, *windows[i])
            incidents = asked.result()
            assessed = {
                i: assess_slo(
                    *windows[i], replace(_gather(run, *windows[i]), incidents=incidents.incidents)
                )
                for i in order
            }
        finally:
            # after an outage the pack fails fast: queries still queued are not sent
            pool.shutdown(wait=False, cancel_futures=True)
            pagerduty_thread.shutdown(wait=False)
        slos = tuple(assessed[i] for i in range(len(windows)))
        if incidents.incidents is not None and pagerduty is not None:
            _fetch_notes(config, pagerduty, slos, incidents)
            reliability = assess_reliability(
                incidents.incidents,
                at,
                reliability_window_seconds(service, [w for _, w in windows]),
                stable=config.reliability.stable_percent / 100,
                sharp=config.reliability.sharp_percent / 100,
            )
        problems = () if incidents.problem is None else (incidents.problem,)
        notes = incidents.notes
        sources = (*run.sources, *incidents.sources)
        if status == "DRAFT":
            half = decide(
                slos,
                reliability,
                notes,
                rules,
                at,
                decision.deadline,
                decision.stakeholders,
                config.reliability.top_incidents,
            )
    return Pack(
        status=status,
        service=service_name,
        evaluated_at=at,
        slos=slos,
        decision=decision,
        sources=sources,
        config_source=config.source,
        config_sha256=config.sha256,
        generator=generator,
        problems=problems,
        reliability=reliability,
        top_incidents=config.reliability.top_incidents,
        notes=notes,
        focus_slo=half.focus_slo,
        options=half.options,
        recommendation=half.recommendation,
        rules=rules,
    )


def evaluate_burns(
    service: ServiceConfig, at: datetime, prometheus: PrometheusCollector
) -> tuple[SloEvidence, ...]:
    """The burn-rate conditions of every SLO of ``service`` at ``at``, each query sent alone:
    seven windows per SLI, bad and total, shared by SLOs with the same SLI; no budget, history
    or incidents. The cycle uses ``evaluate_cycle``; this is its reference."""
    return _burns_alone(service, at, QueryRun(prometheus))


def _burns_alone(service: ServiceConfig, at: datetime, run: _Asks) -> tuple[SloEvidence, ...]:
    evidence: list[SloEvidence] = []
    for spec in service.slos:
        window = resolve_window(spec.window, at)
        templates = _burn_templates(run, spec, window)
        evidence.append(_burn_evidence(run, spec, window, templates, at))
    return tuple(evidence)


def _burn_templates(run: _Asks, spec: SloSpec, window: BudgetWindow) -> SliTemplates | Problem:
    le: str | None = None
    if isinstance(spec.sli, LatencySli):
        found = _latency_bucket(run, spec.sli, window)
        if isinstance(found, Problem):
            return found
        le = found
    return sli_templates(spec.sli, le)


def _burn_evidence(
    run: _Asks,
    spec: SloSpec,
    window: BudgetWindow,
    templates: SliTemplates | Problem,
    at: datetime,
) -> SloEvidence:
    if isinstance(templates, Problem):
        return assess_slo(spec, window, SloInputs(setup=templates))
    burns = {seconds: _measure(run, templates, seconds, at) for seconds in BURN_WINDOWS}
    return assess_slo(spec, window, SloInputs(burns=burns))


@dataclass(frozen=True)
class CycleEvaluation:
    """Every service's burn-rate evaluation in one cycle, by service name (config order)."""

    evidence: dict[str, tuple[SloEvidence, ...]]
    # what each service's evidence cites: every query as it would be sent alone (a batch
    # branch answers exactly what its query answers alone), at the cycle's instant
    sources: dict[str, tuple[Source, ...]]
    # HTTP requests sent to Prometheus
    requests: int


def evaluate_cycle(
    services: Sequence[ServiceConfig],
    at: datetime,
    prometheus: PrometheusCollector,
    *,
    batch_size: int = 50,
    max_concurrency: int = 4,
) -> CycleEvaluation:
    """The burn-rate conditions of every SLO of every service at ``at``, with few requests:
    the distinct queries (latency SLIs' bucket lookups first, then the seven windows' bad and
    total rates) go ``batch_size`` to a request, at most ``max_concurrency`` requests at a
    time. Numbers are those of ``evaluate_burns``. A batch the backend rejects (one template
    that does not parse or cannot run) is re-sent query by query, so only the broken SLO
    fails; after a transient failure the batches not yet sent fail fast with it, and every
    service that needed them is failed (measured nothing: no alert is resolved for it).
    ``batch_size`` 1 sends each query alone, one service per worker."""
    services = [s for s in services if s.slos]
    if batch_size == 1:
        return _cycle_alone(services, at, prometheus, max_concurrency)
    answers = _BatchedAnswers(prometheus, at, batch_size, max_concurrency)
    windows = {
        s.name: [(spec, resolve_window(spec.window, at)) for spec in s.slos] for s in services
    }
    answers.fetch(
        le_lookup_query(spec.sli, window.length_seconds)
        for s in services
        for spec, window in windows[s.name]
        if isinstance(spec.sli, LatencySli)
    )
    # the queries the templates need (a scratch run: its citations are not kept)
    scratch = _Answered(answers)
    answers.fetch(
        query
        for s in services
        for spec, window in windows[s.name]
        for t in [_burn_templates(scratch, spec, window)]
        if isinstance(t, SliTemplates)
        for seconds in BURN_WINDOWS
        for query in t.at_window(seconds)
    )
    # then SLO by SLO as ``evaluate_burns`` goes, so the citations come in its order
    runs = {s.name: _Answered(answers) for s in services}
    evidence = {
        s.name: tuple(
            _burn_evidence(
                runs[s.name], spec, window, _burn_templates(runs[s.name], spec, window), at
            )
            for spec, window in windows[s.name]
        )
        for s in services
    }
    return CycleEvaluation(
        evidence, {name: tuple(run.sources) for name, run in runs.items()}, answers.requests
    )


def _cycle_alone(
    services: list[ServiceConfig], at: datetime, prometheus: PrometheusCollector, workers: int
) -> CycleEvaluation:
    def one(service: ServiceConfig) -> tuple[tuple[SloEvidence, ...], tuple[Source, ...]]:
        run = QueryRun(prometheus)
        return _burns_alone(service, at, run), tuple(run.sources)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cycle") as pool:
        done = list(pool.map(one, services))
    return CycleEvaluation(
        {s.name: e for s, (e, _) in zip(services, done, strict=True)},
        {s.name: src for s, (_, src) in zip(services, done, strict=True)},
        # a QueryRun cites every request it sends, and only those
        sum(len(src) for _, src in done),
    )


Answer = list[tuple[Labels, float]] | CollectorError


class _BatchedAnswers:
    """The answers of a cycle's instant queries, fetched in batches by a bounded pool."""

    def __init__(
        self, prometheus: PrometheusCollector, at: datetime, batch_size: int, workers: int
    ) -> None:
        self.prometheus = prometheus
        self.at = at
        self.batch_size = batch_size
        self.workers = workers
        self.answers: dict[str, Answer] = {}
        self.requests = 0
        self.outage: TransientCollectorError | None = None
        self._lock = threading.Lock()

    def fetch(self, queries: Iterable[str]) -> None:
        todo = [q for q in dict.fromkeys(queries) if q not in self.answers]
        batches = plan_batches(todo, self.batch_size)
        if not batches:
            return
        with ThreadPoolExecutor(
            max_workers=min(self.workers, len(batches)), thread_name_prefix="cycle"
        ) as pool:
            for _ in pool.map(self._send, batches):
                pass

    def _keep(self, answers: dict[str, Answer], sent: int) -> None:
        with self._lock:
            self.answers.update(answers)
            self.requests += sent
            for answer in answers.values():
                if isinstance(answer, TransientCollectorError) and self.outage is None:
                    self.outage = answer

    def _send(self, batch: Batch) -> None:
        outage = self.outage
        if outage is not None:
            # the backend is down: a timeout per batch would only delay the degraded cycle
            self._keep({b.query: outage for b in batch.branches}, 0)
            return
        try:
            groups = self.prometheus.tagged(batch.query, self.at, KEY_LABEL)
        except PermanentCollectorError:
            # one branch the backend rejects fails the whole request: ask each query alone,
            # so only the broken one fails, with the error it has on its own
            self._one_by_one(batch)
            return
        except CollectorError as exc:
            self._keep({b.query: exc for b in batch.branches}, 1)
            return
        if "" in groups:
            # series without our label: a backend (or a proxy) that does not keep it; whose
            # they are cannot be told, so each query is asked alone
            self._one_by_one(batch)
            return
        self._keep({b.query: groups.get(b.key, []) for b in batch.branches}, 1)

    def _one_by_one(self, batch: Batch) -> None:
        self._keep({}, 1)
        for branch in batch.branches:
            self._keep({branch.query: self._alone(branch.query)}, 1)

    def _alone(self, query: str) -> Answer:
        if self.outage is not None:
            return self.outage
        try:
            return self.prometheus.vector(query, self.at)
        except CollectorError as exc:
            return exc


class _Answered:
    """One service's view of a cycle's answers, citing each query it reads once."""

    def __init__(self, answers: _BatchedAnswers) -> None:
        self._answers = answers
        self.sources: list[Source] = []
        self._cited: dict[str, str] = {}

    def _answer(self, query: str, at: datetime) -> tuple[Answer, str]:
        sid = self._cited.get(query)
        if sid is None:
            sid = f"q{len(self.sources) + 1}"
            backend = self._answers.prometheus.backend
            self.sources.append(Source(sid, "instant", query, backend, at))
            self._cited[query] = sid
        return self._answers.answers[query], sid

    def scalar(self, query: str, at: datetime) -> tuple[float | None, str]:
        answer, sid = self._answer(query, at)
        if isinstance(answer, CollectorError):
            raise _Failed(answer, sid)
        try:
            return self._answers.prometheus.single(answer), sid
        except CollectorError as exc:
            raise _Failed(exc, sid) from exc

    def vector_labels(self, query: str, at: datetime, label: str) -> tuple[list[str], str]:
        answer, sid = self._answer(query, at)
        if isinstance(answer, CollectorError):
            raise _Failed(answer, sid)
        return [labels[label] for labels, _ in answer if label in labels], sid
