"""Every route of the app: 401 without credentials, 403 for each role it does not admit.

``ACCESS`` is the reviewed access table. A route missing from it fails the first test, so a
new endpoint cannot ship without someone deciding who may call it; the table is also checked
against the role dependencies the routes really declare.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from service import db
from service.keys.service import ROLES
from tests.conftest import auth

ALL = frozenset(ROLES)
PUBLIC = "public"
BEARER = "bearer"  # Authorization: Bearer <key>; 401 without, 403 for other roles
CONSOLE_PAGE = "console-page"  # session cookie; 303 to the sign-in page without one
CONSOLE_API = "console-api"  # session cookie; 401 without one
CONSOLE_ROLES = frozenset({"dispatcher", "analyst", "admin"})  # cad keys cannot sign in

ACCESS: dict[tuple[str, str], tuple[str, frozenset[str]]] = {
    ("GET", "/openapi.json"): (PUBLIC, ALL),
    ("GET", "/docs"): (PUBLIC, ALL),
    ("GET", "/docs/oauth2-redirect"): (PUBLIC, ALL),
    ("GET", "/docs/assets"): (PUBLIC, ALL),  # Swagger UI's files, served locally (no CDN)
    ("GET", "/healthz"): (PUBLIC, ALL),
    ("GET", "/readyz"): (PUBLIC, ALL),
    ("GET", "/readyz/triage"): (PUBLIC, ALL),
    ("GET", "/metrics"): (BEARER, frozenset({"analyst", "admin"})),
    ("POST", "/v1/triage"): (BEARER, frozenset({"cad", "admin"})),
    ("POST", "/v1/triage/eido"): (BEARER, frozenset({"cad", "admin"})),
    ("GET", "/v1/recommendations"): (BEARER, ALL),
    ("GET", "/v1/recommendations/{recommendation_id}"): (BEARER, ALL),
    ("POST", "/v1/recommendations/{recommendation_id}/decision"): (
        BEARER,
        frozenset({"dispatcher", "admin"}),
    ),
    ("POST", "/v1/recommendations/{recommendation_id}/corrections"): (
        BEARER,
        frozenset({"analyst", "admin"}),
    ),
    ("GET", "/v1/recommendations/{recommendation_id}/corrections"): (
        BEARER,
        frozenset({"dispatcher", "analyst", "admin"}),
    ),
    ("POST", "/v1/calls/{call_id}/outcome"): (BEARER, frozenset({"cad", "admin"})),
    ("GET", "/v1/calls/{call_id}/recommendations"): (BEARER, ALL),
    ("POST", "/v1/webhooks"): (BEARER, frozenset({"admin"})),
    ("GET", "/v1/webhooks"): (BEARER, frozenset({"admin"})),
    ("GET", "/v1/webhooks/{webhook_id}"): (BEARER, frozenset({"admin"})),
    ("DELETE", "/v1/webhooks/{webhook_id}"): (BEARER, frozenset({"admin"})),
    ("GET", "/v1/webhooks/{webhook_id}/deliveries"): (BEARER, frozenset({"admin"})),
    ("POST", "/v1/webhooks/{webhook_id}/deliveries/redeliver"): (BEARER, frozenset({"admin"})),
    ("POST", "/v1/webhooks/{webhook_id}/rotate-secret"): (BEARER, frozenset({"admin"})),
    ("GET", "/v1/models"): (BEARER, frozenset({"analyst", "admin"})),
    ("GET", "/v1/models/{version}"): (BEARER, frozenset({"analyst", "admin"})),
    ("POST", "/v1/models"): (BEARER, frozenset({"admin"})),
    ("POST", "/v1/models/{version}/promote"): (BEARER, frozenset({"admin"})),
    ("POST", "/v1/models/rollback"): (BEARER, frozenset({"admin"})),
    ("GET", "/v1/analytics/drift"): (BEARER, frozenset({"analyst", "admin"})),
    ("GET", "/v1/policies"): (BEARER, frozenset({"analyst", "admin"})),
    ("GET", "/v1/policies/active"): (BEARER, ALL),
    ("GET", "/v1/policies/{policy_id}"): (BEARER, frozenset({"analyst", "admin"})),
    ("POST", "/v1/policies"): (BEARER, frozenset({"admin"})),
    ("GET", "/console/login"): (PUBLIC, ALL),
    ("POST", "/console/login"): (PUBLIC, ALL),
    ("GET", "/console/static/{name}"): (PUBLIC, ALL),
    ("GET", "/console"): (CONSOLE_PAGE, CONSOLE_ROLES),
    ("GET", "/console/analytics"): (CONSOLE_PAGE, frozenset({"analyst", "admin"})),
    ("POST", "/console/logout"): (CONSOLE_PAGE, CONSOLE_ROLES),
    ("GET", "/console/session"): (CONSOLE_API, CONSOLE_ROLES),
    ("GET", "/console/events"): (CONSOLE_API, CONSOLE_ROLES),
    ("GET", "/console/calls/{recommendation_id}"): (CONSOLE_API, CONSOLE_ROLES),
    ("POST", "/console/calls/{recommendation_id}/decision"): (
        CONSOLE_API,
        frozenset({"dispatcher", "admin"}),
    ),
    ("POST", "/console/calls/{recommendation_id}/corrections"): (
        CONSOLE_API,
        frozenset({"analyst", "admin"}),
    ),
}


def app_routes() -> dict[tuple[str, str], APIRoute | None]:
    """(method, path) of every route the application serves (HEAD only where implied)."""
    from service.main import create_app

    routes: dict[tuple[str, str], APIRoute | None] = {}
    for context in iter_route_contexts(create_app().routes):
        for method in sorted(context.methods or {"GET"}):
            if method == "HEAD" and "GET" in (context.methods or ()):
                continue
            route = context.route if isinstance(context.route, APIRoute) else None
            routes[(method, context.path)] = route
    return routes


def declared_roles(route: APIRoute) -> frozenset[str] | None:
    """The roles of the route's ``require_roles`` dependency, if it has one."""
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        pending.extend(dependency.dependencies)
        call = dependency.call
        if getattr(call, "__name__", "").startswith("require_"):
            for cell in getattr(call, "__closure__", None) or ():
                if isinstance(cell.cell_contents, tuple):
                    return frozenset(cell.cell_contents)
    return None


