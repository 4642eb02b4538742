"""`seller-studio sandbox` as a user runs it: prints what to use, serves it, stops on Ctrl-C."""

from __future__ import annotations

import re
import signal
import socket
import subprocess

import pytest

from seller_studio.platform.client import PlatformClient
from tests.helpers import SELLER_STUDIO
from tests.platform.conftest import run

pytestmark = pytest.mark.timeout(30)


def test_sandbox_command_prints_urls_key_token_and_serves() -> None:
    proc = subprocess.Popen([*SELLER_STUDIO, "sandbox", "--port", "0", "--rtmp-port", "0", "--whip-port", "0", "--seed", "5",
                             "--token", "secret-tok", "--stream-key", "sk-123", "--chat-rate", "120"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [proc.stdout.readline() for _ in range(7)]  # type: ignore[union-attr]
        text = "".join(lines)
        ws_url = re.search(r"Platform URL:\s+(\S+)", text).group(1)  # type: ignore[union-attr]
        ingest = re.search(r"Ingest URL:\s+rtmp://127.0.0.1:(\d+)/live", text)
        assert ingest and "Stream key:    sk-123" in text and "Token:         secret-tok" in text
        socket.create_connection(("127.0.0.1", int(ingest.group(1))), timeout=2).close()
        whip = re.search(r"WHIP URL:\s+http://127.0.0.1:(\d+)/whip", text)
        assert whip, text
        socket.create_connection(("127.0.0.1", int(whip.group(1))), timeout=2).close()

        async def main() -> None:
            client = PlatformClient(ws_url, "secret-tok")
            await client.connect()
            assert await client.ping() < 1
            await client.close()

        run(main())
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 130
    # Secrets are printed for the seller but never logged.
    assert "secret-tok" not in err and "sk-123" not in err


def test_port_in_use_is_one_clear_line() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run([*SELLER_STUDIO, "sandbox", "--port", str(port), "--rtmp-port", "0"],
                              capture_output=True, text=True, timeout=20)
    assert proc.returncode == 10
    assert proc.stderr.strip().splitlines()[-1] == (
        "seller-studio: error: a port is already in use; pick others with --port / --rtmp-port / --whip-port (0 picks a free one)")


def test_currency_flag_prices_the_show_and_whip_port_defaults_to_8181() -> None:
    from seller_studio.cli.main import build_parser

    defaults = build_parser(["sandbox"]).parse_args(["sandbox"])
    assert (defaults.whip_port, defaults.currency) == (8181, "USD")
    proc = subprocess.Popen([*SELLER_STUDIO, "sandbox", "--port", "0", "--rtmp-port", "0", "--whip-port", "0",
                             "--currency", "NOK", "--token", "tok", "--chat-rate", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        text = "".join(proc.stdout.readline() for _ in range(7))  # type: ignore[union-attr]
        ws_url = re.search(r"Platform URL:\s+(\S+)", text).group(1)  # type: ignore[union-attr]
        from tests.platform.test_protocol_conformance import Raw

        c = Raw(ws_url, token="tok")
        assert c.welcome["data"]["currency"] == "NOK"
        assert c.command("show.start")["type"] == "ack"  # no currency asked: the platform's
        started = [e for e in c.events(0.3) + c.seen if e["type"] == "show.started"]
        assert started and started[0]["data"]["currency"] == "NOK"
        c.close()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)


def test_an_unknown_currency_is_one_line() -> None:
    proc = subprocess.run([*SELLER_STUDIO, "sandbox", "--currency", "XYZ"], capture_output=True, text=True, timeout=20)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].endswith(
        "argument --currency: unknown currency 'XYZ': use one of USD, NOK, SEK, DKK, EUR, GBP")
