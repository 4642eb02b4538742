"""Small socket helpers shared by the sandbox's ingests, the local RTMP server and the WHIP output."""

from __future__ import annotations

import asyncio
import socket


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


async def read_http_headers(reader: asyncio.StreamReader) -> dict[str, str]:
    """HTTP/1.1 header lines up to the blank line, names lower-cased (WHIP: the client reads an
    answer's, the sandbox's endpoint a request's)."""
    headers: dict[str, str] = {}
    while True:
        line = (await reader.readline()).decode("latin-1").strip()
        if not line:
            return headers
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
