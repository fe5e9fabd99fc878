"""Small talk from domain.yml responses: several variations, the configurable bot name."""

import pytest

from bot.responses import texts
from tests.dialogue.conftest import shown_texts


@pytest.mark.parametrize("intent", ["greet", "goodbye", "isbot", "accept", "deny"])
def test_small_talk_is_a_domain_response_with_several_variations(chat, intent):
    assert len(texts(f"utter_{intent}", bot_name="小医")) >= 3
    [reply] = chat.say("…", intent=intent, intent_confidence=0.93)
    assert reply["response"] == f"utter_{intent}" and reply["text"] is None
    assert set(shown_texts(reply)) == set(texts(f"utter_{intent}", bot_name="小医"))
    assert reply["custom"]["strategy"] == "gossip" and reply["custom"]["intent"] == intent
    assert reply["custom"]["confidence"] == 0.93 and reply["custom"]["sub_intent"] is None


def test_the_bot_name_is_configurable(chat, settings_file):
    settings_file(bot_name="小华")
    [reply] = chat.say("你是谁", intent="isbot")
    assert reply["bot_name"] == "小华"
    assert all("小华" in t for t in shown_texts(reply) if "{bot_name}" in t or "小华" in t)
    assert any("小华" in t for t in shown_texts(reply))
