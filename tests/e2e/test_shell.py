"""Log in, see the shell, log out; wrong password refused; a Viewer does not see admin areas."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def test_login_shows_shell_and_logout(page, login, running_app) -> None:
    login(running_app.admin_email)
    expect(page.get_by_test_id("user-role")).to_have_text("Admin")
    expect(page.get_by_test_id("user-name")).to_have_text("Test Admin")
    expect(page.get_by_test_id("nav-admin-users")).to_be_visible()
    expect(page.get_by_test_id("nav-budgets")).to_be_visible()
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/login/?$"))
    page.goto(f"{running_app.url}/admin/users")
    expect(page).to_have_url(re.compile(r"/login/?$"))


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
