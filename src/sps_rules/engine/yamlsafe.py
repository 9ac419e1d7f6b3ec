"""Read YAML as plain data, safely, remembering the line of every key and item.

PyYAML's SafeLoader composes the document into nodes; we convert the nodes ourselves so
that we can refuse what a rule file never needs and an attacker might send: anchors and
aliases (the "billion laughs" bomb), tags outside YAML's core schema (``!!python/...``),
duplicate keys, deep nesting, oversize files and text that is not UTF-8.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from ..model.errors import Problem, RuleFileError

MAX_BYTES = 1_000_000
MAX_DEPTH = 40
MAX_NODES = 100_000

Location = tuple[int, int]
LineMap = dict[tuple[Any, ...], Location]

_CORE_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
}


class _Loader(yaml.SafeLoader):
    """SafeLoader; only its composer is used."""


#: What composes the document into nodes: libyaml's (CSafeLoader) where PyYAML was built with
#: it, about 30 times faster than the pure-Python one; both give the same nodes and marks.
_Composer: type[yaml.SafeLoader] | type[Any] = getattr(yaml, "CSafeLoader", _Loader)


def read_yaml(path: Path, *, display: str | None = None, allow_aliases: bool = False) -> tuple[Any, LineMap]:
    """Parse one YAML file into plain data plus a map from data path to (line, column)."""
    name = display or str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise RuleFileError([Problem(name, 0, 0, f"cannot read the file: {exc.strerror}")]) from None
    if size > MAX_BYTES:
        raise RuleFileError(
            [Problem(name, 0, 0, f"file is {size:,} bytes; a rule file may be at most {MAX_BYTES:,} bytes",
                     "split the rule set or remove pasted material")]
        )
    raw = path.read_bytes()
    return parse_yaml(raw, name, allow_aliases=allow_aliases)


def parse_yaml(raw: bytes, name: str, *, allow_aliases: bool = False) -> tuple[Any, LineMap]:
    """Plain data and a line map from YAML bytes.

    ``allow_aliases`` (for test-case files, never rule files) permits anchors, aliases and
    ``<<`` merge keys; the cap on the number of values expanded still stops alias bombs.
    """
    if len(raw) > MAX_BYTES:
        raise RuleFileError([Problem(name, 0, 0, f"document is {len(raw):,} bytes; the limit is {MAX_BYTES:,}")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise RuleFileError(
            [Problem(name, line, col, f"the file is not UTF-8 (byte 0x{raw[exc.start]:02x})",
                     "save the file as UTF-8 in your editor")]
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        what = exc.problem or exc.context or "invalid YAML"
        raise RuleFileError(
            [Problem(name, line, col, f"YAML syntax error: {what}",
                     "check indentation and quoting on this line and the one before")]
        ) from None
    except yaml.YAMLError as exc:
        raise RuleFileError([Problem(name, 0, 0, f"YAML error: {exc}")]) from None
    if node is None:
        raise RuleFileError([Problem(name, 1, 1, "the file is empty")])
    converter = _Converter(name, allow_aliases=allow_aliases)
    data = converter.convert(node, (), 0)
    return data, converter.lines


def _compose(text: str) -> Any:
    """The document's root node. A syntax error is reported by the pure-Python composer, whose
    messages and positions are the ones users know (libyaml words some of them differently)."""
    if _Composer is not _Loader:
        fast = _Composer(text)
        try:
            return fast.get_single_node()
        except yaml.YAMLError:
            pass  # reported below
        finally:
            fast.dispose()
    loader = _Loader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


class _Converter:
    def __init__(self, name: str, *, allow_aliases: bool = False):
        self.name = name
        self.allow_aliases = allow_aliases
        self.lines: LineMap = {}
        self.seen: set[int] = set()
        self.count = 0
        self._constructor = _Loader("")

    def _fail(self, node: yaml.Node, message: str, hint: str = "") -> RuleFileError:
        return RuleFileError(
            [Problem(self.name, node.start_mark.line + 1, node.start_mark.column + 1, message, hint)]
        )

    def convert(self, node: yaml.Node, path: tuple[Any, ...], depth: int) -> Any:
        if id(node) in self.seen and not self.allow_aliases:
            raise self._fail(node, "YAML anchors and aliases (& and *) are not allowed in rule files",
                             "write the value out in full")
        self.seen.add(id(node))
        self.count += 1
        if self.count > MAX_NODES:
            raise self._fail(node, f"the file has more than {MAX_NODES:,} values")
        if depth > MAX_DEPTH:
            raise self._fail(node, f"nesting is deeper than {MAX_DEPTH} levels", "simplify the condition")
        self.lines.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if node.tag not in _CORE_TAGS:
            raise self._fail(node, f"the tag {node.tag!r} is not allowed in rule files",
                             "remove the tag; rule files are plain data")
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            explicit: set[str] = set()
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise self._fail(key_node, "a key must be a plain word")
                if key_node.tag == "tag:yaml.org,2002:merge" or key_node.value == "<<":
                    if not self.allow_aliases:
                        raise self._fail(key_node, "YAML merge keys (<<) are not allowed in rule files")
                    merged = self.convert(value_node, path, depth + 1)
                    if not isinstance(merged, dict):
                        raise self._fail(value_node, "a << merge needs a mapping")
                    for k, v in merged.items():
                        result.setdefault(k, v)
                    continue
                key = self._scalar(key_node)
                if not isinstance(key, str):
                    key = str(key)
                if key in result and key in explicit:
                    raise self._fail(key_node, f"duplicate key {key!r}", "remove or rename one of them")
                explicit.add(key)
                self.lines[path + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                result[key] = self.convert(value_node, path + (key,), depth + 1)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        return self._scalar(node)

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag not in _CORE_TAGS:
            raise self._fail(node, f"the tag {node.tag!r} is not allowed in rule files")
        try:
            value = self._constructor.construct_object(node, deep=False)
        except (yaml.constructor.ConstructorError, ValueError) as exc:
            raise self._fail(node, f"invalid value {node.value!r}: {exc}") from None
        if isinstance(value, dt.datetime):
            raise self._fail(node, f"{node.value!r} is a date with a time; rule files use plain dates (YYYY-MM-DD)")
        return value


def location(lines: LineMap, loc: tuple[Any, ...]) -> Location:
    """The line and column of the deepest part of ``loc`` that the file has.

    Parts the file does not have (such as pydantic's union tags) are skipped.
    """
    path: tuple[Any, ...] = ()
    best = lines.get((), (0, 0))
    for part in loc:
        if path + (part,) in lines:
            path = path + (part,)
            best = lines[path]
    return best


def real_path(lines: LineMap, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """``loc`` without the parts the file does not have (pydantic's union tags); the last part is kept."""
    path: tuple[Any, ...] = ()
    for part in loc[:-1]:
        if path + (part,) in lines:
            path = path + (part,)
    return path + loc[-1:]
