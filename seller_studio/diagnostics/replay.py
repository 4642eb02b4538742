"""The replay model (no Qt): a support bundle's journal as an ordered timeline with seek and speed.

``Replay`` turns journal entries into ``ReplayEvent``s in lanes (chat, item, auction, scene, stream,
fault, platform, action), the 1-second stats into plot series, and reconnects, scene changes and
faults into markers. Order is the journal's time, ties kept in file order, so a replay shows events
exactly in the order they were recorded. ``ReplayPlayer`` is the transport: position, speed, play,
seek; the window asks it what to show and redraws.
"""

from __future__ import annotations

import bisect
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seller_studio.common.errors import ExitCode, UserError
from seller_studio.diagnostics.journal import read_journal
from seller_studio.i18n import tr, tr_noop

CHAT_TYPES = {"chat.message", "chat.pinned", "chat.deleted", "user.timed_out", "user.banned"}
ITEM_TYPES = {"item.shown"}
AUCTION_PREFIXES = ("auction.", "listing.", "giveaway.", "sale")
ITEM_ACTIONS = {"next_item", "previous_item", "show_item"}
AUCTION_ACTIONS = {"start_auction", "start_giveaway", "buy_now"}
STREAM_EVENTS = {"output_state", "bitrate_changed", "source_state", "mic_state", "session_started", "session_stopped",
                 "thread_crashed", "thread_restarted"}
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)


@dataclass(frozen=True)
class ReplayEvent:
    t_s: float
    order: int  # line number in the journal: ties keep the recorded order
    lane: str
    kind: str
    name: str
    data: dict[str, Any] = field(hash=False, compare=False)

    def label(self) -> str:
        """One line for the replay window's timeline, in the studio's language (amounts as the
        journal has them, in the show's currency)."""
        d = self.data
        if self.lane == "chat" and self.name == "chat.message":
            return f"{d.get('user', '?')}: {d.get('text', '')}"
        if self.name == "item.shown":
            item = d.get("item") or {}
            return tr("item on screen: {title}").format(title=item.get("title") or item.get("item_id", "?"))
        if self.name == "auction.started":
            return tr("auction {auction_id} started on {item_id} at {price}").format(
                auction_id=d.get("auction_id"), item_id=d.get("item_id"), price=d.get("starting_bid"))
        if self.name == "auction.bid":
            return tr("bid {amount} by {user}").format(amount=d.get("amount"), user=d.get("user"))
        if self.name == "auction.ended":
            if d.get("winner"):
                return tr("auction {auction_id} sold to {winner} for {price}").format(
                    auction_id=d.get("auction_id"), winner=d["winner"], price=d.get("price"))
            return tr("auction {auction_id} ended unsold").format(auction_id=d.get("auction_id"))
        if self.name == "scene_switched" or self.name == "scene_switch":
            return tr("scene: {scene}").format(scene=d.get("scene"))
        if self.name == "output_state":
            extra = tr(" (reconnect #{n})").format(n=d["reconnects"]) if d.get("reconnects") else ""
            return f"{d.get('output')}: {d.get('state')}{extra}"
        if self.kind == "fault":
            return tr("simulated {name} {phase}").format(name=self.name, phase=d.get("phase"))
        if self.kind == "action":
            return tr("seller: {action}").format(action=self.name.replace("_", " "))
        return self.name


@dataclass
class StatPoint:
    t_s: float
    bitrate_kbps: float
    encoder_bitrate_kbps: float
    fps: float
    dropped_frames: int  # in this second
    send_buffer_ms: float


@dataclass(frozen=True)
class Marker:
    t_s: float
    kind: str  # reconnect | reconnected | scene | fault
    label: str


@dataclass
class ReplayState:
    """What the studio showed at one instant."""

    scene: str | None = None
    item: dict[str, Any] | None = None
    auction: dict[str, Any] | None = None  # the running auction with its last bid, None after it ended
    chat: list[ReplayEvent] = field(default_factory=list)
    stream: str | None = None


