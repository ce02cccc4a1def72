"""Console sign-in: sessions hashed at rest, cookie flags, CSRF, roles, expiry, revocation."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from service import db
from service.config import get_settings
from service.console.auth import COOKIE_NAME, LOGIN_COOKIE_NAME
from service.keys.service import revoke_key
from service.main import create_app
from service.models import ConsoleSession, Decision, utcnow
from tests.console.conftest import NOTES, sign_in

# Dialect-independent behaviour: SQLite is enough (PostgreSQL runs the rest).
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _sessions() -> int:
    with db.session_scope() as session:
        return session.scalar(select(func.count()).select_from(ConsoleSession)) or 0


def _set_cookie_header(response) -> str:  # type: ignore[no-untyped-def]
    return next(
        v
        for k, v in response.headers.multi_items()
        if k == "set-cookie" and v.startswith(COOKIE_NAME + "=")
    )


def _login(client: TestClient, secret: str):  # type: ignore[no-untyped-def]
    form = client.get("/console/login").text
    nonce = form.split('name="login_csrf" value="')[1].split('"')[0]
    return client.post(
        "/console/login", data={"key": secret, "login_csrf": nonce}, follow_redirects=False
    )


def test_sign_in_sets_a_strict_httponly_cookie_and_stores_only_a_hash(client, make_key):
    response = _login(client, make_key("dispatcher"))
    assert response.status_code == 303
    assert response.headers["location"] == "/console"
    cookie = _set_cookie_header(response)
    token = cookie.split(";")[0].split("=", 1)[1]
    flags = cookie.lower()
    assert "httponly" in flags and "samesite=strict" in flags and "path=/console" in flags
    assert "secure" not in flags  # plain http in this test
    with db.session_scope() as session:
        rows = list(session.scalars(select(ConsoleSession)))
    assert len(rows) == 1
    assert rows[0].token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in rows[0].token_hash


@SQLITE_ONLY
def test_cookie_is_secure_over_tls(configured, make_key):
    secret = make_key("dispatcher")
    with TestClient(create_app(), base_url="https://testserver") as tls_client:
        cookie = _set_cookie_header(_login(tls_client, secret))
    assert "secure" in cookie.lower()


@SQLITE_ONLY
def test_cookie_is_secure_when_the_operator_says_so(configured, make_key):
    secret = make_key("analyst")
    settings = get_settings().model_copy(update={"secure_cookies": True})
    with TestClient(create_app(settings)) as behind_proxy:  # TLS ends at a proxy: plain http
        form = behind_proxy.get("/console/login")
        assert "secure" in form.headers["set-cookie"].lower()  # the sign-in nonce cookie too
        nonce = form.text.split('name="login_csrf" value="')[1].split('"')[0]
        answer = behind_proxy.post(  # the Secure nonce cookie is not resent over http: send it
            "/console/login",
            data={"key": secret, "login_csrf": nonce},
            headers={"Cookie": f"{LOGIN_COOKIE_NAME}={nonce}"},
            follow_redirects=False,
        )
    assert "secure" in _set_cookie_header(answer).lower()


def test_cad_key_is_refused_and_opens_no_session(client, make_key):
    response = _login(client, make_key("cad"))
    assert response.status_code == 403
    assert "cannot sign in" in response.text
    assert COOKIE_NAME not in response.cookies
    assert _sessions() == 0


@SQLITE_ONLY
def test_unknown_key_is_refused(client, make_key):
    make_key("dispatcher")
    response = _login(client, "trk_0123456789abcdef_not-a-real-secret")
    assert response.status_code == 401
    assert "Unknown or revoked key" in response.text
    assert _sessions() == 0


@SQLITE_ONLY
def test_sign_in_without_the_form_nonce_is_refused(client, make_key):
    response = client.post(
        "/console/login", data={"key": make_key("admin"), "login_csrf": "x"}, follow_redirects=False
    )
    assert response.status_code == 403
    assert _sessions() == 0


@SQLITE_ONLY
def test_signed_out_pages_redirect_and_api_gets_401(client):
    page = client.get("/console", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/console/login"
    assert client.get("/console/analytics", follow_redirects=False).status_code == 303
    assert client.get("/console/events").status_code == 401
    assert client.get("/console/session").status_code == 401
    assert client.get("/console/calls/rec_x").status_code == 401
    answer = client.post("/console/calls/rec_x/decision", data={"action": "accepted"})
    assert answer.status_code == 401


def test_decision_without_csrf_token_is_refused(client, make_key, post_call):
    rec = post_call("C-1", NOTES["music"])
    csrf = sign_in(client, make_key("dispatcher"))
    url = f"/console/calls/{rec['recommendation_id']}/decision"
    assert client.post(url, data={"action": "accepted"}).status_code == 403
    other = csrf[:-1] + ("1" if csrf.endswith("0") else "0")  # differs in its last character
    wrong = client.post(url, data={"action": "accepted", "csrf_token": other})
    assert wrong.status_code == 403
    with db.session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Decision)) == 0
    ok = client.post(
        url, data={"action": "accepted"}, headers={"X-CSRF-Token": csrf}, follow_redirects=False
    )
    assert ok.status_code == 303


def test_sign_out_needs_csrf_then_deletes_the_session(client, make_key):
    csrf = sign_in(client, make_key("dispatcher"))
    assert client.post("/console/logout", follow_redirects=False).status_code == 403
    assert _sessions() == 1
    answer = client.post("/console/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/console/login")
    assert _sessions() == 0
    assert client.get("/console", follow_redirects=False).status_code == 303


def test_old_cookie_is_refused_after_sign_out(client, make_key):
    csrf = sign_in(client, make_key("dispatcher"))
    token = client.cookies.get(COOKIE_NAME)
    client.post("/console/logout", data={"csrf_token": csrf})
    client.cookies.set(COOKIE_NAME, token, path="/console")
    assert client.get("/console/session").status_code == 401


def test_analyst_reads_but_cannot_decide(client, make_key, post_call):
    rec = post_call("C-2", NOTES["knife"])
    csrf = sign_in(client, make_key("analyst"))
    page = client.get(f"/console?call={rec['recommendation_id']}")
    assert "C-2" in page.text and "accept-form" not in page.text
    answer = client.post(
        f"/console/calls/{rec['recommendation_id']}/decision",
        data={"action": "accepted", "csrf_token": csrf},
    )
    assert answer.status_code == 403
    assert client.get("/console/analytics").status_code == 200


@SQLITE_ONLY
def test_dispatcher_cannot_open_analytics(client, make_key):
    sign_in(client, make_key("dispatcher"))
    response = client.get("/console/analytics")
    assert response.status_code == 403
    assert "analysts and admins" in response.text


def test_expired_session_is_refused(client, make_key):
    sign_in(client, make_key("dispatcher"))
    assert client.get("/console/session").status_code == 200
    with db.session_scope(write=True) as session:
        session.execute(update(ConsoleSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client.get("/console/session").status_code == 401
    assert client.get("/console", follow_redirects=False).headers["location"] == "/console/login"


@SQLITE_ONLY
def test_session_expiry_follows_the_setting(client, make_key):
    client.app.state.settings = get_settings().model_copy(update={"console_session_hours": 0.5})
    sign_in(client, make_key("dispatcher"))
    with db.session_scope() as session:
        row = session.scalars(select(ConsoleSession)).one()
        lifetime = row.expires_at.replace(tzinfo=None) - row.created_at.replace(tzinfo=None)
    assert timedelta(minutes=29) < lifetime <= timedelta(minutes=30)


def test_revoking_the_key_ends_its_sessions(client, make_key):
    sign_in(client, make_key("dispatcher", "to-revoke"))
    with db.session_scope() as session:
        key_id = session.scalars(select(ConsoleSession.api_key_id)).one()
    with db.session_scope(write=True) as session:
        revoke_key(session, key_id)
    assert client.get("/console/session").status_code == 401


@SQLITE_ONLY
def test_pages_carry_security_headers(client, make_key):
    sign_in(client, make_key("dispatcher"))
    page = client.get("/console")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "http://" not in page.text.replace("http://www.w3.org", "")
    assert "https://" not in page.text
