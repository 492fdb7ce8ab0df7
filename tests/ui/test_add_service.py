"""The add-service wizard: required services, inline and server validation, and canceling a
job whose task runs, with the test-only stack of tests/ui/stacks."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.ui.conftest import log_in, save_screenshot

pytestmark = pytest.mark.ui


def open_wizard(page, cluster_name: str) -> None:
    log_in(page)
    page.goto(f"/#/clusters/{cluster_name}")
    page.get_by_role("link", name="Add service").click()


def test_bad_config_value_shows_server_message(page, page_problems, agent, admin, cluster_name):
    page_problems.expected_api_errors.add(400)
    admin.post("/clusters", {"name": cluster_name, "hosts": [agent.hostname]})
    open_wizard(page, cluster_name)
    page.get_by_label("ZooKeeper").check()
    page.get_by_role("button", name="Next").click()
    expect(page.locator("tr[data-component='zookeeper_server']")).to_contain_text("at least 1 host")
    page.get_by_role("button", name="Next").click()

    tick_time = page.locator("[data-property='tickTime']")
    tick_time.get_by_role("spinbutton").fill("70000")
    expect(tick_time.locator(".field-error")).to_have_text("tickTime must be an integer between 1 and 60000")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_test_id("config-warnings")).to_contain_text("tickTime must be an integer between 1 and 60000")
    page.get_by_role("button", name="Install").click()

    message = "zoo.cfg property tickTime: value 70000 is invalid: must be an integer between 1 and 60000"
    expect(page.get_by_role("alert")).to_have_text(message)
    expect(page.get_by_role("group", name="zoo.cfg")).to_be_visible()
    save_screenshot(page, "config-server-error")
    assert admin.get(f"/clusters/{cluster_name}/services") == []


def test_placement_enforces_cardinality(page, agent, admin, cluster_name):
    admin.post("/clusters", {"name": cluster_name, "hosts": [agent.hostname], "stack_name": "uitest", "stack_version": "1.0"})
    open_wizard(page, cluster_name)
    page.get_by_label("Sleeper").check()
    expect(page.get_by_test_id("required-services")).to_contain_text("Base, because Sleeper requires it")
    page.get_by_role("button", name="Next").click()

    row = page.locator("tr[data-component='sleeper_server']")
    expect(row).to_contain_text("exactly 1 host")
    row.get_by_role("checkbox").uncheck()
    expect(row.locator(".field-error")).to_have_text("needs exactly 1 host (cardinality 1), 0 chosen")
    expect(page.get_by_role("button", name="Next")).to_be_disabled()
    row.get_by_role("checkbox").check()
    expect(page.get_by_role("button", name="Next")).to_be_enabled()


def test_cancel_running_job(page, agent, admin, cluster_name):
    admin.post("/clusters", {"name": cluster_name, "hosts": [agent.hostname], "stack_name": "uitest", "stack_version": "1.0"})
    open_wizard(page, cluster_name)
    page.get_by_label("Sleeper").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Install").click()

    start_stage = page.locator("tr[data-stage='start sleeper_server']")
    expect(start_stage).to_contain_text("RUNNING", timeout=120_000)
    expect(page.get_by_text("following live…")).to_be_visible()
    expect(page.get_by_test_id("task-log")).to_contain_text("Sleep so that the job runs until it is canceled", timeout=30_000)
    save_screenshot(page, "job-running")

    page.get_by_role("button", name="Cancel job").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel job").click()

    expect(page.get_by_test_id("job-state")).to_have_text("CANCELED", timeout=60_000)
    expect(start_stage).to_contain_text("CANCELED")
    expect(page.get_by_role("button", name="Retry job")).to_be_visible()
    save_screenshot(page, "job-canceled")
    jobs = admin.get(f"/jobs?cluster={cluster_name}")
    assert [job["state"] for job in jobs] == ["CANCELED", "SUCCESSFUL"]
