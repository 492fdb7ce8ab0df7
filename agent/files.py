"""Atomic file writes for files that another process or a later agent process reads."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomically(path: Path, data: str, mode: int = 0o644) -> None:
    """Write ``data`` to ``path.tmp``, flush it to disk and rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = path.with_name(path.name + ".tmp")
    fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(tmp_path, mode)
    os.replace(tmp_path, path)
