"""Screenshots of the break board and the draw in the program picture, landscape and vertical.

Renders the real compositor (test pattern as the camera, the board overlay above it) at the moments
that matter: spots selling, the commitment posted, the draw mid-reveal, the draw done.
Run: PYTHONPATH=. .venv/bin/python scripts/break_screenshots.py [OUT_DIR] [--all]
(the repository keeps the board with its commitment and the draw mid-reveal; --all adds the board
while selling and after the draw).
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2

from seller_studio.media.compositor import Compositor, Layer, Scene
from seller_studio.media.sources.break_board import BreakBoardSource, board_layer
from seller_studio.media.sources.test_pattern import TestPatternSource
from seller_studio.show.break_board import new_break
from seller_studio.studio.breaks import announce, draw_on_stream, follow_board

BUYERS = ["cardkid99", "ann_breaks", "Zoë", "hobbyhank", "ann_breaks", "slabdaddy", "rookie_rae", "pc_pete",
          "mojo_mike", "waxwendy", "cardkid99", "tradertom"]


def shoot(out: Path, width: int, height: int, tag: str, keep: set[str]) -> list[Path]:
    camera = TestPatternSource("cam", width, height, 30, label="Overhead camera")
    board_src = BreakBoardSource("board", width, height)
    comp = Compositor(width, height, 30, {"cam": camera, "board": board_src},
                      [Scene("Board", [Layer("cam"), board_layer("board", width, height)])])
    board = new_break("shots", "Topps Chrome Jumbo - MLB random teams", "random-team", "mlb", "24.99",
                      {"spots": None}, seed="5eed" * 16)
    follow_board(board, board_src)
    written = []

    def save(name: str) -> None:
        if name not in keep:
            return
        if name != "drawing":
            board_src.wait_rendered(5)
        frame = comp.render(45, 1.5)  # not a flash frame of the test pattern
        path = out / f"break-{name}-{tag}.png"
        cv2.imwrite(str(path), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        written.append(path)

    for n, buyer in enumerate(BUYERS):
        board.on_sale("spots", buyer, 2499, f"sale-{n + 1}")
    save("selling")
    for n in range(len(BUYERS), 30):
        board.on_sale("spots", f"buyer{n + 1:02d}", 2499, f"sale-{n + 1}")
    announce(board, board_src)
    save("commitment")
    import time

    start = time.monotonic() - (1.2 + 0.6 * 11.5)  # the reveal at its 12th spot
    animation = draw_on_stream(board, board_src, started_at_s=start)
    time.sleep(0.3)  # the draw thread renders the reveal
    save("drawing")
    board_src.start_draw(animation.final, board.spec.teams, started_at_s=time.monotonic() - 1000)
    board_src.wait_drawn(5)
    save("drawn")
    return written


def main() -> int:
    args = [a for a in sys.argv[1:] if a != "--all"]
    keep = {"selling", "commitment", "drawing", "drawn"} if "--all" in sys.argv else {"commitment", "drawing"}
    out = Path(args[0]) if args else Path("resources/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    for path in shoot(out, 1280, 720, "landscape", keep) + shoot(out, 1080, 1920, "vertical", keep):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
