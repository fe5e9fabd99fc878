"""Follow-up questions: the disease of earlier turns, asking for a missing one, the fallback."""

from tests.dialogue.conftest import entity, shown_texts


def test_disease_carries_over_three_turns(chat):
    assert chat.strategies("糖尿病怎么治疗", sub_intent="treatment", diseases=["糖尿病"]) == ["answer"]
    for text, question in (
        ("那怎么预防呢？", "prevention"),
        ("要挂什么科", "department"),
        ("平时饮食要注意什么", "taboo"),
    ):
        [reply] = chat.say(text, sub_intent=question)
        assert reply["custom"]["strategy"] == "answer"
        assert reply["custom"]["disease"] == "糖尿病"
        assert chat.slot_events()["disease"] == "糖尿病"


def test_a_newly_named_disease_becomes_the_context(chat):
    chat.say("感冒有什么症状", sub_intent="symptom", diseases=["感冒"])
    chat.say("高血压要挂什么科", sub_intent="department", diseases=["高血压"])
    [reply] = chat.say("那怎么预防呢？", sub_intent="prevention")
    assert reply["custom"]["disease"] == "高血压"


def test_no_disease_asks_then_a_bare_disease_answers_the_waiting_question(chat, kg):
    [ask] = chat.say("怎么治疗比较好", sub_intent="treatment", confidence=0.9)
    assert ask["custom"]["strategy"] == "ask_slot" and "治疗方法" in ask["text"]
    assert chat.slots["disease_questions"] == 1
    # The classifier may read a bare name as any question; the waiting one wins.
    [answer] = chat.say("是糖尿病吧", sub_intent="definition", confidence=0.9, diseases=["糖尿病"])
    assert answer["custom"]["strategy"] == "answer"
    assert answer["custom"]["sub_intent"] == "treatment"
    assert answer["custom"]["items"] == kg.ask("treatment", "糖尿病").items
    assert chat.slots["disease_questions"] == 0 and chat.slots["awaiting_disease"] is None


def test_a_bare_disease_is_recognised_whatever_the_main_intent(chat):
    chat.say("怎么预防", sub_intent="prevention", confidence=0.9)
    assert chat.strategies("高血压", intent="greet", diseases=["高血压"]) == ["answer"]


def test_a_full_new_question_while_waiting_is_answered_as_asked(chat):
    chat.say("怎么治疗比较好", sub_intent="treatment", confidence=0.9)
    [reply] = chat.say("糖尿病有什么症状", sub_intent="symptom", confidence=0.9, diseases=["糖尿病"])
    assert reply["custom"]["sub_intent"] == "symptom"


def test_two_failed_follow_ups_then_fallback_then_a_fresh_count(chat):
    assert chat.strategies("应该怎么预防", sub_intent="prevention") == ["ask_slot"]
    assert chat.strategies("就是想知道怎么预防", sub_intent="prevention") == ["ask_slot"]
    [fallback] = chat.say("有什么好办法吗", sub_intent="other", confidence=0.3)
    assert fallback["custom"]["strategy"] == "fallback"
    assert all("糖尿病怎么治疗" in t or "高血压要挂什么科" in t for t in shown_texts(fallback))
    assert chat.slots["disease_questions"] == 0 and chat.slots["awaiting_disease"] is None
    assert chat.strategies("要挂什么科", sub_intent="department") == ["ask_slot"]


def test_deny_while_waiting_counts_as_a_failed_follow_up(chat):
    chat.say("怎么治疗", sub_intent="treatment")
    assert chat.strategies("不知道", intent="deny") == ["ask_slot"]
    assert chat.strategies("不知道", intent="deny") == ["fallback"]


def test_the_number_of_questions_comes_from_the_settings(chat, settings_file):
    settings_file(max_disease_questions=3)
    assert [chat.strategies("怎么治疗", sub_intent="treatment")[0] for _ in range(4)] == [
        "ask_slot",
        "ask_slot",
        "ask_slot",
        "fallback",
    ]
    settings_file(max_disease_questions=0)
    assert chat.strategies("怎么治疗", sub_intent="treatment") == ["fallback"]


def test_a_greeting_closes_the_open_question(chat):
    chat.say("怎么治疗", sub_intent="treatment")
    chat.say("你好", intent="greet")
    assert chat.slots["awaiting_disease"] is None and chat.slots["disease_questions"] == 0


def test_an_unknown_disease_is_not_found_and_keeps_the_context(chat):
    chat.say("感冒有什么症状", sub_intent="symptom", diseases=["感冒"])
    assert chat.strategies("火星综合症怎么治疗", sub_intent="treatment", diseases=["火星综合症"]) == [
        "not_found"
    ]
    assert chat.slots["disease"] == "感冒"


def test_an_unlinked_mention_is_not_found(chat):
    text = "埃博拉出血热怎么治疗"
    [reply] = chat.say(
        text, sub_intent="treatment", entities=[entity("disease", "埃博拉出血热", linked=False, message=text)]
    )
    assert reply["custom"]["strategy"] == "not_found" and reply["custom"]["disease"] == "埃博拉出血热"


def test_a_question_type_without_a_query_is_not_found(chat):
    assert chat.strategies("糖尿病治疗要多少钱", sub_intent="other", confidence=0.9, diseases=["糖尿病"]) == [
        "not_found"
    ]
