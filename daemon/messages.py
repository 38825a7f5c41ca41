"""Every sentence slo-prep shows a person, in one place.

Placeholders are filled with ``str.format``; renderers escape whatever came from users."""

from __future__ import annotations

# --- collector failures (shown in the pack, per SLO) ---
BACKEND_UNREACHABLE = "Prometheus at {backend} could not be reached ({reason})."
BACKEND_STATUS = "Prometheus at {backend} answered HTTP {status}."
MALFORMED_RESPONSE = "The query API answered something that is not a Prometheus response."
QUERY_REJECTED = "Prometheus rejected the query (HTTP {status}): {detail}"
QUERY_NOT_SINGLE = "The query returned {count} series; an SLI query must aggregate to one."
QUERY_NOT_FINITE = "The query returned a non-finite value ({value})."

# --- evidence problems (code -> sentence) ---
PROBLEMS = {
    "no_data": "No data: the total-events query returned no series for {what}.",
    "no_traffic": "No traffic: zero events in {what}, so the error ratio is undefined.",
    "too_few_events": (
        "Too few events: {events:.0f} in the window, fewer than the {minimum} needed for a "
        "meaningful ratio. Treat these numbers with care."
    ),
    "no_error_series": (
        "The bad-events query returned no series over {what}; counted as zero bad events. "
        "Check the query if errors are expected."
    ),
    "window_not_started": "The budget window started at {start}; nothing to measure yet.",
    "missing_bucket": (
        "The histogram has no bucket with le = {threshold} (its buckets: {buckets}). "
        "Set threshold_seconds to one of them."
    ),
    "no_histogram": "The histogram {histogram} has no buckets for selector {selector}.",
    "missing_steps": (
        "{missing} of {steps} minutes in the firing history returned no data; "
        "firings there may be missing."
    ),
    "earlier_unmeasurable": (
        "Earlier windows were not measured: the SLI template uses {{{{.window}}}} outside a "
        "plain range [{{{{.window}}}}], so it cannot be shifted with offset."
    ),
    "unreachable": "{message}",
    "query_error": "{message}",
    "collector_error": "{message}",
}

# --- pack halts ---
MISSING_SLO_UNKNOWN_SERVICE = "Service {service!r} is not configured (configured: {known})."
MISSING_SLO_NO_SLOS = "Service {service!r} has no SLO configured; define one under services[].slos."
NO_DECISION_FRAMED = (
    "No decision question is framed, so this pack carries the current state only. "
    'Register one with `--question "Can we ship X by Friday?"` and `--deadline YYYY-MM-DD`.'
)

# --- CLI ---
CONFIG_OK = "{source}: OK ({services} services, {slos} SLOs)"
BAD_AT = "--at must be an RFC 3339 time with a timezone, e.g. 2026-11-16T00:00:00Z (got {value!r})"
BAD_DEADLINE = "--deadline must be a date YYYY-MM-DD (got {value!r})"
CHART_UNWRITABLE = "--chart {path}: cannot write the chart ({reason})"
NOTHING_DRAFTED = "No SLO of {service!r} could be measured; the pack above says why."
BURN_REPORT_HEADLINE = (
    "Burn rates at {at}: {slos} SLOs of {services} services, {firing} alert conditions firing"
)
SOME_UNMEASURED = "{count} of {total} SLOs could not be measured; the report above says why."

# --- reliability trend reading (after "MTBF …, MTTR … — ") ---
TREND_NOT_COMPARABLE = "{metric} not comparable"
TREND_FREQUENCY_WORSE = "frequency is the bigger problem than recovery time"
TREND_RECOVERY_WORSE = "recovery time is the bigger problem than frequency"
TREND_FREQUENCY_ONLY = "failures come more often while recovery holds"
TREND_RECOVERY_ONLY = "recovery takes longer while failures come no more often"
TREND_UNKNOWN = "too few incidents in one of the windows to compare"
TREND_IMPROVING = "reliability is improving against the trailing window"
TREND_STABLE = "no change against the trailing window"

