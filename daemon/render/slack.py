"""The pack as Slack messages, rendered from its JSON document (the contract) like the Markdown.

``render_slack(pack)`` returns ``chat.postMessage`` payloads without ``channel``: the first is
the parent (the headline), the rest are thread replies, one or more per section: the current
state of each SLO, reliability, the decision, the option matrix, the recommended posture, the
audit appendix, the sources. The poster sets ``thread_ts`` on the replies.

Every payload stays within Slack's limits (the constants below, from FACTS.md): a section too
long for one block is split across blocks, a reply too long for one message continues in the
next reply, and a single over-long field is cut with "…". Lengths are counted in UTF-16 code
units, never fewer than Slack's own count.

Every string taken from the pack is user text: it is escaped for mrkdwn (``&``, ``<``, ``>`` and
nothing else) and every text object is ``verbatim``, so a question can neither ping
(``<!channel>``, ``<@U123>``, bare ``@here``) nor link. The only links are the ones built here
from incident URLs that are plain http(s). Pure: no network, no clock.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from daemon import messages as m
from daemon.core.mrkdwn import escape_mrkdwn
from daemon.render.environment import hours, minutes, num, pct, when

# --- Slack's limits (FACTS.md, "Block Kit") ---
MAX_BLOCKS = 50
SECTION_TEXT_LIMIT = 3_000
CONTEXT_TEXT_LIMIT = 3_000
HEADER_TEXT_LIMIT = 150
# Slack rejects messages of roughly 11-13k characters of text (msg_blocks_too_long): stay well
# under, summed over every text field of one message, the fallback ``text`` included.
MESSAGE_TEXT_LIMIT = 10_000

# --- our budgets inside those limits (escaped length of one field, "…" included) ---
FALLBACK_TEXT_LIMIT = 250
NAME_LIMIT = 100  # service, SLO, role, stakeholder, option id, level, rule id, time labels
TITLE_LIMIT = 200  # incident and option titles, audit claims and values
TEXT_LIMIT = 1_000  # notes, reasons, problem messages, positions, audit details
QUERY_LIMIT = 1_000  # PromQL and request texts
QUESTION_LIMIT = 2_000  # the question in the decision reply
HEADLINE_QUESTION_LIMIT = 500  # the question in the parent
URL_LIMIT = 1_000  # a longer incident URL is shown as text, not linked
HEADLINE_SLOS_SHOWN = 10
FIRINGS_SHOWN = 5  # the most recent ones; the count is always given
TOP_INCIDENTS_SHOWN = 10

ELLIPSIS = "…"
# A backtick would end inline code early; this look-alike (U+02CB) cannot.
_BACKTICK_STANDIN = "\u02cb"
_LINKABLE_URL = re.compile(r"https?://[^\s|<>]+", re.IGNORECASE)

Pack = Mapping[str, Any]
Payload = dict[str, Any]


# --- text -------------------------------------------------------------------------------------


def text_length(text: str) -> int:
    """Length as Slack's limits count it, at most: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


escape = escape_mrkdwn


def _units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def _text(value: object, limit: int) -> str:
    """User text on one line, escaped, at most ``limit`` long: cut with "…", never inside an
    entity."""
    flat = " ".join(str(value).split())
    escaped = escape(flat)
    if text_length(escaped) <= limit:
        return escaped
    out: list[str] = []
    used = 0
    for char in flat:
        piece = escape(char)
        cost = len(piece) * _units(char)
        if used + cost > limit - 1:
            break
        out.append(piece)
        used += cost
    return "".join(out) + ELLIPSIS


def _code(value: object, limit: int = QUERY_LIMIT) -> str:
    """Inline code (PromQL, requests), escaped; a backtick inside cannot end it."""
    flat = " ".join(str(value).split()).replace("`", _BACKTICK_STANDIN)
    return f"`{_text(flat, limit - 2)}`" if flat else "—"


def _link(url: object, label: str) -> str:
    """``<url|label>`` for a plain http(s) URL; otherwise the label and the URL as text."""
    text = _text(label, TITLE_LIMIT)
    if isinstance(url, str) and len(url) <= URL_LIMIT and _LINKABLE_URL.fullmatch(url):
        return f"<{url.replace('&', '&amp;')}|{text}>"
    return f"{text} ({_text(url, TITLE_LIMIT)})" if url else text


