"""Escaping for Markdown documents: text from data never becomes live HTML or Markdown syntax.

Rule texts, quotes, notes, referrals, fact values and record fields all come from files someone
else wrote (a rule file, an edited record). Each is written through ``inline``, which
- replaces ``&``, ``<`` and ``>`` by entities, so no HTML tag or autolink survives;
- backslash-escapes every character that opens Markdown syntax inline (emphasis, code, links and
  images, whose ``[`` it escapes, table cells, strikethrough, headings), as CommonMark allows for
  any ASCII punctuation; parentheses are left alone, since no link can open without ``[``;
- joins lines, and escapes a leading list, quote or heading marker, so one value stays one item.
"""

from __future__ import annotations

import re

_INLINE = re.compile(r"([\\`*\[\]#|~])")
# '_' inside a word (letters or digits on both sides) can neither open nor close emphasis in
# CommonMark, so codes such as support_need stay readable; every other '_' is escaped.
_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
_LEADING_NUMBER = re.compile(r"^(\d+)([.)])")


def inline(text: object) -> str:
    """``text`` safe to place anywhere in a line of Markdown, shown exactly as written.

    >>> inline("[x](javascript:alert(1)) <b>**")
    '\\\\[x\\\\](javascript:alert(1)) &lt;b&gt;\\\\*\\\\*'
    """
    value = " ".join(str(text).split())
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = _UNDERSCORE.sub(r"\\_", _INLINE.sub(r"\\\1", value))
    if value.startswith(("-", "+", "=")):
        value = "\\" + value
    return _LEADING_NUMBER.sub(r"\1\\\2", value)


def slug(text: str) -> str:
    """The anchor GitHub-style renderers give a heading: lower case, punctuation dropped, spaces as '-'."""
    kept = "".join(ch for ch in text.lower() if ch.isalnum() or ch in " -_")
    return kept.replace(" ", "-")
