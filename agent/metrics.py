"""Host metrics read from /proc and statvfs, sent with every heartbeat."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass
class HostMetrics:
    load_1m: float
    cpu_percent: float
    memory_used_bytes: int
    memory_total_bytes: int
    disk_used_bytes: int
    disk_total_bytes: int


def read_meminfo() -> dict[str, int]:
    """Return /proc/meminfo as a mapping of field name to bytes."""
    values = {}
    for line in (PROC / "meminfo").read_text(errors="replace").splitlines():
        name, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            factor = 1024 if len(parts) > 1 and parts[1] == "kB" else 1
            values[name] = int(parts[0]) * factor
    return values


def memory_total_bytes() -> int:
    return read_meminfo().get("MemTotal", 0)


def _read_cpu_times() -> tuple[int, int]:
    """Return (busy, total) jiffies from the first line of /proc/stat."""
    fields = (PROC / "stat").read_text(errors="replace").splitlines()[0].split()[1:]
    times = [int(value) for value in fields]
    idle = times[3] + (times[4] if len(times) > 4 else 0)
    total = sum(times[:8])
    return total - idle, total


class MetricsReader:
    """Reader of host metrics; CPU usage is measured between two calls of ``read``."""

    def __init__(self, disk_path: Path = Path("/")) -> None:
        self.disk_path = disk_path
        self._last_cpu = _read_cpu_times()

    def read(self) -> HostMetrics:
        load_1m = float((PROC / "loadavg").read_text().split()[0])

        busy, total = _read_cpu_times()
        last_busy, last_total = self._last_cpu
        self._last_cpu = (busy, total)
        elapsed = total - last_total
        cpu_percent = 100.0 * (busy - last_busy) / elapsed if elapsed > 0 else 0.0

        meminfo = read_meminfo()
        memory_total = meminfo.get("MemTotal", 0)
        memory_available = meminfo.get("MemAvailable", meminfo.get("MemFree", 0))

        disk = os.statvfs(self.disk_path)
        disk_total = disk.f_blocks * disk.f_frsize
        disk_used = (disk.f_blocks - disk.f_bfree) * disk.f_frsize

        return HostMetrics(
            load_1m=load_1m,
            cpu_percent=cpu_percent,
            memory_used_bytes=memory_total - memory_available,
            memory_total_bytes=memory_total,
            disk_used_bytes=disk_used,
            disk_total_bytes=disk_total,
        )


def read_os_release(path: Path = Path("/etc/os-release")) -> tuple[str, str]:
    """Return (os family, release) from os-release, for example ("debian", "12")."""
    values = {}
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "", ""
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep:
            values[name.strip()] = value.strip().strip('"').strip("'")
    family = values.get("ID_LIKE", values.get("ID", "")).split()
    return (family[0] if family else ""), values.get("VERSION_ID", "")
