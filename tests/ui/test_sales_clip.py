"""The Sales tab opens a sale's clip: the studio records while an item sells through the sandbox
platform; picking the sale and Open clip cuts its lot from the recording (once) and opens it."""

from __future__ import annotations

import asyncio
import json
import subprocess

import pytest

from seller_studio.common.errors import BadMediaFileError
from seller_studio.media.clips import chapters_of
from seller_studio.platform.client import PlatformClient
from seller_studio.studio.settings import SettingsStore
from tests.ui.conftest import run_async, until

pytestmark = pytest.mark.qt


def test_sales_tab_opens_the_clip_of_a_sale(qtbot, qapp, make_window, small_profile, sandbox, tmp_path):
    small_profile.record_dir = str(tmp_path / "rec")
    window = make_window(small_profile, sandbox, SettingsStore())
    panel = window.show_panel
    opened = []
    panel.sales.open_file = opened.append

    async def scenario() -> None:
        await window.connect_platform()
        await window.platform_client.command("show.start", {"title": "clips"})  # the shared sandbox may have ended one
        window.controller.set_recording(True)
        await until(lambda: window.controller.recording is not None
                    and window.controller.recording.first_video_pts_s is not None, 15, "recording")
        controller = panel.controller
        controller.show_index(controller.run.item_ids.index(
            next(i for i in controller.run.item_ids if controller.store.get_item(i).type == "buy_it_now")))
        controller.open_buy_now(1)
        await until(lambda: controller.session.open_listing() is not None, 10, "listing open")
        buyer = PlatformClient(sandbox.ws_url, sandbox.token)
        await buyer.connect()
        await buyer.command("listing.purchase", {"item_id": str(controller.session.item.id), "buyer": "gus"})
        await until(lambda: any(s.buyer == "gus" for s in controller.sales()), 10, "the sale")
        await buyer.close()
        await asyncio.sleep(1.5)  # the seller talks about the sale a moment
        controller.next_item()  # the lot ends with the next item
        window.controller.set_recording(False)
        await until(lambda: window.controller.recording is None, 5, "recording off")
        await window.platform_client.end_show()  # the shared sandbox: later tests time their own show

    run_async(qapp, scenario, timeout_s=60)
    def closed() -> bool:  # the recording writes its chapters when it closes, on its own thread
        files = list((tmp_path / "rec").glob("*.mkv"))
        try:
            return bool(files) and bool(chapters_of(files[0]))
        except BadMediaFileError:  # not even its header yet
            return False

    qtbot.waitUntil(closed, timeout=15_000)
    panel.sales.refresh()
    row = next(r for r in range(panel.sales.table.rowCount()) if panel.sales.table.item(r, 2).text() == "gus")
    panel.sales.table.setCurrentCell(row, 0)
    panel.sales.open_clip()
    try:
        qtbot.waitUntil(lambda: bool(opened), timeout=20_000)
    except Exception:
        pytest.fail(f"no clip opened; the tab says: {panel.sales.total.text()}")
    clip = opened[0]
    assert clip.is_file() and clip.suffix == ".mp4"
    probe = json.loads(subprocess.run(["ffprobe", "-v", "error", "-show_format", "-of", "json", str(clip)],
                                      capture_output=True, text=True, check=True).stdout)
    assert float(probe["format"]["duration"]) > 0.5
    assert panel.sales.total.text() == f"Clip: {clip.name}"
