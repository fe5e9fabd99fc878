"""Mask what identifies a patient in free text: phone numbers, ID cards, e-mail, names, hospital numbers.

Why: patients type their phone number, identity card number or name into the chat ("我叫张三，
电话13812345678"), and text the bot keeps (the unanswered-question log) must not keep them.
Each finding is replaced by a fixed token (``[电话]``, ``[身份证]``, ``[邮箱]``, ``[姓名]``,
``[编号]``); everything else stays exactly as typed, so the content team still reads the
question. Detection sees the text NFKC-normalised character by character (full-width
digits, ``＠``, ``＋``, ``－`` count as their ASCII forms) but the output keeps the input's
characters. The patterns run on user text, so they are RE2 (linear time, no backtracking)
and the boundaries RE2 has no lookarounds for are matched as a consumed character and
checked in Python; the whole pass is linear in the text.

Rules, in order of precedence where findings overlap:

- ``[电话]``: mainland mobile numbers (11 digits ``1[3-9]…``, optionally grouped 3-4-4 by a
  space or dash, optionally after ``+86``/``86``) and landlines (``0`` + 2-3 digit area code,
  optionally in brackets, a 7-8 digit number, an optional extension ``-123``/``转123``/``ext123``);
  not inside a longer run of digits.
- ``[身份证]``: 18-digit resident identity card numbers (17 digits + a digit or X/x, optionally
  grouped 6-8-4) and 15-digit old ones, not inside a longer run of digits.
- ``[邮箱]``: e-mail addresses.
- ``[编号]``: the letters and digits after 住院号/门诊号/病历号/病案号/就诊号/卡号 (with at least
  one digit), and any other run of 12 or more digits (bank and insurance card numbers).
- ``[姓名]``: up to 4 Han characters after 我叫/本人叫/我名叫/我的名字是/名字叫/姓名是/姓名:
  (always); the surname after 我姓/本人姓/免贵姓; after 我是 only a 2-3 character run (3-4 with
  a compound surname) that starts with a common surname and holds no word a name never holds
  (我是患者, 我是糖尿病患者, 我是第一次, 我是高血压 stay as they are).
"""

from __future__ import annotations

import unicodedata
from typing import Callable, Iterator, List, Optional, Sequence, Tuple

import re2

PHONE = "[电话]"
ID_CARD = "[身份证]"
EMAIL = "[邮箱]"
NAME = "[姓名]"
NUMBER = "[编号]"

# Common single-character surnames (enough for the names patients introduce themselves with).
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃"
    "武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮"
    "柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉"
    "缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑"
    "郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
COMPOUND_SURNAMES = frozenset(
    (
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "东方",
        "皇甫",
        "慕容",
        "令狐",
        "夏侯",
        "尉迟",
        "长孙",
        "宇文",
        "司徒",
        "公孙",
        "端木",
        "独孤",
        "南宫",
        "西门",
        "澹台",
        "轩辕",
        "呼延",
        "万俟",
    )
)
# A run after 我是 holding one of these is not a name (illness, people, places, questions).
NOT_IN_NAMES = frozenset(
    "病症炎癌瘤疮疹痛疼痒咳烧热患者人们员生师士医院科室诊药血压糖脂尿孕妇妈爸爷奶哥姐弟妹儿孩"
    "属省市县区镇村州什么怎谁哪这那个位次第号岁年日型期级度"
)
# Runs after 我是 that start like a surname and a name but are not names.
NOT_NAMES = (
    "高一",
    "高二",
    "高三",
    "高中",
    "高龄",
    "高危",
    "江西",
    "江苏",
    "安徽",
    "甘肃",
    "宁夏",
    "吉林",
    "武汉",
    "成都",
    "沈阳",
    "温州",
    "苏州",
    "常州",
    "郑州",
    "包头",
    "石家庄",
    "常客",
    "单身",
    "单亲",
    "明白",
    "全职",
    "应届",
    "华侨",
    "于是",
    "安全",
    "周一",
    "周二",
    "周三",
    "周四",
    "周五",
    "周六",
    "周末",
    "白癜风",
    "白内障",
    "白带",
    "牛皮",
    "黄疸",
    "黄褐斑",
    "包皮",
    "房颤",
    "麻风",
    "梅毒",
    "宫寒",
    "宫颈",
    "阳痿",
    "阳虚",
)
# Words that end the run after 我是 (我是张三的妈妈, 我是李四想问…).
RUN_ENDS = frozenset("的想要请问在今从来呢啊吧呀吗哦啦嘛")
DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d")