def _fit(mrkdwn: str, limit: int) -> str:
    """Markup built here, cut to ``limit`` as a last resort (the field budgets keep lines
    shorter): never inside an entity or a link's URL; a link cut in its label is closed, and
    inline code stays closed."""
    if text_length(mrkdwn) <= limit:
        return mrkdwn
    out: list[str] = []
    used = 0
    for char in mrkdwn:
        if used + _units(char) > limit - 3:  # room for "…", a closing ">" and a backtick
            break
        out.append(char)
        used += _units(char)
    cut = "".join(out)
    link = cut.rfind("<")  # the only raw "<" are links built here
    in_label = link > cut.rfind(">") and "|" in cut[link:]
    if link > cut.rfind(">") and not in_label:
        cut = cut[:link]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    cut += ELLIPSIS + (">" if in_label else "")
    return cut + "`" if cut.count("`") % 2 else cut


def _when(value: object) -> str:
    if value is None:
        return when(None)
    try:
        return when(str(value))
    except ValueError:
        return _text(value, NAME_LIMIT)


def _name(value: object) -> str:
    return _text(value, NAME_LIMIT)


def _value(value: object) -> str:
    """An audited value as the pack holds it."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        integral = value.is_integer() and abs(value) < 1e15
        return f"{value:,.0f}" if integral else f"{value:.6g}"
    if isinstance(value, str):
        return _text(value, TITLE_LIMIT)
    return _text(json.dumps(value, ensure_ascii=False, sort_keys=True), TITLE_LIMIT)


def _dicts(value: object) -> list[Mapping[str, Any]]:
    """The mappings of a list that may be absent or null."""
    if not isinstance(value, Sequence) or isinstance(value, str):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def _strings(value: object) -> list[str]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        return []
    return [str(item) for item in value]


# --- blocks and messages ----------------------------------------------------------------------


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text}}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def _context(text: str) -> dict[str, Any]:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": text, "verbatim": True}],
    }


class _Thread:
    """Lines packed into section blocks, blocks into messages, within every limit.

    ``topic`` starts a new message with a header. ``line`` appends one line to the current
    section block; when the block would pass ``SECTION_TEXT_LIMIT`` a new one starts, and when
    the message would pass ``MESSAGE_TEXT_LIMIT`` (less the fallback's share) or
    ``MAX_BLOCKS``, a new reply starts with a "(continued)" context line. A line is never
    split; a line longer than a block is cut."""

    _BUDGET = MESSAGE_TEXT_LIMIT - FALLBACK_TEXT_LIMIT

    def __init__(self, service: str) -> None:
        self.payloads: list[Payload] = []
        self._service = service
        self._title = ""
        self._fallback = ""
        self._topic_fallback = ""
        self._blocks: list[dict[str, Any]] = []
        self._used = 0
        self._lines: list[str] = []
        self._pending = 0

    def topic(self, title: str, what: str | None = None) -> None:
        self._finish()
        self._title = _fit(title, HEADER_TEXT_LIMIT)
        self._topic_fallback = m.SLACK_FALLBACK.format(service=self._service, what=what or title)
        self._fallback = _fit(self._topic_fallback, FALLBACK_TEXT_LIMIT)
        self._add(_header(self._title), text_length(self._title))

    def line(self, text: str) -> None:
        text = _fit(text, SECTION_TEXT_LIMIT)
        size = text_length(text)
        if self._lines and self._pending + 1 + size > SECTION_TEXT_LIMIT:
            self.block_break()
        cost = size + 1 if self._lines else size
        new_block = 0 if self._lines else 1
        if (
            self._used + self._pending + cost > self._BUDGET
            or len(self._blocks) + new_block > MAX_BLOCKS
        ):
            self._continue()
            cost = size
        self._lines.append(text)
        self._pending += cost

    def lines(self, texts: Sequence[str]) -> None:
        for text in texts:
            self.line(text)

    def block_break(self) -> None:
        """Close the current section block: the next line starts a new one."""
        if self._lines:
            text = "\n".join(self._lines)
            self._lines, self._pending = [], 0
            self._blocks.append(_section(text))
            self._used += text_length(text)

    def context(self, text: str) -> None:
        self.block_break()
        text = _fit(text, CONTEXT_TEXT_LIMIT)
        self._add(_context(text), text_length(text))

    def finish(self) -> list[Payload]:
        self._finish()
        return self.payloads

    def _add(self, block: dict[str, Any], size: int) -> None:
        if self._blocks and (
            self._used + size > self._BUDGET or len(self._blocks) + 1 > MAX_BLOCKS
        ):
            self._continue()
        self._blocks.append(block)
        self._used += size

    def _continue(self) -> None:
        self._finish()
        continued = m.SLACK_CONTINUED.format(title=self._topic_fallback)
        self._fallback = _fit(continued, FALLBACK_TEXT_LIMIT)
        label = _fit(m.SLACK_CONTINUED.format(title=self._title), CONTEXT_TEXT_LIMIT)
        self._blocks.append(_context(label))
        self._used = text_length(label)

    def _finish(self) -> None:
        self.block_break()
        if self._blocks:
            self.payloads.append({"text": self._fallback, "blocks": self._blocks})
        self._blocks, self._used = [], 0


# --- the parent -------------------------------------------------------------------------------


def _option_ref(pack: Pack, option_id: object) -> str:
    for option in _dicts(pack.get("options")):
        if option.get("id") == option_id and option.get("title"):
            return m.SLACK_OPTION_REF.format(
                id=_name(option_id), title=_text(option["title"], TITLE_LIMIT)
            )
    return _name(option_id)


def _slo_headline(slo: Mapping[str, Any]) -> str:
    name, state = _name(slo.get("name")), _name(slo.get("policy_state"))
    budget = slo.get("budget")
    if not isinstance(budget, Mapping):
        return m.SLACK_SLO_HEADLINE_UNMEASURED.format(name=name, state=state)
    return m.SLACK_SLO_HEADLINE.format(
        name=name,
        consumed=pct(budget["consumed_fraction"]),
        elapsed=pct(slo["window"]["elapsed_fraction"]),
        projected=pct(budget["projected_fraction_at_window_end"]),
        state=state,
    )


def _no_decision() -> str:
    return m.SLACK_NO_DECISION.format(notice=escape(m.NO_DECISION_FRAMED))


def _parent(t: _Thread, pack: Pack) -> None:
    status = _name(pack.get("status"))
    t.topic(m.SLACK_HEADER.format(service=_service(pack)), what=status)
    t.line(m.SLACK_STATUS.format(status=status, generated_by=_name(pack.get("generated_by"))))
    t.block_break()
    decision = pack.get("decision") or {}
    question = decision.get("question")
    if pack.get("status") == "MISSING_SLO":
        for problem in _dicts(pack.get("problems")):
            t.line(m.SLACK_MISSING_SLO.format(message=_text(problem.get("message"), TEXT_LIMIT)))
    if question:
        t.line(m.SLACK_QUESTION.format(question=_text(question, HEADLINE_QUESTION_LIMIT)))
        t.line(m.SLACK_DEADLINE.format(deadline=_deadline(decision)))
    elif pack.get("status") != "MISSING_SLO":
        t.line(_no_decision())
    t.block_break()
    slos = _dicts(pack.get("slos"))
    t.lines([_slo_headline(slo) for slo in slos[:HEADLINE_SLOS_SHOWN]])
    if len(slos) > HEADLINE_SLOS_SHOWN:
        t.line(m.SLACK_MORE.format(count=len(slos) - HEADLINE_SLOS_SHOWN))
    recommendation = pack.get("recommendation")
    if isinstance(recommendation, Mapping) and recommendation.get("primary"):
        t.block_break()
        t.line(m.SLACK_RECOMMENDED.format(option=_option_ref(pack, recommendation["primary"])))
        for fallback in _dicts(recommendation.get("fallbacks")):
            t.line(m.SLACK_FALLBACK_OPTION.format(option=_option_ref(pack, fallback.get("option"))))
    t.context(m.SLACK_EVALUATED.format(at=_when(pack.get("evaluated_at"))))


def _service(pack: Pack) -> str:
    return _name(pack.get("service"))


def _deadline(decision: Mapping[str, Any]) -> str:
    deadline = decision.get("deadline")
    return _name(deadline) if deadline else m.SLACK_NOT_SET


# --- current state ----------------------------------------------------------------------------


def _problem(problem: Mapping[str, Any]) -> str:
    message = _text(problem.get("message"), TEXT_LIMIT)
    sentence = (
        m.SLACK_PROBLEM_ERROR if problem.get("severity") == "error" else m.SLACK_PROBLEM_WARNING
    )
    text = sentence.format(message=message)
    if problem.get("source_id"):
        text += m.SLACK_PROBLEM_SOURCE.format(source_id=_name(problem["source_id"]))
    return text


def _sli(sli: Mapping[str, Any]) -> str:
    if sli.get("kind") == "latency":
        return m.SLACK_SLI_LATENCY.format(
            threshold=_name(sli.get("threshold_seconds")),
            histogram=_code(sli.get("histogram")),
            selector=_code(sli.get("selector")),
        )
    return m.SLACK_SLI_RATIO.format(
        error_query=_code(sli.get("error_query")), total_query=_code(sli.get("total_query"))
    )


def _budget(slo: Mapping[str, Any]) -> list[str]:
    budget, window, events = slo.get("budget"), slo["window"], slo.get("events") or {}
    if not isinstance(budget, Mapping):
        return [m.SLACK_BUDGET_UNMEASURED]
    exhaustion = budget.get("exhaustion_at")
    return [
        m.SLACK_BUDGET_TOTAL.format(minutes=num(budget["minutes"])),
        m.SLACK_BUDGET_CONSUMED.format(
            minutes=num(budget["consumed_minutes"]),
            fraction=pct(budget["consumed_fraction"]),
            elapsed=pct(window["elapsed_fraction"]),
        ),
        m.SLACK_BUDGET_REMAINING.format(
            remaining=pct(budget["remaining_fraction"]),
            projected=pct(budget["projected_fraction_at_window_end"]),
            exhaustion=_when(exhaustion) if exhaustion else m.SLACK_NOT_IN_WINDOW,
        ),
        m.SLACK_ERROR_RATIO.format(
            ratio=pct(budget["error_ratio"], 4),
            bad=num(events.get("bad"), 0),
            total=num(events.get("total"), 0),
        ),
    ]


def _alerts(slo: Mapping[str, Any]) -> list[str]:
    conditions = _dicts(slo.get("alert_conditions"))
    if not conditions:
        return []
    return [m.SLACK_ALERTS] + [
        m.SLACK_ALERT.format(
            severity=_name(c.get("severity")),
            long=_name(c.get("long_window")),
            short=_name(c.get("short_window")),
            threshold=num(c.get("burn_rate_threshold"), 2),
            long_rate=num(c.get("long_burn_rate"), 2),
            short_rate=num(c.get("short_burn_rate"), 2),
            state=m.SLACK_FIRING_NOW if c.get("firing") else m.SLACK_OK,
        )
        for c in conditions
    ]


def _firings(slo: Mapping[str, Any]) -> list[str]:
    if slo.get("firings") is None:
        return [m.SLACK_FIRINGS_UNMEASURED]
    firings = _dicts(slo.get("firings"))
    if not firings:
        return [m.SLACK_FIRINGS_NONE]
    recent = sorted(firings, key=lambda f: str(f.get("start") or ""), reverse=True)
    shown = recent[:FIRINGS_SHOWN]
    return [m.SLACK_FIRINGS.format(count=len(firings), shown=len(shown))] + [
        m.SLACK_FIRING.format(
            severity=_name(f.get("severity")),
            long=_name(f.get("long_window")),
            short=_name(f.get("short_window")),
            threshold=num(f.get("burn_rate_threshold"), 2),
            start=_when(f.get("start")),
            end=_when(f.get("end")) if f.get("end") else m.SLACK_STILL_FIRING,
        )
        for f in shown
    ]


def _earlier(slo: Mapping[str, Any]) -> list[str]:
    windows = _dicts(slo.get("earlier_windows"))
    if not windows:
        return []
    return [m.SLACK_EARLIER] + [
        m.SLACK_EARLIER_WINDOW.format(
            start=_when(w.get("start")),
            end=_when(w.get("end")),
            ratio=pct(w.get("error_ratio"), 4),
            verdict=m.SLACK_MISSED if w.get("missed") else m.SLACK_MET,
        )
        for w in windows
    ]


def _incident(incident: Mapping[str, Any]) -> str:
    label = m.SLACK_INCIDENT_LABEL.format(
        number=incident.get("number"), title=" ".join(str(incident.get("title")).split())
    )
    end = incident.get("end")
    text = m.SLACK_INCIDENT.format(
        start=_when(incident.get("start")),
        link=_link(incident.get("url"), label),
        minutes=num(incident.get("budget_consumed_minutes")),
        fraction=pct(incident.get("budget_consumed_fraction")),
        end=m.SLACK_RESOLVED.format(at=_when(end)) if end else m.SLACK_STILL_OPEN,
    )
    if incident.get("note"):
        text += m.SLACK_INCIDENT_NOTE.format(note=_text(incident["note"], TEXT_LIMIT))
    return text


def _incidents(slo: Mapping[str, Any]) -> list[str]:
    if slo.get("top_incidents") is None:
        return []
    incidents = _dicts(slo.get("top_incidents"))
    lines = [m.SLACK_INCIDENTS]
    lines += [_incident(i) for i in incidents[:TOP_INCIDENTS_SHOWN]] or [m.SLACK_INCIDENTS_NONE]
    if len(incidents) > TOP_INCIDENTS_SHOWN:
        lines.append(m.SLACK_MORE.format(count=len(incidents) - TOP_INCIDENTS_SHOWN))
    unattributed = slo.get("unattributed")
    if isinstance(unattributed, Mapping):
        lines.append(
            m.SLACK_UNATTRIBUTED.format(
                minutes=num(unattributed.get("consumed_minutes")),
                fraction=pct(unattributed.get("consumed_fraction")),
            )
        )
    return lines


def _state(t: _Thread, slo: Mapping[str, Any]) -> None:
    name, window = _name(slo.get("name")), slo["window"]
    t.topic(m.SLACK_TITLE_STATE.format(slo=name))
    t.line(
        m.SLACK_SLO_TITLE.format(
            name=name,
            objective=_name(slo.get("objective")),
            window=_name(window.get("label")),
            kind=_name(window.get("kind")),
        )
    )
    if slo.get("description"):
        t.line(_text(slo["description"], TEXT_LIMIT))
    t.line(_sli(slo.get("sli") or {}))
    t.line(
        m.SLACK_BUDGET_WINDOW.format(
            start=_when(window.get("start")),
            end=_when(window.get("end")),
            elapsed=pct(window.get("elapsed_fraction")),
        )
    )
    t.lines(_budget(slo))
    t.line(m.SLACK_POLICY_STATE.format(state=_name(slo.get("policy_state"))))
    rates = slo.get("burn_rates") or {}
    if rates:
        items = [
            m.SLACK_BURN_RATE.format(window=_name(w), rate=num(r, 2)) for w, r in rates.items()
        ]
        t.line(m.SLACK_BURN_RATES.format(rates=" · ".join(items)))
    for part in (_alerts(slo), _firings(slo), _earlier(slo), _incidents(slo)):
        if part:
            t.block_break()
            t.lines(part)
    problems = _dicts(slo.get("problems"))
    if problems:
        t.block_break()
        t.lines([m.SLACK_PROBLEMS] + [_problem(p) for p in problems])


def _reliability(t: _Thread, pack: Pack) -> None:
    t.topic(m.SLACK_TITLE_RELIABILITY)
    reliability = pack.get("reliability")
    if isinstance(reliability, Mapping):
        cur, trail = reliability["current"], reliability["trailing"]
        opened = cur.get("open")
        t.lines(
            [
                m.SLACK_RELIABILITY_WINDOW.format(window=_name(reliability.get("window"))),
                m.SLACK_MTTR.format(
                    current=minutes(cur.get("mttr_minutes")),
                    trailing=minutes(trail.get("mttr_minutes")),
                ),
                m.SLACK_MTBF.format(
                    current=hours(cur.get("mtbf_hours")), trailing=hours(trail.get("mtbf_hours"))
                ),
                m.SLACK_INCIDENT_COUNT.format(
                    current=cur.get("incidents"),
                    open=m.SLACK_OPEN.format(open=opened) if opened else "",
                    trailing=trail.get("incidents"),
                ),
                m.SLACK_TREND.format(
                    reading=_text((reliability.get("trend") or {}).get("reading"), TEXT_LIMIT)
                ),
            ]
        )
    problems = _dicts(pack.get("problems"))
    if problems:
        t.block_break()
        t.lines([_problem(p) for p in problems])
    if not isinstance(reliability, Mapping) and not problems:
        t.line(m.SLACK_NO_RELIABILITY)


# --- the decision half ------------------------------------------------------------------------


def _decision(t: _Thread, pack: Pack) -> None:
    t.topic(m.SLACK_TITLE_DECISION)
    decision = pack.get("decision") or {}
    if not decision.get("question"):
        t.line(_no_decision())
        return
    t.line(m.SLACK_QUESTION.format(question=_text(decision["question"], QUESTION_LIMIT)))
    t.line(m.SLACK_DEADLINE.format(deadline=_deadline(decision)))
    if decision.get("horizon"):
        t.line(m.SLACK_HORIZON.format(horizon=_name(decision["horizon"])))
    if decision.get("focus_slo"):
        t.line(m.SLACK_FOCUS_SLO.format(slo=_name(decision["focus_slo"])))
    stakeholders = _dicts(decision.get("stakeholders"))
    if stakeholders:
        t.line(m.SLACK_STAKEHOLDERS)
        for s in stakeholders:
            t.line(m.SLACK_STAKEHOLDER.format(role=_name(s.get("role")), name=_name(s.get("name"))))


def _score(sentence: str, value: object, **extra: str) -> str:
    score: Mapping[str, Any] = value if isinstance(value, Mapping) else {}
    return sentence.format(
        level=_name(score.get("level", "n/a")),
        reason=_text(score.get("reason", ""), TEXT_LIMIT),
        **extra,
    )


def _options(t: _Thread, pack: Pack) -> None:
    options = _dicts(pack.get("options"))
    if not options:
        return
    t.topic(m.SLACK_TITLE_OPTIONS)
    for option in options:
        t.block_break()
        t.line(
            m.SLACK_OPTION_TITLE.format(
                id=_name(option.get("id")), title=_text(option.get("title"), TITLE_LIMIT)
            )
        )
        t.line(_score(m.SLACK_OPTION_IMPACT, option.get("impact")))
        t.line(_score(m.SLACK_OPTION_REVERSIBILITY, option.get("reversibility")))
        costs = option.get("stakeholder_cost")
        if isinstance(costs, Mapping):
            for role, score in costs.items():
                t.line(_score(m.SLACK_OPTION_COST, score, role=_name(role)))
        rules = _strings(option.get("rule_ids"))
        if rules:
            t.line(m.SLACK_RULES.format(rules=_text(", ".join(rules), TEXT_LIMIT)))


def _recommendation(t: _Thread, pack: Pack) -> None:
    rec = pack.get("recommendation")
    if not isinstance(rec, Mapping):
        return
    t.topic(m.SLACK_TITLE_RECOMMENDATION)
    t.line(m.SLACK_PRIMARY.format(option=_option_ref(pack, rec.get("primary"))))
    if rec.get("rule_id"):
        t.line(m.SLACK_RULES.format(rules=_name(rec["rule_id"])))
    why = _strings(rec.get("why"))
    if why:
        t.block_break()
        t.line(m.SLACK_WHY)
        t.lines([m.SLACK_BULLET.format(text=_text(w, TEXT_LIMIT)) for w in why])
    sections: list[tuple[str, str, str, str]] = [
        (m.SLACK_FALLBACKS, "fallbacks", m.SLACK_FALLBACK_WHEN, "when"),
        (m.SLACK_ALTERNATIVES, "alternatives", m.SLACK_REASONED, "reason"),
        (m.SLACK_REJECTED, "rejected", m.SLACK_REASONED, "reason"),
    ]
    for title, key, sentence, field in sections:
        items = _dicts(rec.get(key))
        if items:
            t.block_break()
            t.line(title)
            for item in items:
                option = _option_ref(pack, item.get("option"))
                t.line(
                    sentence.format(option=option, **{field: _text(item.get(field), TEXT_LIMIT)})
                )
    positions = _dicts(rec.get("stakeholder_positions"))
    if positions:
        t.block_break()
        t.line(m.SLACK_POSITIONS)
        for p in positions:
            t.line(
                m.SLACK_POSITION.format(
                    role=_name(p.get("role")),
                    name=_name(p.get("name")),
                    option=_option_ref(pack, p.get("favours")),
                    position=_text(p.get("position"), TEXT_LIMIT),
                )
            )
    if rec.get("advocate"):
        t.block_break()
        t.line(m.SLACK_ADVOCATE.format(advocate=_text(rec["advocate"], TEXT_LIMIT)))


def _audit(t: _Thread, pack: Pack) -> None:
    entries = _dicts(pack.get("audit"))
    if not entries:
        return
    t.topic(m.SLACK_TITLE_AUDIT)
    t.line(m.SLACK_AUDIT_INTRO.format(count=len(entries)))
    t.block_break()
    for entry in entries:
        source = entry.get("source")
        source = source if isinstance(source, Mapping) else {}
        refs = _strings(source.get("refs"))
        t.line(
            m.SLACK_AUDIT_ENTRY.format(
                claim=_text(entry.get("claim"), TITLE_LIMIT),
                value=_value(entry.get("value")),
                kind=_name(source.get("kind")),
                detail=_text(source.get("detail"), TEXT_LIMIT),
                refs=m.SLACK_REFS.format(refs=_text(", ".join(refs), TITLE_LIMIT)) if refs else "",
            )
        )


# --- sources ----------------------------------------------------------------------------------


def _source(source: Mapping[str, Any]) -> str:
    ident, backend = _name(source.get("id")), _text(source.get("backend"), TITLE_LIMIT)
    kind = source.get("kind")
    if kind == "pagerduty":
        params = source.get("params") or {}
        query = str(source.get("query"))
        if "offset" in params:
            query += f"?offset={params['offset']}"
        created = ""
        if "since" in params:
            created = m.SLACK_SOURCE_CREATED.format(
                since=_name(params["since"]), until=_name(params.get("until"))
            )
        return m.SLACK_SOURCE_PAGERDUTY.format(
            id=ident,
            query=_code(query),
            created=created,
            time=_name(source.get("time")),
            status=_name(source.get("status") or m.SLACK_NO_ANSWER),
            backend=backend,
        )
    if kind == "range":
        return m.SLACK_SOURCE_RANGE.format(
            id=ident,
            query=_code(source.get("query")),
            start=_name(source.get("start")),
            end=_name(source.get("end")),
            step=_name(source.get("step_seconds")),
            trips=_name(source.get("round_trips")),
            backend=backend,
        )
    return m.SLACK_SOURCE_INSTANT.format(
        id=ident, query=_code(source.get("query")), time=_name(source.get("time")), backend=backend
    )


def _sources(t: _Thread, pack: Pack) -> None:
    t.topic(m.SLACK_TITLE_SOURCES)
    config = pack.get("config") or {}
    t.line(
        m.SLACK_CONFIG.format(
            source=_code(config.get("source"), TITLE_LIMIT),
            sha=_name(str(config.get("sha256"))[:12]),
        )
    )
    t.block_break()
    t.lines([_source(s) for s in _dicts(pack.get("sources"))])


# --- the whole pack ---------------------------------------------------------------------------


def render_slack(pack: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The pack as ``chat.postMessage`` payloads: the parent first, then the thread replies."""
    t = _Thread(_service(pack))
    _parent(t, pack)
    if pack.get("status") == "MISSING_SLO":
        return t.finish()
    for slo in _dicts(pack.get("slos")):
        _state(t, slo)
    _reliability(t, pack)
    _decision(t, pack)
    _options(t, pack)
    _recommendation(t, pack)
    _audit(t, pack)
    _sources(t, pack)
    return t.finish()
