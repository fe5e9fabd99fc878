"""Text normalisation, fuzzy pinyin and a pinyin-aware edit similarity, for entity linking.

Why: patients write graph names in many near-forms — full-width letters, stray spaces,
a dropped or added 病/症, and above all homophone typos from pinyin input methods
(糖尿并 for 糖尿病, 高血亚 for 高血压). Everything here is pure and deterministic so the
linker can precompute it at training time and the tests can check it directly.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Callable, List, Sequence, Tuple

from pypinyin import Style, pinyin

# Characters dropped by normalisation: whitespace and name-internal connectors.
CONNECTORS = frozenset("·・‧-_‐")
# Generic suffixes that patients add to or drop from disease/symptom names.
GENERIC_SUFFIXES = ("病", "症")
# Separator of syllables in pinyin keys (never produced by pypinyin or normalise()).
SEP = "|"


def normalise_char(ch: str) -> str:
    """NFKC (full → half width) and lower case; '' for whitespace and connectors."""
    if ch.isspace():
        return ""
    out = unicodedata.normalize("NFKC", ch).lower()
    return "".join(c for c in out if not c.isspace() and c not in CONNECTORS and c != SEP)


def normalise_with_offsets(text: str) -> Tuple[str, List[int]]:
    """Normalised ``text`` and, per output character, the index of its source character."""
    chars: List[str] = []
    origin: List[int] = []
    for i, ch in enumerate(text):
        for out in normalise_char(ch):
            chars.append(out)
            origin.append(i)
    return "".join(chars), origin


def normalise(text: str) -> str:
    """Canonical comparison form: half width, lower case, no spaces or connectors."""
    return normalise_with_offsets(text)[0]


def strip_generic_suffix(key: str) -> str:
    """``key`` without a trailing 病/症 when at least two characters remain."""
    if len(key) >= 3 and key.endswith(GENERIC_SUFFIXES):
        return key[:-1]
    return key


def fuzzy_syllable(syllable: str) -> str:
    """Collapse the confusions pinyin input methods allow: zh/z, ch/c, sh/s, n/l, -ng/-n."""
    for retroflex in ("zh", "ch", "sh"):
        if syllable.startswith(retroflex):
            syllable = syllable[0] + syllable[2:]
            break
    if syllable.startswith("n") and len(syllable) > 1 and syllable != "ng":
        syllable = "l" + syllable[1:]
    if len(syllable) > 2 and syllable.endswith("ng"):
        syllable = syllable[:-1]
    return syllable


@lru_cache(maxsize=65536)
def char_readings(ch: str) -> Tuple[str, ...]:
    """Fuzzy toneless readings of one (normalised) character, most common first.

    A character without a pinyin reading (digit, Latin letter, symbol) reads as itself.
    """
    readings = pinyin(ch, style=Style.NORMAL, heteronym=True, errors=lambda c: [c])[0]
    out: List[str] = []
    for reading in readings:
        fuzzy = fuzzy_syllable(reading) if reading != ch else ch
        if fuzzy and fuzzy not in out:
            out.append(fuzzy)
    return tuple(out) or (ch,)


def pinyin_similarity(a: str, b: str, substitution_cost: float = 0.25,
                      readings: Callable[[str], Sequence[str]] = char_readings
                      ) -> Tuple[float, bool]:
    """Similarity in [0, 1] of two normalised strings, and whether every edit was a homophone.

    A weighted Levenshtein distance: substituting a character by one sharing a fuzzy
    reading costs ``substitution_cost``, any other edit costs 1; similarity is
    ``1 - distance / max(len)``. The flag is True when the strings have the same length
    and differ only by homophone substitutions (the "pinyin" kind of typo).
    """
    if a == b:
        return 1.0, True
    if not a or not b:
        return 0.0, False
    sets_a = [frozenset(readings(c)) for c in a]
    sets_b = [frozenset(readings(c)) for c in b]
    prev = [float(j) for j in range(len(b) + 1)]
    for i in range(1, len(a) + 1):
        cur = [float(i)] + [0.0] * len(b)
        for j in range(1, len(b) + 1):
            if a[i - 1] == b[j - 1]:
                sub = 0.0
            elif sets_a[i - 1] & sets_b[j - 1]:
                sub = substitution_cost
            else:
                sub = 1.0
            cur[j] = min(prev[j] + 1.0, cur[j - 1] + 1.0, prev[j - 1] + sub)
        prev = cur
    distance = prev[-1]
    homophones_only = len(a) == len(b) and all(
        x == y or (sx & sy) for x, y, sx, sy in zip(a, b, sets_a, sets_b))
    return max(0.0, 1.0 - distance / max(len(a), len(b))), homophones_only


def char_bigrams(text: str) -> List[str]:
    """Overlapping character bigrams (the whole text when shorter than two)."""
    return [text[i:i + 2] for i in range(len(text) - 1)] or ([text] if text else [])