_DIGIT = "[0-9]"
_SEP = "[ -]?"
_MOBILE = rf"(?:\+?86{_SEP})?1[3-9]{_DIGIT}{_SEP}{_DIGIT}{{4}}{_SEP}{_DIGIT}{{4}}"
_AREA = rf"(?:\(0[1-9]{_DIGIT}{{1,2}}\)|0[1-9]{_DIGIT}{{1,2}})"
_LOCAL = rf"[2-9]{_DIGIT}{{2,3}}{_SEP}{_DIGIT}{{4}}"
_EXTENSION = rf"(?:(?: ?-|转|分机|[eE][xX][tT]\.? ?|[xX#]){_DIGIT}{{1,6}})?"
_LANDLINE = rf"{_AREA}{_SEP}{_LOCAL}{_EXTENSION}"
_ID18 = rf"{_DIGIT}{{6}}{_SEP}{_DIGIT}{{8}}{_SEP}{_DIGIT}{{3}}[0-9Xx]"
_ID15 = rf"{_DIGIT}{{6}}{_SEP}{_DIGIT}{{6}}{_SEP}{_DIGIT}{{3}}"


def _compile(pattern: str) -> re2._Regexp:
    """``pattern`` compiled by RE2 for UTF-8 bytes (searching bytes from an offset costs only what it reads)."""
    options = re2.Options()
    options.log_errors = False
    return re2.compile(pattern.encode("utf-8"), options)


def _bounded(core: str) -> re2._Regexp:
    """``core`` as group 1 with no digit right before or after it (the neighbours are consumed)."""
    return _compile(rf"(?:^|[^0-9])({core})(?:[^0-9]|$)")


_NUMBER_RULES: Sequence[Tuple[str, re2._Regexp]] = (
    (PHONE, _bounded(_MOBILE)),
    (PHONE, _bounded(_LANDLINE)),
    (ID_CARD, _bounded(_ID18)),
    (ID_CARD, _bounded(_ID15)),
)
_EMAIL = _compile(r"([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_HOSPITAL_NUMBER = _compile(
    r"(?:住院号|门诊号|病历号|病案号|就诊号|卡号)(?:是|为)?[ :#]{0,3}"
    r"([A-Za-z0-9-]*[0-9][A-Za-z0-9-]*)"
)
_LONG_DIGITS = _compile(r"([0-9]{12,})")
_NAME_ALWAYS = _compile(r"(?:我叫|本人叫|我名叫|我的名字是|名字叫|姓名是|姓名:)[ :]{0,3}(\p{Han}{1,4})")
_SURNAME_AFTER = _compile(r"(?:我姓|本人姓|免贵姓)[ :]{0,3}(\p{Han}{1,2})")
_NAME_AFTER_I_AM = _compile(r"我是[ ]{0,2}(\p{Han}{1,8})")


