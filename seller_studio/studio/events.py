"""What the studio controller tells its views: the live state as an enum and one dataclass per event.

Events are delivered on the controller's owner thread (the GUI thread in the window), so a view
may touch its widgets in a listener. Listeners are called in subscription order; one that raises
is logged and the others still run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

log = logging.getLogger(__name__)


class LiveState(StrEnum):
    """Where the show is. Reconnecting is not a state of its own: the show stays LIVE while the
    stream output retries (``StreamConnection`` says so), as a seller expects (OBS does the same)."""

    IDLE = "idle"
    COUNTDOWN = "countdown"  # 3-2-1 after the seller confirmed Go Live
    STARTING = "starting"  # outputs connecting
    LIVE = "live"
    ENDING = "ending"  # flushing and closing the outputs

    @property
    def is_on_air(self) -> bool:
        return self in (LiveState.STARTING, LiveState.LIVE)


@dataclass(frozen=True)
class LiveStateChanged:
    state: LiveState
    previous: LiveState


@dataclass(frozen=True)
class CountdownTick:
    seconds_left: int  # 3, 2, 1; 0 when the countdown ends or is cancelled


@dataclass(frozen=True)
class StudioChanged:
    """A new studio was built (or the old one left, ``studio`` None): previews and meters follow."""

    studio: Any  # media.studio.Studio | None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Notice:
    """One line the seller must see (a failure, a fix): the notice bar."""

    text: str


@dataclass(frozen=True)
class StatusMessage:
    """A passing message (the status bar)."""

    text: str
    timeout_ms: int = 8000


@dataclass(frozen=True)
class RecordingChanged:
    is_on: bool
    path: str = ""


@dataclass(frozen=True)
class StreamConnection:
    """The stream output lost its ingest (``is_reconnecting``) or has it again. ``text`` is the banner."""

    is_reconnecting: bool
    text: str = ""


@dataclass(frozen=True)
class HealthChanged:
    level: str  # good | warning | bad | idle
    reason: str
    fix: str = ""


@dataclass(frozen=True)
class StatsUpdated:
    """The 1-second stats of the live session (the stats bus payload), and what is running."""

    stats: dict[str, Any]
    is_streaming: bool
    is_recording: bool
    stream_bitrate_kbps: float = 0.0


@dataclass(frozen=True)
class StatsCleared:
    """No session any more: the status bar goes back to "Not live"."""


@dataclass(frozen=True)
class SourceStateChanged:
    source_id: str
    state: str  # live | lost | ... (media.sources.base.SourceState values)
    label: str


@dataclass(frozen=True)
class MicStateChanged:
    payload: dict[str, Any] = field(default_factory=dict)  # the mic_state event of the mixer


@dataclass(frozen=True)
class SceneSwitched:
    scene: str


@dataclass(frozen=True)
class StudioModeChanged:
    """Studio Mode on (``preview_scene`` is prepared off air, Cut/Fade puts it on) or off."""

    is_on: bool
    preview_scene: str | None = None


@dataclass(frozen=True)
class PreviewSceneChanged:
    """Studio Mode: the scene in the preview (not on air) changed."""

    scene: str


@dataclass(frozen=True)
class PlatformStatus:
    """The platform connection as one short text for the status bar ("Platform: connected · 12 watching")."""

    text: str
    state: str = ""
    viewers: int | None = None


@dataclass(frozen=True)
class PlatformConnected:
    """The platform client is connected: the show (``show/controller.py``) subscribes to it itself."""

    client: Any  # platform.client.PlatformClient


@dataclass(frozen=True)
class ShowEnded:
    """The outputs are closed: the recap (how long, what the last stats said)."""

    live_s: float | None
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DestinationRow:
    """One destination as the window lists it: a health light and a line."""

    name: str
    label: str  # the URL without the key, or the preset's name
    canvas: str
    state: str  # connecting | live | reconnecting | failed | stopped | refused
    level: str  # good | warning | bad | idle: the light
    detail: str = ""  # plain words: "live, 2480 kbps", "reconnecting (attempt 2)", the error


@dataclass(frozen=True)
class DestinationsChanged:
    """The show's destinations and how each is doing (Go Live, every output state change, every stats tick)."""

    rows: tuple[DestinationRow, ...]


StudioEvent = (LiveStateChanged | CountdownTick | StudioChanged | Notice | StatusMessage | RecordingChanged
               | StreamConnection | HealthChanged | StatsUpdated | StatsCleared | SourceStateChanged
               | MicStateChanged | SceneSwitched | StudioModeChanged | PreviewSceneChanged | PlatformStatus | PlatformConnected | ShowEnded
               | DestinationsChanged)

Listener = Callable[[Any], None]


class StudioEvents:
    """Typed listeners: ``subscribe(fn)`` gets every event, ``subscribe(fn, Notice)`` only notices."""

    def __init__(self) -> None:
        self._listeners: list[tuple[Listener, tuple[type, ...]]] = []

    def subscribe(self, listener: Listener, *kinds: type) -> Callable[[], None]:
        entry = (listener, kinds)
        self._listeners.append(entry)

        def unsubscribe() -> None:
            if entry in self._listeners:
                self._listeners.remove(entry)

        return unsubscribe

    def emit(self, event: Any) -> None:
        for listener, kinds in list(self._listeners):
            if kinds and not isinstance(event, kinds):
                continue
            try:
                listener(event)
            except Exception:  # a broken view must not break the controller
                log.exception("studio event listener failed on %s", type(event).__name__)
