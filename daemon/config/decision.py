"""The ``decision`` sections: the thresholds and option settings of the decision rules, at the
top level and per service, where a service's section overrides the top-level one key by key."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from daemon.config.paths import child, item
from daemon.config.reader import Fields, Reader, quote
from daemon.core.rules import OPTION_IDS, DecisionRules
from daemon.core.slo import SloSpec

_DECISION_KEYS = ("thresholds", "options")
# the pack offers at least 3 options, and only O4 to O6 are ever left out of it
_REQUIRED_OPTIONS = ("O1", "O2", "O3")
_MAX_TITLE = 120
_BURNING = "thresholds.burning_projection"
_SEVERE = "thresholds.severe_projection"
_LOWER = "options.lower_objective"

_Read = Callable[[Reader, object, str], object]


@dataclass(frozen=True)
class Section:
    """One ``decision`` section as written. Keys are ``thresholds.<key>`` or ``options.<key>``."""

    path: str
    # the keys given and read well, as the dataclass fields they set (each read checked the type)
    thresholds: dict[str, Any]
    options: dict[str, Any]
    # every key given (not null), as written: for messages
    written: dict[str, object]
    # keys given but wrong: reported already, so nothing is compared with them
    bad: frozenset[str]

    def at(self, key: str) -> str:
        return child(self.path, key)


@dataclass(frozen=True)
class Layer:
    """The rules in effect, and the sections they came from, the later overriding the earlier."""

    rules: DecisionRules
    sections: tuple[Section, ...] = ()

    def source(self, key: str) -> Section | None:
        """The section that set ``key`` last, rightly or not; None: the default holds."""
        return next((s for s in reversed(self.sections) if key in s.written or key in s.bad), None)


def read_decision(r: Reader, value: object, path: str) -> Section | None:
    f = r.mapping(value, path, _DECISION_KEYS)
    if f is None:
        return None
    thresholds, written, bad = _read_keys(r, f, "thresholds", _THRESHOLD_READS)
    options, options_written, options_bad = _read_keys(r, f, "options", _OPTION_READS)
    return Section(
        path=path,
        thresholds=thresholds,
        options=options,
        written={**written, **options_written},
        bad=frozenset(bad | options_bad),
    )


def apply_decision(r: Reader, base: Layer, section: Section | None) -> Layer:
    """``base`` with the keys ``section`` gives; reports a severe_projection that, with the
    burning_projection in effect, is not greater."""
    if section is None:
        return base
    rules = DecisionRules(
        thresholds=replace(base.rules.thresholds, **section.thresholds),
        options=replace(base.rules.options, **section.options),
    )
    layer = Layer(rules, (*base.sections, section))
    _check_projections(r, layer, section)
    return layer


def check_lower_objective(
    r: Reader,
    layer: Layer,
    own: Section | None,
    slos: Sequence[SloSpec],
    service_path: str,
    service: str | None,
) -> None:
    """The lower_objective in effect for a service (``own``: its section) must be below each of
    its SLO objectives; reported where it was written, in the service or at the top level."""
    source = layer.source(_LOWER)
    lower = layer.rules.options.lower_objective
    if source is None or _LOWER in source.bad or lower is None:
        return
    above = [slo for slo in slos if lower >= slo.objective_percent]
    if not above:
        return
    slo = min(above, key=lambda s: s.objective_percent)
    got = source.written[_LOWER]
    message = f"must be below the SLO objective {_number(slo.objective_percent)}"
    if source is own:
        r.add(source.at(_LOWER), f"{message} of {quote(slo.name)} (got {got!r})")
        return
    name = f"{service_path} {quote(service)}" if service is not None else service_path
    r.add(
        source.at(_LOWER),
        f"{message} of {quote(slo.name)} in {name} (got {got!r}); give that service its own "
        "decision.options.lower_objective",
    )


def _read_keys(
    r: Reader, f: Fields, name: str, reads: dict[str, _Read]
) -> tuple[dict[str, Any], dict[str, object], set[str]]:
    """The keys of the ``name`` sub-section: (read values, written values, bad keys)."""
    keys = tuple(reads)
    if not f.has(name):
        return {}, {}, set()
    sub = r.mapping(f.data[name], f.at(name), keys)
    if sub is None:
        # the whole sub-section is wrong: none of its keys may be compared with
        return {}, {}, {f"{name}.{key}" for key in keys}
    values: dict[str, Any] = {}
    written: dict[str, object] = {}
    bad: set[str] = set()
    for key, read in reads.items():
        if not sub.has(key):
            continue
        written[f"{name}.{key}"] = sub.data[key]
        value = read(r, sub.data[key], sub.at(key))
        if value is None:
            bad.add(f"{name}.{key}")
        else:
            values[key] = value
    return values, written, bad


def _check_projections(r: Reader, layer: Layer, section: Section) -> None:
    # a section setting neither leaves the comparison to the section that set them
    if _BURNING not in section.written and _SEVERE not in section.written:
        return
    burning_source, severe_source = layer.source(_BURNING), layer.source(_SEVERE)
    if (burning_source is not None and _BURNING in burning_source.bad) or (
        severe_source is not None and _SEVERE in severe_source.bad
    ):
        return
    thresholds = layer.rules.thresholds
    if thresholds.severe_projection > thresholds.burning_projection:
        return
    burning = _shown(burning_source, section, _BURNING, thresholds.burning_projection)
    if severe_source is section:
        got = section.written[_SEVERE]
        message = f"must be greater than burning_projection {burning} (got {got!r})"
        r.add(section.at(_SEVERE), message)
        return
    if severe_source is None:
        severe = f"the default {_number(thresholds.severe_projection)}"
    else:
        severe = f"{severe_source.written[_SEVERE]!r} from {severe_source.at(_SEVERE)}"
    r.add(
        section.at(_SEVERE),
        f"must be given, greater than burning_projection {burning} ({severe} is not)",
    )


def _shown(source: Section | None, section: Section, key: str, value: float) -> str:
    """A value in effect, with where it came from unless it is the ``section``'s own."""
    if source is section:
        return repr(section.written[key])
    if source is None:
        return f"{_number(value)} (the default)"
    return f"{source.written[key]!r} (from {source.at(key)})"


