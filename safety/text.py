"""Cleaning user text: what no patient meant to type never reaches the NLU, a log or a database.

Why: one function for the channels (before Rasa sees a message) and for everything that
stores text (the unanswered log), so both remove the same characters. It is Rasa-free, so
tools and the action server import it without loading Rasa.
"""

from __future__ import annotations

import unicodedata

# Line and paragraph separators become spaces; other control, format, private-use,
# unassigned and surrogate characters are dropped.
_SPACES = frozenset("\t\n\r\x0b\x0c\x85\u2028\u2029")
_DROPPED = frozenset(("Cc", "Cf", "Cs", "Co", "Cn"))


def clean_text(value: str) -> str:
    """``value`` without control, format and surrogate characters; line breaks and tabs become spaces.

    NUL, escape sequences, zero-width and bidirectional controls and lone surrogates (which
    JSON's ``\\ud800`` escapes can produce and which no database or encoder accepts) carry
    nothing a patient meant to say.
    """
    out = []
    for ch in value:
        if ch in _SPACES:
            out.append(" ")
        elif unicodedata.category(ch) not in _DROPPED:
            out.append(ch)
    return "".join(out)
