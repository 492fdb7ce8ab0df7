"""Host name patterns such as ``node-0[1-3]``: expansion and validation."""

from __future__ import annotations

import re

from controlplane.errors import BadRequestError

_RANGE = re.compile(r"\[(\d+)-(\d+)\]")
_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
MAX_EXPANDED = 1000


def expand_pattern(pattern: str) -> list[str]:
    """Expand every ``[a-b]`` range in ``pattern``, keeping the width of ``a`` (leading zeros)."""
    match = _RANGE.search(pattern)
    if match is None:
        return [pattern]
    start_text, end_text = match.group(1), match.group(2)
    start, end = int(start_text), int(end_text)
    if end < start:
        raise BadRequestError(f"host pattern {pattern!r}: range [{start_text}-{end_text}] runs backwards", field="hosts")
    if end - start + 1 > MAX_EXPANDED:
        raise BadRequestError(f"host pattern {pattern!r} expands to more than {MAX_EXPANDED} hosts", field="hosts")
    width = len(start_text)
    names = []
    for number in range(start, end + 1):
        head = pattern[: match.start()] + str(number).zfill(width)
        for tail in expand_pattern(pattern[match.end():]):
            names.append(head + tail)
    return names


def expand_hosts(entries: list[str]) -> list[str]:
    """Expand patterns, validate each hostname and reject duplicates (case-insensitive)."""
    names: list[str] = []
    seen: dict[str, str] = {}
    for entry in entries:
        for name in expand_pattern(entry.strip()):
            if not _HOSTNAME.match(name):
                raise BadRequestError(f"hosts: {name!r} is not a valid hostname (letters, digits, '-' and '.')", field="hosts")
            key = name.lower()
            if key in seen:
                raise BadRequestError(f"hosts: {name!r} is listed twice (as {seen[key]!r})", field="hosts")
            seen[key] = name
            names.append(name)
    if len(names) > MAX_EXPANDED:
        raise BadRequestError(f"hosts: more than {MAX_EXPANDED} hosts in one request", field="hosts")
    return names
