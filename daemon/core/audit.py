"""The audit appendix: every number and claim of the pack traced to its origin — the PromQL
text with evaluation time and backend, the PagerDuty requests and incident links, the config
file and its digest, the rule and threshold behind each score, the formula of each derived
number. Built from the pack's JSON document, so it covers exactly what is emitted."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

from daemon.core.rules import DecisionRules

Entry = dict[str, Any]


def _source_text(source: Mapping[str, Any]) -> str:
    if source["kind"] == "pagerduty":
        sent = f"sent {source['time']} (HTTP {source['status']})"
        return f"{source['query']} at {source['backend']} {sent}"
    if source["kind"] == "instant":
        return f"{source['query']} at {source['time']} on {source['backend']}"
    return (
        f"{source['query']} from {source['start']} to {source['end']} every "
        f"{source['step_seconds']} s on {source['backend']}"
    )


class _Builder:
    def __init__(self, doc: Mapping[str, Any], rules: DecisionRules) -> None:
        self.doc = doc
        self.rules = rules
        self.sources = {s["id"]: s for s in doc["sources"]}
        config = doc["config"]
        self.config = f"config {config['source']} (sha256 {config['sha256']})"
        self.entries: list[Entry] = []

    def add(
        self, path: str, claim: str, value: Any, kind: str, detail: str, refs: Iterable[str] = ()
    ) -> None:
        self.entries.append(
            {
                "path": path,
                "claim": claim,
                "value": value,
                "source": {"kind": kind, "detail": detail, "refs": list(refs)},
            }
        )

    def queries(self, refs: Sequence[str]) -> str:
        return "; ".join(_source_text(self.sources[r]) for r in refs if r in self.sources)

    def slo(self, i: int, slo: Mapping[str, Any]) -> None:
        p, name, ids = f"slos[{i}]", slo["name"], slo["source_ids"]
        o = slo["objective"]
        budget_ratio = (100 - o) / 100
        self.add(
            f"{p}.objective",
            f"Objective of {name}",
            o,
            "config",
            f"{self.config}: services[].slos[].objective",
        )
        if slo["sli"]["kind"] == "latency":
            self.add(
                f"{p}.sli",
                f"Latency threshold of {name}",
                slo["sli"]["threshold_seconds"],
                "config",
                f"{self.config}: services[].slos[].sli.latency",
            )
        w = slo["window"]
        self.add(
            f"{p}.window",
            f"Budget window of {name}",
            w["elapsed_fraction"],
            "formula",
            f"elapsed = (at - start) / (end - start) with start {w['start']}, end {w['end']}, "
            f"at {self.doc['evaluated_at']}",
        )
        refs = ids.get("budget", [])
        if slo["events"] is not None:
            self.add(
                f"{p}.events",
                f"Bad and total events of {name} in the window",
                slo["events"]["total"],
                "promql",
                f"per-second rate x elapsed seconds: {self.queries(refs)}",
                refs,
            )
        b = slo["budget"]
        if b is not None:
            e = w["elapsed_fraction"]
            derived = {
                "minutes": f"(1 - {o / 100:g}) x window minutes = {b['minutes']:.4g} min",
                "error_ratio": f"bad / total over the window: {self.queries(refs)}",
                "consumed_fraction": f"error_ratio / (1 - o) x elapsed = {b['error_ratio']:.6g} / "
                f"{budget_ratio:.6g} x {e:.6g}",
                "consumed_minutes": f"consumed x budget minutes = {b['consumed_fraction']:.6g} x "
                f"{b['minutes']:.6g}",
                "remaining_fraction": f"1 - consumed = 1 - {b['consumed_fraction']:.6g}",
                "projected_fraction_at_window_end": f"projection = consumed / elapsed = "
                f"{b['consumed_fraction']:.4g} / {e:.4g}",
            }
            for key, detail in derived.items():
                kind = "promql" if key == "error_ratio" else "formula"
                self.add(
                    f"{p}.budget.{key}",
                    f"{key.replace('_', ' ')} of {name}",
                    b[key],
                    kind,
                    detail,
                    refs,
                )
        for label, rate in slo["burn_rates"].items():
            burn = ids.get(f"burn_{label}", [])
            self.add(
                f"{p}.burn_rates.{label}",
                f"Burn rate over {label} of {name}",
                rate,
                "promql",
                f"(bad / total over {label}) / (1 - o): {self.queries(burn)}",
                burn,
            )
        for j, c in enumerate(slo["alert_conditions"]):
            self.add(
                f"{p}.alert_conditions[{j}]",
                f"{c['severity']} {c['long_window']}/{c['short_window']} of {name}",
                c["burn_rate_threshold"],
                "formula",
                f"threshold = budget share x period / {c['long_window']} (SRE Workbook, as Sloth "
                f"scales it); fires while both burn rates exceed it",
                ids.get(f"burn_{c['long_window']}", []) + ids.get(f"burn_{c['short_window']}", []),
            )
        firing_refs = ids.get("firings", [])
        self.add(
            f"{p}.firings",
            f"Burn-rate firings of {name}",
            None if slo["firings"] is None else len(slo["firings"]),
            "promql",
            f"per-minute events summed over each alert window: {self.queries(firing_refs)}",
            firing_refs,
        )
        self.add(
            f"{p}.burn_down",
            f"Budget burn-down of {name}",
            len(slo["burn_down"]),
            "formula",
            "cumulative bad events since the window start / (T x (1 - o)) x elapsed",
            firing_refs,
        )
        for j, ew in enumerate(slo["earlier_windows"]):
            self.add(
                f"{p}.earlier_windows[{j}]",
                f"Error ratio of {name} from {ew['start']} to {ew['end']}",
                ew["error_ratio"],
                "promql",
                f"bad / total: {self.queries(ew['source_ids'])}",
                ew["source_ids"],
            )
        for j, inc in enumerate(slo["top_incidents"] or []):
            self.add(
                f"{p}.top_incidents[{j}]",
                f"Budget consumed during #{inc['number']} {inc['title']}",
                inc["budget_consumed_minutes"],
                "pagerduty",
                f"incident {inc['id']} {inc['url']} ({inc['start']} to {inc['end'] or 'open'}); "
                f"bad events in it from the per-minute series / (T x (1 - o)) x elapsed, "
                f"no baseline subtracted",
                [*firing_refs, *self._pd_listing()],
            )
        if slo["unattributed"] is not None:
            self.add(
                f"{p}.unattributed",
                f"Budget consumed with no incident open, {name}",
                slo["unattributed"]["consumed_minutes"],
                "formula",
                "bad events outside every incident interval / (T x (1 - o)) x elapsed",
                [*firing_refs, *self._pd_listing()],
            )

    def _pd_listing(self) -> list[str]:
        return [s["id"] for s in self.doc["sources"] if s["query"] == "GET /incidents"]

    def reliability(self, r: Mapping[str, Any]) -> None:
        for name in ("current", "trailing"):
            w = r[name]
            self.add(
                f"reliability.{name}",
                f"Incidents created from {w['start']} to {w['end']}",
                w["incidents"],
                "pagerduty",
                "MTTR = mean(resolved_at - created_at) of resolved incidents; MTBF = (last - "
                "first created_at) / (n - 1)",
                self._pd_listing(),
            )
        self.add(
            "reliability.trend",
            "MTTR and MTBF trend",
            r["trend"]["reading"],
            "formula",
            "change = (current - trailing) / trailing against the stable/sharp thresholds",
        )

    def decision(self) -> None:
        t = self.rules.thresholds
        thresholds = ", ".join(f"{k} = {v}" for k, v in asdict(t).items())
        for k, option in enumerate(self.doc["options"]):
            scores = [("impact", option["impact"]), ("reversibility", option["reversibility"])]
            scores += [(f"cost to {role}", s) for role, s in option["stakeholder_cost"].items()]
            detail = "; ".join(f"{axis} {s['level']} by rule {s['rule_id']}" for axis, s in scores)
            self.add(
                f"options[{k}]",
                f"{option['id']} {option['title']}",
                option["id"],
                "rule",
                f"{detail} (thresholds: {thresholds})",
            )
        rec = self.doc["recommendation"]
        if rec is not None:
            self.add(
                "recommendation",
                f"Primary {rec['primary']}",
                rec["primary"],
                "rule",
                f"first matching posture rule {rec['rule_id']} (thresholds: {thresholds})",
            )

    def build(self) -> list[Entry]:
        for i, slo in enumerate(self.doc["slos"]):
            self.slo(i, slo)
        if self.doc.get("reliability"):
            self.reliability(self.doc["reliability"])
        self.decision()
        return self.entries


def build_audit(doc: Mapping[str, Any], rules: DecisionRules) -> list[Entry]:
    return _Builder(doc, rules).build()
