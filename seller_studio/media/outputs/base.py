"""The output interface, and muxing of shared encoded packets into an output's own container."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from enum import StrEnum
from typing import Any

import av

from seller_studio.common.events import EventEmitter
from seller_studio.media.frames import EncodedPacket
from seller_studio.media.stats import OutputStats
from seller_studio.media.supervision import CrashInjector


class OutputState(StrEnum):
    IDLE = "idle"
    CONNECTING = "connecting"
    LIVE = "live"  # streaming or recording
    RECONNECTING = "reconnecting"
    STOPPED = "stopped"
    FAILED = "failed"


class StopReason(StrEnum):
    """Why an output stopped. UNSET is never success: only REQUESTED and FINISHED are.

    The one error model of outputs: every output sets ``stop_reason`` and a one-line ``error``;
    ``OutputError`` carries both out of ``LiveSession.start``; only cli/ maps them to exit codes.
    """

    UNSET = "unset"
    REQUESTED = "requested"
    FINISHED = "finished"
    REJECTED = "rejected"  # the ingest refused the stream key
    BAD_URL = "bad_url"
    UNREACHABLE = "unreachable"  # no TCP connection (host down, port closed, no network)
    NO_ANSWER = "no_answer"  # TCP accepted, then silence past the deadline
    NOT_RTMP = "not_rtmp"  # it answered, but not as an RTMP server (HTTP, closed at once, reset)
    TLS_FAILED = "tls_failed"  # rtmps:// and the TLS handshake failed (not a TLS server, bad certificate)
    WRITE_FAILED = "write_failed"
    DISK_FULL = "disk_full"

    @property
    def is_success(self) -> bool:
        return self in (StopReason.REQUESTED, StopReason.FINISHED)


class OutputError(Exception):
    """An output failed for good: why, and ``str(err)``, the one line for the user."""

    def __init__(self, reason: StopReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason

class Output(ABC):
    kind: str = "output"
    is_destination: bool = False  # pushes to an ingest (a destination of the show), not a file

    def __init__(self, name: str) -> None:
        self.name = name
        self.events = EventEmitter()
        self.state = OutputState.IDLE
        self.stop_reason = StopReason.UNSET  # why it stopped (UNSET while running)
        self.error: str | None = None  # one line for the user when FAILED
        # Set by the session: ask the video encoder for a keyframe now (after a reconnect).
        self.request_keyframe: Callable[[], None] = lambda: None
        self._thread: threading.Thread | None = None
        # --simulate thread-crash: the output's thread raises at its next loop turn (supervision.py).
        self.crash_injector = CrashInjector(self.kind)

    def _set_state(self, state: OutputState, **info: Any) -> None:
        self.state = state
        self.events.emit("output_state", output=self.name, kind=self.kind, state=state.value, **info)

    @abstractmethod
    def start(self, templates: list) -> None:
        """Begin: validate what can be validated now, then open on the output's own thread."""

    @abstractmethod
    def send(self, packet: EncodedPacket) -> None:
        """Queue one packet. Never blocks on I/O."""

    @abstractmethod
    def stop(self, timeout_s: float = 10.0) -> None:
        """Finish (flush what is queued, close the file or connection) and join the thread."""

    def wait_started(self, timeout_s: float) -> bool:
        """Block until the output is live or has failed; True if it is live."""
        done = threading.Event()

        def listener(name: str, payload: dict) -> None:
            if name == "output_state" and payload["state"] in ("live", "failed", "stopped"):
                done.set()

        unsubscribe = self.events.subscribe(listener)
        try:
            if self.state not in (OutputState.IDLE, OutputState.CONNECTING):
                done.set()
            done.wait(timeout_s)
        finally:
            unsubscribe()
        return self.state == OutputState.LIVE

    def stats(self) -> OutputStats:
        """This second's figures (any thread)."""
        return OutputStats(self.name, self.kind, self.state.value)

    def fail(self, err: OutputError) -> None:
        """Stop for good with a reason (on the output's own thread)."""
        self.stop_reason = err.reason
        self.error = str(err)
        self._set_state(OutputState.FAILED, error=self.error, reason=err.reason.value)


class Muxer:
    """One container with streams copied from the encoders' templates; muxes EncodedPackets."""

    def __init__(self, container: av.container.OutputContainer, templates: list, io: Any = None) -> None:
        self.container = container
        self.io = io  # the network connection the container writes into, when the output opened it
        self.streams: dict[str, av.stream.Stream] = {}
        for template in templates:
            self.streams[template.type] = container.add_stream_from_template(template)
        self.bytes_written = 0

    def mux(self, packet: EncodedPacket) -> None:
        stream = self.streams.get(packet.kind)
        if stream is None:
            return
        p = av.Packet(packet.data)
        p.pts, p.dts, p.time_base = packet.pts, packet.dts, packet.time_base
        p.is_keyframe = packet.is_keyframe
        p.stream = stream
        self.container.mux(p)
        self.bytes_written += len(packet.data)

    def start(self) -> None:
        self.container.start_encoding()

    def close(self) -> None:
        try:
            self.container.close()
        finally:
            if self.io is not None:
                self.io.close()
