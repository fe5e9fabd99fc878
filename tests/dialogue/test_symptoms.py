"""Symptoms without a disease: the diseases that match best, with departments, for reference."""


def test_three_best_diseases_with_departments(chat, kg):
    text = "我头痛、发热、还咳嗽，这是什么病？"
    [reply] = chat.say(text, sub_intent="definition", symptoms=["头痛", "发热", "咳嗽"])
    custom = reply["custom"]
    assert custom["strategy"] == "suggest_diseases"
    expected = kg.diseases_for_symptoms(["头痛", "发热", "咳嗽"], limit=3)
    assert [i["disease"] for i in custom["items"]] == [m.disease for m in expected]
    assert len(custom["items"]) == 3
    assert custom["items"][0]["departments"] and set(custom["items"][0]["departments"]) <= set(
        custom["departments"]
    )
    for match in expected:
        assert match.disease in reply["text"]
    assert "仅供参考" in reply["text"] or "只是参考" in reply["text"]
    assert "医生" in reply["text"]


def test_symptoms_win_over_the_context(chat):
    chat.say("糖尿病怎么治疗", sub_intent="treatment", diseases=["糖尿病"])
    assert chat.strategies(
        "我最近老是头晕、乏力，是什么病", sub_intent="definition", symptoms=["头晕", "乏力"]
    ) == ["suggest_diseases"]
    assert chat.slots["disease"] == "糖尿病"


def test_symptoms_with_a_named_disease_are_a_question_about_it(chat):
    assert chat.strategies("感冒会头痛吗", sub_intent="symptom", diseases=["感冒"], symptoms=["头痛"]) == [
        "answer"
    ]


def test_the_number_of_suggestions_comes_from_the_settings(chat, settings_file):
    settings_file(suggest_limit=1)
    [reply] = chat.say("头痛发热", sub_intent="definition", symptoms=["头痛", "发热"])
    assert len(reply["custom"]["items"]) == 1
