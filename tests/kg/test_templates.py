"""Every Cypher template gives identical results on the embedded store and on a real
Bolt server (FalkorDB through the Neo4j store), on the same mini graph."""

from __future__ import annotations

import pytest

from kg_queries import schema
from kg_queries.questions import CYPHER_DIR, QUESTION_TYPES, KnowledgeGraph

MISSING = "不存在的病"
SYMPTOM_SETS = (["发热", "咳嗽"], ["头痛"], ["瘙痒", "皮疹", "不存在"], ["疼痛"], ["胸痛", "气促", "发热"])


def test_every_template_file_is_exercised():
    used = set(QUESTION_TYPES) | {"names", "symptoms_to_diseases"}
    assert {p.stem for p in CYPHER_DIR.glob("*.cypher")} == used


@pytest.mark.parametrize("question", QUESTION_TYPES)
def test_question_identical_on_both_stores(question, embedded_store, bolt_store, mini_data):
    embedded, bolt = KnowledgeGraph(embedded_store), KnowledgeGraph(bolt_store)
    with_content = 0
    for disease in sorted(mini_data.nodes[schema.DISEASE]) + [MISSING]:
        expected = embedded.ask(question, disease)
        assert bolt.ask(question, disease).as_dict() == expected.as_dict(), (question, disease)
        with_content += expected.has_content
    assert with_content >= 5  # the comparison is not between two empty answers
    assert not embedded.ask(question, MISSING).found


def test_answers_hold_the_source_data(embedded_store):
    kg = KnowledgeGraph(embedded_store)
    department = kg.ask("department", "感冒")
    assert department.fields["departments"] == ["呼吸内科"]
    assert department.fields["parent_departments"] == ["内科"]
    treatment = kg.ask("treatment", "感冒")
    assert treatment.items == ["多休息", "药物治疗", "感冒灵", "布洛芬"]
    taboo = kg.ask("taboo", "肺炎")
    assert taboo.fields["not_eat"] == ["辣椒", "酒"] and taboo.fields["do_eat"] == ["梨"]
    assert kg.ask("definition", "感冒").items == ["上呼吸道病毒感染"]
    empty = kg.ask("cause", "腰肌劳损")
    assert empty.found and not empty.has_content
    stub = kg.ask("symptom", "呼吸衰竭")  # named only in an acompany list
    assert stub.found and not stub.has_content


@pytest.mark.parametrize("symptoms", SYMPTOM_SETS, ids=lambda s: "+".join(s))
def test_symptoms_to_diseases_identical(symptoms, embedded_store, bolt_store):
    expected = KnowledgeGraph(embedded_store).diseases_for_symptoms(symptoms, limit=3)
    assert KnowledgeGraph(bolt_store).diseases_for_symptoms(symptoms, limit=3) == expected
    assert expected, symptoms


def test_symptoms_to_diseases_ranking(embedded_store):
    ranked = KnowledgeGraph(embedded_store).diseases_for_symptoms(["胸痛", "气促", "发热"], limit=2)
    assert [(m.disease, m.hits) for m in ranked] == [("肺炎", 3), ("冠心病", 2)]
    assert ranked[0].matched == ["发热", "气促", "胸痛"] and ranked[0].departments == ["呼吸内科"]


@pytest.mark.parametrize("label", schema.LABELS)
def test_names_identical(label, embedded_store, bolt_store, mini_data):
    expected = KnowledgeGraph(embedded_store).names(label)
    assert KnowledgeGraph(bolt_store).names(label) == expected
    assert [name for name, _ in expected] == sorted(mini_data.nodes[label])


def test_aliases_travel(any_store):
    names = dict(KnowledgeGraph(any_store).names(schema.DISEASE))
    assert names["感冒"] == ["伤风"] and names["结膜炎"] == ["红眼病"]
