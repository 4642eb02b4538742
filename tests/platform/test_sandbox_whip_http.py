"""The sandbox's WHIP endpoint as docs/protocol.md describes it, over real HTTP (no media flows).

201 with the SDP answer and a Location for a right key and an SDP offer; 401 (and
``ingest.status {state: refused, reason: "wrong stream key"}``) for a wrong or missing key, 415 for a
body that is not application/sdp, 400 for one that is not an SDP offer, 404 for another path;
``OPTIONS /whip`` is 204 with ``Accept-Post: application/sdp``; DELETE of the resource (same Bearer
token) ends it; a new offer replaces the stream that was there.
"""

from __future__ import annotations

import asyncio
import http.client
import time
from urllib.parse import urlsplit

import pytest

from seller_studio.platform.sandbox.embedded import EmbeddedSandbox, start_sandbox
from seller_studio.platform.sandbox.server import SandboxConfig
from tests.platform.test_protocol_conformance import Raw

pytestmark = pytest.mark.timeout(30)

KEY = "whip-key"


@pytest.fixture(scope="module")
def sandbox():
    sb = start_sandbox(SandboxConfig(token="test-token", simulate_viewers=False), stream_key=KEY)
    assert sb.whip is not None and sb.whip_url.endswith("/whip")
    yield sb
    sb.stop()


def _offer(video_codec: str = "") -> str:
    """A real WebRTC offer, send only, as a publisher makes it: aiortc's own codec list (VP8 first,
    then H.264; Opus, G.722, G.711), or only ``video_codec`` ("video/VP8")."""
    from aiortc import RTCPeerConnection, RTCRtpSender

    async def make() -> str:
        pc = RTCPeerConnection()
        video = pc.addTransceiver("video", direction="sendonly")
        if video_codec:
            video.setCodecPreferences([c for c in RTCRtpSender.getCapabilities("video").codecs
                                       if c.mimeType == video_codec])
        pc.addTransceiver("audio", direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
        await pc.close()
        return sdp

    return asyncio.run(make())


@pytest.fixture(scope="module")
def offer() -> str:
    return _offer()


def _request(sandbox: EmbeddedSandbox, method: str, path: str = "/whip", body: str = "",
             headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    url = urlsplit(sandbox.whip_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        conn.request(method, path, body=body.encode(), headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read().decode()
    finally:
        conn.close()


def _bearer(key: str = KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Content-Type": "application/sdp"}


def _statuses(watcher: Raw, until_state: str, timeout_s: float = 5.0) -> list[dict]:
    """ingest.status events seen by a platform client until one with ``until_state`` arrives."""
    deadline = time.monotonic() + timeout_s
    seen: list[dict] = []
    while time.monotonic() < deadline:
        seen += [e["data"] for e in watcher.events(0.1) if e["type"] == "ingest.status"]
        if any(s["state"] == until_state for s in seen):
            return seen
    return seen


def test_options_says_what_it_accepts(sandbox: EmbeddedSandbox) -> None:
    status, headers, _ = _request(sandbox, "OPTIONS")
    assert status == 204 and headers["accept-post"] == "application/sdp"


@pytest.mark.parametrize("headers", [
    {"Content-Type": "application/sdp"},  # no key
    {"Authorization": "Bearer not-the-key", "Content-Type": "application/sdp"},
    {"Authorization": f"Basic {KEY}", "Content-Type": "application/sdp"},
])
def test_a_wrong_or_missing_key_is_401_and_reported_refused(sandbox: EmbeddedSandbox, offer: str,
                                                            headers: dict[str, str]) -> None:
    watcher = Raw(sandbox.ws_url)
    try:
        watcher.events(0.05)  # what the show had before
        status, _, _ = _request(sandbox, "POST", body=offer, headers=headers)
        assert status == 401
        refused = [s for s in _statuses(watcher, "refused") if s["state"] == "refused"]
        assert refused == [{"state": "refused", "reason": "wrong stream key"}]
    finally:
        watcher.close()


def test_bodies_and_paths_it_does_not_take(sandbox: EmbeddedSandbox, offer: str) -> None:
    assert _request(sandbox, "POST", body=offer, headers={"Authorization": f"Bearer {KEY}",
                                                          "Content-Type": "text/plain"})[0] == 415
    assert _request(sandbox, "POST", body="hello, not SDP", headers=_bearer())[0] == 400
    assert _request(sandbox, "POST", "/other", body=offer, headers=_bearer())[0] == 404
    assert _request(sandbox, "GET", "/")[0] == 404
    assert sandbox.whip.sessions == 0


def test_an_offer_gets_201_an_answer_and_a_resource_that_delete_ends(sandbox: EmbeddedSandbox, offer: str) -> None:
    status, headers, answer = _request(sandbox, "POST", body=offer, headers=_bearer())
    assert status == 201, answer
    assert headers["content-type"] == "application/sdp" and answer.startswith("v=")
    location = headers["location"]
    assert location.startswith("/whip/") and len(location) > len("/whip/")
    # One publisher at a time: a new offer replaces the stream that was there.
    status2, headers2, _ = _request(sandbox, "POST", body=_offer(), headers=_bearer())
    assert status2 == 201 and headers2["location"] != location
    assert sandbox.whip.sessions == 1
    assert _request(sandbox, "DELETE", location, headers={"Authorization": f"Bearer {KEY}"})[0] == 404  # replaced
    # DELETE needs the same Bearer token, then ends the stream.
    assert _request(sandbox, "DELETE", headers2["location"], headers={"Authorization": "Bearer nope"})[0] == 401
    assert sandbox.whip.sessions == 1
    assert _request(sandbox, "DELETE", headers2["location"], headers={"Authorization": f"Bearer {KEY}"})[0] == 200
    assert sandbox.whip.sessions == 0


def test_the_answer_takes_h264_mode_1_baseline_and_opus_48k_stereo_over_host_candidates(
        sandbox: EmbeddedSandbox, offer: str) -> None:
    status, headers, answer = _request(sandbox, "POST", body=offer, headers=_bearer())  # VP8 offered first
    assert status == 201, answer
    rtpmaps = [line.split(" ", 1)[1] for line in answer.splitlines() if line.startswith("a=rtpmap:")]
    assert {r.split("/")[0] for r in rtpmaps} == {"H264", "rtx", "opus"}, rtpmaps
    assert "opus/48000/2" in rtpmaps
    h264_fmtp = [line for line in answer.splitlines() if line.startswith("a=fmtp:") and "profile-level-id" in line]
    assert h264_fmtp and all("packetization-mode=1" in f and "profile-level-id=42" in f for f in h264_fmtp)
    candidates = [line for line in answer.splitlines() if line.startswith("a=candidate:")]
    assert candidates and all(c.endswith("typ host") for c in candidates)  # no STUN/TURN
    assert _request(sandbox, "DELETE", headers["location"], headers={"Authorization": f"Bearer {KEY}"})[0] == 200
    # A publisher that can only send VP8 gets a clear 400, not a stream nobody asked for.
    status, _, text = _request(sandbox, "POST", body=_offer("video/VP8"), headers=_bearer())
    assert status == 400 and "cannot answer this offer" in text
    assert sandbox.whip.sessions == 0
