"""A break on stream: the board model drives the overlay (sales, announce, the draw and its seed)."""

from __future__ import annotations

from seller_studio.media.sources.break_board import BreakBoardSource
from seller_studio.show.break_board import new_break
from seller_studio.studio.breaks import announce, board_view, draw_on_stream, follow_board


def test_board_drives_the_overlay_through_the_draw() -> None:
    board = new_break("b", "Hobby box", "random-team", "4", "10", {"spots": None}, seed="ab" * 32)
    overlay = BreakBoardSource("board", 720, 1280)
    follow_board(board, overlay)
    assert overlay.wait_rendered(5.0)
    first = overlay.frame_at(0, 0.0).image.copy()
    assert board_view(board).footer.startswith("Seed hash " + board.seed_hash[:32])
    board.on_sale("spots", "ann", 1000, "o1")
    board.on_sale("spots", "bo", 1000, "o2")
    assert overlay.wait_rendered(5.0)
    after_sales = overlay.frame_at(1, 0.0).image
    assert (after_sales != first).any()
    view = board_view(board)
    assert (view.filled, view.total) == (2, 4)
    assert [s.buyer for s in view.spots] == ["ann", "bo", None, None]
    announce(board, overlay)
    assert board_view(board).footer.startswith("Commitment " + board.announcement.commitment[:32])
    animation = draw_on_stream(board, overlay, reveal_every_s=0.05)
    assert overlay.wait_drawn(5.0)
    final = board_view(board)
    assert animation.final == final and final.footer.startswith(f"Seed {board.seed}")
    assert [s.team for s in final.spots[:2]] == [a.team for a in board.result.assignments]
    assert final.spots[2].buyer is None and final.spots[2].team in board.result.unassigned
    overlay.stop()


def test_the_source_factory_makes_a_board() -> None:
    from seller_studio.media.sources.registry import SOURCE_KINDS, make_source

    source = make_source("break-board", "board", "", 1080, 1920, 30)
    assert isinstance(source, BreakBoardSource) and SOURCE_KINDS["break-board"] is BreakBoardSource
    assert (source.width, source.height) == (1080, 1920)
