"""The one text normaliser: full width to half width, lower case, and the keys built on it.

Why: the linker, the neural tokenizer, the graph check and the data generator each used to
fold text their own way, with small differences (one stripped 病/症 from two-character
names, another did not). Every comparison of names or sentences now starts from
``fold_char``; the functions below differ only in what they then drop, and say why.
"""

from __future__ import annotations

import unicodedata
from typing import List, Tuple

# Characters dropped from match keys: name-internal connectors (plus whitespace).
CONNECTORS = frozenset("·・‧-_‐")
# Generic suffixes that patients add to or drop from disease/symptom names.
GENERIC_SUFFIXES = ("病", "症")
# A suffix is stripped only when at least this many characters remain (糖尿病 -> 糖尿,
# but 癌症 stays: 癌 alone names nothing).
MIN_STEM = 2
# Separator of pinyin syllables in the linker's keys; never part of a match key.
KEY_SEP = "|"
# Unicode categories nobody sees: control (Cc) and format (Cf: zero-width spaces, joiners,
# byte-order and bidirectional marks, soft hyphens).
_INVISIBLE = frozenset(("Cc", "Cf"))


def fold_char(ch: str) -> str:
    """NFKC (full width -> half width, ``㎏`` -> ``kg``) and lower case of one character."""
    return unicodedata.normalize("NFKC", ch).lower()


def fold_same_length(text: str) -> str:
    """``text`` folded character by character, keeping its length (offsets never shift).

    Whitespace becomes one space; a character whose folded form is longer stays as it is.
    Used by the neural tokenizer, whose labels are per character.
    """
    out = []
    for ch in text:
        if ch.isspace():
            out.append(" ")
            continue
        folded = fold_char(ch)
        out.append(folded if len(folded) == 1 else ch)
    return "".join(out)


def match_key_with_offsets(text: str) -> Tuple[str, List[int]]:
    """The match key of ``text`` (see ``match_key``) and, per key character, its source index."""
    chars: List[str] = []
    origin: List[int] = []
    for i, ch in enumerate(text):
        if ch.isspace():
            continue
        for out in fold_char(ch):
            if not out.isspace() and out not in CONNECTORS and out != KEY_SEP:
                chars.append(out)
                origin.append(i)
    return "".join(chars), origin


def match_key(text: str) -> str:
    """How a name is compared with what a patient wrote: folded, no spaces or connectors."""
    return match_key_with_offsets(text)[0]


def strip_generic_suffix(key: str) -> str:
    """``key`` without one trailing 病/症 when at least ``MIN_STEM`` characters remain."""
    if len(key) > MIN_STEM and key.endswith(GENERIC_SUFFIXES):
        return key[:-1]
    return key


def near_duplicate_key(name: str) -> str:
    """The key near-duplicate graph names share: folded, without whitespace and invisible
    characters, one generic suffix removed (``糖尿病`` and ``糖 尿`` group together)."""
    key = "".join(
        ch
        for ch in unicodedata.normalize("NFKC", name)
        if not ch.isspace() and unicodedata.category(ch) not in _INVISIBLE
    ).lower()
    return strip_generic_suffix(key)


def sentence_key(text: str) -> str:
    """The key that keeps training and test sentences apart: folded, without whitespace,
    punctuation and symbols (``感冒怎么治？`` and ``感冒 怎么治`` are one sentence)."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if not (ch.isspace() or unicodedata.category(ch)[0] in "PS"))
