"""neural.english under RE2: the same output as the lookaround regex it replaced, and fast."""

import random
import re
from functools import lru_cache
from typing import Dict, List, Tuple

import pytest

from neural import english
from neural.english import _key, english_terms, english_to_chinese

from .inputs import MAX_MESSAGE_LENGTH, TIME_LIMIT_S, fill, forever, report, slowest

read = english_to_chinese.__wrapped__  # not cached: each call is measured and compared
WHITESPACE = [" ", "  ", "\t", "\n", "\u3000", "\xa0", "\u2009 "]


@lru_cache(maxsize=1)
def _lookaround_matcher() -> Tuple[re.Pattern, Dict[str, str]]:
    """The matcher before RE2 (Python's re with lookbehind and lookahead): the reference."""
    to_chinese: Dict[str, str] = {}
    for zh, ens in english_terms().items():
        for en in ens:
            to_chinese.setdefault(_key(en), zh)
    phrases = sorted(to_chinese, key=len, reverse=True)
    alternatives = "|".join(r"\s+".join(map(re.escape, p.split())) for p in phrases)
    return re.compile(rf"(?<![a-z0-9'])(?:{alternatives})(?![a-z0-9'])", re.IGNORECASE), to_chinese


def reference(text: str) -> str:
    if not re.search("[A-Za-z]", text):
        return text
    pattern, to_chinese = _lookaround_matcher()
    return pattern.sub(lambda m: to_chinese[_key(m.group(0))], text)


def phrases() -> List[str]:
    return sorted(_lookaround_matcher()[1])


def _contexts(phrase: str) -> List[str]:
    """``phrase`` where a word boundary, case, spacing or a longer phrase could go wrong."""
    return [
        f"肺炎{phrase}吗",
        f"x{phrase}",
        f"{phrase}'",
        f"-{phrase}s",
        phrase.title(),
        f"{phrase}{phrase} ",
        phrase[:-1],
        f"{phrase}\u212a",
        phrase.upper().replace(" ", "\u3000 "),
    ]


def test_every_glossary_phrase_in_context_reads_as_before():
    for phrase in phrases():
        text = "，".join(_contexts(phrase))
        assert read(text) == reference(text), phrase


def _random_text(rng: random.Random, words: List[str]) -> str:
    def token() -> str:
        kind = rng.random()
        if kind < 0.5:
            phrase = rng.choice(words)
            case = rng.choice(
                [
                    str.lower,
                    str.upper,
                    str.title,
                    lambda s: "".join(ch.upper() if rng.random() < 0.5 else ch for ch in s),
                ]
            )
            return case(phrase).replace(" ", rng.choice(WHITESPACE))
        if kind < 0.7:
            return "".join(
                rng.choice("abcdefghijklmnopqrstuvwxyzABC019'-&\u212a") for _ in range(rng.randint(1, 6))
            )
        return rng.choice(["肺炎", "吗", "的", "，", "？", "?", ".", "!", "1", "5", "'", "-"] + WHITESPACE)

    separators = ["", "", " ", "'", "-", "，"] + WHITESPACE
    return "".join(token() + rng.choice(separators) for _ in range(rng.randint(1, 12)))


def test_random_texts_read_as_before():
    rng, words = random.Random(7), phrases()
    for _ in range(2000):
        text = _random_text(rng, words)
        assert read(text) == reference(text), repr(text)


def test_letters_that_ignoring_case_equates_with_ascii_ones_are_read_too():
    # The lookaround regex matched these, then failed to look the lower-cased match up.
    for text in ("ſymptoms", "İnfection"):
        with pytest.raises(KeyError):
            reference(text)
    assert read("ſymptoms 吗") == "症状 吗" and read("İnfection") == read("infection")
    assert read("\u212anow about 糖尿病") == "介绍 糖尿病"  # the Kelvin sign, which lower() reads as k


def test_a_lone_surrogate_is_kept_as_it_is():
    text = "is 肺炎 contagious\ud800吗"
    assert read(text) == reference(text) == "is 肺炎 传染\ud800吗"


def test_glossary_entries_must_be_plain_ascii_words(monkeypatch):
    monkeypatch.setattr(english, "english_terms", lambda: {"咖啡": ("café",)})
    english._matcher.cache_clear()
    try:
        with pytest.raises(ValueError, match="café"):
            english._matcher()
    finally:
        english._matcher.cache_clear()


def test_glossary_matcher_is_fast_on_the_longest_crafted_message():
    rng, words = random.Random(3), phrases()
    chosen = rng.sample(words, 150) + [w for w in words if " " in w][:50]
    texts = []
    for phrase in chosen:
        first = phrase.split()[0]
        for unit in (
            phrase + " ",
            phrase + "x",
            "x" + phrase,
            phrase + "'",
            phrase.upper() + "，",
            phrase[:-1] + " ",
            phrase.replace(" ", " " * 60) + "x",
            first + " " * 200,
        ):
            texts.append(fill([unit] * MAX_MESSAGE_LENGTH, "x"))
    for _ in range(50):
        texts.append(fill(forever(lambda: rng.choice(words) + rng.choice(["", " ", "'", "-", "肺"])), "x"))
    worst = slowest(read, texts)
    report("English glossary matcher", len(texts), worst)
    assert worst < TIME_LIMIT_S
