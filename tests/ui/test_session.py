"""Log in, log out, a wrong password and an expired session, seen in the browser."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect

from tests.ui.conftest import log_in, save_screenshot

pytestmark = pytest.mark.ui


def test_login_shows_user_and_logout(page):
    log_in(page)

    expect(page.get_by_test_id("user-role")).to_have_text("admin")
    expect(page.get_by_role("heading", name="Clusters")).to_be_visible()
    save_screenshot(page, "logged-in")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in to Stackyard")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("You are logged out.")
    assert page.evaluate("sessionStorage.length") == 0


def test_wrong_password_shows_message(page, page_problems):
    page_problems.expected_api_errors.add(401)
    page.goto("/")
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("alert")).to_have_text("wrong username or password, or the user is disabled")
    expect(page.get_by_test_id("user-name")).to_have_count(0)


def test_revoked_token_signs_out(page, page_problems, server):
    page_problems.expected_api_errors.add(401)
    log_in(page)
    token = page.evaluate("JSON.parse(sessionStorage.getItem('stackyard.session')).token")
    revoked = requests.post(f"{server.url}/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert revoked.status_code == 204

    page.get_by_role("link", name="Hosts").click()

    expect(page.get_by_role("status")).to_have_text("Your session expired, log in again.")
    expect(page.get_by_label("User name")).to_be_visible()
    save_screenshot(page, "session-expired")
