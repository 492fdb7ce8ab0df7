"""Task results the server has not acknowledged yet, one JSON file per task.

A result is written here before it is sent, resent after every reconnect and deleted when
the server's ResultAck arrives, so results survive a broken stream and a server restart.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from google.protobuf import json_format

from agent.files import write_atomically
from stackyard.v1 import agent_pb2

logger = logging.getLogger(__name__)


class Outbox:
    """Folder of TaskResult messages stored as ``<task_id>.json``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)

    def _path(self, task_id: int) -> Path:
        return self.folder / f"{task_id}.json"

    def put(self, result: agent_pb2.TaskResult) -> None:
        """Store ``result`` atomically, replacing an earlier result of the same task."""
        data = json_format.MessageToDict(result, preserving_proto_field_name=True)
        write_atomically(
            self._path(result.task_id), json.dumps(data, sort_keys=True), mode=0o600
        )

    def get(self, task_id: int) -> agent_pb2.TaskResult | None:
        """Return the stored result of ``task_id``, or None when there is none or it is unreadable."""
        path = self._path(task_id)
        try:
            data = json.loads(path.read_text(encoding="utf-8", errors="replace"))
            return json_format.ParseDict(data, agent_pb2.TaskResult())
        except FileNotFoundError:
            return None
        except (ValueError, json_format.ParseError) as error:
            logger.error("outbox file %s is unreadable and is skipped: %s", path, error)
            return None

    def task_ids(self) -> list[int]:
        """Return the ids of the stored results in ascending order."""
        task_ids = []
        for path in self.folder.glob("*.json"):
            if path.stem.isdigit():
                task_ids.append(int(path.stem))
        return sorted(task_ids)

    def results(self) -> list[agent_pb2.TaskResult]:
        """Return every stored result, oldest task id first."""
        results = []
        for task_id in self.task_ids():
            result = self.get(task_id)
            if result is not None:
                results.append(result)
        return results

    def remove(self, task_id: int) -> bool:
        """Delete the result of ``task_id``; return False when it was not stored."""
        try:
            self._path(task_id).unlink()
        except FileNotFoundError:
            return False
        return True
