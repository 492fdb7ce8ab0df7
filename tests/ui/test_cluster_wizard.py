"""The create-cluster wizard: host patterns expanded in the browser, duplicates and agents shown."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.ui.conftest import log_in, save_screenshot

pytestmark = pytest.mark.ui


def test_create_cluster_expands_hosts(page, agent, cluster_name):
    log_in(page)
    page.get_by_role("link", name="Create cluster").click()
    page.get_by_label("Name").fill(cluster_name)
    page.get_by_label("Description").fill("made in the browser")
    expect(page.get_by_label("Stack")).to_contain_text("bigtop 3.3")
    page.get_by_role("button", name="Next").click()

    page.get_by_label("Hosts").fill(f"node-[08-10], NODE-09\n{agent.hostname}")
    rows = page.locator("table.hosts-preview tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.nth(0)).to_have_attribute("data-host", "node-08")
    expect(rows.nth(2)).to_have_attribute("data-host", "node-10")
    expect(page.locator("tr[data-host='NODE-09']")).to_contain_text("duplicate of node-09")
    expect(page.locator("tr[data-host='node-08']")).to_contain_text("no agent has registered with this name")
    expect(page.locator(f"tr[data-host='{agent.hostname}']")).to_contain_text("CONNECTED")
    expect(page.get_by_role("button", name="Next")).to_be_disabled()
    save_screenshot(page, "cluster-wizard-hosts")

    page.get_by_label("Hosts").fill(agent.hostname)
    page.get_by_role("button", name="Next").click()
    expect(page.locator("dl.review")).to_contain_text(agent.hostname)
    page.get_by_role("button", name="Create cluster").click()

    expect(page.get_by_role("heading", name=f"Cluster {cluster_name}")).to_be_visible()
    expect(page.get_by_text("made in the browser")).to_be_visible()
    page.get_by_role("link", name="Clusters", exact=True).click()
    expect(page.locator(f"tr[data-cluster='{cluster_name}']")).to_contain_text("1 / 1")
    save_screenshot(page, "clusters-list")


def test_duplicate_cluster_name_shows_conflict(page, page_problems, admin, cluster_name):
    page_problems.expected_api_errors.add(409)
    admin.post("/clusters", {"name": cluster_name})
    log_in(page)
    page.goto("/#/clusters/new")
    page.get_by_label("Name").fill(cluster_name)
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Create cluster").click()

    expect(page.get_by_role("alert")).to_have_text(f"cluster '{cluster_name}' already exists; choose another name")
