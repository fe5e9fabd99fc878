"""The rule files under RE2: every pattern compiles, the loaders refuse what RE2 cannot do,
`unless` words replace lookaheads, repeated groups are unambiguous, and every pattern is
fast on the longest message built from its own pieces."""

import sre_constants as c
from typing import Any, List, Tuple

import pytest
import yaml

from bot.actions.emergency import EmergencyDetector
from core.paths import PROJECT_ROOT
from intents.template_matcher import TemplateRules
from safety.patterns import Regex

from .inputs import TIME_LIMIT_S, adversarial_texts, parsed, report, slowest, strings, uniquely_decodable

RULES = PROJECT_ROOT / "intents" / "rules.yml"
EMERGENCY = PROJECT_ROOT / "bot" / "emergency_rules.yml"
SMALL_TALK = yaml.safe_load(RULES.read_text(encoding="utf-8"))["main_intents"]
RED_FLAGS = yaml.safe_load(EMERGENCY.read_text(encoding="utf-8"))


def _emergency_rules() -> List[Tuple[str, Any]]:
    """(category, rule) for every pattern of the emergency rule file: each category's
    alternatives and topics, and the informational question and acute cues."""
    rules = [
        (name, rule)
        for name, spec in RED_FLAGS["categories"].items()
        for alternative in spec.get("match", [])
        for rule in alternative
    ]
    rules += [
        (name, rule) for name, spec in RED_FLAGS["categories"].items() for rule in spec.get("topics", [])
    ]
    for cue in ("question", "acute"):
        rules += [(f"informational-{cue}", rule) for rule in RED_FLAGS.get("informational", {}).get(cue, [])]
    return rules


EMERGENCY_IDS = [f"{name}-{i}" for i, (name, _) in enumerate(_emergency_rules())]
SMALL_TALK_IDS = [f"{intent}-{i}" for intent, patterns in SMALL_TALK.items() for i in range(len(patterns))]


@pytest.fixture(scope="module")
def rules():
    return TemplateRules.from_file(RULES)


@pytest.fixture(scope="module")
def detector():
    return EmergencyDetector.from_file(EMERGENCY)


def test_every_pattern_of_both_rule_files_is_compiled_by_re2(rules, detector):
    compiled = [p for patterns in rules.main.values() for p in patterns]
    assert len(compiled) == sum(map(len, SMALL_TALK.values())) and all(isinstance(p, Regex) for p in compiled)
    flags = [
        flag
        for category in detector.categories
        for alternative in category.alternatives
        for flag in alternative
    ]
    flags += [topic for category in detector.categories for topic in category.topics]
    flags += [*detector.informational.question, *detector.informational.acute]
    assert len(flags) == len(_emergency_rules()) and all(isinstance(f.pattern, Regex) for f in flags)


@pytest.mark.parametrize("pattern", ["^再见(?!了)", r"^(谢谢)\1$"])
def test_the_template_loader_refuses_what_re2_cannot_do(tmp_path, pattern):
    path = tmp_path / "rules.yml"
    path.write_text(
        yaml.safe_dump({"main_intents": {"goodbye": [pattern]}}, allow_unicode=True), encoding="utf-8"
    )
    with pytest.raises(ValueError, match="lookarounds or backreferences") as error:
        TemplateRules.from_file(path)
    assert str(path) in str(error.value) and repr(pattern) in str(error.value)
    assert "lookarounds or backreferences" in str(error.value)


@pytest.mark.parametrize(
    "rule",
    [
        "中毒(?!性)",
        r"(吐)\1血",
        {"pattern": "中毒", "unless": "性"},
        {"pattern": "中毒", "unless": [""]},
        {"pattern": "中毒", "unles": ["性"]},
    ],
)
def test_the_emergency_loader_refuses_what_re2_cannot_do_and_malformed_rules(tmp_path, rule):
    path = tmp_path / "rules.yml"
    path.write_text(
        yaml.safe_dump({"categories": {"x": {"match": [[rule]]}}}, allow_unicode=True), encoding="utf-8"
    )
    with pytest.raises(ValueError, match="bad pattern in category 'x'") as error:
        EmergencyDetector.from_file(path)
    assert repr(rule) in str(error.value)


