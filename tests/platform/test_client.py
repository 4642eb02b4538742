"""The studio's PlatformClient against real servers on loopback."""

from __future__ import annotations

import asyncio
import json
import statistics
import time

import pytest
from websockets.asyncio.server import ServerConnection, serve

from seller_studio.common.errors import BadUrlError, ExitCode, UnreachableHostError
from seller_studio.common.secrets import SecretStore, platform_token_name
from seller_studio.platform import protocol as p
from seller_studio.platform.client import CommandError, ConnectionState, PlatformAuthError, PlatformClient
from seller_studio.platform.sandbox.server import SandboxConfig, SandboxServer
from tests.helpers import free_port
from tests.platform.conftest import fast_policy, run

pytestmark = pytest.mark.timeout(30)


async def _server(**kw) -> SandboxServer:
    server = SandboxServer(SandboxConfig(token="tok", **kw))
    await server.start()
    return server


def test_wrong_token_is_refused_without_retry() -> None:
    async def main() -> None:
        server = await _server(simulate_viewers=False)
        client = PlatformClient(server.url, "nope", policy=fast_policy())
        states: list[str] = []
        client.status.subscribe(lambda _n, payload: states.append(payload["state"]))
        with pytest.raises(PlatformAuthError) as err:
            await client.connect()
        assert err.value.exit_code == ExitCode.REJECTED_KEY
        assert "refused the token" in str(err.value) and "nope" not in str(err.value)
        assert client.state is ConnectionState.REJECTED
        assert states == ["connecting", "rejected"]
        await server.stop()

    run(main())


def test_unreachable_host_and_bad_url_are_clear() -> None:
    with pytest.raises(BadUrlError):
        PlatformClient("http://example.com/v1", "t")

    async def main() -> None:
        client = PlatformClient(f"ws://127.0.0.1:{free_port()}/v1", "t", connect_timeout_s=2)
        with pytest.raises(UnreachableHostError) as err:
            await client.connect()
        assert "cannot reach the platform" in str(err.value)

    run(main())


def test_token_comes_from_the_secret_store() -> None:
    async def main() -> None:
        server = await _server(simulate_viewers=False)
        store = SecretStore()
        store.is_persistent = False  # this test's secrets stay in memory, never in a real keyring
        store.set(platform_token_name("sandbox"), "tok")
        client = PlatformClient(server.url, secret_store=store)
        await client.connect()
        assert client.is_connected and client.show_id == server.show_id
        await client.close()
        assert client.state is ConnectionState.CLOSED
        await server.stop()

    run(main())


def test_resume_after_forced_disconnects_no_gap_no_duplicate() -> None:
    async def main() -> None:
        # Viewers chat fast so events flow while the connection is cut.
        server = await _server(seed=3, chat_per_min=6000, sim_tick_s=0.02)
        client = PlatformClient(server.url, "tok", policy=fast_policy())
        seqs: list[int] = []
        client.subscribe(lambda e: seqs.append(e.seq))
        states: list[str] = []
        client.status.subscribe(lambda _n, payload: states.append(payload["state"]))
        await client.connect()
        sent: list[asyncio.Task] = []
        for _ in range(4):
            await asyncio.sleep(0.3)
            # A command in flight across the cut is re-sent by id and takes effect once.
            sent.append(asyncio.create_task(client.send_chat("still here?")))
            await server.drop_connections()
            sent.append(asyncio.create_task(client.send_chat("and now?")))
        msg_ids = await asyncio.gather(*sent)
        await asyncio.sleep(0.3)
        server._tasks[-1].cancel()  # stop the viewers, then let the client catch up
        for _ in range(100):
            if client.last_seq == server.seq:
                break
            await asyncio.sleep(0.02)
        assert seqs == list(range(1, server.seq + 1))
        assert client.gaps_seen == 0
        assert len(set(msg_ids)) == len(msg_ids) == 8
        host_lines = [t for _, t in server.history if '"user":"seller"' in t]
        assert len(host_lines) == 8  # each command had exactly one effect
        assert states.count("reconnecting") >= 4 and states[-1] == "connected"
        assert server.seq > 100
        await client.close()
        await server.stop()

    run(main(), 25)


