"""Component status from the pid files that roles write under ``<root>/run/<component>.pid``.

The agent remembers in ``<home>/state.json`` every root folder its tasks used and which
service each component belongs to, so a restarted agent keeps reporting the same components.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from agent.files import write_atomically
from agent.processes import is_alive
from stackyard.v1 import agent_pb2

logger = logging.getLogger(__name__)

RUNNING = "RUNNING"
STOPPED = "STOPPED"
UNKNOWN = "UNKNOWN"


def read_pid_file(path: Path) -> int | None:
    """Return the pid in ``path``, or None when the file is missing or contains no number."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None
    first = text.split()[0] if text else ""
    return int(first) if first.isdigit() else None


class ComponentProbe:
    """Root folders and component services that the agent's tasks used so far."""

    def __init__(self, state_file: Path) -> None:
        self.state_file = state_file
        self._lock = threading.Lock()
        self._roots: list[str] = []
        self._services: dict[str, str] = {}
        self._load()

    def _load(self) -> None:
        try:
            state = json.loads(
                self.state_file.read_text(encoding="utf-8", errors="replace")
            )
        except FileNotFoundError:
            return
        except ValueError as error:
            logger.error(
                "state file %s is invalid and is ignored: %s", self.state_file, error
            )
            return
        self._roots = [str(root) for root in state.get("root_dirs", [])]
        self._services = {
            str(key): str(value)
            for key, value in state.get("component_services", {}).items()
        }

    def remember(self, root_dir: Path, service: str, component: str) -> None:
        """Record that a task used ``root_dir`` for ``component`` of ``service``."""
        with self._lock:
            changed = False
            if str(root_dir) not in self._roots:
                self._roots.append(str(root_dir))
                changed = True
            if component and service and self._services.get(component) != service:
                self._services[component] = service
                changed = True
            if changed:
                state = {"root_dirs": self._roots, "component_services": self._services}
                write_atomically(
                    self.state_file, json.dumps(state, indent=2, sort_keys=True)
                )

    def statuses(self) -> list[agent_pb2.ComponentStatus]:
        """Return one ComponentStatus per pid file in the remembered root folders."""
        with self._lock:
            roots = list(self._roots)
            services = dict(self._services)

        statuses = []
        for root in roots:
            for pid_file in sorted(Path(root, "run").glob("*.pid")):
                component = pid_file.stem
                pid = read_pid_file(pid_file)
                if pid is None:
                    state = UNKNOWN
                elif is_alive(pid):
                    state = RUNNING
                else:
                    state = STOPPED
                statuses.append(
                    agent_pb2.ComponentStatus(
                        service=services.get(component, ""),
                        component=component,
                        state=state,
                    )
                )
        return statuses
