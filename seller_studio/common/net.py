"""Small socket helpers shared by the sandbox's ingests, the local RTMP server, the WHIP output and the
platform client."""

from __future__ import annotations

import asyncio
import ipaddress
import socket


def is_loopback_host(host: str) -> bool:
    """``localhost`` or a loopback address (IPv6 with or without brackets): this computer only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


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