def lane_of(entry: dict[str, Any]) -> str | None:
    kind, name = entry.get("kind"), str(entry.get("name", ""))
    if kind == "platform_in":
        if name in CHAT_TYPES:
            return "chat"
        if name in ITEM_TYPES:
            return "item"
        if name.startswith(AUCTION_PREFIXES):
            return "auction"
        return "platform"
    if kind == "action":
        if name in ITEM_ACTIONS:
            return "item"
        if name in AUCTION_ACTIONS:
            return "auction"
        if name == "scene_switch":
            return "scene"
        return "action"
    if kind == "media":
        return "scene" if name == "scene_switched" else "stream" if name in STREAM_EVENTS else None
    if kind == "fault":
        return "fault"
    if kind in ("platform_state", "platform_out", "platform_ack"):
        return "platform"
    return None


class Replay:
    def __init__(self, entries: list[dict[str, Any]]) -> None:
        indexed = list(enumerate(entries))
        indexed.sort(key=lambda pair: (float(pair[1].get("t", 0.0)), pair[0]))  # stable: file order on ties
        self.events: list[ReplayEvent] = []
        self.stats: list[StatPoint] = []
        self.markers: list[Marker] = []
        self.head: dict[str, Any] = {}
        last_dropped = 0
        for order, entry in indexed:
            t_s = float(entry.get("t", 0.0))
            kind, name, data = entry.get("kind"), str(entry.get("name", "")), entry.get("data") or {}
            if kind == "head":
                self.head.update(data)
                continue
            if kind == "stats":
                point, last_dropped = _stat_point(t_s, data, last_dropped)
                self.stats.append(point)
                continue
            lane = lane_of(entry)
            if lane is None:
                continue
            event = ReplayEvent(t_s, order, lane, str(kind), name, data)
            self.events.append(event)
            marker = _marker_of(event)
            if marker is not None:
                self.markers.append(marker)
        self._times = [e.t_s for e in self.events]
        ends = [self.events[-1].t_s if self.events else 0.0, self.stats[-1].t_s if self.stats else 0.0]
        self.duration_s = max(ends)

    @classmethod
    def from_bundle(cls, path: Path, journal: str | None = None) -> Replay:
        journals = load_bundle_journals(path)
        if not journals:
            raise UserError(tr_noop('{path} has no journal to replay (was it made by seller-studio support-bundle?)').format(path=path),
                            ExitCode.BAD_INPUT_FILE)
        if journal is not None:
            matches = [name for name in journals if name == journal or name.endswith("/" + journal)]
            if not matches:
                raise UserError(tr_noop("no journal '{journal}' in {path} (have: {value})").format(journal=journal, path=path, value=', '.join(journals)),
                                ExitCode.BAD_INPUT_FILE)
            return cls(journals[matches[0]])
        # The richest journal is the session support wants to see.
        name = max(journals, key=lambda n: len(journals[n]))
        return cls(journals[name])

    # -- queries -------------------------------------------------------------------------------
    def events_until(self, t_s: float) -> list[ReplayEvent]:
        return self.events[: bisect.bisect_right(self._times, t_s)]

    def events_between(self, t0_s: float, t1_s: float) -> list[ReplayEvent]:
        """Events with t0 < t <= t1: what happens while playing from t0 to t1."""
        return self.events[bisect.bisect_right(self._times, t0_s): bisect.bisect_right(self._times, t1_s)]

    def state_at(self, t_s: float, chat_lines: int = 50) -> ReplayState:
        state = ReplayState()
        chat: list[ReplayEvent] = []
        for event in self.events_until(t_s):
            d = event.data
            if event.name in ("scene_switched",):
                state.scene = d.get("scene")
            elif event.name == "item.shown":
                state.item = d.get("item")
            elif event.name == "auction.started":
                state.auction = dict(d)
            elif event.name == "auction.bid" and state.auction is not None:
                state.auction.update(price=d.get("amount"), leader=d.get("user"), ends_at=d.get("ends_at"))
            elif event.name == "auction.ended":
                state.auction = None
            elif event.name == "chat.message":
                chat.append(event)
            elif event.name == "chat.deleted":
                chat = [c for c in chat if c.data.get("msg_id") != d.get("msg_id")]
            elif event.name == "output_state" and d.get("kind") == "stream":
                state.stream = d.get("state")
        state.chat = chat[-chat_lines:]
        return state

    def platform_sequence(self) -> list[tuple[str, int]]:
        """(type, seq) of every platform event in replay order: must equal what the client received."""
        return [(e.name, int(e.data.get("seq", 0))) for e in self.events if e.kind == "platform_in"]

    def lane(self, lane: str) -> list[ReplayEvent]:
        return [e for e in self.events if e.lane == lane]