# --- PagerDuty ---
PAGERDUTY_UNREACHABLE = "PagerDuty at {backend} could not be reached."
PAGERDUTY_REJECTED = (
    "PagerDuty refused the request (HTTP {status}); check the token and service ids."
)
PAGERDUTY_GAVE_UP = "PagerDuty kept answering HTTP {status}; gave up after {tries} tries."
PAGERDUTY_MALFORMED = "PagerDuty answered something that is not an API response."
INCIDENTS_NOT_CONFIGURED = (
    "Incidents are not configured for {service!r}: set services[].pagerduty_service_ids and the "
    "pagerduty section to add MTTR/MTBF and the incidents that spent the budget."
)
INCIDENTS_UNAVAILABLE = "The incident section is missing: {reason}"
NOTES_UNAVAILABLE = "Incident notes are missing: {reason}"

# --- the option matrix ---
OPTION_TITLES = {
    "O1": "Ship on the original timeline and accept the burn",
    "O2": "Defer the change; spend the time on reliability fixes first",
    "O3": "Freeze risky releases for {freeze_days} days, then ship",
    "O4": "Extend the budget temporarily by {extension_minutes:.0f} minutes",
    "O5": "Lower the SLO from {objective} % to {lower_objective} %",
    "O6": "Controlled exception owned by {owner} while the third-party cause is fixed",
}
# keyed by rule id; every score's reason, filled from the signals
RULE_REASONS = {
    "impact.ship.severe": (
        "Projected {projected:.0%} of the budget by window end (policy: {policy_state}): more "
        "user-facing failures are likely before the window ends"
    ),
    "impact.ship.burning": (
        "Projected {projected:.0%} by window end: the budget runs out before the window does"
    ),
    "impact.ship.healthy": "Projected {projected:.0%} by window end: the budget lasts",
    "impact.defer": "No new change reaches users; the cost is the delay of the feature",
    "impact.freeze.severe": (
        "{freeze_days} days without risky deploys, then the change lands on a budget projected at "
        "{projected:.0%}"
    ),
    "impact.freeze": "{freeze_days} days without risky deploys lets the burn settle first",
    "impact.extend.burning": (
        "Users may see {extension_minutes:.0f} more minutes of failures within the SLO"
    ),
    "impact.extend": "Little user impact while the budget lasts, but the promise weakens",
    "impact.lower": ("A weaker promise to users: {objective} % becomes {lower_objective} %"),
    "impact.exception": "The burn comes from a third party; users see no new risk from us",
    "reversibility.ship": "Reversible at the next budget window",
    "reversibility.defer": "A deferral can be rescheduled at any time",
    "reversibility.freeze": "A freeze is temporary by definition ({freeze_days} days)",
    "reversibility.extend": (
        "Budget extensions tend to become permanent if not reversed at window end"
    ),
    "reversibility.lower": "SLO changes are sticky once published and planned against",
    "reversibility.exception": "Expires when {owner} signs off the third-party fix",
    "cost.ship.product": "Keeps the committed date",
    "cost.ship.sre.burning": ("More incidents to triage on a budget projected at {projected:.0%}"),
    "cost.ship.sre": "Normal on-call load while the budget lasts",
    "cost.ship.qa": "Release testing under reliability pressure",
    "cost.defer.product": "Misses the committed date",
    "cost.defer.sre": "Time to fix the top incidents",
    "cost.defer.qa": "Time to verify the fixes before the feature",
    "cost.freeze.product.deadline": (
        "A {freeze_days}-day freeze outlasts the {days_to_deadline:.0f} days to the deadline"
    ),
    "cost.freeze.product": "{freeze_days} days of delay, inside the time to the deadline",
    "cost.freeze.sre": "The fix window is compressed into {freeze_days} days",
    "cost.freeze.qa": "A quiet window to verify fixes",
    "cost.extend.product": "Ships on time",
    "cost.extend.sre": "Erodes the error-budget discipline the SLO rests on",
    "cost.extend.qa": "Release testing against a moved target",
    "cost.lower.product": "May collide with customer commitments built on {objective} %",
    "cost.lower.sre": "Signals defeat; the next target is harder to defend",
    "cost.lower.qa": "Test thresholds and dashboards change",
    "cost.exception.product": "Ships on time",
    "cost.exception.sre": "{owner} carries the exception until the provider is fixed",
    "cost.exception.qa": "Normal release testing",
    "cost.unknown_role": "No rule scores the {role!r} role: confirm in the meeting",
}

