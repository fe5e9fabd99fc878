r"""Regular expressions that run on user text, compiled with RE2: time linear in the text.

Why: Python's ``re`` backtracks, so a pattern with a quantified group of overlapping
alternatives takes exponential time on a crafted message ("嗯" × 24 + "？" took 2.9 s in the
template matcher, × 3.3 per two more characters), and the NLU runs in Rasa's single event
loop: one such message froze the whole server. RE2 needs time linear in the text whatever
the pattern, and refuses when compiling what it cannot do that way (lookarounds,
backreferences), so a rule file that needs them fails when it is loaded, naming the
pattern, instead of stalling on a message.

Patterns are written in Python's ``re`` syntax and keep its meaning where RE2 reads the
same syntax differently: ``\s`` is any Unicode whitespace (RE2: ASCII only) and ``$`` also
matches just before a final newline (RE2: only at the very end; the newline is then part
of the match). ``\S``, ``\d``, ``\w``, ``\b`` and the other negations, which RE2 also reads
as ASCII only, are refused rather than silently narrowed: write the characters out.
Case-insensitive matching differs from ``re`` only for the Turkish dotted and dotless i
(İ, ı), which ``re`` also equates with "i". RE2 reads UTF-8, which has no lone surrogates
(``"\ud800"``, which a JSON body can carry); :class:`Regex` reads each as U+FFFD, so a
message with one is matched like any other instead of raising UnicodeEncodeError.
"""

from __future__ import annotations

from typing import Any, Iterator, List, Optional, Union

import re2

# Every character Python's ``\s`` (and ``str.isspace``) counts as whitespace (a test checks it).
UNICODE_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
    "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_WHITESPACE_MEMBERS = "".join(f"\\x{{{ord(c):x}}}" for c in UNICODE_WHITESPACE)
_ASCII_IN_RE2 = "SdDwWbB"  # escapes RE2 reads as ASCII only, where re reads Unicode
_SURROGATES = dict.fromkeys(range(55296, 57344), "�")
Text = Union[str, bytes]


def _encodable(text: Text) -> Text:
    """``text`` with each lone surrogate replaced by U+FFFD: the same length, so the same offsets."""
    if isinstance(text, str) and not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return text.translate(_SURROGATES)
    return text


class Regex:
    """A pattern compiled by RE2, searched like a ``re`` pattern (``str`` or ``bytes``; offsets in
    characters of a ``str``). A lone surrogate is read as U+FFFD, which reads the same wherever
    a pattern does not name U+FFFD; a match's group texts then show U+FFFD."""

    def __init__(self, regex: Any) -> None:
        self._regex = regex  # a re2 compiled pattern (the package gives its class no public name)

    def search(self, text: Text, pos: Optional[int] = None, endpos: Optional[int] = None) -> Any:
        return self._regex.search(_encodable(text), pos, endpos)

    def match(self, text: Text, pos: Optional[int] = None, endpos: Optional[int] = None) -> Any:
        return self._regex.match(_encodable(text), pos, endpos)

    def fullmatch(self, text: Text, pos: Optional[int] = None, endpos: Optional[int] = None) -> Any:
        return self._regex.fullmatch(_encodable(text), pos, endpos)

    def finditer(self, text: Text, pos: Optional[int] = None, endpos: Optional[int] = None) -> Iterator[Any]:
        return self._regex.finditer(_encodable(text), pos, endpos)


def _to_re2_syntax(pattern: str) -> str:
    """``pattern`` (Python ``re`` syntax) rewritten so that RE2 reads ``\\s`` and ``$`` as ``re`` does."""
    out: List[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            escaped = pattern[i + 1]
            if escaped in _ASCII_IN_RE2:
                raise ValueError(
                    f"pattern {pattern!r}: \\{escaped} means ASCII only under RE2; write the characters out"
                )
            out.append(
                (_WHITESPACE_MEMBERS if in_class else f"[{_WHITESPACE_MEMBERS}]")
                if escaped == "s"
                else pattern[i : i + 2]
            )
            i += 2
            continue
        if char == "[" and not in_class:
            start, in_class = i, True
            i += 1 + (pattern[i + 1 : i + 2] == "^")
            i += pattern[i : i + 1] == "]"  # a "]" first in a class is a member
            out.append(pattern[start:i])
            continue
        if char == "]" and in_class:
            in_class = False
        elif char == "$" and not in_class:
            char = r"(?:\n?\z)"
        out.append(char)
        i += 1
    return "".join(out)


def compile_pattern(pattern: str, ignore_case: bool = False) -> Regex:
    """``pattern`` compiled by RE2; a ValueError naming it when RE2 cannot compile it."""
    options = re2.Options()
    options.case_sensitive = not ignore_case
    options.log_errors = False
    try:
        return Regex(re2.compile(_to_re2_syntax(pattern), options))
    except re2.error as exc:
        reason = exc.args[0] if exc.args else ""
        reason = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
        raise ValueError(
            f"RE2 cannot compile pattern {pattern!r}: {reason} "
            "(RE2 runs in linear time, so it has no lookarounds or backreferences)"
        ) from exc
