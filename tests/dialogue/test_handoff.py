"""Handoff to a person: the contact details and summary, the pause, resuming, the settings.

Why: while a conversation is with a person the bot must say only that (the emergency
advice excepted, which is never paused), and the HIS relies on the summary's fields.
"""

import pytest

from bot.actions import handoff_flow
from bot.settings import load_settings
from tests.dialogue.conftest import shown_texts

SUMMARY_KEYS = {"disease", "sub_intent", "question", "answered"}


def test_handoff_gives_phone_hours_and_desk_from_the_settings(chat):
    [reply] = chat.say("转人工", intent="handoff")
    handoff = load_settings().handoff
    assert reply["response"] == "utter_handoff"
    assert reply["custom"]["strategy"] == "handoff" and reply["custom"]["intent"] == "handoff"
    for text in shown_texts(reply):
        assert handoff["phone"] in text and handoff["hours"] in text and handoff["desk"] in text
    assert chat.slots["handoff_active"] is True


def test_handoff_from_small_talk_has_an_empty_summary(chat):
    chat.say("你好", intent="greet")
    [reply] = chat.say("我要找人工客服", intent="handoff")
    summary = reply["custom"]["summary"]
    assert set(summary) == SUMMARY_KEYS
    assert summary == {"disease": None, "sub_intent": None, "question": None, "answered": []}


def test_handoff_after_a_medical_answer_summarises_it(chat):
    chat.say("糖尿病怎么治疗", sub_intent="treatment", confidence=0.95, diseases=["糖尿病"])
    chat.say("谢谢", intent="goodbye")
    [reply] = chat.say("能让真人回答吗", intent="handoff")
    assert reply["custom"]["disease"] == "糖尿病"
    assert reply["custom"]["summary"] == {
        "disease": "糖尿病",
        "sub_intent": "treatment",
        "question": "糖尿病怎么治疗",
        "answered": ["answer"],
    }


def test_the_summary_question_is_redacted(chat):
    text = "我叫张伟，电话13812345678，糖尿病怎么治疗"
    chat.say(text, sub_intent="treatment", confidence=0.95, diseases=["糖尿病"])
    [reply] = chat.say("转人工", intent="handoff")
    question = reply["custom"]["summary"]["question"]
    assert "13812345678" not in question and "张伟" not in question
    assert "糖尿病怎么治疗" in question


def test_the_summary_question_is_bounded(chat):
    chat.say("糖尿病怎么治疗" + "啊" * 500, sub_intent="treatment", confidence=0.95, diseases=["糖尿病"])
    [reply] = chat.say("转人工", intent="handoff")
    assert len(reply["custom"]["summary"]["question"]) == handoff_flow.MAX_SUMMARY_TEXT


def test_only_a_handoff_payload_has_a_summary(chat):
    for message in chat.say("你好", intent="greet") + chat.say("转人工", intent="handoff"):
        assert ("summary" in message["custom"]) == (message["custom"]["strategy"] == "handoff")


def test_handoff_drops_a_prepared_answer(chat):
    assert chat.strategies("糖尿病怎么治疗", sub_intent="treatment", confidence=0.6, diseases=["糖尿病"]) == [
        "clarify"
    ]
    chat.say("转人工", intent="handoff")
    assert chat.slots["pending_answer"] is None


@pytest.mark.parametrize(
    "step",
    [
        dict(text="糖尿病怎么治疗", sub_intent="treatment", diseases=["糖尿病"]),
        dict(text="你好", intent="greet"),
        dict(text="是的", intent="accept"),
        dict(text="不是", intent="deny"),
        dict(text="头痛发热", sub_intent="definition", symptoms=["头痛", "发热"]),
    ],
)
def test_every_message_while_paused_gets_only_the_waiting_notice(chat, step):
    chat.say("转人工", intent="handoff")
    [reply] = chat.say(**step)
    assert reply["custom"]["strategy"] == "handoff_waiting"
    assert reply["response"] == "utter_handoff_waiting"
    assert all("继续" in t for t in shown_texts(reply))
    assert chat.slots["handoff_active"] is True


def test_the_emergency_advice_is_never_paused(chat):
    chat.say("转人工", intent="handoff")
    assert chat.strategies("我突然胸口剧痛，喘不上气", sub_intent="symptom") == ["emergency"]
    assert chat.slots["handoff_active"] is True


def test_asking_again_while_paused_repeats_the_contact_details(chat):
    chat.say("转人工", intent="handoff")
    assert chat.strategies("电话多少", intent="handoff") == ["handoff"]


@pytest.mark.parametrize("text", ["继续", "继续。", "好的，继续吧", "返回机器人", "不用人工了", "人工不用了"])
def test_the_patient_resumes_and_then_gets_normal_answers(chat, text):
    chat.say("转人工", intent="handoff")
    assert chat.strategies(text, intent="accept") == ["handoff_resumed"]
    assert chat.slots["handoff_active"] is False
    assert chat.strategies("糖尿病怎么治疗", sub_intent="treatment", diseases=["糖尿病"]) == ["answer"]


@pytest.mark.parametrize("text", ["我想继续治疗糖尿病", "继续说说糖尿病怎么治疗", "转人工"])
def test_only_a_whole_resume_phrase_resumes(text):
    assert not handoff_flow.asks_to_resume(text, load_settings())


def test_resume_phrases_do_nothing_when_not_paused(chat):
    assert chat.strategies("继续", intent="accept") == ["gossip"]


def test_the_his_resume_intent_resumes(chat):
    chat.say("转人工", intent="handoff")
    assert chat.strategies("/handoff_resume", intent="handoff_resume") == ["handoff_resumed"]
    assert chat.slots["handoff_active"] is False
    assert chat.strategies("你好", intent="greet") == ["gossip"]


@pytest.mark.parametrize(
    "handoff, message",
    [
        ({"phone": "1", "hours": "8-17"}, "exactly the keys"),
        ({"phone": "1", "hours": "8-17", "desk": "台", "email": "x"}, "exactly the keys"),
        ({"phone": " ", "hours": "8-17", "desk": "台"}, "handoff.phone"),
        ({"phone": 110, "hours": "8-17", "desk": "台"}, "handoff.phone"),
        ("010-1234", "exactly the keys"),
    ],
)
def test_bad_handoff_settings_are_clear_errors(settings_file, handoff, message):
    settings_file(handoff=handoff)
    with pytest.raises(ValueError, match=message):
        load_settings()


def test_a_bad_resume_rule_file_is_an_error(tmp_path):
    path = tmp_path / "resume.yml"
    path.write_text("patterns: []\n", encoding="utf-8")
    with pytest.raises(ValueError, match="patterns"):
        handoff_flow.resume_patterns(str(path))