def _number(value: float) -> str:
    """99.0 as 99, 99.9 as 99.9: the shortest exact form."""
    text = repr(value)
    return text.removesuffix(".0")


def _share(r: Reader, value: object, path: str) -> float | None:
    number = r.number(value, path)
    if number is None:
        return None
    if not 0 < number <= 1:
        hint = "; a share of 1, as in 0.5 for half" if number > 1 else ""
        r.add(path, f"must be greater than 0 and at most 1 (got {value!r}){hint}")
        return None
    return number


def _lower_objective(r: Reader, value: object, path: str) -> float | None:
    number = r.number(value, path)
    if number is not None and not 0 < number < 100:
        r.add(path, f"must be between 0 and 100 (got {value!r})")
        return None
    return number


def _option_id(r: Reader, value: object, path: str) -> str | None:
    text = r.text(value, path)
    if text is None:
        return None
    if text.value not in OPTION_IDS:
        hint = _did_you_mean(text.value)
        r.add(path, f"must be one of {', '.join(OPTION_IDS)} (got {quote(text.shown)}){hint}")
        return None
    return text.value


def _did_you_mean(name: object) -> str:
    # the likely slip is the case or a space: o1, "O1 "
    if isinstance(name, str) and name.strip().upper() in OPTION_IDS:
        return f"; did you mean {name.strip().upper()!r}?"
    return ""


def _enabled(r: Reader, value: object, path: str) -> tuple[str, ...] | None:
    items = r.sequence(value, path)
    if items is None:
        return None
    first_at: dict[str, str] = {}
    wrong = False
    for index, raw in enumerate(items):
        at = item(path, index)
        option = _option_id(r, raw, at)
        if option is None:
            wrong = True
        elif option in first_at:
            r.add(at, f"duplicate option id {quote(option)} (first at {first_at[option]})")
            wrong = True
        else:
            first_at[option] = at
    if wrong:
        return None
    missing = [option for option in _REQUIRED_OPTIONS if option not in first_at]
    if missing:
        r.add(
            path,
            f"must include {', '.join(_REQUIRED_OPTIONS[:-1])} and {_REQUIRED_OPTIONS[-1]} "
            f"(the pack needs at least 3 options; missing {', '.join(missing)})",
        )
        return None
    # in the pack's order, whatever the order written
    return tuple(option for option in OPTION_IDS if option in first_at)


def _titles(r: Reader, value: object, path: str) -> tuple[tuple[str, str], ...] | None:
    data = r.plain_mapping(value, path)
    if data is None:
        return None
    titles: dict[str, str] = {}
    wrong = False
    for key, raw in data.items():
        at = child(path, key)
        if not isinstance(key, str) or key not in OPTION_IDS:
            expected = ", ".join(OPTION_IDS)
            r.add(at, f"unknown option id (expected one of: {expected}){_did_you_mean(key)}")
            wrong = True
            continue
        text = r.text(raw, at)
        if text is None:
            wrong = True
        elif len(text.value) > _MAX_TITLE:
            r.add(at, f"must be at most {_MAX_TITLE} characters (got {len(text.value)})")
            wrong = True
        else:
            titles[key] = text.value
    if wrong:
        return None
    return tuple(sorted(titles.items()))


def _keywords(r: Reader, value: object, path: str) -> tuple[str, ...] | None:
    items = r.sequence(value, path)
    if items is None:
        return None
    if not items:
        r.add(path, "must list at least one keyword")
        return None
    keywords = [r.text(raw, item(path, index)) for index, raw in enumerate(items)]
    if any(keyword is None for keyword in keywords):
        return None
    return tuple(keyword.value for keyword in keywords if keyword is not None)


def _positive(r: Reader, value: object, path: str) -> float | None:
    return r.positive(value, path)


def _text(r: Reader, value: object, path: str) -> str | None:
    text = r.text(value, path)
    return text.value if text is not None else None


def _chronic_misses(r: Reader, value: object, path: str) -> int | None:
    return r.integer(value, path, minimum=1, maximum=12)


def _freeze_days(r: Reader, value: object, path: str) -> int | None:
    return r.integer(value, path, minimum=1, maximum=90)


_THRESHOLD_READS: dict[str, _Read] = {
    "burning_projection": _positive,
    "severe_projection": _positive,
    "third_party_share": _share,
    "known_cause_share": _share,
    "chronic_misses": _chronic_misses,
}
_OPTION_READS: dict[str, _Read] = {
    "enabled": _enabled,
    "titles": _titles,
    "freeze_days": _freeze_days,
    "extension_minutes": _positive,
    "lower_objective": _lower_objective,
    "exception_owner": _text,
    "third_party_keywords": _keywords,
}
