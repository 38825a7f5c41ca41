"""Read the config file as YAML: safe types only, and duplicate keys reported, not merged.

PyYAML silently keeps the last of two equal keys, which hides a pasted-twice block; the
composed node tree is walked first to report each duplicate at its key path.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from daemon.config.paths import child, item
from daemon.errors import ConfigError, ConfigIssue

_MERGE_TAG = "tag:yaml.org,2002:merge"
# `{a: ${X}}`: in flow style `{` opens a nested mapping, so the placeholder cannot parse
_FLOW_PLACEHOLDER = re.compile(r"[{\[][^}\]]*\$\{")
_FLOW_HINT = (
    "hint: ${...} inside a flow mapping {...} does not parse; use block style "
    '(one key per line) or quote the value, as in "${VAR}"'
)


@dataclass(frozen=True)
class YamlDocument:
    data: object
    sha256: str
    # duplicate keys do not stop the load: they are reported with every other issue
    issues: tuple[ConfigIssue, ...]


class _SafeLoader(yaml.SafeLoader):
    """SafeLoader as is; a subclass so nothing is ever registered on PyYAML's global one."""


def read_yaml(source: str) -> YamlDocument:
    """Parse ``source``; ConfigError if it cannot be read or is not valid YAML."""
    try:
        raw = Path(source).read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigError(source, [ConfigIssue("", f"cannot read the file: {reason}")]) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = f"is not UTF-8 text (invalid byte at offset {exc.start})"
        raise ConfigError(source, [ConfigIssue("", message)]) from exc
    data, issues = _parse(source, text)
    return YamlDocument(data, hashlib.sha256(raw).hexdigest(), tuple(issues))


def _parse(source: str, text: str) -> tuple[object, list[ConfigIssue]]:
    try:
        # the reader checks every character up front: a control character fails here
        loader = _SafeLoader(text)
    except yaml.YAMLError as exc:
        raise ConfigError(source, [ConfigIssue("", f"invalid YAML: {exc}")]) from exc
    try:
        node = loader.get_single_node()
        if node is None:
            return None, []
        issues = _duplicate_keys(loader, node)
        data: object = loader.construct_document(node)
        return data, issues
    except yaml.MarkedYAMLError as exc:
        raise ConfigError(source, [ConfigIssue("", _syntax_message(exc, text))]) from exc
    except yaml.YAMLError as exc:
        # e.g. a control character: no mark, but the message names the position
        raise ConfigError(source, [ConfigIssue("", f"invalid YAML: {exc}")]) from exc
    finally:
        loader.dispose()


def _syntax_message(exc: yaml.MarkedYAMLError, text: str) -> str:
    mark = exc.problem_mark or exc.context_mark
    where = f" at {mark.line + 1}:{mark.column + 1}" if mark is not None else ""
    message = f"invalid YAML{where} (line:column): {exc.problem or exc.context}"
    if exc.context and exc.problem and exc.context_mark is not None:
        start = exc.context_mark
        message += f" ({exc.context} at {start.line + 1}:{start.column + 1})"
    if _in_flow_collection(exc, text.splitlines()):
        message += f"; {_FLOW_HINT}"
    return message


def _in_flow_collection(exc: yaml.MarkedYAMLError, lines: list[str]) -> bool:
    """Whether the error is a ``${`` in a flow ``{...}``: on the line itself, or anywhere on
    the failing line of a flow collection that opened on an earlier line."""
    marks = [m for m in (exc.problem_mark, exc.context_mark) if m is not None]
    texts = [lines[m.line] for m in marks if m.line < len(lines)]
    if any(_FLOW_PLACEHOLDER.search(line) for line in texts):
        return True
    in_flow = "flow" in (exc.context or "")
    return in_flow and any("${" in line for line in texts)


def _duplicate_keys(loader: yaml.SafeLoader, root: yaml.Node) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    # an anchor reused through aliases is one node: check it once, and never loop on a cycle
    visited: set[int] = set()

    def walk(node: yaml.Node, path: str) -> None:
        if id(node) in visited:
            return
        visited.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            for index, value in enumerate(node.value):
                walk(value, item(path, index))
        elif isinstance(node, yaml.MappingNode):
            first_line: dict[object, int] = {}
            for key_node, value in node.value:
                # `<<: *defaults` merges may be overridden by the mapping's own keys
                if key_node.tag == _MERGE_TAG:
                    continue
                key = _key(loader, key_node)
                key_path = child(path, key)
                if key in first_line:
                    message = f"duplicate key (first set at line {first_line[key]})"
                    issues.append(ConfigIssue(key_path, message))
                elif key is not None:
                    first_line[key] = key_node.start_mark.line + 1
                walk(value, key_path)

    walk(root, "")
    return issues


def _key(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    """The key as it will be constructed, so `a` and `"a"` are seen as equal; None if unhashable
    (construct_document then rejects it with its own message)."""
    if not isinstance(node, yaml.ScalarNode):
        return None
    key: object = loader.construct_object(node)
    try:
        hash(key)
    except TypeError:
        return None
    return key
