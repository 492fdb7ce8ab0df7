"""The real agent process against a fake server: registration, tasks, cancel, timeout and outbox."""

from __future__ import annotations

import json
import os
import signal
import time

from conftest import FakeServer, find_processes, make_assignment, wait_until

HELLO_ROLE = """
- name: Print the greeting
  ansible.builtin.debug:
    msg: "hello {{ greeting }} on {{ ansible_os_family }} with {{ ansible_pkg_mgr }}"
- name: Start the demo daemon
  ansible.builtin.shell: |
    mkdir -p {{ stackyard_root_dir }}/run
    nohup setsid sleep 121 > /dev/null 2>&1 &
    echo $! > {{ stackyard_root_dir }}/run/{{ stackyard_component }}.pid
"""

FAILING_ROLE = """
- name: Check the config
  ansible.builtin.debug:
    msg: checking
- name: Validate the config file
  ansible.builtin.shell: echo "config file is broken" >&2; exit 3
"""

SLEEP_ROLE = """
- name: Sleep for a long time
  ansible.builtin.command: sleep 600
"""


def test_register_and_heartbeat(fake_server, start_agent):
    start_agent(fake_server.address)

    register = wait_until(lambda: fake_server.service.of_kind("register"))[0]
    wait_until(lambda: len(fake_server.service.of_kind("heartbeat")) >= 2)
    heartbeat = fake_server.service.of_kind("heartbeat")[0]
    metadata = fake_server.service.metadata[0]

    assert register.hostname == "agent-test-host"
    assert register.ip_address == "127.0.0.1"
    assert register.cpu_count == os.cpu_count()
    assert register.memory_bytes > 0
    assert len(register.boot_id) == 32
    assert metadata["x-stackyard-hostname"] == "agent-test-host"
    assert "x-stackyard-credential" not in metadata
    assert heartbeat.memory_total_bytes == register.memory_bytes
    assert heartbeat.disk_total_bytes > 0


def test_successful_task_streams_lines(fake_server, start_agent, tmp_path):
    agent = start_agent(fake_server.address)
    variables = {
        "greeting": "world s3cr3t-value",
        "stackyard_root_dir": "/must/be/replaced",
        "stackyard_component": "demo_server",
    }
    fake_server.service.send(
        make_assignment(1, HELLO_ROLE, variables, secret_values=["s3cr3t-value"])
    )

    result = fake_server.service.wait_result(1)
    events = fake_server.service.events(1)
    lines = [event.line for event in events]
    task_log = (agent.home / "tasks" / "1" / "task.log").read_text()
    pid_file = agent.service_root / "run" / "demo_server.pid"

    try:
        assert result.state == "SUCCESSFUL", result.message
        assert result.return_code == 0
        assert json.loads(result.summary_json) == {
            "ok": 3,
            "changed": 1,
            "failed": 0,
            "unreachable": 0,
            "skipped": 0,
        }
        assert [event.seq for event in events] == list(range(1, len(events) + 1))
        assert result.line_count == len(events)
        assert any("hello world ******** on" in line for line in lines)
        assert not any("s3cr3t-value" in line for line in lines)
        assert "s3cr3t-value" not in task_log
        assert task_log.splitlines() == lines
        assert any(event.event == "runner_on_ok" for event in events)

        # The daemon the role started on purpose outlives the task and is reported RUNNING.
        daemon_pid = int(pid_file.read_text())
        assert find_processes("sleep 121")
        statuses = wait_until(
            lambda: [
                c
                for hb in fake_server.service.of_kind("heartbeat")
                for c in hb.components
                if c.state == "RUNNING"
            ]
        )
        assert (statuses[0].service, statuses[0].component) == ("demo", "demo_server")
        assert json.loads((agent.home / "state.json").read_text())["root_dirs"] == [
            str(agent.service_root)
        ]
    finally:
        for pid in find_processes("sleep 121"):
            os.kill(pid, signal.SIGKILL)

    wait_until(
        lambda: [
            c
            for c in fake_server.service.of_kind("heartbeat")[-1].components
            if c.state == "STOPPED"
        ]
    )
    assert daemon_pid > 0


def test_failing_task_reports_failed_task(fake_server, start_agent):
    start_agent(fake_server.address)
    fake_server.service.send(make_assignment(2, FAILING_ROLE))

    result = fake_server.service.wait_result(2)

    assert result.state == "FAILED"
    assert result.return_code == 2
    assert "Validate the config file" in result.message
    assert "config file is broken" in result.message
    assert json.loads(result.summary_json)["failed"] == 1


def test_unsafe_variable_written_verbatim(fake_server, start_agent, tmp_path):
    start_agent(fake_server.address)
    target = tmp_path / "rendered.conf"
    role = """
- name: Write the config file
  ansible.builtin.template:
    src: app.conf.j2
    dest: "{{ target_file }}"
"""
    value = "{{ lookup('pipe','id') }}"
    assignment = make_assignment(
        3,
        role,
        {"app_value": value, "target_file": str(target)},
        templates={"app.conf.j2": "value={{ app_value }}\n"},
    )
    fake_server.service.send(assignment)

    result = fake_server.service.wait_result(3)

    assert result.state == "SUCCESSFUL", result.message
    assert target.read_text() == f"value={value}\n"
    assert "uid=" not in target.read_text()


