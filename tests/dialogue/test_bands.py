"""The three confidence bands of a medical question, and what accept/deny do afterwards."""

import pytest


@pytest.mark.parametrize(
    "confidence, strategy",
    [
        (1.0, "answer"),
        (0.95, "answer"),
        (0.8, "answer"),  # c >= accept_threshold
        (0.79, "clarify"),
        (0.6, "clarify"),
        (0.4, "clarify"),  # deny <= c < accept
        (0.39, "deny"),
        (0.1, "deny"),
        (0.0, "deny"),  # c < deny_threshold
    ],
)
def test_each_band(chat, confidence, strategy):
    assert chat.strategies(
        "糖尿病怎么治疗", sub_intent="treatment", confidence=confidence, diseases=["糖尿病"]
    ) == [strategy]


def test_answer_carries_the_graph_items(chat, kg):
    [message] = chat.say("感冒有什么症状", sub_intent="symptom", confidence=0.9, diseases=["感冒"])
    expected = kg.ask("symptom", "感冒")
    assert message["custom"]["items"] == expected.items and expected.items
    assert message["custom"]["departments"] == ["呼吸内科"]
    assert message["custom"]["sub_intent"] == "symptom" and message["custom"]["confidence"] == 0.9
    assert all(item in message["text"] for item in expected.items)


def test_clarify_keeps_the_answer_and_accept_delivers_it(chat, kg):
    [ask] = chat.say("糖尿病怎么治疗", sub_intent="treatment", confidence=0.6, diseases=["糖尿病"])
    assert ask["custom"]["strategy"] == "clarify"
    assert "糖尿病" in ask["text"] and "治疗方法" in ask["text"]
    assert ask["custom"]["items"] == []  # nothing is delivered before the confirmation
    pending = chat.slots["pending_answer"]
    assert pending["question"] == "treatment" and pending["disease"] == "糖尿病"
    [answer] = chat.say("是的", intent="accept")
    assert answer["custom"]["strategy"] == "confirm"
    assert answer["custom"]["items"] == kg.ask("treatment", "糖尿病").items
    assert answer["custom"]["sub_intent"] == "treatment" and answer["custom"]["confidence"] == 0.6
    assert chat.slots["pending_answer"] is None
    assert chat.strategies("好的", intent="accept") == ["gossip"]  # nothing pending any more


def test_clarify_then_deny_apologises_and_invites_a_rephrase(chat):
    chat.say("感冒有什么症状", sub_intent="symptom", confidence=0.5, diseases=["感冒"])
    [reply] = chat.say("不是", intent="deny")
    assert reply["custom"]["strategy"] == "deny"
    assert "换" in reply["text"]  # 换个说法 / 换一种说法
    assert chat.slots["pending_answer"] is None and chat.slots["disease"] == "感冒"


def test_a_new_question_drops_the_prepared_answer(chat):
    chat.say("糖尿病怎么治疗", sub_intent="treatment", confidence=0.6, diseases=["糖尿病"])
    assert chat.strategies(
        "高血压要挂什么科", sub_intent="department", confidence=0.9, diseases=["高血压"]
    ) == ["answer"]
    assert chat.slots["pending_answer"] is None
    assert chat.strategies("是的", intent="accept") == ["gossip"]


def test_deny_band_names_the_guessed_question_and_an_example(chat):
    [reply] = chat.say("高血压那个", sub_intent="department", confidence=0.2, diseases=["高血压"])
    assert reply["custom"]["strategy"] == "deny"
    assert "高血压要挂什么科" in reply["text"]


def test_deny_band_without_a_disease_does_not_ask_for_one(chat):
    assert chat.strategies("这个呢", sub_intent="prevention", confidence=0.1) == ["deny"]
    assert not chat.slots.get("awaiting_disease")


