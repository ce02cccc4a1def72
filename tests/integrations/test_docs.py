"""docs/integration.md stays true: its requests validate, its recipes run, every route is there."""

from __future__ import annotations

import json
import re

import pytest

from service.integrations.codes import parse_codes
from service.integrations.eido import parse_eido
from service.integrations.schemas import WebhookIn
from service.integrations.webhooks import signature_header
from service.recommendations.schemas import DecisionIn, OutcomeIn
from service.triage.schemas import TriageRequest
from tests.integrations.eido_docs import assert_valid_eido
from tests.support.server import ROOT

DOC = (ROOT / "docs" / "integration.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"(?:<!-- request: (\w+) -->\n)?```(\w+)\n(.*?)```", re.DOTALL)
MODELS = {
    "TriageRequest": TriageRequest,
    "DecisionIn": DecisionIn,
    "OutcomeIn": OutcomeIn,
    "WebhookIn": WebhookIn,
}


def _blocks(language: str) -> list[tuple[str | None, str]]:
    return [(m.group(1), m.group(3)) for m in BLOCK.finditer(DOC) if m.group(2) == language]


def test_every_json_block_parses_and_marked_requests_validate():
    blocks = _blocks("json")
    assert len(blocks) >= 12
    marked = 0
    for model, text in blocks:
        value = json.loads(text)
        if model:
            MODELS[model].model_validate(value)
            marked += 1
    assert marked == len(MODELS)


def test_the_eido_example_is_valid_eido_and_reads_as_documented():
    (doc,) = [json.loads(t) for _m, t in _blocks("json") if '"eidoVersion"' in t]
    parsed = parse_eido(assert_valid_eido(doc))
    assert parsed.request.call_id == "24-000123"
    assert parsed.request.call_type == "415"
    assert parsed.request.narrative.splitlines()[1].startswith("UPDT: RP NOW STATES")


def test_the_signature_recipe_accepts_the_service_signature():
    (recipe,) = [t for _m, t in _blocks("python") if "def verify_webhook" in t]
    namespace: dict = {}
    exec(compile(recipe, "integration.md", "exec"), namespace)  # noqa: S102 - our own doc
    body = b'{"id":"evt_1"}'
    header = signature_header("whsec_doc", body)
    assert namespace["verify_webhook"]("whsec_doc", header, body)
    assert not namespace["verify_webhook"]("whsec_doc", header, body + b"x")


def test_the_code_table_example_loads():
    (table,) = [t for _m, t in _blocks("csv")]
    assert [e.code for e in parse_codes(table)][:2] == ["10-96", "PSYCH"]


@pytest.mark.parametrize(
    "route",
    [
        "POST /v1/triage",
        "POST /v1/triage/eido",
        "GET /v1/calls/{call_id}/recommendations",
        "POST /v1/recommendations/{recommendation_id}/decision",
        "POST /v1/calls/{call_id}/outcome",
        "POST /v1/webhooks",
        "GET /v1/webhooks",
        "DELETE /v1/webhooks/{id}",
        "GET /v1/webhooks/{id}/deliveries",
    ],
)
def test_every_integration_route_is_documented(route):
    method, path = route.split()
    assert re.search(rf"{method}[^\n]*{re.escape(path.split('{')[0])}", DOC), route


def _explanations(value: object) -> list[dict]:
    """Every `explanation` object inside a documented answer or webhook body."""
    if isinstance(value, dict):
        found = [value["explanation"]] if isinstance(value.get("explanation"), dict) else []
        return found + [e for v in value.values() for e in _explanations(v)]
    if isinstance(value, list):
        return [e for v in value for e in _explanations(v)]
    return []


def test_documented_explanations_have_the_served_shape():
    """`explanation.tags.<tag>` directly (the contract's shape), as the service answers it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    answers = [t for _m, t in _blocks("json")] + [
        m.group(3) for m in BLOCK.finditer(readme) if m.group(2) == "json"
    ]
    explanations = [e for text in answers for e in _explanations(json.loads(text))]
    assert len(explanations) >= 3
    tags = {"mental_health", "drugs", "weapon", "routine"}
    for explanation in explanations:
        named = set(explanation["tags"]) - {"…", "..."}
        assert named and named <= tags, explanation["tags"]
        for entry in (explanation["tags"][t] for t in named):
            assert {"probability", "present"} <= entry.keys(), entry
