"""The story runner's parsing, and the story inventory it runs (tests/stories/suites.yml)."""

import pytest
import yaml

from bot.actions.payload import STRATEGIES
from bot.settings import PROJECT_ROOT
from tools.run_stories import expected_of, intent_form_parse, load_suites, split_turns, story_files

STORIES = PROJECT_ROOT / "tests" / "stories"


def all_stories():
    for suite in load_suites(STORIES):
        for path in story_files(suite.folder):
            for story in yaml.safe_load(path.read_text(encoding="utf-8"))["stories"]:
                yield suite, story


def test_turns_and_expectations():
    steps = [
        {"user": "你好", "intent": "greet"},
        {"action": "action_gossip"},
        {"slot_was_set": [{"strategies": ["gossip"]}]},
        {"intent": "diagnosis", "entities": [{"disease": "感冒"}]},
        {"action": "action_medical_answer"},
    ]
    turns = split_turns(steps)
    assert [t[0].get("intent") for t in turns] == ["greet", "diagnosis"]
    assert expected_of(turns[0][1]) == (["action_gossip"], {"strategies": ["gossip"]})
    assert expected_of(turns[1][1]) == (["action_medical_answer"], {})
    with pytest.raises(ValueError, match="start with a user step"):
        split_turns([{"action": "action_gossip"}])


def test_intent_form_steps_become_rasa_intent_messages():
    parse = intent_form_parse({"intent": "diagnosis", "entities": [{"disease": "糖尿病"}]})
    assert parse["text"] == '/diagnosis{"disease":"糖尿病"}'
    assert parse["intent"] == {"name": "diagnosis", "confidence": 1.0}
    assert parse["entities"][0]["value"] == "糖尿病" and parse["entities"][0]["linked"] is True


def test_manifest_errors_are_clear(tmp_path):
    (tmp_path / "suites.yml").write_text("suites:\n  a:\n    stories: missing\n", encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="no folder"):
        load_suites(tmp_path)
    (tmp_path / "missing").mkdir()
    assert [s.name for s in load_suites(tmp_path)] == ["a"]
    with pytest.raises(ValueError, match="unknown suites"):
        load_suites(tmp_path, ["b"])
    plain = tmp_path / "plain"
    plain.mkdir()
    assert load_suites(plain)[0].folder == plain


def test_inventory_covers_every_strategy_with_enough_end_to_end_stories():
    stories = list(all_stories())
    end_to_end = [s for _, s in stories if any("user" in step for step in s["steps"])]
    assert len(stories) >= 40 and len(end_to_end) >= 20
    asserted = set()
    for _, story in stories:
        for step in story["steps"]:
            for item in step.get("slot_was_set") or []:
                asserted.update(item.get("strategies") or [])
            if "user" in step:
                assert "intent" in step, f"{story['story']}: end-to-end steps must state the intent"
    assert asserted == set(STRATEGIES)


def test_every_story_asserts_the_strategies_of_every_turn():
    for suite, story in all_stories():
        for user_step, following in split_turns(story["steps"]):
            assert "strategies" in expected_of(following)[1], (suite.name, story["story"], user_step)