def test_thresholds_come_from_the_dialogue_settings(chat, settings_file):
    settings_file(accept_threshold=0.9, deny_threshold=0.5)
    assert chat.strategies(
        "糖尿病怎么治疗", sub_intent="treatment", confidence=0.85, diseases=["糖尿病"]
    ) == ["clarify"]
    assert chat.strategies(
        "糖尿病怎么治疗", sub_intent="treatment", confidence=0.45, diseases=["糖尿病"]
    ) == ["deny"]
    assert chat.strategies("糖尿病怎么治疗", sub_intent="treatment", confidence=0.9, diseases=["糖尿病"]) == [
        "answer"
    ]


@pytest.mark.parametrize(
    "question",
    [
        "definition",
        "cause",
        "prevention",
        "symptom",
        "complication",
        "treatment",
        "department",
        "infectivity",
        "cure_rate",
        "taboo",
        "check",
        "cure_time",
    ],
)
def test_every_question_type_is_answered_from_its_template(chat, kg, question):
    disease = next(
        d for d in ("感冒", "糖尿病", "高血压", "痛风", "水痘", "冠心病") if kg.ask(question, d).has_content
    )
    [reply] = chat.say(f"{disease}?", sub_intent=question, confidence=0.9, diseases=[disease])
    assert reply["custom"]["strategy"] == "answer"
    assert disease in reply["text"] and reply["custom"]["items"]


def test_the_clarifying_question_has_yes_and_no_buttons(chat):
    [clarify] = chat.say("糖尿病怎么治疗", sub_intent="treatment", confidence=0.6, diseases=["糖尿病"])
    assert clarify["custom"]["strategy"] == "clarify"
    assert clarify["buttons"] == [
        {"title": "是", "payload": "/accept"},
        {"title": "不是", "payload": "/deny"},
    ]
    from bot.channels.validation import BUTTON_PAYLOADS, neutralise_commands

    assert {b["payload"] for b in clarify["buttons"]} == BUTTON_PAYLOADS
    assert all(neutralise_commands(b["payload"]) == b["payload"] for b in clarify["buttons"])
    [answer] = chat.say("糖尿病有什么症状", sub_intent="symptom", confidence=0.95, diseases=["糖尿病"])
    assert answer["buttons"] == []


def test_an_unclear_question_offers_its_two_likeliest_readings(chat, kg):
    [reply] = chat.say(
        "糖尿病那个咋弄", sub_intent="treatment", confidence=0.35, diseases=["糖尿病"],
        ranking=[("treatment", 0.35), ("taboo", 0.3), ("cause", 0.1)],
    )  # fmt: skip
    custom = reply["custom"]
    assert (custom["strategy"], custom["disease"], custom["items"]) == (
        "choose",
        "糖尿病",
        ["treatment", "taboo"],
    )
    assert [b["payload"] for b in reply["buttons"]] == ["糖尿病怎么治疗", "糖尿病不能吃什么"]
    assert [b["title"] for b in reply["buttons"]] == [b["payload"] for b in reply["buttons"]]
    assert "治疗方法" in reply["text"] and "饮食禁忌" in reply["text"]
    assert chat.slots["disease"] == "糖尿病"
    # A click sends the question written out; as its own message it is answered.
    [answer] = chat.say("糖尿病怎么治疗", sub_intent="treatment", confidence=0.95)
    assert answer["custom"]["strategy"] == "answer"
    assert answer["custom"]["items"] == kg.ask("treatment", "糖尿病").items


@pytest.mark.parametrize(
    "ranking, why",
    [
        ([("treatment", 0.3), ("taboo", 0.15)], "the two readings are not likely enough together"),
        ([("treatment", 0.35), ("other", 0.3)], "other has no graph answer to offer"),
        ([("treatment", 0.35)], "no second reading"),
    ],
)
def test_without_two_likely_graph_readings_it_still_says_it_is_not_sure(chat, ranking, why):
    strategies = chat.strategies("糖尿病那个", sub_intent="treatment", confidence=0.35, diseases=["糖尿病"],
                                 ranking=ranking)  # fmt: skip
    assert strategies == ["deny"], why


def test_no_readings_are_offered_without_a_disease(chat):
    strategies = chat.strategies("那个咋弄", sub_intent="treatment", confidence=0.35,
                                 ranking=[("treatment", 0.35), ("taboo", 0.3)])  # fmt: skip
    assert strategies == ["deny"]
