"""Replay round trip: a recorded sandbox session replays to the same ordered event sequence; the
model (ordering, seek, speed) without Qt."""

from __future__ import annotations

import asyncio
import time

from seller_studio.common import paths
from seller_studio.common.backoff import ReconnectPolicy
from seller_studio.diagnostics.bundle import build_bundle
from seller_studio.diagnostics.journal import Journal
from seller_studio.diagnostics.replay import Replay, ReplayPlayer
from seller_studio.platform.client import PlatformClient
from seller_studio.platform.sandbox.embedded import start_sandbox
from seller_studio.platform.sandbox.server import SandboxConfig


def record_sandbox_session(journal_path) -> list[tuple[str, int]]:
    """A short show against the sandbox with busy simulated viewers; returns what the client received."""
    config = SandboxConfig(seed=7, chat_per_min=600, bid_per_min=600, sim_tick_s=0.05)
    received: list[tuple[str, int]] = []
    with start_sandbox(config, with_ingest=False) as sandbox:
        async def show() -> None:
            client = PlatformClient(sandbox.ws_url, sandbox.token, policy=ReconnectPolicy(first_delay_s=0.1))
            journal = Journal(journal_path, command="test")
            journal.attach_platform(client)
            client.subscribe(lambda e: received.append((e.TYPE, e.seq)))
            await client.connect()
            await client.start_show("replay test")
            journal.action("next_item", item_id="i1")
            await client.show_item({"item_id": "i1", "title": "Vintage lamp"})
            await client.send_chat("welcome!")
            journal.action("start_auction", item_id="i1")
            await client.start_auction("i1", 5, 1.5, sudden_death=True)  # ends on time despite bids
            await client.command("auction.place_bid", {"auction_id": "a1", "user": "buyer1", "amount": 6})
            await asyncio.sleep(1.0)
            # A network drop mid-show: the client resumes, and the journal keeps the order.
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(sandbox.server.drop_connections(),
                                                                       sandbox.loop))
            deadline = time.monotonic() + 10
            while not any(t == "auction.ended" for t, _ in received) and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            await client.show_item({"item_id": "i2", "title": "Brass bell"})
            await asyncio.sleep(0.3)
            await client.close()
            journal.close()

        asyncio.run(show())
    return received


def test_recorded_sandbox_session_replays_in_the_same_order(tmp_path):
    journal_path = paths.ensure(paths.log_dir()) / "journal-sandbox.jsonl"
    received = record_sandbox_session(journal_path)
    assert len(received) > 20 and any(t == "auction.bid" for t, _ in received)
    assert [s for _, s in received] == sorted(s for _, s in received)

    bundle = build_bundle(tmp_path / "bundle.zip", doctor=False).path
    replay = Replay.from_bundle(bundle)
    assert replay.platform_sequence() == received
    lanes = {e.lane for e in replay.events}
    assert {"chat", "item", "auction", "platform"} <= lanes
    assert [e.name for e in replay.lane("item")][:2] == ["next_item", "item.shown"]
    assert any(m.kind == "reconnect" for m in replay.markers)  # the drop is marked on the plots

    # Seek: the state at any instant is what the events up to it say.
    ended = next(e for e in replay.events if e.name == "auction.ended")
    started = next(e for e in replay.events if e.name == "auction.started")
    assert replay.state_at(started.t_s).auction["auction_id"] == "a1"
    assert replay.state_at(ended.t_s).auction is None
    assert replay.state_at(replay.duration_s).item["title"] == "Brass bell"
    assert replay.state_at(started.t_s).item["title"] == "Vintage lamp"


def test_player_plays_every_event_once_in_order_at_any_speed():
    entries = [{"t": 0.0, "kind": "head", "name": "journal", "data": {}}]
    for i in range(40):
        entries.append({"t": i * 0.25, "kind": "platform_in", "name": "chat.message",
                        "data": {"seq": i + 1, "user": "u", "text": str(i), "msg_id": f"m{i}"}})
    entries.append({"t": 5.1, "kind": "media", "name": "scene_switched", "data": {"scene": "pip"}})
    entries.append({"t": 5.1, "kind": "action", "name": "scene_switch", "data": {"scene": "pip"}})  # tie: file order
    entries.append({"t": 2.0, "kind": "stats", "name": "stats", "data": {"fps": 30, "dropped": {"network": 3},
                    "outputs": [{"kind": "stream", "bitrate_sent_kbps": 2400, "send_buffer_ms": 80}]}})
    replay = Replay(entries)
    assert [e.name for e in replay.events if e.t_s == 5.1] == ["scene_switched", "scene_switch"]
    assert replay.stats[0].bitrate_kbps == 2400 and replay.stats[0].dropped_frames == 3

    for speed in (0.5, 4.0, 16.0):
        player = ReplayPlayer(replay, speed)
        played = list(replay.events_until(0.0))
        player.is_playing = True
        while player.is_playing:
            played += player.advance(0.05)
        assert played == replay.events
    player = ReplayPlayer(replay)
    state = player.seek(3.0)
    assert len(state.chat) == 13 and state.scene is None
    assert player.seek(99).scene == "pip" and player.position_s == replay.duration_s
