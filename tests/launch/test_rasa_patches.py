"""bot/rasa_patches.py: jsonschema.validate compiled once, with exactly the old verdicts."""

import copy

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
from rasa.shared.utils.validation import SchemaValidationError

from bot import rasa_patches
from core.paths import PROJECT_ROOT

GOOD_REPLY = {
    "events": [{"event": "slot", "name": "disease", "value": "感冒", "timestamp": None}],
    "responses": [{"text": "感冒的症状", "custom": {"strategy": "answer"}}],
}
BAD_REPLIES = [
    {"events": [{"event": "nonsense"}]},
    {"events": "not a list"},
    {"events": [{"event": "slot", "name": 3}], "responses": "x"},
    {"responses": [1, 2]},
]


@pytest.fixture
def patched():
    before = jsonschema.validate
    rasa_patches.install()
    yield
    jsonschema.validate = before


def verdict(validate, instance, schema):
    try:
        validate(instance, schema)
    except jsonschema.ValidationError as exc:
        return ("invalid", exc.message, list(exc.path))
    return ("valid",)


def test_same_verdict_and_error_as_jsonschema_on_action_replies():
    schema = RemoteAction.action_response_format_spec()
    for reply in [GOOD_REPLY, *BAD_REPLIES]:
        expected = verdict(rasa_patches._original_validate, reply, schema)
        assert verdict(rasa_patches.cached_validate, reply, schema) == expected
        # a new but equal schema object (Rasa rebuilds the action spec on every call)
        assert (
            verdict(rasa_patches.cached_validate, reply, RemoteAction.action_response_format_spec())
            == expected
        )
    assert verdict(rasa_patches.cached_validate, BAD_REPLIES[0], schema)[0] == "invalid"


def test_a_bad_schema_is_still_refused():
    with pytest.raises(jsonschema.SchemaError):
        rasa_patches.cached_validate({}, {"type": "no such type"})


def test_rasa_rejects_a_bad_action_reply_when_installed(patched):
    action = RemoteAction("action_x", None)
    assert action._validate_action_result(GOOD_REPLY)
    with pytest.raises(jsonschema.ValidationError):
        action._validate_action_result(BAD_REPLIES[0])


def test_nlu_entity_annotations_are_still_validated(patched):
    good = 'version: "3.1"\nnlu:\n- intent: diagnosis\n  examples: |\n    - [糖尿并]{"entity": "disease", "value": "糖尿病"}怎么治\n'
    data = RasaYAMLReader().reads(good)
    assert data.training_examples[0].get("entities")[0]["value"] == "糖尿病"
    bad = good.replace('"value": "糖尿病"', '"value": ["not", "a", "string"]')
    with pytest.raises(SchemaValidationError):
        RasaYAMLReader().reads(bad)


def test_the_cache_is_bounded_and_does_not_grow_per_call():
    schema = RemoteAction.action_response_format_spec()
    rasa_patches.cached_validate(GOOD_REPLY, schema)
    size = (len(rasa_patches._compiled), len(rasa_patches._by_identity))
    for _ in range(50):
        rasa_patches.cached_validate(GOOD_REPLY, copy.deepcopy(schema))
    assert (len(rasa_patches._compiled), len(rasa_patches._by_identity)) == size
    assert len(rasa_patches._compiled) <= rasa_patches.MAX_SCHEMAS


def test_the_channels_package_installs_it():
    import bot.channels  # noqa: F401

    assert rasa_patches.installed()


def test_domain_is_empty_gives_the_original_verdict():
    from rasa.shared.core.domain import Domain

    rasa_patches.install()
    assert Domain.is_empty is rasa_patches.cached_is_empty
    project = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    for domain, expected in (
        (Domain.empty(), True),
        (project, False),
        (Domain.from_dict({"intents": ["greet"]}), False),
    ):
        assert rasa_patches.cached_is_empty(domain) is expected
        assert rasa_patches._original_is_empty(domain) is expected
