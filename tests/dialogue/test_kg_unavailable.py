"""The graph being down: polite replies, nothing raised, a reconnect on a later message."""
from bot.actions import kg_access
from kg_queries import records
from kg_queries.embedded_store import EmbeddedStore
from tests.dialogue.conftest import KG_FILES, Conversation


def test_every_graph_question_gets_the_polite_reply(down_kg):
    chat = Conversation()
    [reply] = chat.say("糖尿病怎么治疗", sub_intent="treatment", confidence=0.9, diseases=["糖尿病"])
    assert reply["custom"]["strategy"] == "kg_unavailable" and "120" in reply["text"]
    assert reply["custom"]["disease"] == "糖尿病" and reply["custom"]["sub_intent"] == "treatment"
    assert chat.strategies("糖尿病怎么治疗", sub_intent="treatment", confidence=0.6,
                           diseases=["糖尿病"]) == ["kg_unavailable"]
    assert chat.strategies("头痛发热", sub_intent="definition", symptoms=["头痛", "发热"]) == ["kg_unavailable"]


def test_what_needs_no_graph_still_works(down_kg):
    chat = Conversation()
    assert chat.strategies("你好", intent="greet") == ["gossip"]
    assert chat.strategies("这个呢", sub_intent="other", confidence=0.1) == ["deny"]
    assert chat.strategies("怎么治疗", sub_intent="treatment") == ["ask_slot"]
    assert down_kg.calls == 0


def test_the_handle_is_dropped_and_reopened_on_a_later_message(tmp_path, monkeypatch):
    missing = tmp_path / "not-built-yet"
    monkeypatch.setenv("KG_EMBEDDED_PATH", str(missing))
    kg_access.reset()
    chat = Conversation()
    assert chat.strategies("感冒有什么症状", sub_intent="symptom", diseases=["感冒"]) == ["kg_unavailable"]
    assert chat.strategies("感冒有什么症状", sub_intent="symptom", diseases=["感冒"]) == ["kg_unavailable"]
    # The graph appears (e.g. the server came back): the next message reconnects.
    store = EmbeddedStore(missing, read_only=False)
    store.import_data(records.load_files(KG_FILES[:1] + [p for p in KG_FILES if "internal" in p.name]),
                      progress=False)
    store.close()
    assert chat.strategies("感冒有什么症状", sub_intent="symptom", diseases=["感冒"]) == ["answer"]
    kg_access.reset()