def test_ack_round_trip_on_loopback(capsys: pytest.CaptureFixture[str]) -> None:
    async def main() -> list[float]:
        server = await _server(chat_per_min=600, rate_per_s=10_000, rate_burst=10_000)
        client = PlatformClient(server.url, "tok")
        await client.connect()
        await client.start_show()
        rtts = [await client.ping() for _ in range(300)]
        await client.close()
        await server.stop()
        return rtts

    rtts = sorted(run(main()))
    p50, p95 = statistics.median(rtts) * 1000, rtts[int(len(rtts) * 0.95)] * 1000
    with capsys.disabled():
        print(f"\nack round-trip on loopback: p50 {p50:.2f} ms, p95 {p95:.2f} ms")
    assert p95 < 50


async def _fake_platform(handler) -> tuple[object, str]:
    """A scripted server for client-side robustness (what a buggy real platform might send)."""
    server = await serve(handler, "127.0.0.1", 0, compression=None)
    port = server.sockets[0].getsockname()[1]
    return server, f"ws://127.0.0.1:{port}/v1"


def _welcome(hello: dict) -> str:
    return json.dumps({"type": "welcome", "id": hello.get("id"),
                       "data": {"show_id": "s", "server_time": time.time(), "protocol": "v1"}})


def test_client_survives_malformed_frames_and_times_out_unanswered_commands() -> None:
    async def handler(ws: ServerConnection) -> None:
        hello = json.loads(await ws.recv())
        await ws.send(_welcome(hello))
        for junk in ("{nope", "[]", '{"type": 5}', b"\x00binary", '{"type":"chat.message","seq":1,"data":{}}',
                     '{"type":"brand.new.event","seq":2,"data":{"x":1}}', '{"type":"ack","id":"unknown"}',
                     '{"type":"viewers","seq":2,"data":{"count":9}}',  # duplicate seq: dropped
                     '{"type":"viewers","seq":3,"data":{"count":42}}', '{"type":"error","data":{"code":"x"}}'):
            await ws.send(junk)
        async for _ in ws:  # never answers commands
            pass

    async def main() -> None:
        server, url = await _fake_platform(handler)
        client = PlatformClient(url, "t", ack_timeout_s=0.3)
        got: list[p.Event] = []
        client.subscribe(got.append, types=["viewers"])
        await client.connect()
        for _ in range(50):
            if got:
                break
            await asyncio.sleep(0.02)
        assert [(e.TYPE, e.count, e.seq) for e in got] == [("viewers", 42, 3)]  # type: ignore[attr-defined]
        with pytest.raises(CommandError) as err:
            await client.send_chat("hello?")
        assert err.value.code == "timeout"
        assert client.is_connected
        await client.close()
        server.close()  # type: ignore[attr-defined]

    run(main())


def test_error_answer_is_raised_as_command_error() -> None:
    async def main() -> None:
        server = await _server(simulate_viewers=False)
        client = PlatformClient(server.url, "tok")
        await client.connect()
        first = await client.start_auction("card", 5, 30)
        with pytest.raises(CommandError) as err:
            await client.start_auction("card2", 5, 30)
        assert err.value.code == p.ErrorCode.AUCTION_RUNNING
        with pytest.raises(CommandError) as err:
            await client.command("auction.cancel", {"auction_id": first["auction_id"]})
        assert err.value.code == p.ErrorCode.CANNOT_CANCEL
        # Re-sending by id returns the first answer and has no second effect.
        first_chat = await client.command("chat.send", {"text": "hi"}, command_id="fixed-id")
        again = await client.command("chat.send", {"text": "hi"}, command_id="fixed-id")
        assert first_chat == again
        await asyncio.sleep(0.05)
        assert sum('"chat.message"' in t for _, t in server.history) == 1
        await client.close()
        await server.stop()

    run(main())


def test_client_works_over_wss(tmp_path) -> None:
    import ssl
    import subprocess

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=20)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    client_ctx = ssl.create_default_context(cafile=str(cert))

    async def main() -> None:
        server = await _server(simulate_viewers=False, ssl_context=server_ctx)
        assert server.url.startswith("wss://")
        client = PlatformClient(server.url, "tok", ssl=client_ctx)
        await client.connect()
        assert (await client.start_show())["show_id"] == server.show_id
        await client.close()
        await server.stop()

    run(main())
