"""The profile page in Chromium: a Viewer picks a number format, creates an API token, sees it once, uses it,
and revokes it; an analyst an admin just created changes their password, after which only the new one logs in."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
import uuid

from playwright.sync_api import Page, expect

from tests.e2e.test_admin import _create_analyst

WAIT = 20_000  # ms: each step waits on what the server sends back, never on time


def _api_status(base: str, token: str) -> int:
    """Status of an authenticated request with a bad level: 400 proves the token was accepted, 401 refused."""
    request = urllib.request.Request(
        f"{base}/api/v1/variance?fy=FY27&level=planet", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_viewer_creates_sees_once_and_revokes_a_token(page, login, running_app) -> None:
    login(running_app.viewer_email)
    page.get_by_test_id("nav-profile").click()
    expect(page).to_have_url(re.compile(r"/profile$"), timeout=WAIT)
    expect(page.get_by_test_id("token-empty").or_(page.get_by_test_id("token-table"))).to_be_visible(timeout=WAIT)

    # number format: saved at once, and kept on a fresh visit
    page.get_by_test_id("number-format-western").click()
    expect(page.get_by_test_id("profile-message")).to_have_text("Amounts are now shown in western grouping.")
    # the radio shows the shell's AppState.number_format: it moved with the save, before any reload
    expect(page.get_by_test_id("number-format-western")).to_have_attribute("aria-checked", "true")
    page.reload()
    expect(page.get_by_test_id("number-format-western")).to_have_attribute("aria-checked", "true", timeout=WAIT)
    page.get_by_test_id("number-format-indian").click()  # the Viewer is shared with other tests: put it back
    expect(page.get_by_test_id("profile-message")).to_have_text("Amounts are now shown in indian grouping.")

    name = f"Power BI {uuid.uuid4().hex[:6]}"
    page.get_by_test_id("token-name").fill(name)
    page.get_by_test_id("token-create").click()
    shown = page.get_by_test_id("new-token")
    expect(shown).to_have_text(re.compile(r"^opex_[A-Za-z0-9_-]{43}$"), timeout=WAIT)
    token = shown.inner_text()
    row = page.get_by_test_id("token-row").filter(has_text=name)
    expect(row).to_contain_text(token[:12] + "…")
    expect(row).to_contain_text("never")
    expect(row).to_contain_text("active")
    assert _api_status(running_app.url, token) == 400  # accepted: only the level is wrong

    # once dismissed, the token is gone from the page, and a fresh visit does not bring it back
    page.get_by_test_id("new-token-done").click()
    expect(page.get_by_test_id("new-token-callout")).to_have_count(0, timeout=WAIT)
    page.reload()
    expect(row).to_contain_text("active", timeout=WAIT)
    expect(row).not_to_contain_text("never")  # its last use is shown
    assert token not in page.content()

    row.get_by_test_id("token-revoke").click()
    page.get_by_test_id("token-revoke-confirm").click()
    expect(page.get_by_test_id("profile-message")).to_contain_text(f"The token '{name}' is revoked", timeout=WAIT)
    expect(row).to_contain_text("revoked")
    expect(row.get_by_test_id("token-revoke")).to_have_count(0)
    assert _api_status(running_app.url, token) == 401


def _form_login(tab: Page, url: str, email: str, password: str) -> None:
    """Through the login form, as the conftest helper does (for a page of another browser context)."""
    tab.goto(f"{url}/login")
    tab.get_by_test_id("login-email").fill(email)
    tab.get_by_test_id("login-password").fill(password)
    tab.get_by_test_id("login-submit").click()


def test_an_analyst_changes_their_password_the_old_one_then_fails(page: Page, chromium, login, running_app) -> None:
    email = f"analyst-pw-{uuid.uuid4().hex[:6]}@example.com"
    login(running_app.admin_email)
    expect(page.get_by_test_id("user-role")).to_have_text("Admin", timeout=WAIT)
    secret = _create_analyst(page, running_app.url, email)
    new = f"a fresh passphrase {uuid.uuid4().hex[:4]}"

    contexts = [chromium.new_context(viewport={"width": 1366, "height": 768}) for _ in range(3)]
    try:
        analyst, old_try, new_try = (context.new_page() for context in contexts)
        _form_login(analyst, running_app.url, email, secret)
        expect(analyst.get_by_test_id("user-role")).to_have_text("Analyst", timeout=WAIT)
        analyst.get_by_test_id("nav-profile").click()
        expect(analyst.get_by_test_id("change-password")).to_be_visible(timeout=WAIT)
        analyst.get_by_test_id("password-current-password").fill(secret)
        analyst.get_by_test_id("password-new-password").fill("qwertyuiop")  # too common
        analyst.get_by_test_id("password-repeat").fill("qwertyuiop")
        analyst.get_by_test_id("password-submit").click()
        expect(analyst.get_by_test_id("profile-error")).to_contain_text("most common passwords", timeout=WAIT)
        analyst.get_by_test_id("password-current-password").fill(secret)
        analyst.get_by_test_id("password-new-password").fill(new)
        analyst.get_by_test_id("password-repeat").fill(new)
        analyst.get_by_test_id("password-submit").click()
        expect(analyst.get_by_test_id("profile-message")).to_have_text("Your password is changed.", timeout=WAIT)
        expect(analyst.get_by_test_id("password-new-password")).to_have_value("")  # the form forgot it

        _form_login(old_try, running_app.url, email, secret)
        expect(old_try.get_by_test_id("login-error")).to_have_text("Wrong e-mail or password.", timeout=WAIT)
        _form_login(new_try, running_app.url, email, new)
        expect(new_try.get_by_test_id("user-role")).to_have_text("Analyst", timeout=WAIT)
        analyst.reload()  # the tab that changed it is still logged in
        expect(analyst.get_by_test_id("user-role")).to_have_text("Analyst", timeout=WAIT)
    finally:
        for context in contexts:
            context.close()
