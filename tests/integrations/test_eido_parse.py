"""Reading NENA EIDO documents: fields used, HTML stripping, note order, known variations."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.errors import ServiceError
from service.integrations.eido import html_to_text, parse_eido
from tests.integrations.eido_docs import (
    assert_valid_eido,
    make_eido,
    sample_call_transfer,
    with_legacy_spellings,
)


def _fields(exc: pytest.ExceptionInfo[ServiceError]) -> set[str]:
    return {f["field"] for f in exc.value.fields}


def test_html_is_stripped_entities_unescaped_and_scripts_dropped():
    html = (
        "<div><p>RP&nbsp;STATES <b>SON</b> HAS A KNIFE &amp; IS &quot;OFF MEDS&quot;</p>"
        "<script>alert('x')</script><style>p{color:red}</style>"
        "<p>HEARING VOICES&#33;<br>UPDT: 2 &lt; 3 UNITS ENRT</p></div>"
    )
    assert html_to_text(html) == (
        'RP STATES SON HAS A KNIFE & IS "OFF MEDS"\nHEARING VOICES!\nUPDT: 2 < 3 UNITS ENRT'
    )


def test_plain_text_notes_pass_unchanged_and_unclosed_tags_do_not_break():
    assert html_to_text("MALE PASSED OUT IN CAR") == "MALE PASSED OUT IN CAR"
    assert html_to_text("<p>MALE <i>YELLING") == "MALE YELLING"
    assert html_to_text("<!-- comment -->") == ""


def test_call_id_type_and_notes_in_timestamp_order():
    doc = assert_valid_eido(
        make_eido(
            "24-000777",
            [
                ("2026-11-26T20:05:00-05:00", "<p>UPDT: RP SEES A HANDGUN IN HIS WAISTBAND</p>"),
                ("2026-11-26T20:01:00-05:00", "<p>MALE YELLING AT CARS ON MAIN ST</p>"),
            ],
            internal_code="10-96",
            registry_text="Police",
        )
    )
    parsed = parse_eido(doc)
    assert parsed.request.call_id == "24-000777"
    assert parsed.call_id_field == "incidentComponent.$id"
    assert parsed.request.call_type == "10-96"
    assert parsed.call_type_field == "incidentComponent.incidentTypeInternalCode"
    assert parsed.request.narrative == (
        "MALE YELLING AT CARS ON MAIN ST\nUPDT: RP SEES A HANDGUN IN HIS WAISTBAND"
    )
    assert parsed.request.received_at == datetime(2026, 11, 27, 1, 0, tzinfo=UTC)


def test_registry_text_is_the_call_type_when_no_internal_code():
    doc = assert_valid_eido(
        make_eido("24-1", [("2026-11-26T20:01:00Z", "WELFARE CHECK")], registry_text="Police")
    )
    assert parse_eido(doc).request.call_type == "Police"


def test_incident_tracking_identifier_wins_over_component_id():
    doc = make_eido(
        "urn:emergency:uid:incidentid:abc:psap.example.gov",
        [("2026-11-26T20:01:00Z", "NOISE COMPLAINT")],
    )
    doc["incidentComponent"]["incidentTrackingIdentifier"] = "24-009999"
    assert_valid_eido(doc)
    parsed = parse_eido(doc)
    assert parsed.request.call_id == "24-009999"
    assert parsed.call_id_field == "incidentComponent.incidentTrackingIdentifier"


def test_notes_keep_document_order_when_a_timestamp_is_missing():
    doc = make_eido("24-2", [("2026-11-26T20:09:00Z", "FIRST"), ("2026-11-26T20:01:00Z", "SECOND")])
    del doc["notesComponent"][1]["lastUpdateTimeStamp"]
    assert parse_eido(doc).request.narrative == "FIRST\nSECOND"


def test_legacy_spellings_give_the_same_request():
    doc = assert_valid_eido(
        make_eido(
            "24-3",
            [("2026-11-26T20:05:00Z", "B"), ("2026-11-26T20:01:00Z", "A")],
            internal_code="EDP",
        )
    )
    legacy = with_legacy_spellings(doc)
    assert isinstance(legacy["incidentComponent"], list)
    assert "lastUpdateTimestamp" in legacy["notesComponent"][0]
    assert parse_eido(legacy).request == parse_eido(doc).request
    assert parse_eido(legacy).request.narrative == "A\nB"


def test_nena_sample_call_transfer_names_both_missing_components():
    doc = assert_valid_eido(sample_call_transfer())
    with pytest.raises(ServiceError) as exc:
        parse_eido(doc)
    assert exc.value.status == 422
    assert _fields(exc) == {"incidentComponent", "notesComponent"}


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (
            lambda d: d["notesComponent"][0].update(notesActionComments="<p> </p>"),
            "notesComponent.notesActionComments",
        ),
        (
            lambda d: d["notesComponent"][0].update(notesActionComments=42),
            "notesComponent[0].notesActionComments",
        ),
        (lambda d: d["incidentComponent"].update({"$id": "x" * 65}), "incidentComponent.$id"),
        (
            lambda d: d["incidentComponent"].update(incidentTypeInternalCode="C" * 65),
            "incidentComponent.incidentTypeInternalCode",
        ),
        (
            lambda d: d["notesComponent"][0].update(notesActionComments="x" * 20_001),
            "notesComponent.notesActionComments",
        ),
        (lambda d: d.update(incidentComponent=[]), "incidentComponent"),
        (lambda d: d.update(notesComponent="text"), "notesComponent"),
    ],
)
def test_unusable_values_are_422_naming_the_eido_field(mutate, field):
    doc = make_eido("24-4", [("2026-11-26T20:01:00Z", "NOTE")], internal_code="EDP")
    mutate(doc)
    with pytest.raises(ServiceError) as exc:
        parse_eido(doc)
    assert exc.value.status == 422
    assert field in _fields(exc), exc.value.fields


def test_a_non_object_body_is_422():
    with pytest.raises(ServiceError) as exc:
        parse_eido(["not", "an", "object"])
    assert exc.value.status == 422


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=25,
)
KEYS = st.sampled_from(
    [
        "incidentComponent",
        "notesComponent",
        "$id",
        "callComponent",
        "notesActionComments",
        "incidentTypeInternalCode",
        "lastUpdateTimeStamp",
        "lastUpdateTimestamp",
        "incidentTrackingIdentifier",
    ]
)
EIDO_LIKE = st.recursive(
    st.none() | st.integers() | st.text(max_size=40) | st.just("<p>KNIFE &amp; GUN</p>"),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=30,
)

STAMP = (
    st.text(max_size=30) | st.just("2026-11-26T20:00:00Z") | st.just("2026-11-26T19:00:00-05:00")
)
NOTE = st.fixed_dictionaries(
    {"notesActionComments": st.text(max_size=60) | st.just("<p>KNIFE</p>") | st.integers()},
    optional={"lastUpdateTimeStamp": STAMP, "lastUpdateTimestamp": STAMP},
)
INCIDENT = st.fixed_dictionaries(
    {},
    optional={
        "$id": st.text(max_size=70),
        "incidentTrackingIdentifier": st.text(max_size=10),
        "incidentTypeInternalCode": st.text(max_size=70) | st.integers(),
        "incidentTypeCommonRegistryText": st.text(max_size=20),
    },
)
STRUCTURED = st.fixed_dictionaries(
    {
        "incidentComponent": INCIDENT | st.lists(INCIDENT, max_size=2),
        "notesComponent": st.lists(NOTE, max_size=4) | NOTE,
    },
    optional={
        "$id": st.text(max_size=20),
        "callComponent": st.lists(st.fixed_dictionaries({"callStartTimestamp": STAMP}), max_size=2),
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(JSON, EIDO_LIKE, STRUCTURED))
def test_any_json_is_either_a_triage_request_or_a_422(document):
    try:
        parsed = parse_eido(document)
    except ServiceError as exc:
        assert exc.status == 422 and exc.fields
        return
    assert 1 <= len(parsed.request.call_id) <= 64 and parsed.request.narrative.strip()