# --- the recommended posture ---
WHY_PROJECTION = (
    "Consumed {consumed:.0%} of the {window} budget in {elapsed:.0%} of the window; at this "
    "pace it reaches {projected:.0%} by the window's end."
)
WHY_POLICY = (
    "Error-budget policy state: {policy_state}, with {pages} page-level and {tickets} "
    "ticket-level burn-rate firings in the window."
)
WHY_TREND = "Incident trend: {reading}."
WHY_KNOWN_CAUSES = (
    "{known} of the top {top} incidents have a recorded root cause ({share:.0%} of their burn): "
    "a focused fix window addresses them."
)
WHY_UNKNOWN_CAUSES = (
    "Only {known} of the top {top} incidents have a recorded root cause ({share:.0%} of their "
    "burn): find the causes before the fix window can target them."
)
WHY_EARLIER = "{misses} of the {measured} earlier windows measured missed the objective."
WHY_PRIMARY = {
    "O1": (
        "At this pace the budget lasts the window: shipping stays within the error-budget policy."
    ),
    "O2": (
        "The deadline is {days_to_deadline:.0f} days away, inside a {freeze_days}-day freeze: "
        "deferring buys the same reliability time without a freeze that outlasts it."
    ),
    "O3": (
        "The SRE Workbook's standard response to a spent budget is a production freeze; "
        "{freeze_days} days keeps it short and reversible."
    ),
    "O5": (
        "Earlier windows missed the objective too: {objective} % no longer matches what the "
        "service delivers, and {lower_objective} % is the evidence-backed target."
    ),
    "O6": (
        "{third_party_share:.0%} of the burn comes from third-party incidents: a controlled "
        "exception owned by {owner} fits a known temporary cause better than a freeze."
    ),
}
FALLBACK_WHEN = {
    ("O3", "O2"): (
        "If Product's commitments cannot absorb a {freeze_days}-day freeze: defer instead, "
        "which buys the same reliability time without the freeze's signalling cost."
    ),
    ("O1", "O3"): (
        "If a page-level burn-rate alert fires before the deadline, or the projection passes "
        "100 %: freeze for {freeze_days} days, then ship."
    ),
    ("O2", "O3"): (
        "If the deadline moves out past {freeze_days} days: freeze for {freeze_days} days, "
        "then ship."
    ),
    ("O5", "O3"): (
        "If the stakeholders will not renegotiate the objective now: freeze for "
        "{freeze_days} days and bring the evidence to the next SLO review."
    ),
    ("O6", "O3"): (
        "If {owner} cannot show the provider's fix by the deadline: freeze for {freeze_days} "
        "days, then ship."
    ),
}
FALLBACK_SHORT = {
    ("O3", "O2"): "if Product cannot accept the freeze",
    ("O1", "O3"): "if the burn rate pages before the deadline",
    ("O2", "O3"): "if the deadline moves out",
    ("O5", "O3"): "if the objective cannot be renegotiated now",
    ("O6", "O3"): "if the third-party fix does not land in time",
}
ADVOCATE = "Advocate {primary} as primary and {fallback} as the negotiated fallback {when}."
REJECT_EXTEND = (
    "Budget extensions are sticky: resist relaxing the SLO under short-term pressure "
    "(the budget would need {extension_minutes:.0f} more minutes and would likely stay moved)."
)
REJECT_LOWER = (
    "Not justified: {misses} of the earlier windows missed the objective, and renegotiating "
    "needs at least {needed} windows of evidence that the target no longer matches reality."
)
ALTERNATIVE = {
    "O1": "Kept as an alternative: ships on time, at a projected {projected:.0%} burn.",
    "O2": "Kept as an alternative: the slower, no-freeze way to the same fixes.",
    "O3": "Kept as an alternative: the standard response if the burn continues.",
    "O5": "Kept as an alternative: earlier windows missed the objective too.",
    "O6": "Kept as an alternative: part of the burn has a third-party cause.",
}
POSITIONS = {
    "product": (
        "Likely favours {favours} to keep the date. The data answer: a projected "
        "{projected:.0%} burn by window end signals systemic risk, not occasional unreliability."
    ),
    "sre": (
        "Likely favours {favours} or stricter. The middle ground: {primary} gives SRE a focused "
        "fix window without weeks of product delay."
    ),
    "qa": (
        "Likely favours {favours}: a quiet window to verify fixes before the change lands. "
        "The data answer: {consumed:.0%} of the budget is already spent."
    ),
}
POSITION_OTHER = (
    "Likely neutral and weighs reversibility highest; {favours} and the fallback both stay "
    "reversible within the horizon."
)

