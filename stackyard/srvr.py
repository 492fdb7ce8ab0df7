"""Ask a ZooKeeper server a four-letter command such as ``srvr`` or ``ruok``."""

from __future__ import annotations

import socket


def four_letter_word(host: str, port: int, command: str = "srvr", timeout: float = 5.0) -> str:
    with socket.create_connection((host, port), timeout=timeout) as connection:
        connection.sendall(command.encode())
        chunks = []
        while True:
            chunk = connection.recv(4096)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")
