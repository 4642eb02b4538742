"""A break on stream: the board model (show/) drawn by the board overlay (media/), without Qt.

``show`` and ``media`` do not know each other, so the studio turns a ``BreakBoard`` into the
overlay's ``BoardView`` here and runs the on-stream part of a draw: announce (the commitment and the
buyer list as chat lines), draw, animate the reveal on the board, then show the seed.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from seller_studio.i18n import tr, tr_noop
from seller_studio.media.compositor import Layer
from seller_studio.media.sources.break_board import (
    BoardSpotView,
    BoardView,
    BreakBoardSource,
    DrawAnimation,
    board_layer,
)
from seller_studio.platform.rules import DEFAULT_CURRENCY, money_error, to_cents
from seller_studio.show import break_draw
from seller_studio.show.break_board import BreakBoard, BreakError, BreakFormat, DrawAnnouncement, new_break
from seller_studio.show.inventory import Item
from seller_studio.show.selling import format_money


def board_view(board: BreakBoard, currency: str = DEFAULT_CURRENCY) -> BoardView:
    """What the board overlay draws: viewers read it, so in the studio's language and the show's currency."""
    spec = board.spec
    kind = tr("random teams") if spec.format is BreakFormat.RANDOM_TEAM else tr("pick your team")
    if board.result is not None:
        footer = tr("Seed {seed} - check: seller-studio break verify").format(seed=board.seed)
    elif board.announcement is not None:
        footer = tr("Commitment {commitment}...").format(commitment=board.announcement.commitment[:32])
    else:
        footer = tr("Seed hash {seed_hash}...").format(seed_hash=board.seed_hash[:32])
    spots = tuple(BoardSpotView(s.label, s.team, s.buyer) for s in board.spots())
    subtitle = tr("{price} a spot, {kind}").format(price=format_money(spec.price_cents, currency), kind=kind)
    return BoardView(spec.title, spots, board.filled, board.total, subtitle, footer)


def follow_board(board: BreakBoard, overlay: BreakBoardSource, currency: str = DEFAULT_CURRENCY) -> None:
    """Redraw the overlay whenever the board changes (sales, refunds, reassignments)."""
    overlay.set_board(board_view(board, currency))

    def changed(name: str, payload: dict) -> None:
        if name in ("board_changed", "draw_announced", "reassigned", "refunded") and not overlay.is_drawing:
            overlay.set_board(board_view(board, currency))

    board.events.subscribe(changed)


def announce(board: BreakBoard, overlay: BreakBoardSource | None = None,
             currency: str = DEFAULT_CURRENCY) -> DrawAnnouncement:
    announcement = board.announce_draw()
    if overlay is not None:
        overlay.set_board(board_view(board, currency))
    return announcement


def draw_on_stream(board: BreakBoard, overlay: BreakBoardSource, *, started_at_s: float | None = None,
                   reveal_every_s: float = 0.6, studio: Any = None,
                   currency: str = DEFAULT_CURRENCY) -> DrawAnimation:
    """Draw (the board must be announced) and animate the reveal; the seed shows at the end. With the
    ``StudioController`` as ``studio``, the draw is a show moment (the board scene comes on air)."""
    board.run_draw()
    if studio is not None:
        studio.show_moment("draw")
    return overlay.start_draw(board_view(board, currency), board.spec.teams, started_at_s=started_at_s,
                              reveal_every_s=reveal_every_s)


BOARD_SOURCE_ID = "break-board"
VERTICAL_BOARD_SOURCE_ID = "break-board-vertical"
RESUME_WITHIN_S = 12 * 3600  # a break saved this recently is tonight's: a restart reopens it


class BreakSession:
    """A break in the studio: its listings in the inventory, its board filled from this show's
    sales (the show controller's ``purchase`` / ``auction_sold``: nothing typed twice), the board
    on the program picture, the commitment posted in chat, the draw (a show moment, behind the
    health gate's question in the window), the journal and the packing list.

    ``show`` is the window's ``ShowController``, ``studio`` the ``StudioController``; ``notice``
    says one sentence to the seller (a sale the board refused, a chat post that failed)."""

    def _currency(self) -> str:
        """The show's currency (spot prices on the board are in it)."""
        return str(getattr(self.show, "currency", DEFAULT_CURRENCY))

    def __init__(self, show: Any, studio: Any, breaks_dir: Path, *,
                 notice: Callable[[str], None] | None = None) -> None:
        self.show = show
        self.studio = studio
        self.breaks_dir = Path(breaks_dir)
        self.notice = notice or (lambda text: None)
        self.board: BreakBoard | None = None
        self.overlay: BreakBoardSource | None = None
        self.layer: Layer | None = None
        # The same board on the vertical canvas, drawn for its shape, when the studio has one.
        self.vertical_overlay: BreakBoardSource | None = None
        self.vertical_layer: Layer | None = None
        self._unsubscribe: Callable[[], None] | None = None

    def _record(self, name: str, data: dict[str, Any]) -> None:
        journal = getattr(self.studio, "journal", None)
        if journal is not None:
            journal.write("action", name, **data)

    def open_break(self, title: str, fmt: BreakFormat | str, spots: str, price: str | float) -> BreakBoard:
        """Create the break's listings (one item of N spots, or one item per team) and its board."""
        fmt = BreakFormat(fmt)
        try:
            teams = break_draw.teams_from_spec(spots)
        except break_draw.DrawError as err:
            raise BreakError(str(err)) from None
        if not title.strip():
            raise BreakError(tr_noop("A break needs a title."))
        price_cents = to_cents(price) if money_error(float(price) if _is_number(price) else price) is None else 0
        if price_cents <= 0:
            raise BreakError(tr_noop('The price per spot {price!r} is not an amount of money.').format(price=price))
        self.close()
        listings: dict[str, str | None] = {}
        if fmt is BreakFormat.RANDOM_TEAM:
            item = self.show.add_item(Item(f"{title} - spot", type="buy_it_now", price_cents=price_cents,
                                           quantity=len(teams), category="Break"))
            listings[str(item.id)] = None
        else:
            for team in teams:
                item = self.show.add_item(Item(f"{title} - {team}", type="buy_it_now", price_cents=price_cents,
                                               quantity=1, category="Break"))
                listings[str(item.id)] = team
        break_id = time.strftime("break-%Y%m%d-%H%M%S")
        self.board = new_break(break_id, title, fmt, teams, price_cents / 100, listings,
                               path=self.breaks_dir / f"{break_id}.json", record=self._record)
        self._unsubscribe = self.show.events.subscribe(self._on_show_event)
        self._attach_overlay()
        return self.board

    def resume_latest(self) -> BreakBoard | None:
        """After a restart mid-show: the newest break of the folder changed in the last
        ``RESUME_WITHIN_S`` (an older one belongs to a past show and stays off the stream), as it was
        saved (spots, rejected sales, announcement, draw), on the stream and fed again. None when
        there is none; a damaged file is one sentence (``notice``) and left as it is."""
        files = sorted(self.breaks_dir.glob("break-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        if not files or time.time() - files[0].stat().st_mtime > RESUME_WITHIN_S:
            return None
        try:
            board = BreakBoard.load(files[0], record=self._record)
        except BreakError as err:
            self.notice(str(err))
            return None
        self.close()
        self.board = board
        self._unsubscribe = self.show.events.subscribe(self._on_show_event)
        self._attach_overlay()
        return board

    def _attach_overlay(self) -> None:
        media = getattr(self.studio, "studio", None)
        if media is None or self.board is None:
            return
        comp = media.compositor
        self.overlay = BreakBoardSource(BOARD_SOURCE_ID, comp.width, comp.height)
        media.add_source(self.overlay)
        self.layer = board_layer(BOARD_SOURCE_ID, comp.width, comp.height, z=900)
        comp.add_overlay(self.layer)
        follow_board(self.board, self.overlay, self._currency())
        vertical = getattr(media, "vertical", None)
        if vertical is not None:
            self.vertical_overlay = BreakBoardSource(VERTICAL_BOARD_SOURCE_ID, vertical.width, vertical.height)
            media.add_source(self.vertical_overlay)
            self.vertical_layer = board_layer(VERTICAL_BOARD_SOURCE_ID, vertical.width, vertical.height, z=900)
            vertical.add_overlay(self.vertical_layer)
            follow_board(self.board, self.vertical_overlay, self._currency())

    def set_on_stream(self, is_visible: bool) -> None:
        for layer in (self.layer, self.vertical_layer):
            if layer is not None:
                layer.is_visible = is_visible  # read by the compositor each frame

    def _on_show_event(self, name: str, payload: dict[str, Any]) -> None:
        board = self.board
        if board is None or name not in ("purchase", "auction_sold"):
            return
        item_id = str(payload.get("item_id"))
        if item_id not in board.spec.listings:
            return
        buyer = str(payload.get("buyer") or payload.get("winner") or "")
        quantity = int(payload.get("quantity") or 1)
        price_each = int(payload.get("price_cents") or 0) // max(1, quantity)
        for n in range(quantity):
            order = f"sale-{payload.get('sale_id')}" + (f"-{n + 1}" if quantity > 1 else "")
            try:
                board.on_sale(item_id, buyer, price_each, order)
            except BreakError as err:
                self.notice(str(err))

    def announce(self) -> DrawAnnouncement:
        """Show the commitment on the board and post it with the buyers in order in chat."""
        board = self._require()
        announcement = announce(board, self.overlay, self._currency())
        if getattr(self.show, "client", None) is not None:
            for line in announcement.chat_lines():
                try:
                    self.show.send_chat(line)
                except Exception as exc:  # noqa: BLE001 - the board still shows it; say so
                    self.notice(tr_noop('The commitment could not be posted in chat ({exc}); it is on the board.').format(exc=exc))
                    break
        else:
            self.notice(tr_noop("Not connected to the platform: the commitment is on the board only; post it in chat "
                        "when you are connected."))
        return announcement

    def draw_question(self) -> str | None:
        """The health gate's question before the draw (None: draw at once)."""
        ask = getattr(self.studio, "start_question", None)
        return ask("draw") if ask is not None else None

    def draw(self, reveal_every_s: float = 0.6) -> break_draw.DrawResult:
        board = self._require()
        if self.overlay is not None:
            animation = draw_on_stream(board, self.overlay, reveal_every_s=reveal_every_s, studio=self.studio,
                                       currency=self._currency())
            if self.vertical_overlay is not None:  # the same reveal, at the same instants, on the phone canvas
                self.vertical_overlay.start_draw(animation.final, animation.teams, started_at_s=animation.started_at_s,
                                                 reveal_every_s=reveal_every_s)
        else:
            board.run_draw()
            if self.studio is not None and hasattr(self.studio, "show_moment"):
                self.studio.show_moment("draw")
        assert board.result is not None
        if getattr(self.show, "client", None) is not None:
            try:
                self.show.send_chat(f"Draw done. Seed: {board.seed} - check it: {board.verify_command()}"[:500])
            except Exception as exc:  # noqa: BLE001
                self.notice(tr_noop('The seed could not be posted in chat ({exc}); it is on the board.').format(exc=exc))
        return board.result

    def _require(self) -> BreakBoard:
        if self.board is None:
            raise BreakError(tr_noop("Open a break first."))
        return self.board

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        media = getattr(self.studio, "studio", None)
        if media is not None and self.layer is not None:
            with contextlib.suppress(ValueError):
                media.compositor.overlays.remove(self.layer)
            media.remove_source(BOARD_SOURCE_ID)
        vertical = getattr(media, "vertical", None)
        if media is not None and vertical is not None and self.vertical_layer is not None:
            with contextlib.suppress(ValueError):
                vertical.overlays.remove(self.vertical_layer)
            media.remove_source(VERTICAL_BOARD_SOURCE_ID)
        self.vertical_layer = None
        self.vertical_overlay = None
        self.layer = None
        self.overlay = None


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
