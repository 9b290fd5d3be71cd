"""POST /api/session and /api/session/logout against the real database: the cookie's flags, one answer for
every refusal, a new token at each login, and the session's end at logout, password reset and deactivation.

Users carry a fresh tag; the throttle's counts are keyed on their e-mails, so no other test is slowed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from http.cookies import SimpleCookie

import pytest
from sqlmodel import col, select
from starlette.testclient import TestClient

from opex_app.api import session as session_api
from opex_app.api.routes import api
from opex_app.auth.permissions import RoleName, cli_principal
from opex_app.db import transaction
from opex_app.models import AppUser, LoginAttempt
from opex_app.services import sessions, user_admin
from opex_app.services.users import create_user

PASSWORD = "correct horse battery"


@pytest.fixture()
def client(database_url: str) -> Iterator[TestClient]:
    with TestClient(api, base_url="http://localhost") as test_client:
        yield test_client


@pytest.fixture()
def email(database_url: str) -> str:
    address = f"cookie-{uuid.uuid4().hex[:8]}@example.com"
    with transaction() as session:
        create_user(session, cli_principal(), email=address, role=RoleName.ADMIN, password=PASSWORD)
    return address


def _set_cookie(response) -> SimpleCookie:
    (header,) = response.headers.get_list("set-cookie")
    cookie: SimpleCookie = SimpleCookie()
    cookie.load(header)
    return cookie


def _alive(token: str) -> bool:
    with transaction() as session:
        return sessions.resolve(session, token) is not None


def _login(client: TestClient, email: str, old: str | None = None) -> str:
    cookies = {sessions.COOKIE_NAME: old} if old else None
    client.cookies.clear()  # send only what the test says (the client keeps the cookies it was given)
    response = client.post("/api/session", json={"email": email, "password": PASSWORD}, cookies=cookies)
    client.cookies.clear()
    assert response.status_code == 200, response.text
    return _set_cookie(response)[sessions.COOKIE_NAME].value


def test_login_sets_an_httponly_strict_cookie_and_says_where_to_go(client, email) -> None:
    response = client.post("/api/session", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200 and response.json() == {"redirect": "/"}
    assert response.headers["cache-control"] == "no-store"
    morsel = _set_cookie(response)[sessions.COOKIE_NAME]
    assert morsel["httponly"] is True and morsel["samesite"].lower() == "strict" and morsel["path"] == "/"
    assert not morsel["secure"]  # the site is http://localhost here
    assert morsel.value not in response.text  # only in the cookie
    assert _alive(morsel.value)


def test_the_cookie_is_secure_when_the_site_is_https(client, email, monkeypatch) -> None:
    monkeypatch.setattr(session_api, "site_origin", lambda: "https://opex.example")
    response = client.post(
        "/api/session", data={"email": email, "password": PASSWORD}, headers={"Origin": "https://opex.example"}
    )
    assert response.status_code == 200  # a form body works as well as JSON
    assert _set_cookie(response)[sessions.COOKIE_NAME]["secure"] is True


def test_another_origin_can_neither_log_in_nor_out(client, email) -> None:
    foreign = {"Origin": "https://evil.example"}
    response = client.post("/api/session", json={"email": email, "password": PASSWORD}, headers=foreign)
    assert response.status_code == 403 and "set-cookie" not in response.headers
    token = _login(client, email)
    response = client.post("/api/session/logout", headers=foreign, cookies={sessions.COOKIE_NAME: token})
    assert response.status_code == 403 and _alive(token)


def test_refusals_say_the_same_for_known_and_unknown_emails(client, email) -> None:
    wrong = client.post("/api/session", json={"email": email, "password": "not it"})
    unknown = client.post("/api/session", json={"email": f"nobody-{email}", "password": "not it"})
    assert (wrong.status_code, wrong.json()) == (unknown.status_code, unknown.json())
    assert wrong.status_code == 401 and wrong.json() == {"error": sessions.WRONG_CREDENTIALS}
    assert "set-cookie" not in wrong.headers and "set-cookie" not in unknown.headers
    empty = client.post("/api/session", json={"email": email, "password": ""})
    assert empty.status_code == 400 and empty.json() == {"error": session_api.MISSING}
    garbled = client.post("/api/session", content=b"{not json", headers={"Content-Type": "application/json"})
    assert garbled.status_code == 400


def test_failures_are_counted_against_the_requests_address_and_throttled(client, email, monkeypatch) -> None:
    from opex_app.services import login_throttle
    from opex_app.settings import get_settings

    # a minute's wait once a count reaches its free failures, two for this e-mail from this address (the
    # growing delays themselves: tests/services/test_login_throttle.py)
    monkeypatch.setattr(get_settings(), "login_max_failures", 2)
    monkeypatch.setattr(login_throttle, "delay_seconds", lambda failures, free, cap: 60 if failures >= free else 0)
    for _ in range(2):
        assert client.post("/api/session", json={"email": email, "password": "not it"}).status_code == 401
    throttled = client.post("/api/session", json={"email": email, "password": PASSWORD})
    assert throttled.status_code == 401 and throttled.json()["error"].startswith("Too many failed attempts")
    with transaction() as session:
        addresses = session.exec(select(LoginAttempt.ip).where(col(LoginAttempt.email_key) == email)).all()
    assert addresses == ["testclient", "testclient"]  # TestClient's peer address


def test_each_login_makes_a_new_token_and_revokes_the_one_sent(client, email) -> None:
    first = _login(client, email)
    second = _login(client, email, old=first)
    assert second != first and _alive(second) and not _alive(first)
    third = _login(client, email)  # no cookie sent: the other session stays (another browser)
    assert _alive(second) and _alive(third)


def test_logout_ends_the_session_and_expires_the_cookie(client, email) -> None:
    token = _login(client, email)
    response = client.post("/api/session/logout", cookies={sessions.COOKIE_NAME: token})
    assert response.status_code == 200 and response.json() == {"redirect": "/login"}
    morsel = _set_cookie(response)[sessions.COOKIE_NAME]
    assert morsel.value == "" and morsel["max-age"] == "0" and morsel["httponly"] is True
    assert not _alive(token)
    assert client.post("/api/session/logout").status_code == 200  # without a cookie: nothing to end


def test_password_reset_and_deactivation_end_the_cookies_session(client, email) -> None:
    with transaction() as session:
        user_id = session.exec(select(AppUser.id).where(AppUser.email == email)).one()
    token = _login(client, email)
    with transaction() as session:
        user_admin.reset_password(session=session, principal=cli_principal(), user_id=user_id)
    assert not _alive(token)
    with transaction() as session:
        user = session.get(AppUser, user_id)
        assert user is not None
        from opex_app.auth.passwords import hash_password

        user.password_hash = hash_password(PASSWORD)
        session.add(user)
    token = _login(client, email)
    with transaction() as session:
        user_admin.set_active(session=session, principal=cli_principal(), user_id=user_id, active=False)
    assert not _alive(token)
    refused = client.post("/api/session", json={"email": email, "password": PASSWORD})
    assert refused.status_code == 401 and refused.json() == {"error": sessions.WRONG_CREDENTIALS}


def test_the_cookie_reader_ignores_other_and_malformed_cookies() -> None:
    header = 'theme=dark; broken; opex_session="abc-123"; other=x=y'
    assert sessions.cookie_value(header) == "abc-123"
    assert sessions.cookie_value("opex_sessionx=1; x_opex_session=2; opex_session_key=k") is None
    assert sessions.cookie_value(None) is None and sessions.cookie_value("opex_session=") is None
