"""Every dialogue template renders every variant cleanly for the contexts the actions pass,
and every fixed text (domain.yml responses) fills cleanly with the variables the actions pass."""

import pytest

from bot.render import TEMPLATE_DIR, variants
from kg_queries.questions import QUESTION_TYPES

CONTEXTS = {
    "clarify.j2": [dict(disease="糖尿病", question=q) for q in QUESTION_TYPES],
    "clarify_denied.j2": [dict(disease="糖尿病", question="treatment"), dict(disease=None, question=None)],
    "low_confidence.j2": [
        dict(disease="感冒", question="symptom"),
        dict(disease=None, question=None),
        dict(disease=None, question="other"),
    ],
    "ask_disease.j2": [dict(question=q, attempt=a) for q in (None, "treatment", "other") for a in (1, 2)],
    "not_found.j2": [dict(disease="抑郁症"), dict(disease=None)],
    "choose.j2": [
        dict(disease="糖尿病", readings=[a, b]) for a in QUESTION_TYPES for b in QUESTION_TYPES if a != b
    ],
    "reading_question.j2": [dict(disease="糖尿病", question=q) for q in QUESTION_TYPES],
    "later_questions.j2": [
        dict(disease="胃炎", questions=["taboo"]),
        dict(disease="胃炎", questions=["taboo", "check"]),
    ],
    "reading_offer.j2": [
        dict(symptom="头痛", disease="头痛", question="头痛可能是哪些疾病引起的"),
        dict(symptom=None, disease="失眠", question="失眠怎么治疗"),
    ],
    "suggest_diseases.j2": [
        dict(
            symptoms=["头痛"],
            matches=[
                {"disease": "感冒", "matched": ["头痛"], "departments": ["呼吸内科"]},
                {"disease": "偏头痛", "matched": ["头痛"], "departments": []},
            ],
        )
    ],
    "emergency.j2": [
        dict(categories=[c])
        for c in (
            "chest_pain",
            "stroke",
            "heavy_bleeding",
            "unconscious",
            "seizure",
            "poisoning",
            "suicide",
            "anaphylaxis",
            "breathing",
            "injury",
        )
    ],
}


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_every_variant_renders(name):
    for context in CONTEXTS[name]:
        context = dict(dict(bot_name="小医", disease=None, items=[], departments=[]), **context)
        options = variants(name, **context)
        assert options, (name, context)
        for text in options:
            assert "---" not in text and "{" not in text and "None" not in text, (name, context, text)


def test_every_emergency_category_has_advice():
    import yaml

    rules = yaml.safe_load((TEMPLATE_DIR.parent / "bot" / "emergency_rules.yml").read_text(encoding="utf-8"))
    for category in rules["categories"]:
        [text] = variants("emergency.j2", categories=[category])
        assert len(text.splitlines()) == 2, f"no advice for {category} in templates/emergency.j2"


def test_every_dialogue_template_is_covered():
    dialogue = {p.name for p in TEMPLATE_DIR.glob("*.j2")} - {"question_types.j2"}
    assert dialogue == set(CONTEXTS)


# The variables the actions pass to each domain response (bot/actions/turn.py Turn.utter
# always adds bot_name and hospital_contact; action_handoff adds dialogue.yml's handoff).
RESPONSE_VARIABLES = {"bot_name": "小医", "hospital_contact": "门诊服务台"}
HANDOFF_VARIABLES = {"phone": "010-1", "hours": "8:00-17:30", "desk": "服务台"}


def test_every_domain_response_has_variations_that_fill_cleanly():
    from bot.responses import domain_responses, texts

    for name in domain_responses():
        options = texts(name, **RESPONSE_VARIABLES, **HANDOFF_VARIABLES)
        assert len(options) >= 2, name
        assert len(set(options)) == len(options), name
        for text in options:
            assert "{" not in text and "}" not in text, (name, text)


def test_handoff_texts_name_the_phone_hours_and_desk():
    from bot.responses import texts

    for text in texts("utter_handoff", **HANDOFF_VARIABLES):
        assert all(value in text for value in HANDOFF_VARIABLES.values()), text
        assert "继续" in text
    assert all("继续" in t for t in texts("utter_handoff_waiting"))
