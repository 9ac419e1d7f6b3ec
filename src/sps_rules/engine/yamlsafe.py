"""Read YAML as plain data, safely, remembering the line of every key and item.

We build the data ourselves from libyaml's parser events, so that we can refuse what a rule
file never needs and an attacker might send: anchors and aliases (the "billion laughs" bomb),
tags outside YAML's core schema (``!!python/...``), duplicate keys, deep nesting, oversize files
and text that is not UTF-8. A rule file is read in one pass (``_plain``); a test-case file, which
may use anchors and merge keys, is composed into nodes first and then converted (``_compose``,
``_Converter``). Both give the same data, line map and messages for a rule file (tested).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from ..model.errors import Problem, RuleFileError, SpsRulesError
from ..model.io import read_bounded

MAX_BYTES = 1_000_000
MAX_DEPTH = 40
#: The most values (scalars, lists, mappings) one file may hold: room for checks.MAX_RULES rules of
#: about 20 values each, far below what 1 MB of flow items ("[1,1,...]", 500,000 values) would be.
MAX_NODES = 200_000

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
    """SafeLoader; only its resolver (implicit tags) and constructor (scalars) are used."""


#: The event parser: libyaml's when PyYAML has it (fast), else PyYAML's own.
_EventLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Characters YAML does not allow in a document (PyYAML's reader refuses them in jargon).
_NOT_PRINTABLE = re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")
_TAB_INDENT = re.compile(r"^ *\t", re.MULTILINE)
#: The most digits of an integer in a rule file (a hex literal of 5,000 digits crashed int()).
MAX_INT_DIGITS = 30
_ONE_DOCUMENT = ("filen indeholder mere end ét YAML-dokument ('---')",
                 "en regelfil er ét dokument: fjern '---'-linjen eller del filen i to")


def _line_col(text: str, index: int) -> Location:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _check_characters(text: str, name: str) -> None:
    """Plain words for a NUL byte or another control character, instead of the reader's jargon."""
    bad = _NOT_PRINTABLE.search(text)
    if bad is None:
        return
    line, col = _line_col(text, bad.start())
    char = bad.group()
    what = "et NUL-tegn (byte 0)" if char == "\x00" else f"et usynligt styretegn (U+{ord(char):04X})"
    raise RuleFileError([Problem(name, line, col, f"filen indeholder {what}, som ikke må stå i en regelfil",
                                 "filen er måske beskadiget eller gemt i et andet format; slet tegnet, "
                                 "eller gem filen igen som almindelig tekst (UTF-8)")])


def _syntax_problem(text: str, name: str, line: int, col: int, exc: yaml.MarkedYAMLError) -> Problem:
    """A YAML syntax error in plain words; a tab used for indentation gets its own message."""
    for tab in _TAB_INDENT.finditer(text):
        tab_line, _ = _line_col(text, tab.start())
        if tab_line > line + 1:
            break
        if tab_line >= line - 1:
            return Problem(name, tab_line, tab.end() - tab.start(),
                           "linjen er rykket ind med et tabulatortegn; YAML kræver mellemrum (indentation uses a tab)",
                           "erstat tabulatortegnet med mellemrum, fx to mellemrum pr. niveau")
    what = (exc.problem or exc.context or "invalid YAML").replace("\n", " ")
    if "another document" in what:
        return Problem(name, line, col, *_ONE_DOCUMENT)
    return Problem(name, line, col, f"YAML syntax error: {what}",
                   "check indentation and quoting on this line and the one before")


