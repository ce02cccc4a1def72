"""Hostile input, property-based: every field of every body and query gets any Unicode
(lone surrogates, control characters, NUL), very long tokens, 20,000-character notes, deep
JSON nesting and wrong types. The answer is always a clear 4xx or a valid answer; never a
5xx, never a hang. Runs on SQLite and PostgreSQL (NUL is legal in SQLite, not in PostgreSQL).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from service import db
from service.config import get_settings
from service.keys.service import create_key
from service.triage.schemas import TriageResponse
from tests.conftest import fresh_pg_schema

pytestmark = pytest.mark.timeout(300)

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ALLOWED = {200, 201, 404, 409, 413, 422}

HOSTILE_PIECES = [
    "\x00", "\ud800", "\udfff", "\udbff\udc00", "\u202e", "\ufeff", "\r\n", "\x1b[2J",
    "\u0085", "\u2028", "\U0001f52a", "\uffff", "'", '"', "\\", "%s%n", "{0}", "${jndi:x}",
    "<script>alert(1)</script>", "../../etc/passwd", "NULL", "' OR 1=1 --", "\t", "\x7f",
]  # fmt: skip

hostile_text = st.lists(
    st.one_of(st.text(max_size=12), st.sampled_from(HOSTILE_PIECES)), max_size=25
).map("".join)
any_unicode = st.text(st.characters(codec=None, categories=None), max_size=60)
long_token = st.integers(1, 25_000).map(lambda n: "X" * n)
long_note = st.integers(19_990, 20_010).map(lambda n: ("KNIFE " * 4000)[:n])
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
)
any_json = st.recursive(
    st.one_of(scalars, any_unicode),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_unicode, inner, max_size=3),
    max_leaves=8,
)


class Deep:
    """A JSON value nested ``depth`` levels deep, spliced in as raw text."""

    def __init__(self, depth: int, opener: str) -> None:
        self.depth, self.opener = depth, opener

    def raw(self) -> str:
        if self.opener == "[":
            return "[" * self.depth + "1" + "]" * self.depth
        return '{"a":' * self.depth + "1" + "}" * self.depth


deep = st.builds(Deep, st.integers(50, 30_000), st.sampled_from(["[", "{"]))
value = st.one_of(hostile_text, any_unicode, long_token, any_json, deep)


def encode(body: dict[str, Any]) -> bytes:
    """JSON with \\u escapes (lone surrogates survive), deep values spliced in raw."""
    parts = []
    for name, item in body.items():
        raw = item.raw() if isinstance(item, Deep) else json.dumps(item, ensure_ascii=True)
        parts.append(f"{json.dumps(name)}:{raw}")
    return ("{" + ",".join(parts) + "}").encode()


def body_of(
    fields: dict[str, st.SearchStrategy], required: tuple[str, ...] = ()
) -> st.SearchStrategy[dict[str, Any]]:
    """Bodies where each field is valid or hostile (about half each) or missing, plus junk."""
    return st.fixed_dictionaries(
        {name: st.one_of(fields[name], value) for name in required},
        optional={
            **{n: st.one_of(s, value) for n, s in fields.items() if n not in required},
            **{n: value for n in ("extra", "__proto__", "narrative ")},
        },
    )


TRIAGE_FIELDS = {
    "call_id": st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1),
    "narrative": st.one_of(hostile_text, long_note, st.just("MALE WITH KNIFE, OFF MEDS")),
    "call_type": st.sampled_from(["DOM", "MH", "415", "10-96"]),
    "received_at": st.sampled_from(["2026-11-26T20:00:00Z", "2026-11-26T20:00:00+05:30"]),
}
DECISION_FIELDS = {
    "action": st.sampled_from(["accepted", "overridden"]),
    "response_mode": st.sampled_from(["patrol", "crisis_team", "armed_response"]),
    "backup_level": st.integers(-5, 10),
    "reason": hostile_text,
}
OUTCOME_FIELDS = {
    "disposition": hostile_text,
    "force_used": st.booleans(),
    "injuries": st.booleans(),
    "arrest": st.booleans(),
    "transported_to": st.sampled_from(["hospital", "crisis_center", "jail", None]),
    "resolved_without_police": st.booleans(),
}
LIST_PARAMS = [
    "since", "until", "tag", "response_mode", "decision_state", "needs_review", "call_id",
    "limit", "cursor",
]  # fmt: skip
header_text = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=300
)


def path_part(text_value: str) -> str:
    return quote(text_value.encode("utf-8", "surrogatepass"), safe="") or "x"


def query_of(params: dict[str, str]) -> str:
    return "&".join(f"{path_part(k)}={path_part(v)}" for k, v in params.items())


def check(response: Any) -> dict[str, Any]:
    """A clear answer: allowed status, JSON, the shared error shape for errors."""
    assert response.status_code in ALLOWED, (response.status_code, response.text[:300])
    payload = response.json()
    if response.status_code >= 400:
        error = payload["error"]
        assert error["code"] and error["message"]
        if response.status_code == 422:
            assert error["fields"], payload
    return payload


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def fuzz_url(request, tmp_path_factory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}"
        return
    with fresh_pg_schema("fz_") as url:
        yield url


@pytest.fixture(scope="module")
def fuzz(fuzz_url, tmp_path_factory) -> Iterator[dict[str, Any]]:
    """The app on a fresh database, with keys and one stored recommendation."""
    from service.main import create_app

    patch = pytest.MonkeyPatch()
    patch.setenv("TRIAGE_DATABASE_URL", fuzz_url)
    patch.setenv("TRIAGE_JOURNAL_DIR", str(tmp_path_factory.mktemp("journal")))
    patch.setenv("TRIAGE_LOG_LEVEL", "ERROR")
    get_settings.cache_clear()
    db.dispose_engines()
    db.upgrade_schema(fuzz_url)
    try:
        with TestClient(create_app(), raise_server_exceptions=False) as client:
            with db.session_scope(write=True) as session:
                secrets_by_role = {
                    r: create_key(session, role=r, name="fuzz")[1] for r in ("cad", "dispatcher")
                }
            cad = {"Authorization": f"Bearer {secrets_by_role['cad']}"}
            first = client.post(
                "/v1/triage", json={"call_id": "F-1", "narrative": "LOUD MUSIC"}, headers=cad
            )
            assert first.status_code == 200, first.text
            yield {
                "client": client,
                "cad": cad,
                "dispatcher": {"Authorization": f"Bearer {secrets_by_role['dispatcher']}"},
                "rec_id": first.json()["recommendation_id"],
            }
    finally:
        db.dispose_engines()
        patch.undo()
        get_settings.cache_clear()


@FUZZ
@given(
    body=body_of(TRIAGE_FIELDS, ("call_id", "narrative")), idempotency_key=st.none() | header_text
)
def test_triage_bodies(fuzz, body, idempotency_key):
    headers = {**fuzz["cad"], "Content-Type": "application/json"}
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key.encode("latin-1")  # type: ignore[assignment]
    response = fuzz["client"].post("/v1/triage", content=encode(body), headers=headers)
    payload = check(response)
    if response.status_code == 200:
        answer = TriageResponse.model_validate(payload)
        assert answer.call_id == body["call_id"]
        others = any(getattr(answer.tags, t).present for t in ("mental_health", "drugs", "weapon"))
        assert answer.tags.routine.present is (not others)
        event("triage answered 200")


@FUZZ
@given(
    body=body_of(DECISION_FIELDS, ("action", "response_mode", "backup_level")),
    rec_id=st.none() | any_unicode,
)
def test_decision_bodies_and_ids(fuzz, body, rec_id):
    target = fuzz["rec_id"] if rec_id is None else path_part(rec_id)
    response = fuzz["client"].post(
        f"/v1/recommendations/{target}/decision",
        content=encode(body),
        headers={**fuzz["dispatcher"], "Content-Type": "application/json"},
    )
    check(response)


@FUZZ
@given(
    body=body_of(OUTCOME_FIELDS, tuple(OUTCOME_FIELDS)[:4]),
    call_id=st.one_of(st.just("F-1"), any_unicode, long_token),
)
def test_outcome_bodies_and_call_ids(fuzz, body, call_id):
    response = fuzz["client"].post(
        f"/v1/calls/{path_part(call_id)}/outcome",
        content=encode(body),
        headers={**fuzz["cad"], "Content-Type": "application/json"},
    )
    check(response)


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(LIST_PARAMS),
        st.one_of(hostile_text, any_unicode, st.integers(1, 6000).map(lambda n: "9" * n)),
        max_size=5,
    )
)
def test_recommendation_list_query_parameters(fuzz, params):
    response = fuzz["client"].get(f"/v1/recommendations?{query_of(params)}", headers=fuzz["cad"])
    payload = check(response)
    if response.status_code == 200:
        assert isinstance(payload["items"], list)


@FUZZ
@given(
    raw=st.one_of(
        st.binary(max_size=300), any_unicode.map(lambda s: s.encode("utf-8", "surrogatepass"))
    )
)
def test_raw_bytes_that_are_not_json(fuzz, raw):
    response = fuzz["client"].post(
        "/v1/triage", content=raw, headers={**fuzz["cad"], "Content-Type": "application/json"}
    )
    check(response)


def test_known_hostile_notes_get_a_valid_answer_or_a_422_naming_the_field(fuzz):
    client, cad = fuzz["client"], {**fuzz["cad"], "Content-Type": "application/json"}
    cases = {
        "x" * 20_000: 200,
        "KNIFE " + "Z" * 19_990: 200,
        "\u202eRLO \U0001f52a \x1b[2J \t\r\n": 200,
        "x" * 20_001: 422,
        "NUL\x00BYTE": 422,
        "LONE \ud800 SURROGATE": 422,
    }
    for note, status in cases.items():
        body = encode({"call_id": "K-" + str(len(note)), "narrative": note})
        response = client.post("/v1/triage", content=body, headers=cad)
        assert response.status_code == status, (note[:20], response.text[:200])
        if status == 422:
            assert [f["field"] for f in response.json()["error"]["fields"]] == ["narrative"]
    nested = encode({"call_id": "K-deep", "narrative": Deep(20_000, "[")})
    response = client.post("/v1/triage", content=nested, headers=cad)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] in ("body", "narrative")