class _Text:
    """The detection form of a text: NFKC per character (same length as the input), as UTF-8 bytes."""

    def __init__(self, text: str) -> None:
        self.norm = "".join(_detection_char(ch) for ch in text)
        self.data = self.norm.encode("utf-8")
        # Character index of every byte offset (and of the end).
        self._char_at: List[int] = []
        for index, ch in enumerate(self.norm):
            self._char_at.extend([index] * len(ch.encode("utf-8")))
        self._char_at.append(len(self.norm))

    def char(self, byte_offset: int) -> int:
        return self._char_at[byte_offset]

    def spans(self, pattern: re2._Regexp, resume: Callable[[re2._Match], int]) -> Iterator[Tuple[int, int]]:
        """Character spans of group 1 of each match; the next search starts at ``resume(match)`` (bytes)."""
        pos = 0
        while pos <= len(self.data):
            match = pattern.search(self.data, pos)
            if match is None:
                return
            start, end = match.span(1)
            yield self.char(start), self.char(end)
            pos = max(resume(match), match.start() + 1)


def _detection_char(ch: str) -> str:
    """One character as detection sees it: its NFKC form when that is one character, dashes as
    ``-``, whitespace as a space, a lone surrogate as U+FFFD (so the bytes encode)."""
    code = ord(ch)
    if code < 0x80:
        return " " if ch.isspace() else ch
    if 0xD800 <= code <= 0xDFFF:
        return "\ufffd"
    normal = unicodedata.normalize("NFKC", ch)
    if len(normal) == 1:
        ch = normal
    if ch in DASHES:
        return "-"
    return " " if ch.isspace() else ch


def _after_group(match: re2._Match) -> int:
    """Resume after the finding: the right neighbour it consumed may be the next one's left neighbour."""
    return match.end(1)


def _after_trigger(match: re2._Match) -> int:
    """Resume where the captured characters start: they may hold the next trigger (我叫我叫张三)."""
    return match.start(1)


def _name_after_i_am(run: str) -> Optional[int]:
    """Length of the name that starts ``run`` (the Han characters after 我是), or None if it is not one."""
    end = next((i for i, ch in enumerate(run) if ch in RUN_ENDS), len(run))
    name = run[:end]
    compound = name[:2] in COMPOUND_SURNAMES
    shortest, longest = (3, 4) if compound else (2, 3)
    if not shortest <= len(name) <= longest:
        return None
    if not compound and name[0] not in SURNAMES:
        return None
    if any(ch in NOT_IN_NAMES for ch in name) or name.startswith(NOT_NAMES):
        return None
    return len(name)


def _findings(text: _Text) -> List[Tuple[int, int, int, str]]:
    """(start, end, precedence, token) of every finding, in characters of the text."""
    found: List[Tuple[int, int, int, str]] = []

    def add(token: str, spans: Iterator[Tuple[int, int]]) -> None:
        for start, end in spans:
            found.append((start, end, len(found), token))

    for token, pattern in _NUMBER_RULES:
        add(token, text.spans(pattern, _after_group))
    add(EMAIL, text.spans(_EMAIL, _after_group))
    add(NUMBER, text.spans(_HOSPITAL_NUMBER, _after_group))
    add(NUMBER, text.spans(_LONG_DIGITS, _after_group))
    add(NAME, text.spans(_NAME_ALWAYS, _after_trigger))
    for start, end in text.spans(_SURNAME_AFTER, _after_trigger):
        surname = text.norm[start:end]
        length = 2 if surname in COMPOUND_SURNAMES else 1
        found.append((start, start + length, len(found), NAME))
    for start, end in text.spans(_NAME_AFTER_I_AM, _after_trigger):
        name_length = _name_after_i_am(text.norm[start:end])
        if name_length is not None:
            found.append((start, start + name_length, len(found), NAME))
    return found


def redact(text: str) -> str:
    """``text`` with phone numbers, ID card numbers, e-mail addresses, names and hospital numbers masked."""
    if not text:
        return text
    detection = _Text(text)
    merged: List[List] = []  # [start, end, token], overlapping findings joined under the first one's token
    for start, end, _, token in sorted(_findings(detection), key=lambda f: (f[0], f[2])):
        if start >= end:
            continue
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end, token])
    out: List[str] = []
    last = 0
    for start, end, token in merged:
        out.append(text[last:start])
        out.append(token)
        last = end
    out.append(text[last:])
    return "".join(out)
