"""safety.patterns: patterns compiled by RE2, read as Python's re reads them, clear errors."""

import re
import sys

import pytest

from safety.patterns import UNICODE_WHITESPACE, Regex, compile_pattern


def test_unicode_whitespace_is_what_python_counts_as_whitespace():
    assert set(UNICODE_WHITESPACE) == {c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()}


@pytest.mark.parametrize(
    "pattern", ["中毒(?!性)", "(?=没)没有", "(?<=没)有", "(?<!不)是", r"(嗯)\1", "(?P<x>嗯)(?P=x)"]
)
def test_lookarounds_and_backreferences_are_refused_naming_the_pattern(pattern):
    with pytest.raises(ValueError, match="RE2 cannot compile pattern " + re.escape(repr(pattern))):
        compile_pattern(pattern)


@pytest.mark.parametrize("escape", ["\\S", "\\d", "\\D", "\\w", "\\W", "\\b", "\\B"])
def test_escapes_re2_reads_as_ascii_only_are_refused(escape):
    with pytest.raises(ValueError, match="ASCII only"):
        compile_pattern(f"[^{escape}]+" if escape == "\\S" else f"a{escape}")


def test_match_offsets_are_characters_not_bytes():
    pattern = compile_pattern("中毒")
    text = "我中毒了，他也中毒"
    assert isinstance(pattern, Regex)
    assert [m.span() for m in pattern.finditer(text)] == [(1, 3), (7, 9)]
    assert pattern.search(text).start() == 1 and pattern.search(text).end() == 3
    assert pattern.match(text, 1).group(0) == "中毒" and pattern.fullmatch(text, 7).span() == (7, 9)
    assert compile_pattern("(嗯+)(对)").search("好嗯嗯对吗").span(2) == (3, 4)


def test_a_lone_surrogate_is_read_like_any_other_character():
    text = "我\ud800中毒了\udfff，他也中毒"
    assert [m.span() for m in compile_pattern("中毒").finditer(text)] == [
        m.span() for m in re.finditer("中毒", text)
    ]
    assert compile_pattern("^我.中毒").search(text) and not compile_pattern("^你好[啊\\s]*$").search(
        "你好\ud800"
    )


@pytest.mark.parametrize(
    "pattern", [r"^你好[\s，]*$", r"吗[？?]*$", r"a\sb", r"[^\s，]+$", r"^(好的?[，,\s]*)?再见$"]
)
@pytest.mark.parametrize(
    "text",
    [
        "你好",
        "你好\u3000",
        "你好\n",
        "你好 \n",
        "你好\n\n",
        "吗\n",
        "吗？\n",
        "吗\n\n",
        "a\u00a0b",
        "a\u2028b",
        "a b",
        "a\u200bb",
        "x y",
        "好的\u3000再见",
        "好的，再见\n",
    ],
)
def test_whitespace_and_end_of_text_mean_what_they_mean_in_re(pattern, text):
    expected = re.search(pattern, text)
    found = compile_pattern(pattern).search(text)
    assert (found is None) == (expected is None)
    if found:
        assert found.start() == expected.start()


def test_case_is_ignored_only_when_asked():
    assert compile_pattern("^ok$", ignore_case=True).search("OK")
    assert not compile_pattern("^ok$").search("OK")
    assert compile_pattern("[$]").search("$") and compile_pattern(r"\$").search("a$b")  # "$" as a character
