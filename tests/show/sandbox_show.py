"""Shared pieces of the sandbox show tests (core and panel): tonight's 5 items, a scripted buyer,
waiting on controller events, and the platform-vs-studio comparison."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from seller_studio.platform.client import PlatformClient
from seller_studio.platform.sandbox.auction import to_cents as server_cents
from seller_studio.platform.sandbox.embedded import EmbeddedSandbox
from seller_studio.platform.sandbox.server import SandboxConfig
from seller_studio.show.controller import ShowController
from seller_studio.show.inventory import InventoryStore, Item

SKEW_S = 37.25  # the sandbox's clock runs ahead of ours: the studio must correct for it


def sandbox_config(seed: int = 7, **overrides: Any) -> SandboxConfig:
    """Seeded simulated viewers on a skewed server clock, busy enough to bid in 3 s auctions."""
    values: dict[str, Any] = dict(port=0, token="show-token", seed=seed, chat_per_min=600, bid_per_min=40,
                                  buy_per_min=0, entry_per_min=240, sim_tick_s=0.1, timer_tick_s=0.02,
                                  clock=lambda: time.time() + SKEW_S)
    values.update(overrides)
    return SandboxConfig(**values)


def add_tonights_items(store: InventoryStore) -> list[Item]:
    items = [
        Item("Vintage Pyrex Bowl", type="auction", price_cents=500, sku="PYREX-1", category="Kitchen"),
        Item("Holo Charizard Card", type="auction", price_cents=1000, sku="CARD-1", category="Cards"),
        Item("Brass Desk Lamp", type="auction", price_cents=300, sku="LAMP-1", category="Home"),
        Item("Mystery Pack", type="buy_it_now", price_cents=400, quantity=2, sku="PACK-1", category="Cards"),
        Item("Sticker Sheet", type="giveaway", price_cents=0, sku="GIVE-1", category="Extras"),
    ]
    return [store.add_item(i) for i in items]


class Recorder:
    """Every controller event with the local monotonic time it arrived."""

    def __init__(self, ctl: ShowController) -> None:
        self.events: list[tuple[float, str, dict[str, Any]]] = []
        ctl.events.subscribe(lambda name, payload: self.events.append((time.monotonic(), name, payload)))

    def named(self, name: str) -> list[dict[str, Any]]:
        return [payload for _, n, payload in self.events if n == name]

    def first(self, name: str, **match: Any) -> tuple[float, dict[str, Any]] | None:
        for at, n, payload in self.events:
            if n == name and all(payload.get(k) == v for k, v in match.items()):
                return at, payload
        return None


async def wait_until(predicate: Callable[[], Any], timeout_s: float = 15.0, step_s: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(step_s)
    raise AssertionError(f"timed out after {timeout_s} s")


@dataclass
class Buyer:
    """A viewer's app sending buyer-side commands (the sandbox accepts them from any client)."""

    client: PlatformClient
    name: str

    @classmethod
    async def connect(cls, sandbox: EmbeddedSandbox, name: str) -> Buyer:
        client = PlatformClient(sandbox.ws_url, sandbox.token)
        await client.connect()
        return cls(client, name)

    async def bid(self, auction_id: str, amount: float) -> dict[str, Any]:
        return await self.client.command("auction.place_bid", {"auction_id": auction_id, "user": self.name,
                                                               "amount": amount})

    async def buy(self, item_id: str) -> dict[str, Any]:
        return await self.client.command("listing.purchase", {"item_id": item_id, "buyer": self.name})

    async def enter(self, giveaway_id: str) -> dict[str, Any]:
        return await self.client.command("giveaway.enter", {"giveaway_id": giveaway_id, "user": self.name})


def server_results(sandbox: EmbeddedSandbox) -> dict[str, tuple[str | None, int]]:
    """auction_id -> (winner, price_cents) as the platform decided them (read on its loop)."""

    async def read() -> dict[str, tuple[str | None, int]]:
        return {aid: (a.leader, a.price_cents if a.leader else 0)
                for aid, a in sandbox.server.engine.auctions.items() if not a.is_running}

    return asyncio.run_coroutine_threadsafe(read(), sandbox.loop).result(5)


def set_sim(sandbox: EmbeddedSandbox, **rates: float) -> None:
    """Change the simulated viewers' rates on the sandbox's loop (e.g. bid_per_min=0 for a no-bid lot)."""

    async def change() -> None:
        for key, value in rates.items():
            setattr(sandbox.server.sim, key, value)

    asyncio.run_coroutine_threadsafe(change(), sandbox.loop).result(5)


def server_remaining_s(sandbox: EmbeddedSandbox) -> float | None:
    running = sandbox.server.engine.running
    if running is None:
        return None
    return running.ends_at - sandbox.server.clock()


def studio_sales_by_auction(ctl: ShowController) -> dict[str, tuple[str, int]]:
    return {ctl.platform_id(s.auction_id): (s.buyer, s.price_cents)
            for s in ctl.sales() if s.type == "auction" and s.auction_id}


def assert_platform_matches_studio(sandbox: EmbeddedSandbox, ctl: ShowController) -> dict[str, Any]:
    server = server_results(sandbox)
    studio = studio_sales_by_auction(ctl)
    sold = {aid: (w, c) for aid, (w, c) in server.items() if w is not None}
    assert studio == sold, (studio, server)
    return {"server": server, "studio": studio}


__all__ = ["server_cents"]
