"""Run one TaskAssignment with ansible-runner in its own thread and report its lines and result."""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ansible_runner

from agent.config import AgentConfig
from agent.errors import RoleArchiveError
from agent.outbox import Outbox
from agent.probes import ComponentProbe
from agent.processes import MARKER_VARIABLE, kill_task_processes
from agent.workspace import parse_variables, prepare_task_dir, root_dir_of
from stackyard.v1 import agent_pb2

logger = logging.getLogger(__name__)

SUCCESSFUL = "SUCCESSFUL"
FAILED = "FAILED"
CANCELED = "CANCELED"
TIMEDOUT = "TIMEDOUT"

MASK = "********"
MAX_MESSAGE_CHARS = 1000

# ansible-runner checks its cancel callback each time it waits this many seconds for output.
PEXPECT_TIMEOUT_SECONDS = 0.5

# ansible-runner names plain output that is not part of a callback event "verbose".
PLAIN_OUTPUT_EVENT = "verbose"


def to_valid_utf8(text: str) -> str:
    """Return ``text`` with undecodable bytes and lone surrogates replaced by U+FFFD.

    Protobuf rejects strings that are not valid UTF-8, so every line passes through here.
    """
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        raw = text.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", errors="replace")
    return raw.decode("utf-8", errors="replace")


def search_path() -> str:
    """Return PATH with the agent's Python folder first, so ansible-playbook of its venv is found."""
    python_bin = str(Path(sys.executable).parent)
    return os.pathsep.join([python_bin, os.environ.get("PATH", os.defpath)])


class SecretMasker:
    """Replacer of secret values in output lines and messages."""

    def __init__(self, secrets: list[str]) -> None:
        # Longer values first, so a secret that contains another is masked whole.
        self.secrets = sorted(
            {secret for secret in secrets if secret}, key=len, reverse=True
        )

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text


class TaskLogger(logging.LoggerAdapter):
    """Logger adapter that prefixes every message with the job, task and host ids."""

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        extra = self.extra or {}
        return (
            f"job={extra['job_id']} task={extra['task_id']} host={extra['host']}: {msg}",
            kwargs,
        )


def _failure_text(event_data: dict[str, Any]) -> str:
    result = event_data.get("res") or {}
    parts = []
    for key in ("msg", "stderr", "module_stderr"):
        value = result.get(key)
        if value and str(value) not in parts:
            parts.append(str(value).strip())
    if not parts and result.get("rc") is not None:
        parts.append(f"return code {result['rc']}")
    return "; ".join(parts) or "no message"


def _summary(stats: dict[str, Any]) -> dict[str, int]:
    """Return the play recap as totals over all hosts."""

    def total(key: str) -> int:
        values = stats.get(key) or {}
        return (
            sum(int(value) for value in values.values())
            if isinstance(values, dict)
            else 0
        )

    return {
        "ok": total("ok"),
        "changed": total("changed"),
        "failed": total("failures"),
        "unreachable": total("dark"),
        "skipped": total("skipped"),
    }


