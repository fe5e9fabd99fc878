"""English words patients mix into Chinese questions, read as the Chinese word they stand for.

"is 肺炎 contagious" -> "is 肺炎 传染", "which department for 痛风" -> "哪个科 for 痛风".
Why: the classifiers learn question words from thousands of Chinese phrasings but see
few English ones; mapping the English words onto their Chinese counterparts lets every
Chinese phrasing count for the English form too. The glossary (``english_terms.yml``,
written by us) lists, for each Chinese word, the English words used for it. Matching is
case-insensitive, on whole words, longest phrase first; text outside the glossary is
left as it is. It runs on every message, so in time linear in the text: one RE2 pattern
(``safety.patterns``) of all the phrases, tried where a word starts.
"""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Tuple

import re2
import yaml

from safety.patterns import UNICODE_WHITESPACE, Regex, compile_pattern

ENGLISH_TERMS = Path(__file__).with_name("english_terms.yml")
_LATIN = compile_pattern("[A-Za-z]")
_ENTRY = compile_pattern("[a-z0-9]([a-z0-9 '&-]*[a-z0-9])?")
# What may not touch a glossary word on either side (whole words only), and how one starts.
_WORD_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789'")
_FIRST_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789")
# The text as the matcher reads it, one character for one: letters in lower case, counting the
# non-ASCII letters that case-insensitive matching (as Python's re does it) equates with ASCII
# ones (İ ı -> i, ſ -> s, the Kelvin sign -> k), and any whitespace as a space.
_FOLD = str.maketrans(
    {
        **{c: c.lower() for c in string.ascii_uppercase},
        "\u0130": "i",
        "\u0131": "i",
        "\u017f": "s",
        "\u212a": "k",
        **dict.fromkeys(UNICODE_WHITESPACE, " "),
    }
)


@lru_cache(maxsize=1)
def english_terms() -> Dict[str, Tuple[str, ...]]:
    """Chinese word -> the English words patients write for it (``english_terms.yml``)."""
    data = yaml.safe_load(ENGLISH_TERMS.read_text(encoding="utf-8")) or {}
    return {str(zh): tuple(str(en) for en in ens) for zh, ens in (data.get("terms") or {}).items() if ens}


def _key(phrase: str) -> str:
    return " ".join(phrase.lower().split())


@lru_cache(maxsize=1)
def _matcher() -> Tuple[Regex, Dict[str, str]]:
    """The pattern of every phrase (longest first), each followed by a character that cannot
    continue a word or by the end of the text; and phrase -> Chinese word."""
    to_chinese: Dict[str, str] = {}
    for zh, ens in english_terms().items():
        for en in ens:
            if not _ENTRY.fullmatch(_key(en)):
                raise ValueError(
                    f"{ENGLISH_TERMS}: {en!r} is not ASCII letters and digits (with spaces, ' & - inside)"
                )
            to_chinese.setdefault(_key(en), zh)  # the first Chinese word listing it wins
    phrases = sorted(to_chinese, key=len, reverse=True)
    alternatives = "|".join(" +".join(map(re2.escape, p.split())) for p in phrases)
    return compile_pattern(rf"(?:{alternatives})(?:[^a-z0-9']|\z)"), to_chinese


@lru_cache(maxsize=4096)
def english_to_chinese(text: str) -> str:
    """``text`` with every glossary English word or phrase replaced by its Chinese word.

    Cached: the classifiers each read the same message. At each position where a word starts
    (left to right, after the last replacement) the first phrase, longest first, that matches
    there and is not followed by a letter, digit or apostrophe is replaced.
    """
    if not _LATIN.search(text):
        return text
    pattern, to_chinese = _matcher()
    folded = text.translate(_FOLD).encode("ascii", "replace")  # one byte per character of text
    pieces: List[str] = []
    done = 0  # text[:done] is in pieces
    for start in range(len(folded)):
        if start < done or folded[start] not in _FIRST_CHARS or (start and folded[start - 1] in _WORD_CHARS):
            continue
        match = pattern.match(folded, start)
        if match is None:
            continue
        end = match.end() - (folded[match.end() - 1] not in _WORD_CHARS)  # without the character after
        pieces += [text[done:start], to_chinese[_key(folded[start:end].decode())]]
        done = end
    return "".join(pieces) + text[done:]