def _stat_point(t_s: float, data: dict[str, Any], last_dropped: int) -> tuple[StatPoint, int]:
    streams = [o for o in data.get("outputs") or [] if o.get("kind") == "stream"]
    dropped_total = sum(int(v) for v in (data.get("dropped") or {}).values() if isinstance(v, int | float))
    dropped_total += sum(int(o.get("dropped_disconnect", 0) or 0) for o in streams)
    point = StatPoint(
        t_s=t_s,
        bitrate_kbps=float(sum(o.get("bitrate_sent_kbps", 0) or 0 for o in streams)),
        encoder_bitrate_kbps=float(max((o.get("encoder_bitrate_kbps", 0) or 0 for o in streams), default=0)),
        fps=float(data.get("fps", 0) or 0),
        dropped_frames=max(0, dropped_total - last_dropped),
        send_buffer_ms=float(max((o.get("send_buffer_ms", 0) or 0 for o in streams), default=0)),
    )
    return point, dropped_total


def _marker_of(event: ReplayEvent) -> Marker | None:
    d = event.data
    if event.name == "output_state" and d.get("kind") == "stream":
        if d.get("state") == "reconnecting" and d.get("attempt") == 1:
            return Marker(event.t_s, "reconnect", "connection lost")
        if d.get("state") == "live" and d.get("reconnects"):
            return Marker(event.t_s, "reconnected", f"reconnected (#{d['reconnects']})")
    if event.name == "scene_switched":
        return Marker(event.t_s, "scene", f"scene: {d.get('scene')}")
    if event.kind == "fault":
        return Marker(event.t_s, "fault", f"{event.name} {d.get('phase')}")
    if event.kind == "platform_state" and event.name == "reconnecting":
        return Marker(event.t_s, "reconnect", "platform connection lost")
    return None


def load_bundle_journals(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Every journal in a support bundle (or a bare .jsonl journal), by member name."""
    path = Path(path)
    if not path.is_file():
        raise UserError(tr_noop('{path}: no such file').format(path=path), ExitCode.BAD_INPUT_FILE)
    if path.suffix == ".jsonl":
        return {path.name: read_journal(path.read_text(encoding="utf-8", errors="replace"))}
    try:
        with zipfile.ZipFile(path) as zf:
            journals = {}
            for info in zf.infolist():
                if not info.filename.endswith(".jsonl"):
                    continue
                entries = read_journal(zf.read(info).decode("utf-8", "replace"))
                if entries and entries[0].get("kind") == "head":
                    journals[info.filename] = entries
            return journals
    except zipfile.BadZipFile:
        raise UserError(tr_noop('{path} is not a support bundle (not a zip file)').format(path=path), ExitCode.BAD_INPUT_FILE) from None


class ReplayPlayer:
    """Transport over a Replay: position, speed, play/pause, seek. Time is passed in, so tests need no clock."""

    def __init__(self, replay: Replay, speed: float = 1.0) -> None:
        self.replay = replay
        self.position_s = 0.0
        self.speed = speed
        self.is_playing = False

    def set_speed(self, speed: float) -> None:
        if speed <= 0:
            raise ValueError(tr_noop("speed must be positive"))
        self.speed = speed

    def seek(self, t_s: float) -> ReplayState:
        self.position_s = min(max(0.0, t_s), self.replay.duration_s)
        return self.replay.state_at(self.position_s)

    def advance(self, wall_dt_s: float) -> list[ReplayEvent]:
        """Move on by ``wall_dt_s`` of real time at the current speed; return the events passed."""
        if not self.is_playing:
            return []
        start = self.position_s
        self.position_s = min(self.replay.duration_s, start + wall_dt_s * self.speed)
        if self.position_s >= self.replay.duration_s:
            self.is_playing = False
        return self.replay.events_between(start, self.position_s)