def test_every_route_is_in_the_access_table():
    served = set(app_routes())
    assert served - ACCESS.keys() == set(), "new routes need an entry in ACCESS"
    assert ACCESS.keys() - served == set(), "ACCESS lists routes that no longer exist"


def test_the_table_matches_the_role_dependencies_the_routes_declare():
    for (method, path), route in app_routes().items():
        kind, roles = ACCESS.get((method, path), (PUBLIC, ALL))  # missing: the test above
        if kind == BEARER:
            assert route is not None and declared_roles(route) == roles, (method, path)


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


BEARER_ROUTES = sorted(k for k, v in ACCESS.items() if v[0] == BEARER)
CONSOLE_ROUTES = sorted(k for k, v in ACCESS.items() if v[0] in (CONSOLE_PAGE, CONSOLE_API))


@pytest.fixture
def keys(make_key) -> dict[str, str]:
    return {role: make_key(role, f"routes-{role}") for role in ROLES}


def test_bearer_routes_refuse_missing_unknown_and_wrong_role_keys(client, keys):
    bogus = "trk_0123456789abcdef_" + "A" * 43
    for method, path in BEARER_ROUTES:
        url = _concrete(path)
        _, allowed = ACCESS[(method, path)]
        for headers in ({}, auth(bogus), {"Authorization": "Basic dXNlcjpwYXNz"}):
            response = client.request(method, url, headers=headers)
            assert response.status_code == 401, (method, path, headers)
            assert response.json()["error"]["code"] == "unauthorized"
            assert response.headers["www-authenticate"] == "Bearer"
        for role, secret in keys.items():
            response = client.request(method, url, headers=auth(secret))
            if role in allowed:
                assert response.status_code not in (401, 403), (method, path, role)
            else:
                assert response.status_code == 403, (method, path, role, response.text)
                assert response.json()["error"]["code"] == "forbidden"


def _console_cookie(secret: str) -> dict[str, str]:
    from service.console.auth import COOKIE_NAME, start_session

    with db.session_scope(write=True) as session:
        token, _user = start_session(session, secret, lifetime=timedelta(hours=1))
    return {"Cookie": f"{COOKIE_NAME}={token}"}


def test_console_routes_need_a_session_of_an_allowed_role(client, keys):
    cookies = {role: _console_cookie(keys[role]) for role in CONSOLE_ROLES}
    for method, path in CONSOLE_ROUTES:
        url = _concrete(path)
        kind, allowed = ACCESS[(method, path)]
        anonymous = client.request(method, url, follow_redirects=False)
        if kind == CONSOLE_PAGE:
            assert anonymous.status_code == 303, (method, path)
            assert anonymous.headers["location"] == "/console/login"
        else:
            assert anonymous.status_code == 401, (method, path)
        # An API key is not a console session.
        with_key = client.request(method, url, headers=auth(keys["admin"]), follow_redirects=False)
        assert with_key.status_code in (303, 401), (method, path)
        for role in CONSOLE_ROLES - allowed:
            refused = client.request(method, url, headers=cookies[role], follow_redirects=False)
            assert refused.status_code == 403, (method, path, role)
