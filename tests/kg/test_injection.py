"""User text only ever travels as a query parameter: a Cypher injection attempt in a
disease name is just a name that does not exist, and the graph stays intact."""

from __future__ import annotations

import pytest

from kg_queries import schema
from kg_queries.questions import QUESTION_TYPES, KnowledgeGraph

ATTACKS = (
    "感冒'}) MATCH (n) DETACH DELETE n //",
    '感冒"}) MATCH (n) DETACH DELETE n //',
    "感冒` DETACH DELETE d //",
    "x' OR 1=1 //",
)


@pytest.mark.parametrize("attack", ATTACKS)
def test_injection_is_not_found_and_graph_intact(attack, any_store, mini_data):
    kg = KnowledgeGraph(any_store)
    before = any_store.counts()
    for question in QUESTION_TYPES:
        answer = kg.ask(question, attack)
        assert not answer.found and not answer.has_content
    assert kg.diseases_for_symptoms([attack]) == []
    assert not kg.disease_exists(attack)
    assert any_store.counts() == before == mini_data.counts()


def test_injection_text_as_data_is_stored_literally(fresh_embedded):
    from kg_queries import records

    data = records.GraphData()
    records.add_record(data, {"name": ATTACKS[0], "desc": "字面", "symptom": ["咳嗽"]})
    before = fresh_embedded.counts()
    fresh_embedded.import_data(data, progress=False)
    answer = KnowledgeGraph(fresh_embedded).ask("definition", ATTACKS[0])
    assert answer.found and answer.items == ["字面"]
    after = fresh_embedded.counts()
    assert after[schema.DISEASE] == before[schema.DISEASE] + 1
    assert after["has_symptom"] == before["has_symptom"] + 1


def test_escape_for_splicing():
    from kg_queries.neo4j_store import escape_for_splicing

    assert escape_for_splicing({"a": ["it's", "c:\\x"], "n": 3}) == {"a": ["it\\'s", "c:\\\\x"], "n": 3}


ODD_NAMES = ("it's病", "back\\slash病", "双'引'号\\'病", ATTACKS[0])


def test_quotes_and_backslashes_round_trip_through_bolt(falkordb_server):
    """FalkorDB pastes parameters into the query text; the store escapes them so that
    odd names are written and read back exactly, and nothing else runs."""
    from kg_queries import records
    from kg_queries.neo4j_store import Neo4jStore
    from tests.kg.conftest import BOLT_TIMEOUT

    data = records.GraphData()
    for name in ODD_NAMES:
        records.add_record(data, {"name": name, "desc": f"{name}的描述", "symptom": [f"{name}症状"]})
    with Neo4jStore(falkordb_server.uri, batch_size=2, timeout=BOLT_TIMEOUT) as store:
        report = store.import_data(data, progress=False)
        kg = KnowledgeGraph(store)
        assert report.counts[schema.DISEASE] == len(ODD_NAMES) and report.counts["has_symptom"] == len(
            ODD_NAMES
        )
        assert [name for name, _ in kg.names(schema.DISEASE)] == sorted(ODD_NAMES)
        for name in ODD_NAMES:
            assert kg.ask("definition", name).items == [f"{name}的描述"]
            assert kg.diseases_for_symptoms([f"{name}症状"])[0].disease == name