# --- Slack rendering (daemon/render/slack.py); placeholders arrive already mrkdwn-escaped ---
SLACK_HEADER = "SLO prep pack — {service}"
SLACK_FALLBACK = "SLO prep pack — {service}: {what}"
SLACK_CONTINUED = "{title} (continued)"
SLACK_STATUS = "Status *{status}* · {generated_by}"
SLACK_EVALUATED = "Evaluated {at} · the details are in the thread"
SLACK_QUESTION = "*Question:* {question}"
SLACK_DEADLINE = "*Decision deadline:* {deadline}"
SLACK_HORIZON = "*Horizon:* {horizon}"
SLACK_FOCUS_SLO = "*Options scored on:* {slo}"
SLACK_STAKEHOLDERS = "*Stakeholders:*"
SLACK_STAKEHOLDER = "• {role}: {name}"
SLACK_NOT_SET = "not set"
SLACK_NO_DECISION = "*NO_DECISION_FRAMED* — {notice}"
SLACK_MISSING_SLO = "*MISSING_SLO* — {message}"
SLACK_SLO_HEADLINE = (
    "• *{name}*: budget consumed {consumed} in {elapsed} of the window "
    "(projected {projected}), policy state *{state}*"
)
SLACK_SLO_HEADLINE_UNMEASURED = "• *{name}*: budget not measured, policy state *{state}*"
SLACK_RECOMMENDED = "*Recommended:* {option}"
SLACK_FALLBACK_OPTION = "*Fallback:* {option}"
SLACK_MORE = "…and {count} more"
SLACK_OPTION_REF = "{id} — {title}"

SLACK_TITLE_STATE = "Current state — {slo}"
SLACK_TITLE_RELIABILITY = "Reliability"
SLACK_TITLE_DECISION = "The decision"
SLACK_TITLE_OPTIONS = "Options"
SLACK_TITLE_RECOMMENDATION = "Recommended posture"
SLACK_TITLE_AUDIT = "Audit appendix"
SLACK_TITLE_SOURCES = "Sources"

