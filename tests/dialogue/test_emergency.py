"""Red flags: detected on every message, whatever the intent, and answered first."""

import pytest

from bot.actions.emergency import EmergencyDetector, detector_for
from bot.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def detector():
    return detector_for(str(PROJECT_ROOT / "bot" / "emergency_rules.yml"))


@pytest.mark.parametrize(
    "text, category",
    [
        ("我爸突然胸口剧痛，喘不上气", "chest_pain"),
        ("胸痛得厉害还呼吸困难", "chest_pain"),
        ("我妈突然口角歪斜，说话不清", "stroke"),
        ("爷爷左边手脚没力气了", "stroke"),
        ("手被刀割了血流不止", "heavy_bleeding"),
        ("他刚才吐了很多血", "heavy_bleeding"),
        ("我奶奶晕倒了叫不醒", "unconscious"),
        ("病人昏迷了", "unconscious"),
        ("孩子抽搐口吐白沫", "seizure"),
        ("孩子误服了消毒液怎么办", "poisoning"),
        ("我妈喝了农药", "poisoning"),
        ("吃了一整瓶安眠药", "poisoning"),
        ("我真的不想活了", "suicide"),
        ("我想自杀", "suicide"),
        ("吃海鲜过敏了，喉咙肿，喘不上气", "anaphylaxis"),
        ("孩子被东西噎住了", "breathing"),
        ("家里老人从楼梯上摔下来了", "injury"),
    ],
)
def test_red_flags(detector, text, category):
    assert category in detector.detect(text)


@pytest.mark.parametrize(
    "text",
    [
        "感冒有什么症状",
        "糖尿病怎么治疗",
        "高血压要挂什么科",
        "胸闷是什么原因",
        "我胸痛但没有呼吸困难",
        "中毒性菌痢是什么",
        "过敏性鼻炎怎么治疗",
        "我不是想自杀，只是问问",
        "我头痛、发热、还咳嗽，这是什么病？",
        "",
    ],
)
def test_ordinary_questions_and_negations_are_not_emergencies(detector, text):
    assert detector.detect(text) == []


# Questions *about* a serious disease (diet, causes, prevention, prognosis, rehabilitation,
# treatment, department): the disease's name alone is no emergency there (issue 18).
INFORMATIONAL = [
    "心梗后饮食上要注意什么",
    "心肌梗死的危险因素有哪些",
    "怎么预防心肌梗塞",
    "急性心梗做完支架以后能喝酒吗",
    "脑出血是什么原因引起的",
    "脑溢血后遗症怎么康复",
    "脑出血能治好吗",
    "偏瘫病人康复训练怎么做",
    "半身不遂会遗传吗",
    "一氧化碳中毒怎么预防",
    "过敏性休克和普通过敏有什么区别",
]


@pytest.mark.parametrize("text", INFORMATIONAL)
def test_a_question_about_a_serious_disease_is_not_an_emergency(detector, text):
    assert detector.detect(text) == []


@pytest.mark.parametrize(
    "text, category",
    [
        ("我爸好像心梗了，怎么办", "chest_pain"),
        ("我奶奶心梗发作了", "chest_pain"),
        ("刚才我老公说胸口疼得厉害，出冷汗，是不是心梗", "chest_pain"),
        ("心梗有什么症状", "chest_pain"),  # a symptom question: the patient may be feeling them
        ("我爸心梗了，现在吃什么好", "chest_pain"),  # a question, but about an infarction happening
        ("我妈突然脑出血了", "stroke"),
        ("孩子中毒了，吃什么能缓解", "poisoning"),
        ("过敏性休克了怎么办", "anaphylaxis"),
        ("胸口剧痛喘不上气是什么原因", "chest_pain"),  # symptoms described always count
        ("自杀的原因有哪些", "suicide"),  # never suppressed
        ("我爸胸口剧痛，是不是喘不上气了", "chest_pain"),  # 是不是 asks, it does not negate
        ("他有没有可能是脑出血，现在说不出话", "stroke"),
        # Questions asked in the middle of one: treatment, drugs, surgery, tests, department.
        ("怀疑心梗，能吃硝酸甘油吗", "chest_pain"),
        ("胸口疼，怀疑是心梗，能吃速效救心丸吗", "chest_pain"),
        ("老人心梗要不要溶栓", "chest_pain"),
        ("心肌梗死发作吃什么药", "chest_pain"),
        ("心梗挂什么科", "chest_pain"),
        ("奶奶早上起来半身不遂，要做什么检查", "stroke"),
        ("我爸一觉醒来偏瘫，挂什么科", "stroke"),
        ("我父亲脑出血，需要手术吗", "stroke"),
        ("孩子吃野蘑菇中毒，吃什么药能缓解", "poisoning"),
        ("全家煤气中毒头晕，挂什么科", "poisoning"),
        ("打完青霉素过敏性休克，用什么药", "anaphylaxis"),
    ],
)
def test_an_acute_situation_with_the_same_names_is_still_an_emergency(detector, text, category):
    assert category in detector.detect(text)


@pytest.mark.parametrize("intent", ["greet", "goodbye", "isbot", "accept", "deny", "diagnosis"])
def test_checked_for_every_intent_and_nothing_else_is_said(chat, intent):
    [reply] = chat.say("救命，我爸突然晕倒了叫不醒", intent=intent, sub_intent="other", confidence=0.1)
    assert reply["custom"]["strategy"] == "emergency"
    assert "120" in reply["text"] and "急诊" in reply["text"]
    assert reply["custom"]["items"] == ["unconscious"]


def test_emergency_comes_before_the_answer_in_a_long_message(chat, kg):
    text = "我突然胸口剧痛，喘不上气，另外想问一下高血压平时怎么预防"
    messages = chat.say(text, sub_intent="prevention", confidence=0.9, diseases=["高血压"])
    assert [m["custom"]["strategy"] for m in messages] == ["emergency", "answer"]
    assert messages[1]["custom"]["items"] == kg.ask("prevention", "高血压").items


def test_emergency_before_a_clarification(chat):
    messages = chat.say(
        "我胸口剧痛喘不上气，高血压怎么预防", sub_intent="prevention", confidence=0.6, diseases=["高血压"]
    )
    assert [m["custom"]["strategy"] for m in messages] == ["emergency", "clarify"]


def test_symptoms_in_an_emergency_get_no_disease_guesses(chat):
    assert chat.strategies(
        "孩子突然抽搐，口吐白沫", sub_intent="other", confidence=0.2, symptoms=["抽搐", "口吐白沫"]
    ) == ["emergency"]


def test_an_emergency_closes_a_pending_clarification(chat):
    chat.say("糖尿病怎么治疗", sub_intent="treatment", confidence=0.6, diseases=["糖尿病"])
    assert chat.strategies("是的，但是我爸刚刚昏迷了", intent="accept") == ["emergency"]
    assert chat.slots["pending_answer"] is None


def test_emergency_works_while_the_graph_is_down(down_kg):
    from tests.dialogue.conftest import Conversation

    assert Conversation().strategies("我想自杀", sub_intent="other", confidence=0.1) == ["emergency"]
    assert down_kg.calls == 0


def test_bad_rule_files_are_clear_errors(tmp_path):
    bad = tmp_path / "rules.yml"
    bad.write_text("categories:\n  x:\n    match:\n      - ['(unclosed']\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad pattern in category 'x'"):
        EmergencyDetector.from_file(bad)
    bad.write_text("categories: {}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no emergency categories"):
        EmergencyDetector.from_file(bad)
