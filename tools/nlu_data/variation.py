"""Sentence variation: end punctuation, commas, particles, repeats and the bot's name.

Why: patients rarely type a template exactly (``感冒怎么治`` / ``感冒怎么治??``); the
variants give the classifiers that noise without new templates. Each function draws
only from the ``random.Random`` it is given.
"""

from __future__ import annotations

import random
from typing import Tuple

from tools.nlu_data.text import PLACEHOLDER_RE

END_PUNCT = "？?。.！!~～… 　"
PARTICLES = ("啊", "呀", "哈", "哦", "啦")
BOT_PREFIXES = ("小医，", "小医 ", "小医,", "小医小医，", "小医啊，")
BOT_NAME = "小医"
QUESTION_MARKS = "？?"
QUESTION_FINALS = "吗么嘛谁"


def split_end(text: str) -> Tuple[str, str]:
    """``text`` as (core, trailing punctuation and spaces)."""
    core = text.rstrip(END_PUNCT)
    return (core, text[len(core) :]) if core else (text, "")


def vary_diagnosis(template: str, rng: random.Random) -> str:
    """A medical question with other commas and end punctuation."""
    core, end = split_end(template)
    if "，" in core and rng.random() < 0.3:
        core = core.replace("，", rng.choice((",", " ", "")))
    question = any(c in end for c in QUESTION_MARKS)
    ends: Tuple[str, ...]
    if question or rng.random() < 0.6:
        ends = ("", "？", "?", "？？", "??", "。")
    else:
        ends = ("", "。", "？", "?", "...")
    return core + rng.choice(ends)


def vary_smalltalk(text: str, rng: random.Random) -> str:
    """Small talk repeated, with a particle, addressed to the bot, or punctuated otherwise."""
    core, end = split_end(text)
    # repeat short non-questions only: 你好你好, 拜拜拜拜, 不是不是 (not 你是谁你是谁)
    repeatable = (
        not PLACEHOLDER_RE.search(core)
        and not any(c in end for c in QUESTION_MARKS)
        and core[-1] not in QUESTION_FINALS
        and not core.endswith("什么")
    )
    if repeatable and len(core) <= 3 and rng.random() < 0.2:
        core = core + (" " if core.isascii() else "") + core  # 你好你好 / hi hi
    elif repeatable and len(core) == 1 and rng.random() < 0.3:
        core = core * rng.choice((2, 3))  # 嗯嗯嗯 / 对对
    if "，" in core and rng.random() < 0.5:
        core = core.replace("，", rng.choice((",", " ", "")))
    if core[-1] not in PARTICLES + ("吗", "么", "嘛", "呢", "吧", "了") and rng.random() < (
        0.15 if core.isascii() else 0.4
    ):
        core += rng.choice(PARTICLES)
    if BOT_NAME not in core and rng.random() < 0.2:
        core = rng.choice(BOT_PREFIXES) + core
    question = any(c in end for c in QUESTION_MARKS) or core[-1] in QUESTION_FINALS
    ends = (
        ("", "", "？", "?", "？？", "??") if question else ("", "", "。", "！", "!", "~", "～", "...", "！！")
    )
    return core + rng.choice(ends)
