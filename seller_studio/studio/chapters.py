"""A chapter per lot in the show's recording, written as the show goes.

After a show a buyer's claim on a high-value item is settled from the video; nobody should have to
scrub hours of it. While the studio records, every lot (an item shown, until the next item or the
end) is a chapter named after the item, its buyer and price. Each change is appended (and fsynced)
to a sidecar file beside the recording, ``NAME.mkv.chapters.jsonl``, so a killed studio leaves
every lot up to the last one; when the recording closes normally the chapters are also written into
the MKV itself (its trailer), where players and ffprobe show them. ``seller-studio clips`` reads
the sidecar (or the MKV's chapters) to cut one clip per sold lot.

Times are the recording's own timestamps (the file's timeline, as ffprobe shows them), mapped from
the moment of the show event through the recording's first video packet (``RecordingOutput``
hooks); the encoder's latency (tens of milliseconds) is not subtracted.

Sidecar lines (JSON): ``{"event": "start", "item_id", "title", "at_s"}``,
``{"event": "sale", "item_id", "buyer", "price_cents", "order_id", "at_s"}``,
``{"event": "end", "item_id", "at_s"}``; ``at_s`` is null when the recording had not written its
first picture yet (the lot then starts where the recording starts).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from seller_studio.i18n import tr_noop
from seller_studio.media.clips import cut, scan
from seller_studio.platform.rules import format_money, normal_currency

log = logging.getLogger(__name__)

SIDECAR_SUFFIX = ".chapters.jsonl"
NS = Fraction(1, 1_000_000_000)


def sidecar_path(recording: Path | str) -> Path:
    recording = Path(recording)
    return recording.with_name(recording.name + SIDECAR_SUFFIX)


@dataclass
class LotSale:
    buyer: str
    price_cents: int
    order_id: str = ""
    currency: str = "USD"  # the show's (sidecars written before currencies existed: dollars)


@dataclass
class Lot:
    item_id: str
    title: str
    start_s: float | None  # None: before the recording's first picture
    end_s: float | None = None  # None: still showing (or the studio was killed)
    sales: list[LotSale] = field(default_factory=list)

    @property
    def is_sold(self) -> bool:
        return bool(self.sales)

    @property
    def price_cents(self) -> int:
        return sum(s.price_cents for s in self.sales)

    @property
    def buyers(self) -> str:
        return ", ".join(dict.fromkeys(s.buyer for s in self.sales))

    def chapter_title(self) -> str:
        if not self.sales:
            return f"{self.title} - not sold"
        currency = self.sales[0].currency
        return f"{self.title} - {self.buyers} - {format_money(self.price_cents, currency)}"


def fold(lines: list[dict[str, Any]]) -> list[Lot]:
    """Sidecar lines -> lots, in the order they were shown."""
    lots: list[Lot] = []
    current: Lot | None = None
    for line in lines:
        event = line.get("event")
        item_id = str(line.get("item_id", ""))
        at = line.get("at_s")
        at_s = float(at) if isinstance(at, int | float) else None
        if event == "start":
            if current is not None and current.end_s is None:
                current.end_s = at_s
            current = Lot(item_id, str(line.get("title", "")), at_s)
            lots.append(current)
        elif event == "sale":
            target = current if current is not None and current.item_id == item_id else next(
                (lot for lot in reversed(lots) if lot.item_id == item_id), None)
            if target is None:  # sold without having been shown in this recording
                target = Lot(item_id, str(line.get("title", "") or f"Item {item_id}"), at_s)
                lots.append(target)
            target.sales.append(LotSale(str(line.get("buyer", "")), int(line.get("price_cents", 0)),
                                        str(line.get("order_id", "")), normal_currency(line.get("currency"))))
        elif event == "end" and current is not None and current.item_id == item_id and current.end_s is None:
            current.end_s = at_s
    return lots


def read_sidecar(path: Path) -> list[Lot]:
    """The lots of a sidecar; a torn last line (a kill mid-write) is skipped."""
    lines = []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            lines.append(json.loads(raw))
        except json.JSONDecodeError:
            log.warning("skipping a damaged line in %s", path)
    return fold(lines)


def chapters_for(lots: list[Lot], *, recording_start_s: float, recording_end_s: float) -> list[dict[str, Any]]:
    """PyAV/FFmpeg chapters (nanosecond time base) for lots, clamped to the recording."""
    chapters = []
    for n, lot in enumerate(lots, 1):
        start = max(recording_start_s, lot.start_s if lot.start_s is not None else recording_start_s)
        end = min(recording_end_s, lot.end_s if lot.end_s is not None else recording_end_s)
        if end <= start:
            continue
        metadata = {"title": lot.chapter_title(), "item_id": lot.item_id}
        if lot.sales:
            metadata |= {"buyer": lot.buyers, "price_cents": str(lot.price_cents)}
        chapters.append({"id": n, "start": round(start * 1e9), "end": round(end * 1e9), "time_base": NS,
                         "metadata": metadata})
    return chapters


class ChapterLog:
    """The lots of one recording, appended to its sidecar as they happen. Thread-safe."""

    def __init__(self, recording_path: Path | str, media_time_s: Callable[[], float | None]) -> None:
        self.recording_path = Path(recording_path)
        self.path = sidecar_path(self.recording_path)
        self._media_time_s = media_time_s
        self._lock = threading.Lock()
        self._lines: list[dict[str, Any]] = []
        self._current: tuple[str, str] | None = None  # (item id, title) showing
        self._file: Any = None  # opened with the first lot: no empty sidecar beside a recording without lots
        self._is_closed = False

    def _append(self, line: dict[str, Any]) -> None:
        with self._lock:
            self._lines.append(line)
            if self._is_closed:
                return
            try:
                if self._file is None:
                    self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - held until close
                self._file.write(json.dumps(line, ensure_ascii=False) + "\n")
                self._file.flush()
                os.fsync(self._file.fileno())
            except OSError as exc:  # a full disk: the recording says so itself; keep the lots in memory
                log.error("chapters sidecar %s: %s", self.path, exc)

    def now_s(self) -> float | None:
        value = self._media_time_s()
        return None if value is None else round(value, 3)

    def lot_started(self, item_id: str, title: str) -> None:
        with self._lock:
            previous, self._current = self._current, (str(item_id), title)
        if previous is not None and previous[0] == str(item_id):
            with self._lock:
                self._current = previous
            return
        if previous is not None:
            self._append({"event": "end", "item_id": previous[0], "at_s": self.now_s()})
        self._append({"event": "start", "item_id": str(item_id), "title": title, "at_s": self.now_s()})

    def lot_sold(self, item_id: str, buyer: str, price_cents: int, order_id: str = "", title: str = "",
                 currency: str = "USD") -> None:
        self._append({"event": "sale", "item_id": str(item_id), "buyer": buyer, "price_cents": int(price_cents),
                      "order_id": order_id, "title": title, "at_s": self.now_s(), "currency": currency})

    def lot_ended(self) -> None:
        with self._lock:
            previous, self._current = self._current, None
        if previous is not None:
            self._append({"event": "end", "item_id": previous[0], "at_s": self.now_s()})

    def lots(self) -> list[Lot]:
        with self._lock:
            return fold(list(self._lines))

    def close(self) -> None:
        self.lot_ended()
        with self._lock:
            self._is_closed = True
            if self._file is not None:
                self._file.close()
                self._file = None


def recording_clock(recording: Any) -> Callable[[], float | None]:
    """Now on a ``RecordingOutput``'s timeline: its first video packet's time plus the time since
    it was written; None until then."""

    def now_s() -> float | None:
        first_pts, written_at = recording.first_video_pts_s, recording.first_video_written_at_s
        if first_pts is None or written_at is None:
            return None
        return first_pts + (time.monotonic() - written_at)

    return now_s


def attach_to_recording(recording: Any) -> ChapterLog:
    """A chapter log for a ``RecordingOutput`` (call before it starts): the sidecar beside the file
    and the chapters written into it when it closes."""
    chapter_log = ChapterLog(recording.path, recording_clock(recording))

    def chapters_at_close() -> list[dict[str, Any]]:
        end_s = chapter_log.now_s()
        chapter_log.close()
        first = recording.first_video_pts_s
        if first is None or end_s is None:
            return []
        return chapters_for(chapter_log.lots(), recording_start_s=first, recording_end_s=end_s)

    recording.chapters_at_close = chapters_at_close
    return chapter_log


def follow_show(chapter_log: ChapterLog, show: Any) -> Callable[[], None]:
    """Feed a chapter log from a ``ShowController``'s events (item shown, auction won, purchase);
    the item showing now starts the first lot. Returns the unsubscribe function."""

    def title_of(item_id: Any) -> str:
        try:
            item = show.store.get_item(int(item_id))
        except (TypeError, ValueError):
            item = None
        return item.title if item is not None else f"Item {item_id}"

    def on_event(name: str, payload: dict[str, Any]) -> None:
        try:
            if name == "now_showing":
                item_id = payload.get("item_id")
                if item_id is None:
                    chapter_log.lot_ended()
                else:
                    chapter_log.lot_started(str(item_id), title_of(item_id))
            elif name == "auction_sold":
                chapter_log.lot_sold(str(payload["item_id"]), str(payload.get("winner", "")),
                                     int(payload.get("price_cents") or 0), f"auction-{payload.get('auction_id', '')}",
                                     title_of(payload["item_id"]), str(getattr(show, "currency", "USD")))
            elif name == "purchase":
                chapter_log.lot_sold(str(payload["item_id"]), str(payload.get("buyer", "")),
                                     int(payload.get("price_cents") or 0), f"sale-{payload.get('sale_id', '')}",
                                     title_of(payload["item_id"]), str(getattr(show, "currency", "USD")))
            elif name == "show_ended":
                chapter_log.lot_ended()
        except Exception:  # chapters never disturb the show
            log.exception("chapter log: %s not recorded", name)

    item = getattr(getattr(show, "session", None), "item", None)
    if item is not None and item.id is not None:
        chapter_log.lot_started(str(item.id), item.title)
    return show.events.subscribe(on_event)


class NoClipError(ValueError):
    """Why a sale has no clip, as one sentence for the seller."""


def find_lot(recording_dir: Path, *, item_id: Any, buyer: str, order_ids: tuple[str, ...] = ()) -> tuple[Path, Lot]:
    """The recording (newest first) and lot in which this sale happened; ``NoClipError`` when no
    recording in ``recording_dir`` has it (the studio was not recording then)."""
    sidecars = sorted(Path(recording_dir).glob(f"*{SIDECAR_SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True)
    fallback: tuple[Path, Lot] | None = None
    for side in sidecars:
        recording = side.with_name(side.name[: -len(SIDECAR_SUFFIX)])
        if not recording.is_file():
            continue
        for lot in read_sidecar(side):
            if lot.item_id != str(item_id):
                continue
            if any(s.order_id in order_ids for s in lot.sales if s.order_id):
                return recording, lot
            if fallback is None and any(s.buyer == buyer for s in lot.sales):
                fallback = (recording, lot)
    if fallback is not None:
        return fallback
    raise NoClipError(tr_noop("No recording has this sale: the studio was not recording when it sold (turn on Record, "
                      "or Settings > Record automatically when going live)."))


def clip_for_sale(recording_dir: Path, *, item_id: Any, buyer: str, order_ids: tuple[str, ...] = ()) -> Path:
    """The clip of the lot a sale belongs to (cut on first use, beside the recording, by packet copy)."""
    recording, lot = find_lot(recording_dir, item_id=item_id, buyer=buyer, order_ids=order_ids)
    span = scan(recording)
    start = max(span.start_s, lot.start_s if lot.start_s is not None else span.start_s)
    end = min(span.end_s, lot.end_s if lot.end_s is not None else span.end_s)
    if end <= start:
        raise NoClipError(tr_noop("This sale's lot lies outside its recording: the recording was off then."))
    out_dir = recording.with_name(recording.stem + "-clips")
    out_dir.mkdir(parents=True, exist_ok=True)
    clip = out_dir / f"item{lot.item_id}-{round(start * 1000)}.mp4"
    if not clip.is_file():
        cut(recording, clip, start, end, span)
    return clip
