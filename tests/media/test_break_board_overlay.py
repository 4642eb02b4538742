"""The break board overlay: inside the safe zone on landscape and vertical canvases, every state
visible, the draw revealed spot by spot and ending on the real result, drawn through the compositor."""

from __future__ import annotations

import statistics
import threading
import time

import numpy as np
import pytest

from seller_studio.media.compositor import Compositor, Layer, Scene
from seller_studio.media.layouts import safe_zone
from seller_studio.media.sources.break_board import (
    BoardSpotView,
    BoardView,
    BreakBoardSource,
    DrawAnimation,
    board_layer,
    board_rect,
    render_board,
)
from seller_studio.media.sources.test_pattern import TestPatternSource

TEAMS = tuple(f"Team {c}" for c in "ABCDEFGHIJKL")


def _view(buyers: int, *, drawn: bool = False, footer: str = "") -> BoardView:
    spots = []
    order = list(reversed(TEAMS))
    for n in range(len(TEAMS)):
        buyer = f"buyer{n + 1}" if n < buyers else None
        spots.append(BoardSpotView(f"#{n + 1}", order[n] if drawn and buyer else None, buyer))
    return BoardView("Test break", tuple(spots), buyers, len(TEAMS), "$10.00 a spot", footer)


@pytest.mark.parametrize("width,height", [(1280, 720), (1920, 1080), (720, 1280), (1080, 1920)])
def test_board_stays_inside_the_safe_zone(width: int, height: int) -> None:
    image = render_board(_view(5, footer="Seed hash 1234"), width, height)
    rect = board_rect(width, height)
    assert image.shape == (rect.h, rect.w, 4)
    canvas = np.zeros((height, width, 4), dtype=np.uint8)
    canvas[rect.y:rect.y + rect.h, rect.x:rect.x + rect.w] = image
    image = canvas
    ys, xs = np.nonzero(image[:, :, 3])
    zone = safe_zone(width, height).rect(width, height)
    assert xs.min() >= zone.x and xs.max() < zone.x + zone.w
    assert ys.min() >= zone.y and ys.max() < zone.y + zone.h
    # Text never punches holes in the panel: everything inside the panel's box is opaque enough.
    panel = image[ys.min():ys.max() + 1, xs.min():xs.max() + 1, 3]
    assert panel.min() >= 200


def test_each_state_changes_the_picture() -> None:
    empty = render_board(_view(0), 1280, 720)
    assert empty.shape[:2] == (board_rect(1280, 720).h, board_rect(1280, 720).w)
    five = render_board(_view(5), 1280, 720)
    drawn = render_board(_view(5, drawn=True), 1280, 720)
    assert np.count_nonzero(np.any(empty != five, axis=2)) > 500  # names and 5/12 appear
    assert np.count_nonzero(np.any(five != drawn, axis=2)) > 500  # teams appear
    highlighted = render_board(_view(5, drawn=True), 1280, 720, highlight=2)
    assert np.count_nonzero(np.any(highlighted != drawn, axis=2)) > 1000


def test_draw_animation_reveals_in_order_and_ends_on_the_result() -> None:
    final = _view(5, drawn=True, footer="Seed abc")
    anim = DrawAnimation(final, TEAMS, started_at_s=100.0, reveal_every_s=0.5, spin_s=1.0)
    assert anim.duration_s() == pytest.approx(3.5)
    for k in range(0, 36):
        now = 100.0 + k * 0.1 + 0.01
        view, spinning = anim.view_at(now)
        revealed = 0 if now < 101.0 else min(5, int((now - 101.0) // 0.5) + 1)
        assert view.spots[:revealed] == final.spots[:revealed]  # revealed in purchase order, never undone
        if revealed < 5:
            assert spinning == revealed and view.footer == "Drawing..."
            done_teams = {final.spots[i].team for i in range(revealed)}
            assert view.spots[spinning].team not in done_teams  # the spin never shows a team already given
            assert all(s.team is None for s in view.spots[revealed + 1:5])  # the rest wait their turn
        assert all(s.team is None for s in view.spots[5:])  # unsold spots stay blank
    assert anim.view_at(103.6) == (final, None)


def test_board_source_in_the_compositor_animates_then_holds() -> None:
    pattern = TestPatternSource("cam", 1280, 720, 30)
    board = BreakBoardSource("board", 1280, 720)
    comp = Compositor(1280, 720, 30, {"cam": pattern, "board": board}, [Scene("s", [Layer("cam"), board_layer("board", 1280, 720)])])
    t0 = time.perf_counter()
    board.set_board(_view(5))
    set_ms = (time.perf_counter() - t0) * 1000
    assert board.wait_rendered(5.0)
    before = comp.render(45, 1.5).copy()
    final = _view(5, drawn=True)
    board.start_draw(final, TEAMS, started_at_s=time.monotonic(), reveal_every_s=0.2, spin_s=0.3)
    assert board.is_drawing
    time.sleep(0.05)
    mid = comp.render(45, 1.5).copy()
    assert np.count_nonzero(np.any(mid != before, axis=2)) > 100  # spinning names / highlight
    assert board.wait_drawn(5.0)
    assert board.draw_frames_rendered >= 5
    board.stop()
    assert not any(t.name == "break-board-board" and t.is_alive() for t in threading.enumerate())
    assert np.array_equal(board.frame_at(46, 1.6).image, render_board(final, 1280, 720))  # holds the result
    times = []
    for n in range(30):
        t0 = time.perf_counter()
        render_board(_view(n % 12, drawn=n % 2 == 0), 1080, 1920, highlight=n % 5)
        times.append((time.perf_counter() - t0) * 1000)
    print(f"\nset_board returns in {set_ms:.2f} ms (rendered on the board's thread)")
    print(f"break board render 1080x1920: median {statistics.median(times):.1f} ms, max {max(times):.1f} ms "
          "(once per change; at most 8 a second on the draw thread while spinning)")

