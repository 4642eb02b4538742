"""Run the whole sandbox platform in-process: protocol server + simulated viewers + RTMP and WHIP ingest.

The headless demo and the studio window use this: ``start_sandbox()`` starts a background thread
with its own asyncio loop and returns once everything listens. ``stop()`` shuts it all down.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from seller_studio.platform.sandbox.ingest import RtmpIngest
from seller_studio.platform.sandbox.server import SandboxConfig, SandboxServer

log = logging.getLogger(__name__)


@dataclass
class EmbeddedSandbox:
    ws_url: str
    token: str = field(repr=False)
    ingest_url: str  # RTMP server URL without the key
    stream_key: str = field(repr=False)
    server: SandboxServer = field(repr=False)
    ingest: RtmpIngest | None = field(repr=False)
    loop: asyncio.AbstractEventLoop = field(repr=False)
    thread: threading.Thread = field(repr=False)
    # The WHIP ingest (same key, as a Bearer token): "" when not started or aiortc is missing.
    whip_url: str = ""
    whip: Any = field(default=None, repr=False)

    @property
    def publish_url(self) -> str:
        return f"{self.ingest_url}/{self.stream_key}"

    def call(self, fn: Any, *args: Any) -> None:
        """Run ``fn(*args)`` on the sandbox loop (e.g. server.publish from another thread)."""
        self.loop.call_soon_threadsafe(fn, *args)

    def stop(self, timeout_s: float = 5.0) -> None:
        if self.whip is not None:
            self.whip.stop(timeout_s)
        if self.ingest is not None:
            self.ingest.stop(timeout_s)
        if self.loop.is_running():
            fut = asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop)
            try:
                fut.result(timeout_s)
            except Exception:
                log.exception("sandbox did not stop cleanly")
            self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout_s)

    def __enter__(self) -> EmbeddedSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_sandbox(config: SandboxConfig | None = None, *, rtmp_port: int = 0, stream_key: str | None = None,
                  with_ingest: bool = True, timeout_s: float = 10.0,
                  whip_port: int | None = 0) -> EmbeddedSandbox:
    """Start the sandbox platform in a background thread. Raises OSError if a port is taken.
    ``whip_port``: the WHIP ingest's port (0: any free one; None: no WHIP ingest)."""
    server = SandboxServer(config)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.start())
        except BaseException as exc:
            failure.append(exc)
            ready.set()
            loop.close()
            return
        ready.set()
        loop.run_forever()
        loop.close()

    thread = threading.Thread(target=run, name="sandbox-platform", daemon=True)
    thread.start()
    if not ready.wait(timeout_s):
        raise TimeoutError("the sandbox platform did not start in time")
    if failure:
        raise failure[0]
    ingest = None
    if with_ingest:
        host = server.config.host
        ingest = RtmpIngest(server.publish_threadsafe, host=host, port=rtmp_port, stream_key=stream_key)
        try:
            ingest.start()
        except OSError:
            asyncio.run_coroutine_threadsafe(server.stop(), loop).result(timeout_s)
            loop.call_soon_threadsafe(loop.stop)
            raise
    whip = None
    if ingest is not None and whip_port is not None:
        whip = _start_whip(server, ingest, whip_port, timeout_s)
    return EmbeddedSandbox(
        ws_url=server.url, token=server.token,
        ingest_url=ingest.url if ingest else "", stream_key=ingest.stream_key if ingest else "",
        server=server, ingest=ingest, loop=loop, thread=thread,
        whip_url=whip.url if whip is not None else "", whip=whip,
    )


def _start_whip(server: SandboxServer, ingest: RtmpIngest, port: int, timeout_s: float) -> Any:
    """The WHIP ingest beside the RTMP one (same key); None, logged, when aiortc is missing."""
    try:
        import aiortc  # noqa: F401

        from seller_studio.platform.sandbox.whip_ingest import WhipIngest
    except ImportError as exc:
        log.warning("sandbox: no WHIP ingest (%s)", exc)
        return None
    whip = WhipIngest(server.publish_threadsafe, host=server.config.host, port=port, stream_key=ingest.stream_key)
    try:
        whip.start(timeout_s)
    except OSError:
        ingest.stop(timeout_s)
        raise
    return whip
