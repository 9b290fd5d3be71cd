"""Log in, see the shell, log out; the session cookie is out of scripts' reach; a deactivated user's open tab
stops at its next event; wrong password refused; a Viewer does not see admin areas."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.e2e.conftest import LOGGED_IN, PASSWORD

SESSION_COOKIE = "opex_session"


def _session_cookies(page) -> list[dict]:
    return [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]


def test_login_shows_shell_and_logout(page, login, running_app) -> None:
    login(running_app.admin_email)
    expect(page.get_by_test_id("user-role")).to_have_text("Admin")
    expect(page.get_by_test_id("user-name")).to_have_text("Test Admin")
    expect(page.get_by_test_id("nav-admin-users")).to_be_visible()
    expect(page.get_by_test_id("nav-budgets")).to_be_visible()
    (cookie,) = _session_cookies(page)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    storage = page.evaluate("document.cookie + JSON.stringify(localStorage) + JSON.stringify(sessionStorage)")
    assert SESSION_COOKIE not in storage and cookie["value"] not in storage  # no script can read the token
    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("login-submit")).to_be_visible(timeout=LOGGED_IN)  # a new page load
    expect(page).to_have_url(re.compile(r"/login/?$"))
    assert _session_cookies(page) == []
    page.goto(f"{running_app.url}/admin/users")
    expect(page).to_have_url(re.compile(r"/login/?$"), timeout=LOGGED_IN)


def test_a_deactivated_users_open_tab_stops_at_its_next_event(page, login, running_app) -> None:
    from opex_app.auth.permissions import RoleName, cli_principal
    from opex_app.db import transaction
    from opex_app.services import user_admin
    from opex_app.services.users import create_user

    email = f"leaver-{uuid.uuid4().hex[:6]}@example.com"
    with transaction() as session:
        user_id = create_user(
            session, cli_principal(), email=email, role=RoleName.VIEWER, password=PASSWORD, full_name="Lee Ver"
        ).user_id
    login(email)
    expect(page.get_by_test_id("user-name")).to_have_text("Lee Ver")
    with transaction() as session:  # what the admin's Deactivate does (the page itself: tests/e2e/test_admin.py)
        user_admin.set_active(session=session, principal=cli_principal(), user_id=user_id, active=False)
    page.get_by_test_id("nav-budgets").click()  # the open tab's next event: the page's login check
    expect(page.get_by_test_id("login-submit")).to_be_visible(timeout=LOGGED_IN)
    expect(page).to_have_url(re.compile(r"/login/?$"))
    page.goto(f"{running_app.url}/")
    expect(page).to_have_url(re.compile(r"/login/?$"), timeout=LOGGED_IN)


def test_wrong_password_is_refused_with_a_clear_message(page, login, running_app) -> None:
    login(running_app.admin_email, "not the password")
    expect(page.get_by_test_id("login-error")).to_have_text("Wrong e-mail or password.")
    expect(page).to_have_url(re.compile(r"/login/?$"))


def test_viewer_does_not_see_admin_areas(page, login, running_app) -> None:
    login(running_app.viewer_email)
    expect(page.get_by_test_id("user-role")).to_have_text("Viewer")
    expect(page.get_by_test_id("nav-home")).to_be_visible()
    expect(page.get_by_test_id("nav-admin-users")).to_have_count(0)
    expect(page.get_by_test_id("nav-admin-audit")).to_have_count(0)
    expect(page.get_by_test_id("nav-import")).to_have_count(0)
    page.goto(f"{running_app.url}/admin/users")
    expect(page.get_by_text("Your role does not allow this").first).to_be_visible()
    expect(page.get_by_test_id("users-table").locator("tbody tr")).to_have_count(0)


def test_admin_adds_a_colleague_in_the_app(page, login, running_app) -> None:
    login(running_app.admin_email)
    expect(page.get_by_test_id("user-role")).to_have_text("Admin")
    page.goto(f"{running_app.url}/admin/users")
    page.get_by_test_id("new-user-email").fill("colleague@example.com")
    page.get_by_test_id("new-user-submit").click()
    expect(page.get_by_test_id("new-user-message")).to_contain_text("Created colleague@example.com")
    expect(page.get_by_test_id("users-table")).to_contain_text("colleague@example.com")
