"""Rule files are read in one pass over the parser's events; the result equals composing and converting.

The two-pass reader (nodes, then plain data) stays for test-case files, which may use anchors.
Both must give the same data, the same line map and the same messages for a rule file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sps_rules.engine import yamlsafe
from sps_rules.model.errors import RuleFileError

ROOT = Path(__file__).resolve().parents[1]


def _two_pass(text: str, name: str = "f.yaml") -> Any:
    node = yamlsafe._compose(text, name)
    converter = yamlsafe._Converter(name)
    return converter.convert(node, (), 0), converter.lines


def _outcome(fn: Any, text: str) -> Any:
    try:
        return fn(text)
    except RuleFileError as exc:
        return ("error", [str(p) for p in exc.problems])
    except yaml.YAMLError as exc:
        return ("yaml", type(exc).__name__)


def _same(text: str) -> None:
    one = _outcome(lambda t: yamlsafe._plain(t, "f.yaml"), text)
    two = _outcome(_two_pass, text)
    assert one == two


@pytest.mark.parametrize("path", sorted(p.relative_to(ROOT) for p in (ROOT / "rules").rglob("*.yaml")
                                          if "tests" not in p.relative_to(ROOT).parts), ids=str)
def test_every_shipped_rule_file_reads_the_same_both_ways(path: Path) -> None:
    text = (ROOT / path).read_text(encoding="utf-8")
    data, lines = yamlsafe._plain(text, str(path))  # type: ignore[misc]
    assert (data, lines) == _two_pass(text, str(path))


@pytest.mark.parametrize("text", [
    "a: 1\na: 2\n",                               # duplicate key
    "a: &x [1, 2]\nb: *x\n",                      # an alias
    "a: *nope\n",                                 # an unknown alias
    "a: !!python/object:os.system ls\n",          # a tag outside the core schema
    "a: !!omap [ {b: 1} ]\n",                     # a collection tag outside the core schema
    "? [1, 2]\n: x\n",                            # a key that is not a plain word
    "<<: {a: 1}\nb: 2\n",                         # a merge key
    "a: 0x" + "f" * 40 + "\n",                    # a huge number
    "a: 2026-03-02T10:00:00\n",                   # a date with a time
    "a: 2026-02-30\n",                            # an impossible date
    "a: 1\n---\nb: 2\n",                          # two documents
    "[" * (yamlsafe.MAX_DEPTH + 2) + "]" * (yamlsafe.MAX_DEPTH + 2) + "\n",  # too deep
    "a: !!seq {b: 1}\nc: !!str {d: [1]}\n",       # core tags on the other kind of collection
    "a: [1, {b: c}, [d, e]]\n1: x\ntrue: y\nnull: z\n2026-01-01: d\n",  # keys that are not text
    "a: 'quoted: yes'\nb: \"x\\ty\"\nc: |\n  two\n  lines\nd: ~\ne: yes\nf: 1.5\ng: -3\n",
])
def test_hostile_and_odd_documents_read_the_same_both_ways(text: str) -> None:
    _same(text)


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=20),
                     st.dates().map(str), st.sampled_from(["yes", "no", "~", "0o17", "1_000", "1:20", ".inf", "<<", "&a"]))
_DATA = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                     max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(_DATA, st.booleans())
def test_any_document_reads_the_same_both_ways(data: Any, flow: bool) -> None:
    _same(yaml.safe_dump({"root": data}, default_flow_style=flow, allow_unicode=True))


def test_the_one_pass_reader_is_what_rule_files_get() -> None:
    with pytest.raises(RuleFileError) as caught:
        yamlsafe.parse_yaml(b"a: &x 1\nb: *x\n", "f.yaml")
    assert "anchors and aliases" in str(caught.value)
    data, _ = yamlsafe.parse_yaml(b"a: &x 1\nb: *x\n", "cases.yaml", allow_aliases=True)
    assert data == {"a": 1, "b": 1}
