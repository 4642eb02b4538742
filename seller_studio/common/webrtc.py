"""ICE on loopback, for the WHIP output and the sandbox's WHIP ingest (aiortc/aioice).

aioice leaves 127.0.0.1 out of the host candidates it offers. A studio and a WHIP endpoint on the
same machine then connect only through another interface's address: on a machine whose only
interface is loopback (a laptop offline with the demo, a test's private network namespace) they
could not connect at all. ``offer_loopback()`` adds 127.0.0.1 for the calling asyncio task (and the
tasks it starts): the output calls it for an endpoint on loopback, the ingest when it listens on
loopback. A connection to anything else never offers it.
"""

from __future__ import annotations

import contextvars
import threading

_OFFER_LOOPBACK: contextvars.ContextVar[bool] = contextvars.ContextVar("offer_loopback", default=False)
_patch_lock = threading.Lock()
_is_patched = False


def offer_loopback() -> None:
    """From here on in this asyncio task (and the tasks it starts), ICE also offers 127.0.0.1."""
    global _is_patched
    with _patch_lock:
        if not _is_patched:
            import aioice.ice as ice

            original = ice.get_host_addresses

            def with_loopback(use_ipv4: bool, use_ipv6: bool) -> list[str]:
                addresses = original(use_ipv4, use_ipv6)
                if _OFFER_LOOPBACK.get() and use_ipv4 and "127.0.0.1" not in addresses:
                    addresses.append("127.0.0.1")
                return addresses

            ice.get_host_addresses = with_loopback
            _is_patched = True
    _OFFER_LOOPBACK.set(True)