SLACK_SLO_TITLE = "*{name}* — {objective} % over {window} ({kind})"
SLACK_SLI_RATIO = "SLI: bad events {error_query} over all events {total_query}"
SLACK_SLI_LATENCY = "SLI: requests slower than {threshold} s in {histogram} {selector}"
SLACK_BUDGET_WINDOW = "Budget window: {start} → {end} ({elapsed} elapsed)"
SLACK_BUDGET_TOTAL = "Budget for the window: *{minutes} min* of unreliability allowed"
SLACK_BUDGET_CONSUMED = (
    "Consumed to date: *{minutes} min ({fraction} of the budget)* in {elapsed} of the window"
)
SLACK_BUDGET_REMAINING = (
    "Remaining: {remaining} · projected at window end: {projected} · exhaustion: {exhaustion}"
)
SLACK_NOT_IN_WINDOW = "not within this window"
SLACK_ERROR_RATIO = "Error ratio: {ratio} ({bad} bad of {total} events)"
SLACK_BUDGET_UNMEASURED = "Budget: *not measured* (see problems below)"
SLACK_POLICY_STATE = "Policy state: *{state}*"
SLACK_BURN_RATES = "Burn rates now: {rates}"
SLACK_BURN_RATE = "{window} {rate}"
SLACK_ALERTS = "*Burn-rate alerts* (both windows above the threshold):"
SLACK_ALERT = (
    "• {severity} {long} / {short} ≥ {threshold}: long {long_rate}, short {short_rate} — {state}"
)
SLACK_FIRING_NOW = "*FIRING*"
SLACK_OK = "ok"
SLACK_FIRINGS_UNMEASURED = "*Firings in the window:* not measured (see problems below)"
SLACK_FIRINGS_NONE = "*Firings in the window:* none"
SLACK_FIRINGS = "*Firings in the window:* {count}, the most recent {shown}:"
SLACK_FIRING = "• {severity} {long} / {short} ≥ {threshold}: {start} → {end}"
SLACK_STILL_FIRING = "still firing"
SLACK_EARLIER = "*Earlier windows:*"
SLACK_EARLIER_WINDOW = "• {start} → {end}: error ratio {ratio} — {verdict}"
SLACK_MISSED = "*missed* the objective"
SLACK_MET = "met the objective"
SLACK_INCIDENTS = (
    "*Top contributing incidents* (budget consumed while each was open; no baseline subtracted):"
)
SLACK_INCIDENT = "• {start} — {link} — *{minutes} min* ({fraction} of the budget), {end}"
SLACK_INCIDENT_LABEL = "#{number} {title}"
SLACK_INCIDENT_NOTE = " — {note}"
SLACK_RESOLVED = "resolved {at}"
SLACK_STILL_OPEN = "still open"
SLACK_INCIDENTS_NONE = "• none in the window"
SLACK_UNATTRIBUTED = (
    "*Unattributed burn:* {minutes} min ({fraction} of the budget) consumed while no incident "
    "was open."
)
SLACK_PROBLEMS = "*Problems:*"
SLACK_PROBLEM_ERROR = "⛔ {message}"
SLACK_PROBLEM_WARNING = "⚠️ {message}"
SLACK_PROBLEM_SOURCE = " [{source_id}]"

SLACK_RELIABILITY_WINDOW = "Incidents of the last {window} vs the {window} before:"
SLACK_MTTR = "• MTTR (mean time to recover): *{current}* (vs {trailing} in the trailing window)"
SLACK_MTBF = "• MTBF (mean time between failures): *{current}* (vs {trailing})"
SLACK_INCIDENT_COUNT = "• Incidents: {current}{open} (vs {trailing})"
SLACK_OPEN = " ({open} still open)"
SLACK_TREND = "• Trend: *{reading}*"
SLACK_NO_RELIABILITY = "No incident figures in this pack."

SLACK_OPTION_TITLE = "*{id} — {title}*"
SLACK_OPTION_IMPACT = "• User impact: *{level}* — {reason}"
SLACK_OPTION_REVERSIBILITY = "• Reversibility: *{level}* — {reason}"
SLACK_OPTION_COST = "• Cost to {role}: *{level}* — {reason}"
SLACK_RULES = "Rules: {rules}"

SLACK_PRIMARY = "*Primary:* {option}"
SLACK_WHY = "*Why:*"
SLACK_BULLET = "• {text}"
SLACK_FALLBACKS = "*Fallbacks:*"
SLACK_FALLBACK_WHEN = "• {option} — when: {when}"
SLACK_ALTERNATIVES = "*Alternatives:*"
SLACK_REJECTED = "*Rejected:*"
SLACK_REASONED = "• {option} — {reason}"
SLACK_POSITIONS = "*Stakeholder positions:*"
SLACK_POSITION = "• {role} ({name}) favours {option}: {position}"
SLACK_ADVOCATE = "*Advocate:* {advocate}"

SLACK_AUDIT_INTRO = "{count} entries: claim → value → source."
SLACK_AUDIT_ENTRY = "• {claim} → *{value}* → {kind}: {detail}{refs}"
SLACK_REFS = " [{refs}]"

SLACK_CONFIG = "Config: {source} (sha256 {sha})"
SLACK_SOURCE_INSTANT = "• {id} {query} — at {time} — {backend}"
SLACK_SOURCE_RANGE = (
    "• {id} {query} — {start} → {end} every {step} s ({trips} requests) — {backend}"
)
SLACK_SOURCE_PAGERDUTY = "• {id} {query} — {created}sent {time}, HTTP {status} — {backend}"
SLACK_SOURCE_CREATED = "created {since} → {until}, "
SLACK_NO_ANSWER = "no answer"

