"""Add ZooKeeper in the browser, watch the job, stop the server and apply a config change."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.processes import free_port, wait_until
from tests.ui.conftest import log_in, save_screenshot

pytestmark = [pytest.mark.ui, pytest.mark.e2e]


def zoo_cfg(tmp_path) -> str:
    path = tmp_path / "services" / "zookeeper" / "conf" / "zoo.cfg"
    return path.read_text() if path.exists() else ""


def wait_for_job_end(page, timeout_ms: int) -> str:
    """Wait until the job shown on the page ends; return its state."""
    state = page.get_by_test_id("job-state")
    expect(state).to_have_text(re.compile("^(SUCCESSFUL|FAILED|CANCELED)$"), timeout=timeout_ms)
    return state.inner_text()


@pytest.fixture
def stop_zookeeper_after(admin, cluster_name):
    """Stop the ZooKeeper server the test started, because it outlives the agent."""
    yield
    try:
        job = admin.post(f"/clusters/{cluster_name}/services/zookeeper/actions", {"action": "stop"})
        admin.wait_for_job(job["id"], timeout=120)
    except Exception as error:  # noqa: BLE001 - the test may have ended before the service existed
        print(f"could not stop ZooKeeper after the test: {error}")


def test_zookeeper_add_stop_and_reconfigure(page, agent, admin, cluster_name, tmp_path, stop_zookeeper_after):
    admin.post("/clusters", {"name": cluster_name, "hosts": [agent.hostname]})
    log_in(page)
    page.goto(f"/#/clusters/{cluster_name}")
    page.get_by_role("link", name="Add service").click()
    page.get_by_label("ZooKeeper").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Next").click()
    # Free ports, so a ZooKeeper that another test started on this machine is no conflict.
    for name in ("clientPort", "quorumPort", "electionPort"):
        page.locator(f"[data-property='{name}']").get_by_role("spinbutton").fill(str(free_port()))
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Install").click()

    assert wait_for_job_end(page, 300_000) == "SUCCESSFUL", page.locator(".job-message").all_inner_texts()
    expect(page.get_by_test_id("task-log")).to_contain_text("PLAY RECAP")
    save_screenshot(page, "zookeeper-added")

    page.get_by_role("link", name="Go to the service").click()
    server_row = page.locator("tr[data-component='zookeeper_server']")
    expect(server_row.get_by_test_id("live-status")).to_have_text("RUNNING", timeout=30_000)
    save_screenshot(page, "zookeeper-running")

    page.locator(".actions").get_by_role("button", name="Stop").click()
    page.get_by_role("dialog").get_by_role("button", name="Run").click()
    expect(server_row.get_by_test_id("live-status")).to_have_text("STOPPED", timeout=120_000)

    page.locator("[data-property='tickTime']").get_by_role("spinbutton").fill("3000")
    page.get_by_label("Change message").fill("longer ticks")
    page.get_by_role("button", name="Save new version").click()
    expect(page.get_by_role("status")).to_contain_text("Saved as version 2")
    expect(page.get_by_test_id("restart-required")).to_be_visible()

    page.get_by_role("button", name="Compare").click()
    diff_row = page.locator("table.diff-table tbody tr")
    expect(diff_row).to_have_count(1)
    expect(diff_row).to_contain_text("tickTime")
    expect(diff_row.locator("td.removed")).to_have_text("2000")
    expect(diff_row.locator("td.added")).to_have_text("3000")
    save_screenshot(page, "zookeeper-config-diff")

    page.get_by_role("button", name="Apply configuration").click()
    page.get_by_role("dialog").get_by_role("button", name="Run").click()
    page.get_by_role("link", name="Apply configuration version 2 of zookeeper").click()
    assert wait_for_job_end(page, 300_000) == "SUCCESSFUL", page.locator(".job-message").all_inner_texts()
    save_screenshot(page, "zookeeper-config-applied")
    assert "tickTime=3000" in zoo_cfg(tmp_path)

    page.go_back()
    expect(page.get_by_test_id("restart-required")).to_have_count(0, timeout=30_000)
    page.locator("tr[data-version='1']").get_by_role("button", name="Revert to this").click()
    page.get_by_role("dialog").get_by_role("button", name="Revert").click()
    expect(page.locator("tr[data-version='3']")).to_contain_text("revert to version 1")
    expect(page.locator("[data-property='tickTime']").get_by_role("spinbutton")).to_have_value("2000")
    wait_until(lambda: admin.get(f"/clusters/{cluster_name}/services/zookeeper")["config_version"] == 3, 10, "revert did not create version 3")
