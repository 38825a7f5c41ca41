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
NOTHING_DRAFTED = "No SLO of {service!r} could be measured; the pack above says why."

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