def _compose(text: str, name: str) -> yaml.Node | None:
    """The document's node tree, built from the parser's events without recursion.

    Counts nodes and nesting as it goes, so a flood of flow items or a deep nesting is refused
    as soon as it passes the limit, not after the whole file has been composed (or the stack
    has overflowed).
    """
    resolver: Any = _Loader("")
    anchors: dict[Any, yaml.Node] = {}
    stack: list[list[Any]] = []  # per open collection: its node and the key waiting for a value
    root: yaml.Node | None = None
    count = 0
    documents = 0

    def attach(node: yaml.Node) -> None:
        nonlocal root
        if not stack:
            root = node
            return
        frame = stack[-1]
        parent = frame[0]
        if isinstance(parent, yaml.SequenceNode):
            parent.value.append(node)
        elif frame[1] is None:
            frame[1] = node
        else:
            parent.value.append((frame[1], node))
            frame[1] = None

    def fail(event: Any, message: str, hint: str = "") -> RuleFileError:
        mark = event.start_mark
        return RuleFileError([Problem(name, mark.line + 1, mark.column + 1, message, hint)])

    try:
        events: Iterator[Any] = yaml.parse(text, Loader=_EventLoader)
        for event in events:
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise fail(event, *_ONE_DOCUMENT)
                continue
            if isinstance(event, (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentEndEvent)):
                continue
            if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                stack.pop()
                continue
            if isinstance(event, yaml.AliasEvent):
                if event.anchor not in anchors:
                    raise fail(event, f"unknown alias *{str(event.anchor)[:40]}")
                attach(anchors[event.anchor])
                continue
            count += 1
            if count > MAX_NODES:
                raise fail(event, f"the file has more than {MAX_NODES:,} values", "a rule file needs far fewer")
            node: yaml.Node
            if isinstance(event, yaml.ScalarEvent):
                tag = event.tag
                if tag is None or tag == "!":
                    tag = resolver.resolve(yaml.ScalarNode, event.value, event.implicit)
                marks: tuple[Any, Any] = (event.start_mark, event.end_mark)
                node = yaml.ScalarNode(tag, event.value, *marks, style=event.style)
                attach(node)
            else:
                if len(stack) >= MAX_DEPTH:
                    raise fail(event, f"nesting is deeper than {MAX_DEPTH} levels", "simplify the condition")
                kind: Any = yaml.SequenceNode if isinstance(event, yaml.SequenceStartEvent) else yaml.MappingNode
                tag = event.tag
                if tag is None or tag == "!":
                    tag = resolver.resolve(kind, None, event.implicit)
                node = kind(tag, [], event.start_mark, event.end_mark, flow_style=event.flow_style)
                attach(node)
                stack.append([node, None])
            if event.anchor is not None:
                anchors[event.anchor] = node
    finally:
        resolver.dispose()
    return root


def read_yaml(path: Path, *, display: str | None = None, allow_aliases: bool = False) -> tuple[Any, LineMap]:
    """Parse one YAML file into plain data plus a map from data path to (line, column)."""
    name = display or str(path)
    try:  # a regular file only (a FIFO would hang, /dev/zero would fill memory), never past the limit
        raw = read_bounded(path, MAX_BYTES, what="rule file")
    except SpsRulesError as exc:
        message = str(exc).removeprefix(f"{path}: ")
        raise RuleFileError([Problem(name, 0, 0, message, "split the rule set or remove pasted material"
                                     if "larger than" in message else "")]) from None
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
        text = text[1:]  # a byte-order mark (Windows editors write one) is harmless
    _check_characters(text, name)
    try:
        if not allow_aliases:
            found = _plain(text, name)
            if found is not None:
                return found
        node = _compose(text, name)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        raise RuleFileError([_syntax_problem(text, name, line, col, exc)]) from None
    except yaml.YAMLError as exc:
        raise RuleFileError([Problem(name, 0, 0, f"YAML error: {str(exc).splitlines()[0]}")]) from None
    if node is None:
        raise RuleFileError([Problem(name, 1, 1, "filen er tom (the file is empty)",
                                     "en regelfil begynder med 'ruleset:' efterfulgt af 'rules:'; "
                                     "se README eller en anden kommunes fil")])
    converter = _Converter(name, allow_aliases=allow_aliases)
    data = converter.convert(node, (), 0)
    return data, converter.lines


_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_STR, _INT = "tag:yaml.org,2002:str", "tag:yaml.org,2002:int"
_NO_TAG_HINT = "remove the tag; rule files are plain data"
_PLAIN_TAGS: dict[str, str] = {}


