"""A break night in the real window against the sandbox platform: open a random-team break in the
Show dock's Break tab, sell its spots through the platform (buyers in their own clients), watch the
board fill on the program picture, post the commitment in chat, draw on stream, export the packing
list, and check the draw with `seller-studio break verify` from the journal's record."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from seller_studio.diagnostics.journal import read_journal
from seller_studio.platform.client import PlatformClient
from seller_studio.studio.settings import SettingsStore
from tests.ui.conftest import run_async, until

pytestmark = pytest.mark.qt
ROOT = Path(__file__).resolve().parents[2]


def test_break_night_in_the_window(qtbot, qapp, make_window, small_profile, sandbox, tmp_path):
    store = SettingsStore()
    window = make_window(small_profile, sandbox, store)
    panel = window.show_panel
    tab = panel.break_tab
    panel.tabs.setCurrentWidget(tab)
    tab.title.setText("Hobby Box Break")
    tab.spots.setCurrentIndex(tab.spots.findData("10"))
    tab.spots.setEditText("4")
    tab.price.setText("12.50")
    board = tab.open_break()
    assert board is not None and board.total == 4, tab.status.text()
    item_id = int(next(iter(board.spec.listings)))
    chat_lines: list[str] = []

    async def scenario() -> None:
        await window.connect_platform()
        await window.platform_client.command("show.start", {"title": "break night"})  # the shared sandbox may have ended one
        watcher = PlatformClient(sandbox.ws_url, sandbox.token)
        await watcher.connect()
        watcher.subscribe(lambda e: chat_lines.append(e.text) if getattr(e, "TYPE", "") == "chat.message" else None)
        controller = panel.controller
        controller.show_index(controller.run.item_ids.index(item_id))
        controller.open_buy_now(4)
        await until(lambda: controller.session.open_listing() is not None, 10, "the listing open")
        buyers = []
        for name in ("ann", "bo", "ann", "cy", "dee"):
            client = PlatformClient(sandbox.ws_url, sandbox.token)
            await client.connect()
            buyers.append(client)
            try:
                await client.command("listing.purchase", {"item_id": str(item_id), "buyer": name})
            except Exception as exc:  # noqa: BLE001 - the fifth finds it sold out on the platform
                assert name == "dee" and "sold_out" in str(exc)
            sold = min(len(buyers), 4)
            await until(lambda sold=sold: board.filled == sold, 10, f"spot {sold}")
        assert board.buyers() == ["ann", "bo", "ann", "cy"]
        tab.refresh()
        assert tab.count.text() == "Hobby Box Break: 4/4 spots filled"
        tab.announce()
        await until(lambda: any("commitment" in line for line in chat_lines), 10, "the commitment in chat")
        window.confirm = lambda title, text: pytest.fail(f"asked {title!r} on a healthy studio")
        assert tab.draw() is not None
        await until(lambda: not tab.session.overlay.is_drawing, 15, "the reveal")
        await until(lambda: any(line.startswith("Draw done. Seed") for line in chat_lines), 10, "the seed in chat")
        for client in (*buyers, watcher):
            await client.close()
        await window.platform_client.end_show()  # the shared sandbox: later tests time their own show

    run_async(qapp, scenario, timeout_s=90)
    # The board is on the program picture (the panel's pixels differ from the scene without it).
    frame = window.studio.compositor.render(10, 0.3)
    tab.on_stream.setChecked(False)
    without = window.studio.compositor.render(10, 0.3)
    assert np.count_nonzero(np.any(frame != without, axis=2)) > 1000
    tab.on_stream.setChecked(True)
    window.grab().save(str(tmp_path / "break-window.png"))  # scripts: resources/screenshots/break-window.png
    # Packing list and the journal's record of the draw, checked by the verify command.
    assert tab.export_manifest(tmp_path / "manifest.csv") == 4
    with open(tmp_path / "manifest.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["spot", "team", "buyer", "order id"] and [r[2] for r in rows[1:]] == ["ann", "bo", "ann", "cy"]
    journal = read_journal(window.controller.journal.path.read_text())
    drawn = next(e["data"] for e in journal if e.get("name") == "break_drawn")
    announced = next(e["data"] for e in journal if e.get("name") == "break_draw_announced")
    verify = subprocess.run([sys.executable, "-m", "seller_studio.cli.main", "break", "verify", drawn["seed"],
                             *announced["buyers"], "--teams", "4", "--commitment", announced["commitment"],
                             "--seed-hash", announced["seed_hash"]], capture_output=True, text=True, cwd=ROOT,
                            timeout=60)
    print("\n$ seller-studio break verify ...\n" + verify.stdout)
    assert verify.returncode == 0, verify.stderr
    assert [line.split()[-2:] for line in verify.stdout.splitlines()[2:6]] == [
        ["Spot", a["team"].split()[-1]] for a in drawn["assignments"]]
    (tmp_path / "journal-draw.json").write_text(json.dumps(drawn))
    # A restarted studio's Break tab has the same board (drawn, same teams).
    from seller_studio.ui.show_panel.break_tab import BreakTab

    again = BreakTab(window, panel.controller)
    qtbot.addWidget(again)
    restored = again.session.board
    assert restored is not None and restored.is_drawn and restored.buyers() == ["ann", "bo", "ann", "cy"]
    assert [s.team for s in restored.sales] == [a["team"] for a in drawn["assignments"]]
    assert again.status.text() == "Break \u201cHobby Box Break\u201d restored: 4/4 spots filled."
    again.session.close()
    # A break from a past show stays closed (and off the stream).
    old = time.time() - 13 * 3600
    for f in (again.session.breaks_dir).glob("break-*.json"):
        os.utime(f, (old, old))
    later = BreakTab(window, panel.controller)
    qtbot.addWidget(later)
    assert later.session.board is None and later.count.text() == "No break open."
