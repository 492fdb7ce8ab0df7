"""Agents register over gRPC, report heartbeats with metrics, and a host runs one agent."""

from __future__ import annotations

import pytest

from tests.support.processes import AgentProcess, wait_until

pytestmark = pytest.mark.e2e


def test_agent_registers_with_metrics(server, agent, admin):
    def reported_metrics():
        host = admin.get(f"/hosts/{agent.hostname}")
        return host if host["metrics"].get("memory_total_bytes") else None

    host = wait_until(reported_metrics, 20, "no heartbeat with metrics arrived")
    assert host["agent_state"] == "CONNECTED"
    assert host["cpu_count"] >= 1
    assert host["os_family"]
    assert host["last_heartbeat_at"]


def test_second_agent_for_host_rejected(server, agent, admin, tmp_path):
    second = AgentProcess(server=server, home=tmp_path / "second-agent", hostname=agent.hostname)
    second.start(wait=False)
    try:
        wait_until(lambda: "another agent is connected" in second.log_path.read_text(errors="replace"), 30, "second agent was not rejected")
        assert admin.get(f"/hosts/{agent.hostname}")["agent_state"] == "CONNECTED"
    finally:
        second.stop()


def test_stopped_agent_shows_disconnected(server, agent, admin):
    agent.stop()
    wait_until(lambda: admin.get(f"/hosts/{agent.hostname}")["agent_state"] == "DISCONNECTED", 20, "host still CONNECTED after its agent stopped")