# --- Slack poster (daemon/slack/poster.py) ---
SLACK_API_ERROR = "Slack {method} failed: {code}"
SLACK_NOTHING_TO_POST = "nothing to post: a pack renders to at least one Slack payload"

# --- /slo-prep slash command (daemon/core/commands.py) ---
# Shown in Slack mrkdwn: commands.py escapes every value (and these usage lines) before use.
CMD_USAGE = {
    "ask": "/slo-prep ask <service> <question> [by YYYY-MM-DD]",
    "list": "/slo-prep list [service]",
    "show": "/slo-prep show <question-id>",
    "refresh": "/slo-prep refresh <question-id>",
    "cancel": "/slo-prep cancel <question-id>",
    "decide": "/slo-prep decide <question-id> <option-id> [note]",
    "status": "/slo-prep status <service>",
    "help": "/slo-prep help [subcommand]",
}
CMD_USAGE_LINE = "Usage: `{usage}`"
CMD_HELP_INTRO = "Subcommands of `/slo-prep`:"
CMD_HELP_LINE = "• `{usage}`"
CMD_UNKNOWN_SUBCOMMAND = (
    "“{word}” is not a `/slo-prep` subcommand. Subcommands: {subcommands}. Try `/slo-prep help`."
)
CMD_MISSING = "Missing {what}."
CMD_EXTRA = "Unexpected text after {what}: “{extra}”."
CMD_UNKNOWN_SERVICE = "Unknown service “{service}”. Known services: {known}."
CMD_NO_SERVICES = "Unknown service “{service}”: no services are configured."
CMD_BAD_QUESTION_ID = (
    "“{value}” is not a question id: ids look like Q-7K2M9P (Q- and 6 letters or digits)."
)
CMD_BAD_OPTION_ID = "“{value}” is not an option id: options are O1 to O6."
CMD_QUESTION_TOO_LONG = "The question is {length} characters long; the limit is {limit}."
CMD_NOTE_TOO_LONG = "The note is {length} characters long; the limit is {limit}."
CMD_BAD_CHARACTER = (
    "The {what} contains {char}, which cannot be stored: remove it and send the command again."
)
CMD_BAD_DEADLINE = (
    "“{value}” is not a valid deadline: write a real date as YYYY-MM-DD after `by`, "
    "e.g. by 2026-12-04."
)
CMD_WHAT_SERVICE = "service"
CMD_WHAT_QUESTION = "question"
CMD_WHAT_QUESTION_ID = "question id"
CMD_WHAT_OPTION_ID = "option id"
CMD_WHAT_NOTE = "note"

