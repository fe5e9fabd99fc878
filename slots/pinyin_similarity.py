"""Fuzzy pinyin readings and a pinyin-aware edit similarity, for entity linking.

Why: patients write graph names in many near-forms — full-width letters, stray spaces,
a dropped or added 病/症 (folded away by ``core.normalise.match_key`` and
``strip_generic_suffix``), and above all homophone typos from pinyin input methods
(糖尿并 for 糖尿病, 高血亚 for 高血压), which are what this module compares. Everything
here is pure and deterministic so the linker can precompute it at training time and the
tests can check it directly. Its input is always a match key (``core.normalise``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable, List, Sequence, Tuple

from pypinyin import Style, pinyin


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
    """Fuzzy toneless readings of one (match-key) character, most common first.

    A character without a pinyin reading (digit, Latin letter, symbol) reads as itself.
    """
    # pypinyin types ``errors`` as returning str, but it accepts (and we need) a list
    readings = pinyin(ch, style=Style.NORMAL, heteronym=True, errors=lambda c: [c])[0]  # type: ignore[arg-type, return-value]
    out: List[str] = []
    for reading in readings:
        fuzzy = fuzzy_syllable(reading) if reading != ch else ch
        if fuzzy and fuzzy not in out:
            out.append(fuzzy)
    return tuple(out) or (ch,)


def pinyin_similarity(
    a: str, b: str, substitution_cost: float = 0.25, readings: Callable[[str], Sequence[str]] = char_readings
) -> Tuple[float, bool]:
    """Similarity in [0, 1] of two match keys, and whether every edit was a homophone.

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
        x == y or (sx & sy) for x, y, sx, sy in zip(a, b, sets_a, sets_b)
    )
    return max(0.0, 1.0 - distance / max(len(a), len(b))), homophones_only


def char_bigrams(text: str) -> List[str]:
    """Overlapping character bigrams (the whole text when shorter than two)."""
    return [text[i : i + 2] for i in range(len(text) - 1)] or ([text] if text else [])
