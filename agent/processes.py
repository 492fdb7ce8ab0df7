"""Find and kill every process a task started, read from /proc.

Each task's ansible-playbook gets the environment variable ``STACKYARD_TASK_MARKER`` with a
value unique to the agent process and task. The processes of a task are those that carry the
marker plus all their descendants, so a child that left the process group or session, or
was reparented to init after its parent died, is still found. A child that cleared its
environment is found only while its parent is alive.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from pathlib import Path

logger = logging.getLogger(__name__)

PROC = Path("/proc")
MARKER_VARIABLE = "STACKYARD_TASK_MARKER"


def _read_stat(pid: int) -> tuple[str, int] | None:
    """Return (state, parent pid) of ``pid``, or None when it is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text(errors="replace")
    except OSError:
        return None
    # The command name in brackets may contain spaces, so split after its closing bracket.
    fields = text[text.rfind(")") + 2 :].split()
    return fields[0], int(fields[1])


def _has_marker(pid: int, marker: bytes) -> bool:
    try:
        environ = (PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return False
    return marker in environ.split(b"\0")


def is_alive(pid: int) -> bool:
    """Return True when ``pid`` exists and is not a zombie."""
    stat = _read_stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def find_task_processes(marker_value: str) -> set[int]:
    """Return the live pids that carry ``marker_value`` and all their descendants."""
    marker = f"{MARKER_VARIABLE}={marker_value}".encode()
    own_pid = os.getpid()
    parents: dict[int, int] = {}
    roots = set()
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        stat = _read_stat(pid)
        if stat is None or stat[0] in ("Z", "X") or pid == own_pid:
            continue
        parents[pid] = stat[1]
        if _has_marker(pid, marker):
            roots.add(pid)

    found = set(roots)
    changed = True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in found and pid not in found:
                found.add(pid)
                changed = True
    return found


def _signal_all(pids: set[int], signum: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass
        except PermissionError as error:
            logger.error("cannot send signal %s to pid %s: %s", signum, pid, error)


def kill_task_processes(marker_value: str, deadline_seconds: float = 4.0) -> int:
    """Kill every process of a task with SIGKILL and return how many were found.

    The processes are stopped with SIGSTOP first and the search is repeated until it finds no
    new process, so a process cannot fork a child between the search and the kill.
    """
    deadline = time.monotonic() + deadline_seconds
    stopped: set[int] = set()
    while time.monotonic() < deadline:
        found = find_task_processes(marker_value)
        new = found - stopped
        if not new:
            break
        _signal_all(new, signal.SIGSTOP)
        stopped |= new

    _signal_all(stopped, signal.SIGKILL)
    while time.monotonic() < deadline:
        left = find_task_processes(marker_value)
        if not left:
            break
        _signal_all(left, signal.SIGKILL)
        time.sleep(0.05)
    return len(stopped)
