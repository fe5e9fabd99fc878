"""Every dialogue template renders every variant cleanly for the contexts the actions pass."""

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
    "fallback.j2": [{}],
    "not_found.j2": [dict(disease="抑郁症"), dict(disease=None)],
    "kg_unavailable.j2": [{}],
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
