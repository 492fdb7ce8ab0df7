"""Task logs on the server: one file per task, appended as the agent streams lines."""

from __future__ import annotations

import threading
from pathlib import Path

# A single line longer than this is cut, with a marker saying how much was dropped.
MAX_LINE_BYTES = 64 * 1024


def truncate_text(text: str, limit: int) -> str:
    """Return ``text`` cut to ``limit`` characters with a visible marker when it was longer."""
    if len(text) <= limit:
        return text
    return text[:limit] + f" [truncated: {len(text) - limit} more characters]"


class TaskLogStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        # Highest line number written per task, so a line resent after a reconnect is written once.
        self._last_seq: dict[int, int] = {}

    def path(self, job_id: int, task_id: int) -> Path:
        return self.root / "jobs" / str(int(job_id)) / f"{int(task_id)}.log"

    def append(self, job_id: int, task_id: int, seq: int, line: str) -> bool:
        """Append one line; return False when ``seq`` was already written."""
        with self._lock:
            last = self._last_seq.get(task_id)
            path = self.path(job_id, task_id)
            if last is None:
                last = self._count_lines(path)
            if seq <= last:
                self._last_seq[task_id] = last
                return False
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8", errors="replace") as handle:
                if seq > last + 1:
                    handle.write(f"[{seq - last - 1} lines lost while the agent was disconnected]\n")
                handle.write(truncate_text(line, MAX_LINE_BYTES).replace("\n", " ") + "\n")
            self._last_seq[task_id] = seq
            return True

    def last_seq(self, job_id: int, task_id: int) -> int:
        """Return the number of the last line written for a task."""
        with self._lock:
            last = self._last_seq.get(task_id)
        return last if last is not None else self._count_lines(self.path(job_id, task_id))

    def forget(self, task_id: int) -> None:
        with self._lock:
            self._last_seq.pop(task_id, None)

    def clear(self, job_id: int, task_id: int) -> None:
        """Delete a task's log before the task runs again."""
        with self._lock:
            self._last_seq.pop(task_id, None)
            self.path(job_id, task_id).unlink(missing_ok=True)

    def read(self, job_id: int, task_id: int) -> str:
        path = self.path(job_id, task_id)
        if not path.exists():
            return ""
        return path.read_text(encoding="utf-8", errors="replace")

    @staticmethod
    def _count_lines(path: Path) -> int:
        if not path.exists():
            return 0
        with path.open("rb") as handle:
            return sum(1 for _ in handle)