def test_cancel_kills_process_tree(fake_server, start_agent):
    start_agent(fake_server.address)
    fake_server.service.send(make_assignment(4, SLEEP_ROLE))
    fake_server.service.send(
        make_assignment(
            5, HELLO_ROLE.split("- name: Start")[0], {"greeting": "parallel"}
        )
    )
    wait_until(lambda: find_processes("sleep 600"))

    started = time.monotonic()
    fake_server.service.send(make_assignment_cancel(4))
    result = fake_server.service.wait_result(4)
    elapsed = time.monotonic() - started
    parallel_result = fake_server.service.wait_result(5)

    assert result.state == "CANCELED"
    assert "operator request" in result.message
    assert elapsed < 5.0
    assert find_processes("sleep 600") == []
    assert parallel_result.state == "SUCCESSFUL", parallel_result.message


def make_assignment_cancel(task_id: int):
    from stackyard.v1 import agent_pb2

    return agent_pb2.ServerMessage(
        cancel=agent_pb2.TaskCancel(task_id=task_id, reason="operator request")
    )


def test_timeout_kills_process_tree(fake_server, start_agent):
    start_agent(fake_server.address)
    fake_server.service.send(make_assignment(6, SLEEP_ROLE, timeout_seconds=3))

    result = fake_server.service.wait_result(6)

    assert result.state == "TIMEDOUT"
    assert "timed out after 3 s" in result.message
    assert find_processes("sleep 600") == []


def test_outbox_resent_after_server_restart(start_agent):
    server = FakeServer(ack_results=False)
    agent = start_agent(server.address)
    server.service.send(
        make_assignment(7, HELLO_ROLE.split("- name: Start")[0], {"greeting": "outbox"})
    )
    first = server.service.wait_result(7)
    outbox_file = agent.home / "outbox" / "7.json"

    assert first.state == "SUCCESSFUL", first.message
    assert outbox_file.exists()

    port = server.port
    server.stop()
    restarted = FakeServer(port=port, ack_results=True)
    try:
        resent = restarted.service.wait_result(7)
        wait_until(lambda: not outbox_file.exists())
        registers = restarted.service.of_kind("register")
    finally:
        restarted.stop()

    assert resent == first
    assert registers[0].boot_id == server.service.of_kind("register")[0].boot_id
    assert list((agent.home / "outbox").iterdir()) == []


def test_many_lines_arrive_in_order(fake_server, start_agent):
    start_agent(fake_server.address)
    role = """
- name: Print many lines
  ansible.builtin.debug:
    msg: "{{ range(1, 20001) | map('string') | map('regex_replace', '^', 'line-') | list }}"
"""
    fake_server.service.send(make_assignment(8, role))

    result = fake_server.service.wait_result(8, timeout=90)
    events = fake_server.service.events(8)
    seqs = [event.seq for event in events]
    lines = [event.line for event in events]

    assert result.state == "SUCCESSFUL", result.message
    assert result.line_count >= 20000
    assert seqs == list(range(1, result.line_count + 1))
    assert '"line-1",' in lines[lines.index('        "line-1",')]
    assert any('"line-20000"' in line for line in lines)


def test_non_utf8_output_replaced(fake_server, start_agent):
    agent = start_agent(fake_server.address)
    # Ansible rejects module output that is not UTF-8 and runs modules without a terminal, so
    # the shell writes the bytes to the terminal of its nearest ancestor that has one: the
    # ansible-playbook process that ansible-runner reads.
    role = r"""
- name: Print bytes that are not UTF-8
  ansible.builtin.shell: |
    pid=$$
    while [ "$pid" -gt 1 ]; do
      case "$(readlink /proc/$pid/fd/1)" in
        /dev/pts/*) printf 'bad \377\376 bytes\n' > /proc/$pid/fd/1; exit 0 ;;
      esac
      pid=$(cut -d' ' -f4 /proc/$pid/stat)
    done
    exit 1
"""
    fake_server.service.send(make_assignment(9, role))

    result = fake_server.service.wait_result(9)
    lines = [event.line for event in fake_server.service.events(9)]
    task_log = (agent.home / "tasks" / "9" / "task.log").read_bytes()

    assert result.state == "SUCCESSFUL", result.message
    assert any("bad \ufffd" in line for line in lines)
    assert task_log.decode("utf-8")


def test_enroll_stores_credential(fake_server, start_agent):
    agent = start_agent(fake_server.address, ["--registration-token", "one-time-token"])

    wait_until(lambda: fake_server.service.of_kind("register"))
    request = fake_server.service.enroll_requests[0]
    credential_file = agent.home / "host_credential"
    metadata = fake_server.service.metadata[0]

    assert request.registration_token == "one-time-token"
    assert request.hostname == "agent-test-host"
    assert b"BEGIN CERTIFICATE REQUEST" in request.csr_pem
    assert credential_file.read_text() == "credential-of-agent-test-host"
    assert oct(credential_file.stat().st_mode & 0o777) == "0o600"
    assert metadata["x-stackyard-credential"] == "credential-of-agent-test-host"


def test_sigterm_cancels_running_task(start_agent):
    server = FakeServer(ack_results=False)
    try:
        agent = start_agent(server.address)
        server.service.send(make_assignment(10, SLEEP_ROLE))
        wait_until(lambda: find_processes("sleep 600"))

        return_code = agent.stop()
        stored = json.loads((agent.home / "outbox" / "10.json").read_text())
    finally:
        server.stop()

    assert return_code == 0
    assert find_processes("sleep 600") == []
    assert stored["state"] == "CANCELED"
    assert "agent stopping" in stored["message"]
