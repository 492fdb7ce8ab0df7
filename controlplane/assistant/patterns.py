"""Known failure signatures in task logs and what an operator should do about each."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class FailurePattern:
    name: str
    regex: re.Pattern
    advice: str


def _pattern(name: str, expression: str, advice: str) -> FailurePattern:
    return FailurePattern(name, re.compile(expression, re.IGNORECASE), advice)


# Checked in order; every pattern that matches a log contributes one finding.
PATTERNS = [
    _pattern(
        "port-in-use",
        r"address already in use|BindException|port \d+ is (already )?in use",
        "Another process already listens on the service's port. Find it with `ss -ltnp` on the host, stop it, or change the port property and apply the configuration.",
    ),
    _pattern(
        "port-timeout",
        r"Timeout when waiting for [\w.\-:\[\]]+:\d+",
        "The service did not open its port in time. Read the service's own log under the cluster root directory on the host (for ZooKeeper: <root>/zookeeper/logs) for the reason it exited, then retry the job.",
    ),
    _pattern(
        "package-missing",
        r"No package matching|Unable to locate package|No package .* available|Failed to update apt cache",
        "The package manager cannot find the service's package. Check the cluster's repositories (GET /api/v1/clusters/<name>/repositories) and that the host reaches them.",
    ),
    _pattern(
        "permission-denied",
        r"Permission denied|Operation not permitted",
        "A file or folder is not accessible to the service user. Check ownership and modes of the cluster root directory and the folders above it.",
    ),
    _pattern(
        "disk-full",
        r"No space left on device",
        "The host's disk is full. Free space (old logs, snapshots) or move the data directory, then retry.",
    ),
    _pattern(
        "java-missing",
        r"java: (command )?not found|JAVA_HOME is not set|Unable to locate a Java Runtime",
        "No Java runtime is installed on the host. Install a JRE (Debian: default-jre-headless) or point JAVA_HOME at one.",
    ),
    _pattern(
        "checksum",
        r"checksum mismatch|does not match the (expected )?checksum|sha256.*mismatch",
        "A downloaded tarball does not match its checksum. The mirror may serve a different file; fix the tarball base URL or the checksum in the stack.",
    ),
    _pattern(
        "timed-out",
        r"timed out after \d+ s|timed out: no result",
        "The command ran past its timeout and was killed. Look at the last lines of the task log for the step that hung; raise the command's timeout in the stack only if the step is slow rather than stuck.",
    ),
    _pattern(
        "agent-restarted",
        r"agent on host \S+ restarted",
        "The agent restarted while the task ran, so the task's outcome is unknown. Check the host (reboot, out-of-memory kill in `dmesg`), then retry the job.",
    ),
    _pattern(
        "agent-missing",
        r"agent on host \S+ is not connected",
        "The host's agent is not connected. Start it (`stackyard agent ...`) and check that it reaches the server's gRPC port, then retry the job.",
    ),
]


def match_patterns(text: str) -> list[tuple[FailurePattern, str]]:
    """Return each pattern found in ``text`` with the first line that matched it."""
    found = []
    for pattern in PATTERNS:
        for line in text.splitlines():
            if pattern.regex.search(line):
                found.append((pattern, line.strip()[:500]))
                break
    return found