class TaskRun:
    """One task: its folder, its ansible-runner run, its output lines and its result.

    ``send`` is called from the task's thread with each TaskEvent, and ``result_stored``
    with the task id once the TaskResult is in the outbox.
    """

    def __init__(
        self,
        assignment: agent_pb2.TaskAssignment,
        config: AgentConfig,
        boot_id: str,
        outbox: Outbox,
        probe: ComponentProbe,
        send: Callable[[agent_pb2.AgentMessage], None],
        result_stored: Callable[[int], None],
    ) -> None:
        self.assignment = assignment
        self.task_id = assignment.task_id
        self.config = config
        self.outbox = outbox
        self.probe = probe
        self.send = send
        self.result_stored = result_stored
        self.task_dir = config.tasks_dir / str(assignment.task_id)
        self.marker = f"{boot_id}-{assignment.task_id}"
        self.masker = SecretMasker(list(assignment.secret_values))
        self.log = TaskLogger(
            logger,
            {
                "job_id": assignment.job_id,
                "task_id": assignment.task_id,
                "host": config.hostname,
            },
        )

        self.line_count = 0
        self.failed_task: tuple[str, str] | None = None
        self.stats: dict[str, Any] = {}
        self.last_line = ""

        self._stop_lock = threading.Lock()
        self._stop_state: str | None = None
        self._stop_message = ""
        self._playbook_ended = False
        self._log_file: Any = None
        self._thread = threading.Thread(
            target=self._run, name=f"task-{self.task_id}", daemon=True
        )
        self.finished = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def stop_requested(self) -> bool:
        return self._stop_state is not None

    def cancel(self, reason: str) -> None:
        """Kill every process of the task; the task then ends CANCELED. Blocks up to about 4 s."""
        self._stop(CANCELED, f"task canceled: {reason}" if reason else "task canceled")

    def _expire(self) -> None:
        timeout = self.assignment.timeout_seconds
        self._stop(
            TIMEDOUT, f"task timed out after {timeout} s; its processes were killed"
        )

    def _stop(self, state: str, message: str) -> None:
        with self._stop_lock:
            # Once ansible-playbook has ended, the processes left are daemons a role started on
            # purpose, so a late cancel or timeout must not kill them.
            if self._stop_state is not None or self._playbook_ended:
                return
            self._stop_state = state
            self._stop_message = message
        self.log.info("stopping task (%s)", state)
        killed = kill_task_processes(self.marker)
        self.log.info("killed %d processes of the task", killed)

    def _run(self) -> None:
        timer = None
        if self.assignment.timeout_seconds > 0:
            timer = threading.Timer(self.assignment.timeout_seconds, self._expire)
            timer.daemon = True
            timer.start()
        try:
            result = self._execute()
        except Exception as error:
            self.log.exception("task failed inside the agent")
            result = self._result(FAILED, -1, f"agent error: {error}")
        finally:
            if timer is not None:
                timer.cancel()
            if self._log_file is not None:
                self._log_file.close()

        with self._stop_lock:
            self._playbook_ended = True
        self.finished.set()
        self.outbox.put(result)
        self.log.info(
            "task ended %s, return code %d, %d lines",
            result.state,
            result.return_code,
            result.line_count,
        )
        self.result_stored(self.task_id)

    def _execute(self) -> agent_pb2.TaskResult:
        assignment = self.assignment
        self.log.info(
            "starting %s %s of role %s",
            assignment.command,
            assignment.component,
            assignment.role_name,
        )
        try:
            variables = parse_variables(
                assignment.variables_json, self.config.service_root
            )
            prepare_task_dir(
                self.task_dir, assignment.role_name, assignment.role_archive, variables
            )
        except RoleArchiveError as error:
            self.log.error("cannot prepare task folder: %s", error)
            return self._result(FAILED, -1, str(error))
        self.probe.remember(
            root_dir_of(variables), assignment.service, assignment.component
        )
        # The event handler writes to this file line by line; _run closes it when the task ends.
        self._log_file = open(self.task_dir / "task.log", "a", encoding="utf-8")  # noqa: SIM115

        if self.stop_requested:
            return self._result(self._stop_state or CANCELED, -1, self._stop_message)

        runner = ansible_runner.run(
            private_data_dir=str(self.task_dir),
            playbook="main.yml",
            ident="run",
            envvars=self._envvars(),
            settings={
                "pexpect_timeout": PEXPECT_TIMEOUT_SECONDS,
                "suppress_ansible_output": True,
            },
            quiet=True,
            event_handler=self._handle_event,
            cancel_callback=lambda: self.stop_requested,
        )
        with self._stop_lock:
            self._playbook_ended = True
        return_code = runner.rc if isinstance(runner.rc, int) else -1

        if self.stop_requested:
            # ansible-runner killed only the process group of ansible-playbook; children that
            # left it are found by their marker.
            kill_task_processes(self.marker)
            return self._result(
                self._stop_state or CANCELED, return_code, self._stop_message
            )
        if runner.status == "successful" and return_code == 0:
            return self._result(SUCCESSFUL, return_code, "")
        return self._result(
            FAILED, return_code, self._failure_message(runner.status, return_code)
        )

    def _envvars(self) -> dict[str, str]:
        tmp = self.task_dir / "tmp"
        return {
            MARKER_VARIABLE: self.marker,
            "PATH": search_path(),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_HOST_KEY_CHECKING": "False",
            "ANSIBLE_RETRY_FILES_ENABLED": "False",
            "ANSIBLE_BECOME_ASK_PASS": "False",
            "ANSIBLE_ASK_PASS": "False",
            "ANSIBLE_LOCAL_TEMP": str(tmp / "local"),
            "ANSIBLE_REMOTE_TEMP": str(tmp / "remote"),
            "ANSIBLE_ROLES_PATH": str(self.task_dir / "project" / "roles"),
            "ANSIBLE_DEPRECATION_WARNINGS": "False",
        }

    def _failure_message(self, status: str, return_code: int) -> str:
        if self.failed_task is not None:
            name, text = self.failed_task
            return f"task '{name}' failed: {text}"
        if self.last_line:
            return f"ansible-playbook ended {status} with return code {return_code}: {self.last_line}"
        return f"ansible-playbook ended {status} with return code {return_code}"

    def _handle_event(self, event: dict[str, Any]) -> bool:
        name = event.get("event", "")
        event_data = event.get("event_data") or {}
        if name in ("runner_on_failed", "runner_on_unreachable") and not event_data.get(
            "ignore_errors"
        ):
            if self.failed_task is None:
                self.failed_task = (
                    str(event_data.get("task", "")),
                    _failure_text(event_data),
                )
        elif name == "playbook_on_stats":
            self.stats = event_data

        stdout = event.get("stdout") or ""
        for line in stdout.splitlines():
            self._emit_line(line, "" if name == PLAIN_OUTPUT_EVENT else name)
        # True keeps the event in ansible-runner's artifacts folder.
        return True

    def _emit_line(self, line: str, event_name: str) -> None:
        line = self.masker.mask(to_valid_utf8(line.rstrip("\r")))
        self.line_count += 1
        if line.strip():
            self.last_line = line.strip()
        self._log_file.write(line + "\n")
        self._log_file.flush()
        event = agent_pb2.TaskEvent(
            task_id=self.task_id, seq=self.line_count, line=line, event=event_name
        )
        self.send(agent_pb2.AgentMessage(task_event=event))

    def _result(
        self, state: str, return_code: int, message: str
    ) -> agent_pb2.TaskResult:
        message = self.masker.mask(to_valid_utf8(message))
        if len(message) > MAX_MESSAGE_CHARS:
            message = message[: MAX_MESSAGE_CHARS - 3] + "..."
        return agent_pb2.TaskResult(
            task_id=self.task_id,
            state=state,
            return_code=return_code,
            message=message,
            summary_json=json.dumps(_summary(self.stats), sort_keys=True),
            line_count=self.line_count,
        )


def wait_for_runs(runs: list[TaskRun], timeout: float) -> None:
    """Join the threads of ``runs`` within ``timeout`` seconds in total."""
    deadline = time.monotonic() + timeout
    for run in runs:
        run.join(max(0.0, deadline - time.monotonic()))


__all__ = ["SecretMasker", "TaskRun", "to_valid_utf8", "wait_for_runs"]