def _plain(text: str, name: str) -> tuple[Any, LineMap] | None:
    """Plain data and its line map in one pass over the parser's events, for a rule file.

    The same result, limits and messages as composing the nodes and converting them (the path
    test-case files take, since they may use anchors), at half the cost: no node tree is built,
    and a string scalar (most of a rule file) is taken as it stands. An empty file gives None
    (the caller words that).
    """
    resolver: Any = _Loader("")
    constructor: Any = _Loader("")
    lines: LineMap = {}
    anchors: dict[Any, Any] = {}  # anchor -> start mark of its node: an alias is refused there
    # per open collection: [its value, its path, the key waiting for a value (mappings), its tag]
    stack: list[list[Any]] = []
    root: list[Any] = []
    count = 0
    documents = 0

    def fail(mark: Any, message: str, hint: str = "") -> RuleFileError:
        return RuleFileError([Problem(name, mark.line + 1, mark.column + 1, message, hint)])

    try:
        events: Iterator[Any] = yaml.parse(text, Loader=_EventLoader)
        for event in events:
            kind = type(event)
            if kind is yaml.ScalarEvent or kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                count += 1
                if count > MAX_NODES:
                    raise fail(event.start_mark, f"the file has more than {MAX_NODES:,} values",
                               "a rule file needs far fewer")
                mark = event.start_mark
                if event.anchor is not None:
                    anchors[event.anchor] = mark
                frame = stack[-1] if stack else None
                if frame is not None and frame[3] is _MAP and frame[2] is None:  # a key
                    if kind is not yaml.ScalarEvent:
                        raise fail(mark, "a key must be a plain word")
                    if event.value == "<<" or event.tag == "tag:yaml.org,2002:merge":
                        raise fail(mark, "YAML merge keys (<<) are not allowed in rule files")
                    key: Any = _plain_scalar(event, resolver, constructor, fail, "")
                    if not isinstance(key, str):
                        key = str(key)
                    if key in frame[0]:
                        raise fail(mark, f"duplicate key {key!r}", "remove or rename one of them")
                    frame[2] = key
                    lines[frame[1] + (key,)] = (mark.line + 1, mark.column + 1)
                    continue
                if frame is None:
                    path: tuple[Any, ...] = ()
                elif frame[3] is _MAP:
                    path = frame[1] + (frame[2],)
                else:
                    path = frame[1] + (len(frame[0]),)
                lines.setdefault(path, (mark.line + 1, mark.column + 1))
                if kind is yaml.ScalarEvent:
                    value: Any = _plain_scalar(event, resolver, constructor, fail, _NO_TAG_HINT)
                else:
                    if len(stack) >= MAX_DEPTH:
                        raise fail(mark, f"nesting is deeper than {MAX_DEPTH} levels", "simplify the condition")
                    node_kind: Any = yaml.MappingNode if kind is yaml.MappingStartEvent else yaml.SequenceNode
                    tag = event.tag
                    if tag is None or tag == "!":
                        tag = resolver.resolve(node_kind, None, event.implicit)
                    if tag not in _CORE_TAGS:
                        raise fail(mark, f"the tag {tag!r} is not allowed in rule files", _NO_TAG_HINT)
                    value = {} if kind is yaml.MappingStartEvent else []
                if frame is None:
                    root.append(value)
                elif frame[3] is _MAP:
                    frame[0][frame[2]] = value
                    frame[2] = None
                else:
                    frame[0].append(value)
                if kind is not yaml.ScalarEvent:
                    stack.append([value, path, None, _MAP if type(value) is dict else _SEQ])
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                stack.pop()
            elif kind is yaml.AliasEvent:
                if event.anchor not in anchors:
                    raise fail(event.start_mark, f"unknown alias *{str(event.anchor)[:40]}")
                raise fail(anchors[event.anchor], "YAML anchors and aliases (& and *) are not allowed in rule files",
                           "write the value out in full")
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise fail(event.start_mark, *_ONE_DOCUMENT)
    finally:
        resolver.dispose()
        constructor.dispose()
    return (root[0], lines) if root else None


def _plain_scalar(event: Any, resolver: Any, constructor: Any, fail: Any, hint: str) -> Any:
    """A scalar's value, checked as ``_Converter`` checks it; a string is taken as it stands."""
    tag = event.tag
    if tag is None or tag == "!":
        implicit = event.implicit
        if not implicit[0]:  # quoted or a block: text, as the resolver would say
            return event.value
        if implicit[1]:  # not a plain scalar: let the resolver decide
            tag = resolver.resolve(yaml.ScalarNode, event.value, implicit)
        else:  # a plain scalar's tag depends on its text only: keys and words repeat, so remember it
            tag = _PLAIN_TAGS.get(event.value)
            if tag is None:
                tag = resolver.resolve(yaml.ScalarNode, event.value, implicit)
                if len(_PLAIN_TAGS) < 4096:
                    _PLAIN_TAGS[event.value] = tag
    if tag == _STR:
        return event.value
    if tag not in _CORE_TAGS:
        raise fail(event.start_mark, f"the tag {tag!r} is not allowed in rule files", hint)
    if tag == _INT and len(event.value) > MAX_INT_DIGITS:
        raise fail(event.start_mark, f"a number of {len(event.value):,} characters; at most {MAX_INT_DIGITS} are accepted",
                   "a rule file needs only small numbers (ages, levels, days)")
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
    try:
        value = constructor.construct_object(node, deep=False)
    except (yaml.constructor.ConstructorError, ValueError, OverflowError) as exc:
        raise fail(event.start_mark, f"invalid value {event.value[:60]!r}: {str(exc)[:200]}") from None
    if isinstance(value, dt.datetime):
        raise fail(event.start_mark, f"{event.value!r} is a date with a time; rule files use plain dates (YYYY-MM-DD)")
    return value


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
        if node.tag == "tag:yaml.org,2002:int" and len(node.value) > MAX_INT_DIGITS:
            raise self._fail(node, f"a number of {len(node.value):,} characters; at most {MAX_INT_DIGITS} are accepted",
                             "a rule file needs only small numbers (ages, levels, days)")
        try:
            value = self._constructor.construct_object(node, deep=False)
        except (yaml.constructor.ConstructorError, ValueError, OverflowError) as exc:
            raise self._fail(node, f"invalid value {node.value[:60]!r}: {str(exc)[:200]}") from None
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
