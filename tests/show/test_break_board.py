"""The break board against the embedded sandbox (real websocket): spots filled from the platform's
sales, more buyers than spots, a refund after the draw, hand reassignment in the journal, the
manifest CSV, a restart from the board's file."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path

import pytest

from seller_studio.diagnostics.journal import Journal
from seller_studio.platform.client import PlatformClient
from seller_studio.platform.sandbox.embedded import start_sandbox
from seller_studio.show import break_draw
from seller_studio.show.break_board import BreakBoard, BreakError, BreakFormat, new_break
from tests.show.sandbox_show import Buyer, sandbox_config, wait_until

SEED = "b0a2d" * 12 + "beef"


def test_random_team_break_from_platform_sales(tmp_path: Path) -> None:
    asyncio.run(asyncio.wait_for(_random_team_break(tmp_path), 60))


async def _random_team_break(tmp_path: Path) -> None:
    sandbox = start_sandbox(sandbox_config(buy_per_min=0, bid_per_min=0, chat_per_min=0), with_ingest=False)
    journal = Journal(tmp_path / "journal.jsonl", command="test")
    seller = PlatformClient(sandbox.ws_url, sandbox.token)
    await seller.connect()
    board = new_break("b1", "Topps Chrome Hobby Box", BreakFormat.RANDOM_TEAM, "6", "25.00",
                      {"break-spots": None}, path=tmp_path / "break.json", seed=SEED,
                      record=lambda name, data: journal.write("action", name, **data))
    seller.subscribe(board.on_platform_event)
    rejected: list[str] = []
    board.events.subscribe(lambda name, payload: rejected.append(payload["reason"]) if name == "sale_rejected" else None)
    try:
        await seller.command("show.start", {"title": "break night"})
        await seller.command("listing.buy_now", {"item_id": "break-spots", "price": 25.0, "quantity": 7})
        buyers = [await Buyer.connect(sandbox, n) for n in ("ann", "bo", "cy", "ann", "dee", "eve", "fay")]
        for k, b in enumerate(buyers[:6]):
            await b.buy("break-spots")  # one after the other: the purchase order is the list order
            await wait_until(lambda k=k: board.filled == k + 1)
        assert board.buyers() == ["ann", "bo", "cy", "ann", "dee", "eve"]
        assert (board.filled, board.total) == (6, 6)
        assert all(s.price_cents == 2500 for s in board.sales)
        # A seventh buyer: more buyers than spots is one sentence, the sale kept, the board unchanged.
        await buyers[6].buy("break-spots")
        await wait_until(lambda: rejected)
        assert rejected[0].startswith("fay bought spot 7 of a 6-spot break: there are more buyers than spots, refund order sale-")
        assert board.filled == 6 and board.rejected[0].buyer == "fay"
        # Replayed sale events (after a reconnect) are not second spots.
        for sale in list(board.sales):
            seq = int(sale.order_id.split("-")[1])
            board.on_platform_event(_sale_event(seq, sale.buyer))
        assert board.filled == 6
        announcement = board.announce_draw()
        assert announcement.buyers == ("ann", "bo", "cy", "ann", "dee", "eve")
        assert announcement.commitment == break_draw.commitment(SEED, break_draw.numbered_spots(6), board.buyers())
        assert "1. ann, 2. bo, 3. cy, 4. ann, 5. dee, 6. eve" in announcement.chat_lines()[1]
        result = board.run_draw()
        teams = [s.team for s in board.sales]
        assert teams == [a.team for a in result.assignments] and sorted(teams, key=lambda t: int(t[5:])) == list(
            break_draw.numbered_spots(6))
        # A refund after the draw: one sentence, nothing changes.
        with pytest.raises(BreakError, match=r"^The draw is done: refunding bo's order sale-\d+ cannot change it"):
            board.refund(board.sales[1].order_id, "changed their mind")
        # Reassign by hand: a reason is required and lands in the journal.
        with pytest.raises(BreakError, match="Say why"):
            board.reassign(teams[1], "gus", " ")
        board.reassign(teams[1], "gus", "bo asked to gift the spot to gus")
        journal.close()
        lines = [json.loads(x) for x in (tmp_path / "journal.jsonl").read_text().splitlines()]
        names = [x["name"] for x in lines]
        assert names.count("break_spot_sold") == 6 and "break_sale_rejected" in names and "break_drawn" in names
        reassign = next(x["data"] for x in lines if x["name"] == "break_reassign")
        assert (reassign["old_buyer"], reassign["new_buyer"], reassign["reason"]) == (
            "bo", "gus", "bo asked to gift the spot to gus")
        drawn = next(x["data"] for x in lines if x["name"] == "break_drawn")
        assert drawn["seed"] == SEED and drawn["commitment"] == announcement.commitment
        # The manifest: spot, team, buyer, order id.
        count = board.export_manifest(tmp_path / "manifest.csv")
        with open(tmp_path / "manifest.csv", encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        assert count == 6 and rows[0] == ["spot", "team", "buyer", "order id"]
        assert rows[2] == ["#2", teams[1], "gus", board.sales[1].order_id]
        # A restarted studio reads the same board back, drawn, with the hand change.
        again = BreakBoard.load(tmp_path / "break.json")
        assert again.is_drawn and again.buyers() == board.buyers() and [s.team for s in again.sales] == teams
        assert again.rejected[0].buyer == "fay" and again.result.commitment == announcement.commitment
        # The verify command a viewer runs gives the same teams (the posted list, not the hand change).
        assert board.verify_command().startswith(f"seller-studio break verify {SEED} ann bo cy ann dee eve --teams 6")
        for b in buyers:
            await b.client.close()
    finally:
        await seller.close()
        sandbox.stop()


def _sale_event(seq: int, buyer: str):
    from seller_studio.platform import protocol as p

    event = p.Sale(item_id="break-spots", buyer=buyer, price=25.0, quantity_left=0)
    event.seq = seq
    return event


def test_pick_your_team_and_bad_input(tmp_path: Path) -> None:
    teams = {f"team-{i}": t for i, t in enumerate(break_draw.MLB_TEAMS[:3])}
    board = new_break("b2", "Bowman Jumbo", "pick-your-team", list(break_draw.MLB_TEAMS[:3]), 40, teams)
    board.on_sale("team-1", "ann", 4000, "sale-1")
    with pytest.raises(BreakError, match="bo bought Athletics, which ann already has: refund order sale-2."):
        board.on_sale("team-1", "bo", 4000, "sale-2")
    assert [s.buyer for s in board.spots()] == [None, "ann", None]
    with pytest.raises(BreakError, match="no draw"):
        board.announce_draw()
    board.refund("sale-1", "wrong card")  # before any draw a refund opens the spot again
    assert board.filled == 0
    with pytest.raises(BreakError, match="more buyers than spots"):
        _fill(new_break("b3", "x", "random-team", "2", 5, {"s": None}), 3)
    with pytest.raises(BreakError, match="is not a spot of this break"):
        new_break("b4", "x", "pick-your-team", "mlb", 5, {"i": "Montreal Expos"})
    with pytest.raises(BreakError, match=r"price per spot '0' must be at least"):
        new_break("b5", "x", "random-team", "4", "0", {"s": None})
    with pytest.raises(BreakError, match="No buyers yet"):
        new_break("b6", "x", "random-team", "4", 5, {"s": None}).announce_draw()
    random_board = _fill(new_break("b7", "x", "random-team", "3", 5, {"s": None}), 2)
    random_board.announce_draw()
    random_board.on_sale("s", "late", 500, "o-late")  # the posted list changes...
    with pytest.raises(BreakError, match="buyer list changed since it was posted"):
        random_board.run_draw()


def _fill(board: BreakBoard, count: int) -> BreakBoard:
    for n in range(count):
        board.on_sale("s", f"buyer{n}", 500, f"o{n}")
    return board
