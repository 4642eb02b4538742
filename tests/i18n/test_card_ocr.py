"""The product card in Norwegian with kroner, read back from its pixels by tesseract (issue 18).

The whole path is real: a sandbox platform pricing its show in NOK (welcome.currency), the studio's
platform client, the show controller following that currency, a buyer's bid over the socket, the
card the core composes and Qt draws; tesseract (Norwegian + English data) reads the picture.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from seller_studio import i18n
from seller_studio.platform.client import PlatformClient
from seller_studio.platform.sandbox.embedded import start_sandbox
from seller_studio.platform.sandbox.server import SandboxConfig
from seller_studio.show.controller import ShowController
from seller_studio.show.inventory import InventoryStore, Item
from seller_studio.show.selling import AuctionPreset

pytestmark = [pytest.mark.qt, pytest.mark.timeout(60)]


def ocr_nb(image_rgb: np.ndarray) -> str:
    import cv2

    langs = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30).stdout.split()
    if "nor" not in langs:
        pytest.fail("tesseract's Norwegian data is required: run scripts/setup.sh (installs tesseract-ocr-nor)")
    big = cv2.resize(image_rgb, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    ok, png = cv2.imencode(".png", cv2.cvtColor(big, cv2.COLOR_RGB2BGR))
    assert ok
    out = subprocess.run(["tesseract", "stdin", "stdout", "-l", "nor+eng", "--psm", "6"], input=png.tobytes(),
                         capture_output=True, timeout=30, check=True)
    return out.stdout.decode("utf-8", "replace")


def test_the_card_reads_norwegian_and_kroner(qapp: Any, tmp_path: Path) -> None:
    if shutil.which("tesseract") is None:
        pytest.fail("tesseract is required: run scripts/setup.sh (installs tesseract-ocr)")
    from seller_studio.ui.product_card import CardStyle, render_card

    sandbox = start_sandbox(SandboxConfig(port=0, token="t", simulate_viewers=False, currency="NOK"),
                            with_ingest=False)
    store = InventoryStore(tmp_path / "inventory.db")
    i18n.set_language("nb")
    cards: dict[str, Any] = {}

    async def scenario() -> None:
        client = PlatformClient(sandbox.ws_url, sandbox.token)
        buyer = PlatformClient(sandbox.ws_url, sandbox.token)
        await client.connect()
        await buyer.connect()
        try:
            ctl = ShowController(store, "kveld", client=client, currency="USD")  # the platform's NOK wins
            assert ctl.currency == "NOK"
            lamp = ctl.add_item(Item("Messinglampe", type="auction", price_cents=129900, quantity=1))
            ctl.show_index(0)
            cards["start"] = ctl.product_card()
            await ctl.start_auction(AuctionPreset("Test", duration_s=30))
            auction_id = ctl.platform_id(ctl.session.auction.auction_id)  # type: ignore[union-attr]
            await buyer.command("auction.place_bid", {"auction_id": auction_id, "user": "kari", "amount": 1350})
            for _ in range(100):
                card = ctl.product_card()
                if card is not None and card.bidder == "kari":
                    break
                await asyncio.sleep(0.05)
            cards["bid"] = ctl.product_card()
            cards["lamp"] = lamp
        finally:
            await buyer.close()
            await client.close()

    try:
        asyncio.run(asyncio.wait_for(scenario(), 30))
    finally:
        i18n.set_language("en")
        sandbox.stop()
        store.close()
    start, bid = cards["start"], cards["bid"]
    assert start.price_caption == "Startbud" and start.price_text == "kr\u00a01\u00a0299,00"
    assert bid.price_caption == "Nåværende bud" and bid.price_text == "kr\u00a01\u00a0350,00" and bid.bidder == "kari"
    i18n.set_language("nb")  # the card draws its own words (SOLGT, "til @kari") in the language too
    try:
        rgba = render_card(bid, 640, 270, CardStyle())
    finally:
        i18n.set_language("en")
    text = ocr_nb(np.ascontiguousarray(rgba[:, :, :3]))
    print(f"\nOCR of the nb/NOK product card: {text.strip()!r}")
    flat = re.sub(r"\s+", " ", text)
    assert "Messinglampe" in flat
    assert "NÅVÆRENDE BUD" in flat.upper()
    assert re.search(r"kr ?1 ?350,00", flat), flat
