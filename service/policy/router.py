"""The policy over HTTP: everyone reads the active policy, admins activate, analysts audit."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response, status

import service.policy.reloader  # noqa: F401 - registers the active-policy reloader
from service.db import session_scope
from service.errors import ServiceError
from service.keys.dependencies import AdminKey, AnalystKey, ReaderKey
from service.models import PolicyVersion
from service.policy.loader import Policy, parse_policy
from service.policy.problems import PolicyError
from service.policy.schemas import (
    ActivationOut,
    PolicyDetail,
    PolicyIn,
    PolicyVersionDetail,
    PolicyVersionOut,
    ValidationOut,
)
from service.policy.service import activate_text
from service.policy.store import active_policy_record, list_policies, policy_from_record
from service.triage.router import ERROR_RESPONSES

router = APIRouter(prefix="/v1/policies", tags=["policies"])
POLICY_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    200: {"description": "Validated only (activate: false), or already active."},
    422: {"description": "Invalid policy: `error.fields` lists every problem."},
}


def _invalid(exc: PolicyError) -> ServiceError:
    fields = [{"field": "content", "message": str(p)} for p in exc.problems]
    return ServiceError(422, "invalid_policy", str(exc).splitlines()[0], fields=fields)


def _loaded(request: Request) -> Policy | None:
    return request.app.state.runtime.snapshot.policy


@router.get("/active", response_model=PolicyDetail, responses=ERROR_RESPONSES)
def active_policy(request: Request, principal: ReaderKey) -> PolicyDetail:
    """The active policy: the last one activated, or the configured file if none was."""
    loaded = _loaded(request)
    with session_scope() as session:
        row = active_policy_record(session)
    policy: Policy | None = loaded
    if row is not None:
        try:
            policy = policy_from_record(row)
        except PolicyError:
            row = None  # this release cannot read it; the workers keep the loaded policy too
    if policy is None:
        raise ServiceError(503, "not_ready", "no policy loaded yet")
    return PolicyDetail.of(policy, row, loaded.version if loaded else None)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ActivationOut | ValidationOut,
    responses=POLICY_RESPONSES,
)
def post_policy(
    body: PolicyIn, request: Request, response: Response, principal: AdminKey
) -> ActivationOut | ValidationOut:
    """Validate a policy and activate it (every worker follows within seconds).

    ``activate: false`` only validates (200). Re-posting the active content changes nothing
    (200); a new activation answers 201.
    """
    source = body.source or f"api:{principal.key_id}"
    try:
        if not body.activate:
            policy = parse_policy(body.content, source)
            response.status_code = status.HTTP_200_OK
            return ValidationOut(
                valid=True,
                version=policy.version,
                content_hash=policy.content_hash,
                warnings=[str(w) for w in policy.warnings],
            )
        done = activate_text(body.content, source=source, activated_by=principal.key_id)
    except PolicyError as exc:
        raise _invalid(exc) from exc
    request.app.state.runtime.swap(policy=done.policy)
    if not done.created:
        response.status_code = status.HTTP_200_OK
    out = PolicyVersionOut.of(done.record).model_dump()
    return ActivationOut(
        **out, created=done.created, warnings=[str(w) for w in done.policy.warnings]
    )


@router.get("", response_model=list[PolicyVersionOut], responses=ERROR_RESPONSES)
def list_activations(principal: AnalystKey) -> list[PolicyVersionOut]:
    """Every activation, newest first: version, hash, who, when."""
    with session_scope() as session:
        return [PolicyVersionOut.of(row) for row in list_policies(session)]


@router.get("/{policy_id}", response_model=PolicyVersionDetail, responses=ERROR_RESPONSES)
def show_activation(
    policy_id: Annotated[int, Path(ge=1, le=2**31 - 1)], principal: AnalystKey
) -> PolicyVersionDetail:
    """One activation record with the policy text it activated."""
    with session_scope() as session:
        row = session.get(PolicyVersion, policy_id)
        if row is None:
            raise ServiceError(404, "not_found", f"no policy activation {policy_id}")
        return PolicyVersionDetail(**PolicyVersionOut.of(row).model_dump(), content=row.content)