@pytest.mark.parametrize(
    "text, found",
    [
        ("中毒性菌痢是什么", []),
        ("中毒性休克，后来又中毒了", ["poisoning"]),
        ("孩子食物中毒了", ["poisoning"]),
        ("我没有呼吸困难", []),
        ("跑步后没有呼吸急促", []),
        ("他没有呼吸了", ["unconscious"]),
        ("爷爷没了心跳", ["unconscious"]),
        ("心跳停止", ["unconscious"]),
    ],
)
def test_unless_words_do_what_the_negative_lookaheads_did(detector, text, found):
    assert detector.detect(text) == found


def test_a_message_with_a_lone_surrogate_is_matched_like_any_other(rules, detector):
    assert rules.main_intent("你是机器人吗\ud800") == "isbot" and rules.main_intent("你好\ud800") is None
    assert detector.detect("我\udfff想自杀\ud800") == ["suicide"]


def _repeated_groups(items: Any):
    """The alternatives of each group repeated more than once (``(…)+``, ``(…){2,}``) in ``items``."""
    for op, av in items:
        if op in (c.MAX_REPEAT, c.MIN_REPEAT):
            body = av[2]
            while len(body) == 1 and body[0][0] is c.SUBPATTERN:
                body = body[0][1][-1]
            if av[1] > 1 and len(body) == 1 and body[0][0] is c.BRANCH:
                yield body[0][1][1]
            yield from _repeated_groups(av[2])
        elif op is c.SUBPATTERN:
            yield from _repeated_groups(av[-1])
        elif op is c.BRANCH:
            for alternative in av[1]:
                yield from _repeated_groups(alternative)


def unambiguous(pattern: str, fold_case: bool) -> bool:
    """Whether every repeated group of ``pattern`` has alternatives that stand for fixed strings,
    none of them twice, and no text splits into them in two ways."""
    for alternatives in _repeated_groups(parsed(pattern)):
        expanded = [strings(alternative, fold_case) for alternative in alternatives]
        if any(e is None for e in expanded):
            return False  # an alternative that repeats itself, like 嗯+
        words = [w for e in expanded for w in e]
        if len(words) != len(set(words)) or not uniquely_decodable(words):
            return False
    return True


def test_the_ambiguity_check_catches_the_old_small_talk_patterns():
    assert not unambiguous("^(是的?|对的?|嗯+|好的?)+[啊呀的了]*$", fold_case=True)  # 嗯+ inside (…)+
    assert not unambiguous("^(再见|谢谢再见|谢谢)+$", fold_case=True)  # 谢谢再见 = 谢谢·再见
    assert not unambiguous("^(ok|OK|yes)+$", fold_case=True)  # the same, ignoring case
    assert unambiguous("^(是[的啊呀]?|对[的啊呀]?|嗯|ok)+$", fold_case=True)


@pytest.mark.parametrize(
    "pattern", [p for patterns in SMALL_TALK.values() for p in patterns], ids=SMALL_TALK_IDS
)
def test_repeated_small_talk_groups_are_unambiguous(pattern):
    assert unambiguous(pattern, fold_case=True)


@pytest.mark.parametrize("rule", [rule for _, rule in _emergency_rules()], ids=EMERGENCY_IDS)
def test_repeated_emergency_groups_are_unambiguous(rule):
    assert unambiguous(rule if isinstance(rule, str) else rule["pattern"], fold_case=False)


@pytest.mark.parametrize(
    "intent, index",
    [(intent, i) for intent, patterns in SMALL_TALK.items() for i in range(len(patterns))],
    ids=SMALL_TALK_IDS,
)
def test_small_talk_pattern_is_fast_on_the_longest_crafted_message(rules, intent, index):
    texts = adversarial_texts(SMALL_TALK[intent][index])
    worst = slowest(rules.main_intent, texts)
    report(f"template matcher, {intent}[{index}]", len(texts), worst)
    assert worst < TIME_LIMIT_S


@pytest.mark.parametrize("category, rule", _emergency_rules(), ids=EMERGENCY_IDS)
def test_emergency_pattern_is_fast_on_the_longest_crafted_message(detector, category, rule):
    pattern, unless = (rule, []) if isinstance(rule, str) else (rule["pattern"], rule.get("unless", []))
    texts = adversarial_texts(pattern, extra=list(unless) + RED_FLAGS["negation_cues"])
    worst = slowest(detector.detect, texts)
    report(f"emergency detector, {category}: {pattern[:16]}", len(texts), worst)
    assert worst < TIME_LIMIT_S
