"""Fixtures of the browser tests: headless Debian Chromium driven by Playwright, against a
real server (with the test-only stack of tests/ui/stacks) and a real agent."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.support.processes import ADMIN_PASSWORD, ServerProcess

UI_STACKS = Path(__file__).resolve().parent / "stacks"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"

# Chromium logs every HTTP error response as a console error. Tests that provoke an API
# error on purpose list its status in `expected_api_errors`; all other console errors fail.
FAILED_RESOURCE = re.compile(r"^Failed to load resource: the server responded with a status of (\d{3})")


@pytest.fixture
def server(tmp_path):
    process = ServerProcess(home=tmp_path / "server", extra_args=["--stack-dir", str(UI_STACKS)]).start()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing; install the Debian package chromium (make debian-test)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


class PageProblems:
    """Console errors and uncaught page errors seen during one test."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.expected_api_errors: set[int] = set()

    def on_console(self, message) -> None:
        if message.type != "error":
            return
        match = FAILED_RESOURCE.match(message.text)
        url = message.location.get("url", "")
        if match and "/api/v1/" in url and int(match.group(1)) in self.expected_api_errors:
            return
        self.errors.append(f"console error: {message.text} ({url})")

    def on_page_error(self, error) -> None:
        self.errors.append(f"page error: {error}")


@pytest.fixture
def page_problems():
    return PageProblems()


@pytest.fixture
def page(browser, server, page_problems, request):
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("console", page_problems.on_console)
    page.on("pageerror", page_problems.on_page_error)
    yield page
    if getattr(request.node, "rep_call_failed", False):
        save_screenshot(page, f"{request.node.name}-failed")
    context.close()
    assert not page_problems.errors, "the page logged errors:\n" + "\n".join(page_problems.errors)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call_failed = report.failed


def save_screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"ui-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page: Page, username: str = "admin", password: str = ADMIN_PASSWORD) -> None:
    page.goto("/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("user-name")).to_have_text(username)
