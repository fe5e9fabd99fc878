"""English words patients mix into Chinese questions, read as the Chinese word they stand for.

"is 肺炎 contagious" -> "is 肺炎 传染", "which department for 痛风" -> "哪个科 for 痛风".
Why: the classifiers learn question words from thousands of Chinese phrasings but see
few English ones; mapping the English words onto their Chinese counterparts lets every
Chinese phrasing count for the English form too. The glossary (``english_terms.yml``,
written by us) lists, for each Chinese word, the English words used for it. Matching is
case-insensitive, on whole words, longest phrase first; text outside the glossary is
left as it is.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Dict, Tuple

import yaml

ENGLISH_TERMS = Path(__file__).with_name("english_terms.yml")
_LATIN = re.compile("[A-Za-z]")


@lru_cache(maxsize=1)
def english_terms() -> Dict[str, Tuple[str, ...]]:
    """Chinese word -> the English words patients write for it (``english_terms.yml``)."""
    data = yaml.safe_load(ENGLISH_TERMS.read_text(encoding="utf-8")) or {}
    return {str(zh): tuple(str(en) for en in ens) for zh, ens in (data.get("terms") or {}).items() if ens}


def _key(phrase: str) -> str:
    return " ".join(phrase.lower().split())


@lru_cache(maxsize=1)
def _matcher() -> Tuple[re.Pattern, Dict[str, str]]:
    to_chinese: Dict[str, str] = {}
    for zh, ens in english_terms().items():
        for en in ens:
            to_chinese.setdefault(_key(en), zh)   # the first Chinese word listing it wins
    phrases = sorted(to_chinese, key=len, reverse=True)
    alternatives = "|".join(r"\s+".join(map(re.escape, p.split())) for p in phrases)
    return re.compile(rf"(?<![a-z0-9'])(?:{alternatives})(?![a-z0-9'])", re.IGNORECASE), to_chinese


@lru_cache(maxsize=4096)
def english_to_chinese(text: str) -> str:
    """``text`` with every glossary English word or phrase replaced by its Chinese word.

    Cached: the classifiers each read the same message (a regex over ~2,500 phrases costs
    a few tenths of a millisecond on text with Latin letters)."""
    if not _LATIN.search(text):
        return text
    pattern, to_chinese = _matcher()
    return pattern.sub(lambda m: to_chinese[_key(m.group(0))], text)
