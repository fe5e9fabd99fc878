"""Small talk from templates: random variants, the configurable bot name."""

import pytest

from bot.render import variants


@pytest.mark.parametrize("intent", ["greet", "goodbye", "isbot", "accept", "deny"])
def test_small_talk_uses_one_of_several_variants(chat, intent):
    options = variants(f"gossip/{intent}.j2", bot_name="小医")
    assert len(options) >= 3
    [reply] = chat.say("…", intent=intent, intent_confidence=0.93)
    assert reply["text"] in options
    assert reply["custom"]["strategy"] == "gossip" and reply["custom"]["intent"] == intent
    assert reply["custom"]["confidence"] == 0.93 and reply["custom"]["sub_intent"] is None


def test_variants_are_picked_at_random(chat):
    seen = {chat.say("你好", intent="greet")[0]["text"] for _ in range(40)}
    assert len(seen) >= 2


def test_the_bot_name_is_configurable(chat, settings_file):
    settings_file(bot_name="小华")
    texts = {chat.say("你是谁", intent="isbot")[0]["text"] for _ in range(30)}
    assert texts and all("小华" in t for t in texts)
