"""A break on stream: the board model (show/) drawn by the board overlay (media/), without Qt.

``show`` and ``media`` do not know each other, so the studio turns a ``BreakBoard`` into the
overlay's ``BoardView`` here and runs the on-stream part of a draw: announce (the commitment and the
buyer list as chat lines), draw, animate the reveal on the board, then show the seed.
"""

from __future__ import annotations

from typing import Any

from seller_studio.media.sources.break_board import BoardSpotView, BoardView, BreakBoardSource, DrawAnimation
from seller_studio.platform.rules import format_dollars
from seller_studio.show.break_board import BreakBoard, BreakFormat, DrawAnnouncement


def board_view(board: BreakBoard) -> BoardView:
    spec = board.spec
    kind = "random teams" if spec.format is BreakFormat.RANDOM_TEAM else "pick your team"
    if board.result is not None:
        footer = f"Seed {board.seed} - check: seller-studio break verify"
    elif board.announcement is not None:
        footer = f"Commitment {board.announcement.commitment[:32]}..."
    else:
        footer = f"Seed hash {board.seed_hash[:32]}..."
    spots = tuple(BoardSpotView(s.label, s.team, s.buyer) for s in board.spots())
    return BoardView(spec.title, spots, board.filled, board.total, f"{format_dollars(spec.price_cents)} a spot, {kind}",
                     footer)


def follow_board(board: BreakBoard, overlay: BreakBoardSource) -> None:
    """Redraw the overlay whenever the board changes (sales, refunds, reassignments)."""
    overlay.set_board(board_view(board))

    def changed(name: str, payload: dict) -> None:
        if name in ("board_changed", "draw_announced", "reassigned", "refunded") and not overlay.is_drawing:
            overlay.set_board(board_view(board))

    board.events.subscribe(changed)


def announce(board: BreakBoard, overlay: BreakBoardSource | None = None) -> DrawAnnouncement:
    announcement = board.announce_draw()
    if overlay is not None:
        overlay.set_board(board_view(board))
    return announcement


def draw_on_stream(board: BreakBoard, overlay: BreakBoardSource, *, started_at_s: float | None = None,
                   reveal_every_s: float = 0.6, studio: Any = None) -> DrawAnimation:
    """Draw (the board must be announced) and animate the reveal; the seed shows at the end. With the
    ``StudioController`` as ``studio``, the draw is a show moment (the board scene comes on air)."""
    board.run_draw()
    if studio is not None:
        studio.show_moment("draw")
    return overlay.start_draw(board_view(board), board.spec.teams, started_at_s=started_at_s,
                              reveal_every_s=reveal_every_s)