# --- the daemon's Slack replies (daemon/runtime) ---
# mrkdwn; every value that came from a person is escaped before it is put in.
CMD_ASK_REGISTERED = (
    "Registered *{id}* for *{service}*: “{question}”{deadline}. The pack will be posted to "
    "<#{channel}> shortly."
)
CMD_ASK_DEADLINE = " (decision by {deadline})"
CMD_NOT_MANAGER = (
    "Only the managers of *{service}* may {action} its questions. Ask one of them: {managers}."
)
CMD_ACTION_REGISTER = "register"
CMD_ACTION_CHANGE = "change"
CMD_LIST_EMPTY = "No questions registered{scope}."
CMD_LIST_SCOPE = " for *{service}*"
CMD_LIST_HEADER = "Questions{scope}, most recent first:"
CMD_LIST_LINE = (
    "• “{question}” — *{id}* · {service} · {status}{deadline} · asked by <@{user}> {when}"
)
CMD_LIST_DEADLINE = " · by {deadline}"
CMD_UNKNOWN_QUESTION = "There is no question *{id}*. `/slo-prep list` shows the registered ones."
CMD_SHOW = (
    "*{id}* — “{question}”\n"
    "Service *{service}* · status *{status}*{deadline} · asked by <@{user}> on {when}\n"
    "Packs drafted: {packs}{latest}"
)
CMD_SHOW_LATEST = " · latest {when}: {headline}"
CMD_SHOW_DECIDED = "\nDecided *{option}* by {by} on {when}{note}"
CMD_SHOW_NOTE = ": “{note}”"
CMD_NOT_OPEN = "Question *{id}* is already {status}; only open questions can be {action}."
CMD_REFRESH_QUEUED = "Refreshing *{id}*: the new pack will be posted in its thread shortly."
CMD_CANCELLED = "Cancelled *{id}*. Its pack stays in the channel; it will not be refreshed."
CMD_DECIDED = "Recorded *{option}* for *{id}*; the decision is posted in the pack's thread."
CMD_BAD_OPTION_FOR_PACK = "*{option}* is not an option of {id}'s latest pack (options: {options})."
CMD_STATUS_WORKING = "Measuring *{service}*…"
CMD_STATUS_LINE = "*{service}* — {slos}"
CMD_STATUS_SLO = "{name}: {consumed} of the budget used in {elapsed} of the window, {state}"
CMD_STATUS_SLO_UNMEASURED = "{name}: not measured ({reason})"
CMD_STATUS_FAILED = "Could not measure *{service}*: {reason}"
CMD_INTERNAL_ERROR = (
    "Something went wrong on our side; nothing was registered. Try again, or ask the team "
    "running slo-prep to look at its log (error id {error_id})."
)
CMD_WRONG_COMMAND = "This app answers `{expected}`, not `{got}`."
CMD_BAD_REQUEST = (
    "This request did not come from Slack as Slack sends it: {field} is not a Slack id. "
    "Nothing was done."
)

# --- what the daemon posts ---
POST_PACK_TEXT = "SLO prep pack — {service}: {question}"
POST_DECISION = "*Decision recorded:* {option} — chosen by <@{user}> on {when}.{note}"
POST_DECISION_NOTE = "\n> {note}"
POST_WHAT_CHANGED = "*What changed since the last pack* ({previous} → {current}):"
POST_CHANGE_BUDGET = "• {slo}: {consumed} of the budget used ({delta} since the last pack)"
POST_CHANGE_NEW_WINDOW = "• {slo}: a new budget window started ({consumed} used so far)"
POST_CHANGE_STATE = "• {slo}: policy state {before} → *{after}*"
POST_CHANGE_FIRINGS = "• {slo}: {count} new burn-rate firing(s), the latest from {start}"
POST_CHANGE_INCIDENTS = "• New incidents among the top contributors: {incidents}"
POST_CHANGE_NOTHING = "• No change in budget, firings or incidents."
POST_REFRESH_DEADLINE = "Refreshed an hour before the decision deadline ({deadline})."
POST_ALERT_HEADER = "Burn alert: {service} ({severity})"
POST_ALERT_INTRO = (
    "*Burn-rate alert firing* for *{service}* — severity *{severity}*, from {sources}: "
    "{alerts}. The drafted pack is below and in the thread."
)
POST_ALERT_NO_QUESTION = (
    "No decision question is open for *{service}*, so the pack is evidence only "
    "(NO_DECISION_FRAMED). A manager can frame one with `{command} ask {service} &lt;question&gt; "
    "[by YYYY-MM-DD]`."
)
POST_ALERT_QUESTION = "Open question *{id}*: the pack below is its full draft."
POST_RESOLVED = "*Resolved:* the {severity} burn alert for *{service}* stopped firing ({when})."
BUTTON_REFRESH = "Refresh"
BUTTON_DECIDE = "Record decision"
MODAL_TITLE = "Record decision"
MODAL_SUBMIT = "Record"
MODAL_OPTION = "Option chosen"
MODAL_NOTE = "Note (optional)"
MODAL_NO_OPTIONS = "This pack has no options to choose from: frame the question and refresh."
MODAL_QUESTION = "*{id}* — “{question}”"

# --- the daemon's log lines and HTTP answers ---
LOG_STARTED = "slo-prep daemon started"
LOG_CONFIG = "effective config"
HTTP_UNAUTHORIZED = "unauthorized"
HTTP_NOT_FOUND = "not found"
HTTP_TOO_LARGE = "request body too large"
HTTP_BAD_WEBHOOK = "bad webhook: {reason}"
