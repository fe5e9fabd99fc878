"""Adversarial texts for the linear-time checks, built from a pattern's own pieces.

Why: a backtracking blow-up needs text made of the pattern's overlapping alternatives,
repeated, that fails at the very end; random text never finds it. The pieces come from
the pattern itself (``sre_parse``), so a new rule is covered as soon as it is written.
"""

from __future__ import annotations

import random
import sre_constants as c
import sre_parse
import time
from functools import cache
from typing import Any, Callable, Iterable, List, Optional, Sequence, Set, Tuple

MAX_MESSAGE_LENGTH = 1000  # the longest message a channel accepts (credentials.yml)
ENDINGS = ("？", "x")  # a last character that makes an anchored pattern fail
TIME_LIMIT_S = 1.0  # generous: a backtracking blow-up at this length takes years


@cache
def parsed(pattern: str) -> Any:
    """``pattern`` as Python's regex parser sees it (a list of (opcode, argument) pairs)."""
    return sre_parse.parse(pattern)


def strings(items: Any, fold_case: bool = False, limit: int = 200) -> Optional[Set[str]]:
    """Every string the parsed ``items`` match (lower-cased with ``fold_case``); None when that
    is not a few fixed strings (any character, a category like ``\\s``, an unbounded repeat)."""

    def char(code: int) -> str:
        return chr(code).lower() if fold_case else chr(code)

    out = {""}
    for op, av in items:
        if op is c.LITERAL:
            options: Optional[Set[str]] = {char(av)}
        elif op is c.IN and all(o is c.LITERAL for o, _ in av):
            options = {char(v) for _, v in av}
        elif op is c.SUBPATTERN:
            options = strings(av[-1], fold_case, limit)
        elif op is c.BRANCH:
            options = set()
            for alternative in av[1]:
                found = strings(alternative, fold_case, limit)
                if found is None:
                    return None
                options |= found
        elif op is c.MAX_REPEAT and av[1] <= 4:
            body = strings(av[2], fold_case, limit)
            if body is None:
                return None
            options, power = set(), {""}
            for count in range(av[1] + 1):
                if count >= av[0]:
                    options |= power
                power = {a + b for a in power for b in body}
        elif op is c.AT:
            options = {""}
        else:
            return None
        if options is None:
            return None
        out = {a + b for a in out for b in options}
        if len(out) > limit:
            return None
    return out


@cache
def pieces(pattern: str) -> Tuple[str, ...]:
    """The literal strings ``pattern`` is built from: every string each alternative of each group
    stands for (or, when that is not a few fixed strings, the literals inside it) and each
    member of each character class."""
    found: Set[str] = set()

    def walk(items: Any) -> None:
        run = ""
        for op, av in items:
            if op is c.LITERAL:
                run += chr(av)
                continue
            found.add(run)
            run = ""
            if op is c.BRANCH:
                for alternative in av[1]:
                    expanded = strings(alternative)
                    if expanded is None:
                        walk(alternative)
                    else:
                        found.update(expanded)
            elif op is c.SUBPATTERN:
                walk(av[-1])
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT):
                walk(av[2])
            elif op is c.IN:
                found.update(chr(v) for o, v in av if o is c.LITERAL)
        found.add(run)

    walk(parsed(pattern))
    return tuple(sorted(p for p in found if p))


def sample(pattern: str, rng: random.Random) -> str:
    """A random text shaped like a match of ``pattern`` (a few repeats of each group)."""
    alphabet = "".join(pieces(pattern)) or "x"

    def walk(items: Any) -> str:
        out = []
        for op, av in items:
            if op is c.LITERAL:
                out.append(chr(av))
            elif op is c.IN:
                members = [chr(v) for o, v in av if o is c.LITERAL] or [" "]
                out.append(rng.choice(members))
            elif op is c.ANY:
                out.append(rng.choice(alphabet))
            elif op is c.CATEGORY:
                out.append(" ")
            elif op is c.BRANCH:
                out.append(walk(rng.choice(av[1])))
            elif op is c.SUBPATTERN:
                out.append(walk(av[-1]))
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT):
                count = rng.randint(av[0], min(av[1], av[0] + 3))
                out.extend(walk(av[2]) for _ in range(count))
        return "".join(out)

    return walk(parsed(pattern))


def fill(parts: Iterable[str], ending: str) -> str:
    """``parts`` joined and cut to one character less than the longest message, then ``ending``."""
    text = ""
    for part in parts:
        if len(text) >= MAX_MESSAGE_LENGTH:
            break
        text += part
    return text[: MAX_MESSAGE_LENGTH - len(ending)] + ending


def forever(make: Callable[[], str]) -> Iterable[str]:
    """``make()``, again and again."""
    while True:
        yield make()


def adversarial_texts(pattern: str, extra: Sequence[str] = (), seed: int = 0, mixes: int = 20) -> List[str]:
    """Longest-message texts made of ``pattern``'s pieces (and ``extra`` ones): each piece repeated
    (alone and after a sample of the pattern), random mixes of pieces and of samples, each with
    each ending."""
    rng = random.Random(seed)
    parts = sorted(set(pieces(pattern)) | set(extra)) or ["x"]
    texts = []
    for ending in ENDINGS:
        for piece in parts:
            texts.append(fill([piece] * MAX_MESSAGE_LENGTH, ending))
            texts.append(fill([sample(pattern, rng)] + [piece] * MAX_MESSAGE_LENGTH, ending))
        for _ in range(mixes):
            texts.append(fill(forever(lambda: rng.choice(parts)), ending))
            texts.append(fill(forever(lambda: sample(pattern, rng)), ending))
    return texts


def slowest(function: Callable[[str], Any], texts: Iterable[str]) -> float:
    """The longest time, in seconds, that ``function`` took on one of ``texts``."""
    worst = 0.0
    for text in texts:
        start = time.perf_counter()
        function(text)
        worst = max(worst, time.perf_counter() - start)
    return worst


def report(label: str, count: int, worst: float) -> None:
    """Print the slowest time (shown with ``pytest -s``)."""
    print(f"\n{label}: {count} texts of {MAX_MESSAGE_LENGTH} characters, slowest {worst * 1000:.2f} ms")


def uniquely_decodable(words: Iterable[str]) -> bool:
    """Whether no text splits into ``words`` in two ways (the Sardinas-Patterson test)."""
    code = set(words)

    def remainders(prefixes: Set[str], whole: Set[str]) -> Set[str]:
        return {w[len(p) :] for p in prefixes for w in whole if w.startswith(p) and w != p}

    current, seen = remainders(code, code), set()
    while current:
        if current & code:
            return False
        if frozenset(current) in seen:
            return True
        seen.add(frozenset(current))
        current = remainders(current, code) | remainders(code, current)
    return True
