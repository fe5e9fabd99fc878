"""docs/his-openapi.yaml matches what the HIS channel really does.

Every response the channel gives (success and each error) is validated against the schema
documented for its status code, the documented examples against their schemas, and the
payload schema against ``bot/actions/payload.py`` — so the document cannot drift.
"""

from __future__ import annotations

import pytest
import yaml
from jsonschema import Draft202012Validator, RefResolver

from bot.actions.handoff_flow import SUMMARY_KEYS
from bot.actions.payload import ALL_STRATEGIES, build_payload
from core.paths import PROJECT_ROOT
from tests.channels.server import HIS_TEST_TOKEN, ChannelServer

DOC = yaml.safe_load((PROJECT_ROOT / "docs" / "his-openapi.yaml").read_text(encoding="utf-8"))
OPERATION = DOC["paths"]["/webhooks/his/webhook"]["post"]
RESUME = DOC["paths"]["/webhooks/his/resume"]["post"]
URL = "/webhooks/his/webhook"
RESUME_URL = "/webhooks/his/resume"
AUTH = {"Authorization": f"Bearer {HIS_TEST_TOKEN}"}


def validate(instance, schema) -> None:
    Draft202012Validator(schema, resolver=RefResolver.from_schema(DOC)).validate(instance)


def response_schema(status: int, operation=OPERATION):
    return operation["responses"][str(status)]["content"]["application/json"]["schema"]


def test_payload_schema_is_the_payload():
    custom = DOC["components"]["schemas"]["Custom"]
    assert tuple(custom["properties"]["strategy"]["enum"]) == ALL_STRATEGIES
    assert set(custom["required"]) == set(build_payload("answer"))
    assert set(custom["properties"]) == set(build_payload("handoff", summary={}))
    summary = custom["properties"]["summary"]
    assert set(summary["required"]) == set(summary["properties"]) == set(SUMMARY_KEYS)
    brief = {
        "disease": "糖尿病",
        "sub_intent": "treatment",
        "question": "糖尿病怎么治疗",
        "answered": ["answer"],
    }
    validate(build_payload("handoff", summary=brief), {"$ref": "#/components/schemas/Custom"})


@pytest.mark.parametrize("operation", [OPERATION, RESUME], ids=["webhook", "resume"])
def test_examples_match_their_schemas(operation):
    for example in operation["requestBody"]["content"]["application/json"]["examples"].values():
        validate(example["value"], operation["requestBody"]["content"]["application/json"]["schema"])
    for _status, spec in operation["responses"].items():
        content = spec["content"]["application/json"]
        examples = [e["value"] for e in content.get("examples", {}).values()]
        examples += [content["example"]] if "example" in content else []
        for example in examples:
            validate(example, content["schema"])


@pytest.mark.parametrize(
    "status, body, headers",
    [
        (200, {"sender": "a", "message": "two", "request_id": "r"}, AUTH),
        (200, {"sender": "a", "message": "你好"}, AUTH),
        (400, {"sender": "a"}, AUTH),
        (401, {"sender": "a", "message": "你好"}, {"Authorization": "Bearer nope"}),
        (413, {"sender": "a", "message": "长" * 21}, AUTH),
        (200, {"sender": "a", "message": "boom"}, AUTH),
        (200, {"sender": "a", "message": "slow"}, AUTH),
    ],
)
def test_real_responses_match_the_document(his_server, status, body, headers):
    got, _, reply = his_server.request("POST", URL, body, headers=headers)
    assert got == status
    validate(reply, response_schema(status))


@pytest.mark.parametrize(
    "status, body, headers",
    [
        (200, {"sender": "a", "request_id": "r"}, AUTH),
        (200, {"sender": "a"}, AUTH),
        (400, {"request_id": "r"}, AUTH),
        (401, {"sender": "a"}, {"Authorization": "Bearer nope"}),
    ],
)
def test_real_resume_responses_match_the_document(his_server, status, body, headers):
    got, _, reply = his_server.request("POST", RESUME_URL, body, headers=headers)
    assert got == status
    validate(reply, response_schema(status, RESUME))


def test_unconfigured_response_matches_the_document(monkeypatch):
    from bot.channels.his import HISInput

    monkeypatch.delenv("HIS_TOKEN", raising=False)
    server = ChannelServer([HISInput.from_credentials({})]).start()
    try:
        got, _, reply = server.request("POST", URL, {"sender": "a", "message": "你好"}, headers=AUTH)
    finally:
        server.stop()
    assert got == 503
    validate(reply, response_schema(503))
