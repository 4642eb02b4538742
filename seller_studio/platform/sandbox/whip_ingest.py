"""The sandbox's WHIP ingest: a real WebRTC peer (aiortc) behind a WHIP endpoint on loopback.

A publisher POSTs its SDP offer to ``http://HOST:PORT/whip`` with ``Authorization: Bearer KEY``;
the endpoint answers ``201 Created`` with the SDP answer and ``Location: /whip/RESOURCE``, which the
publisher DELETEs to end the stream. A wrong or missing key is ``401``, a body that is not an SDP
offer ``400`` or ``415``. What arrives is decoded (H.264 video, Opus audio) and reported like the
RTMP ingest: ``ingest.status`` and, about once a second, ``ingest.health`` (the same fields,
measured from the decoded frames' own timestamps over the last 3 s; the bitrate from the RTP bytes
received). One publisher at a time: a new offer replaces the stream that was there (a studio that
reconnects may not have been able to DELETE the old one).

It is also the test and benchmark peer: ``on_video_frame`` / ``on_audio_frame`` get every decoded
frame (on the endpoint's own thread), which is how the latency probe reads the frame codes.
HTTP is a small asyncio server of its own (no web framework in the studio's dependencies); the
endpoint runs on its own thread and event loop. Keys are never logged.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from seller_studio.common.net import is_loopback_host, read_http_headers
from seller_studio.common.webrtc import offer_loopback
from seller_studio.platform.sandbox.ingest import EventSink, _HealthWindow

log = logging.getLogger(__name__)
# aioice logs every ICE candidate pair check at INFO: the studio's log says only what a seller can use.
logging.getLogger("aioice").setLevel(logging.WARNING)

FrameSink = Callable[[Any], None]
MAX_BODY_BYTES = 64 * 1024
REQUEST_TIMEOUT_S = 10.0


class WhipIngest:
    def __init__(self, on_event: EventSink, host: str = "127.0.0.1", port: int = 0, path: str = "/whip",
                 stream_key: str | None = None, health_every_s: float = 1.0,
                 on_video_frame: FrameSink | None = None, on_audio_frame: FrameSink | None = None) -> None:
        self.on_event = on_event
        self.host = host
        self.port = port
        self.path = "/" + path.strip("/")
        self.stream_key = stream_key or secrets.token_hex(8)
        self.health_every_s = health_every_s
        self.on_video_frame = on_video_frame
        self.on_audio_frame = on_audio_frame
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None
        self._sessions: dict[str, _Session] = {}
        self.offers_answered = 0
        self.offers_refused = 0
        self.sessions_deleted = 0
        self.video_frames = 0
        self.audio_frames = 0

    @property
    def url(self) -> str:
        """The WHIP endpoint URL (the key goes in the Authorization header, never in the URL)."""
        return f"http://{self.host}:{self.port}{self.path}"

    def start(self, timeout_s: float = 10.0) -> WhipIngest:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                self._server = loop.run_until_complete(
                    asyncio.start_server(self._handle, self.host, self.port))
                self.port = self._server.sockets[0].getsockname()[1]
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self._shutdown())
                # aiortc leaves a peer connection's connect task waiting when it closes before ICE
                # finished: end those too, so nothing is destroyed pending with the loop.
                loop.run_until_complete(_cancel_leftovers())
                loop.close()

        self._thread = threading.Thread(target=run, name="whip-ingest", daemon=True)
        self._thread.start()
        if not ready.wait(timeout_s):
            raise TimeoutError("the WHIP ingest did not start in time")
        if failure:
            raise failure[0]
        log.info("WHIP ingest listening on %s (key not shown)", self.url)
        self.on_event("ingest.status", {"state": "listening"})
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        loop = self._loop
        if loop is not None and loop.is_running():
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout_s)

    def ask_keyframe(self, timeout_s: float = 2.0) -> int:
        """Send the publisher a picture-loss indication (RTCP PLI), as a viewer's decoder that lost
        a picture does; the number of video streams asked. Any thread."""
        loop = self._loop
        if loop is None or not loop.is_running():
            return 0
        return asyncio.run_coroutine_threadsafe(self._ask_keyframe(), loop).result(timeout_s)

    async def _ask_keyframe(self) -> int:
        asked = 0
        for session in list(self._sessions.values()):
            for receiver in session.pc.getReceivers():
                if receiver.track is None or receiver.track.kind != "video":
                    continue
                for source in receiver.getSynchronizationSources():
                    await receiver._send_rtcp_pli(source.source)
                    asked += 1
        return asked

    @property
    def sessions(self) -> int:
        return len(self._sessions)

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for session in list(self._sessions.values()):
            await session.close()
        self._sessions.clear()

    # -- HTTP -----------------------------------------------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            method, target, headers, body = await asyncio.wait_for(_read_request(reader), REQUEST_TIMEOUT_S)
            status, reply_headers, reply = await self._route(method, target.split("?", 1)[0], headers, body)
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError, ValueError):
            status, reply_headers, reply = 400, {}, b"bad request\n"
        except Exception:  # a peer-connection bug: answer, log, keep serving
            log.exception("WHIP ingest: request failed")
            status, reply_headers, reply = 500, {}, b"internal error\n"
        head = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}", f"Content-Length: {len(reply)}",
                "Connection: close", *(f"{k}: {v}" for k, v in reply_headers.items())]
        try:
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + reply)
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def _route(self, method: str, path: str, headers: dict[str, str],
                     body: bytes) -> tuple[int, dict[str, str], bytes]:
        if path == self.path and method == "OPTIONS":
            return 204, {"Accept-Post": "application/sdp", "Allow": "OPTIONS, POST"}, b""
        if path == self.path and method == "POST":
            return await self._offer(headers, body)
        if path.startswith(self.path + "/") and method == "DELETE":
            if not self._authorized(headers):
                return 401, {"WWW-Authenticate": "Bearer"}, b"wrong stream key\n"
            session = self._sessions.pop(path.rsplit("/", 1)[-1], None)
            if session is None:
                return 404, {}, b"no such WHIP session\n"
            self.sessions_deleted += 1
            await session.close()
            return 200, {}, b""
        if path == self.path or path.startswith(self.path + "/"):
            return 405, {"Allow": "OPTIONS, POST, DELETE"}, b"method not allowed\n"
        return 404, {}, b"not a WHIP endpoint\n"

    def _authorized(self, headers: dict[str, str]) -> bool:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), self.stream_key.encode())

    async def _offer(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        from aiortc import RTCPeerConnection, RTCSessionDescription

        if not self._authorized(headers):
            self.offers_refused += 1
            log.warning("WHIP ingest refused an offer: wrong stream key")
            self.on_event("ingest.status", {"state": "refused", "reason": "wrong stream key"})
            return 401, {"WWW-Authenticate": "Bearer"}, b"wrong stream key\n"
        if headers.get("content-type", "").split(";")[0].strip().lower() != "application/sdp":
            return 415, {"Accept-Post": "application/sdp"}, b"the offer must be application/sdp\n"
        offer = body.decode("utf-8", "replace")
        if not offer.lstrip().startswith("v="):
            return 400, {}, b"the body is not an SDP offer\n"
        if is_loopback_host(self.host):
            offer_loopback()  # a studio on this machine connects even with no other interface up
        for old_id in list(self._sessions):  # one publisher at a time: the newest offer wins
            await self._sessions.pop(old_id).close()
        pc = RTCPeerConnection()
        _accept_only_h264_and_opus(pc)
        session = _Session(self, pc)
        pc.on("track", session.on_track)
        pc.on("connectionstatechange", session.on_state)
        try:
            await pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
            _release_frames_on_marker(pc)
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:  # noqa: BLE001  (aiortc raises several kinds on an unusable offer)
            await pc.close()
            return 400, {}, f"cannot answer this offer: {exc}\n".encode()
        resource = secrets.token_hex(8)
        self._sessions[resource] = session
        self.offers_answered += 1
        return 201, {"Content-Type": "application/sdp", "Location": f"{self.path}/{resource}",
                     "ETag": f'"{resource}"'}, pc.localDescription.sdp.encode()


class _Session:
    """One publisher's peer connection: decoded tracks in, ingest.health out."""

    def __init__(self, ingest: WhipIngest, pc: Any) -> None:
        self.ingest = ingest
        self.pc = pc
        self.health = _HealthWindow()
        self.tasks: list[asyncio.Task] = []
        self.receiving = False
        self._bytes_at: list[tuple[float, int]] = []

    def on_track(self, track: Any) -> None:
        self.tasks.append(asyncio.ensure_future(self._consume(track)))
        if track.kind == "video":
            self.tasks.append(asyncio.ensure_future(self._report()))

    def on_state(self) -> None:
        state = self.pc.connectionState
        if state == "connected" and not self.receiving:
            self.receiving = True
            self.ingest.on_event("ingest.status", {"state": "receiving"})
        elif state in ("failed", "closed") and self.receiving:
            self._ended()

    def _ended(self) -> None:
        self.receiving = False
        self.ingest.on_event("ingest.status", {"state": "ended"})
        self.ingest.on_event("ingest.status", {"state": "listening"})  # ready for the next offer

    async def _consume(self, track: Any) -> None:
        from aiortc.mediastreams import MediaStreamError

        is_video = track.kind == "video"
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            t = float(frame.time) if frame.time is not None else time.monotonic()
            self.health.add_packet(t, 0, is_audio=not is_video)
            if is_video:
                self.ingest.video_frames += 1
                if frame.key_frame:
                    self.health.add_keyframe(t)
                self.health.add_frame(t, frame.width, frame.height)
                if self.ingest.on_video_frame is not None:
                    self.ingest.on_video_frame(frame)
            else:
                self.ingest.audio_frames += 1
                if self.ingest.on_audio_frame is not None:
                    self.ingest.on_audio_frame(frame)

    async def _report(self) -> None:
        # The bytes counted so far, before any frame: the first report then has a window to rate
        # (with one sample it read 0 kbps while 30 frames a second arrived).
        await self._bitrate_kbps()
        while True:
            await asyncio.sleep(self.ingest.health_every_s)
            if not self.health.frames:
                continue
            report = self.health.report()
            report["bitrate_kbps"] = await self._bitrate_kbps()
            self.ingest.on_event("ingest.health", report)

    async def _bitrate_kbps(self) -> float:
        """Bytes received over the last 3 s, from the (bundled) transport's own statistics."""
        total = 0
        for receiver in self.pc.getReceivers():
            try:
                stats = await receiver.getStats()
            except Exception:  # noqa: BLE001  (a receiver that is closing)
                continue
            total = max([total, *(getattr(s, "bytesReceived", 0) for s in stats.values() if s.type == "transport")])
        now = time.monotonic()
        self._bytes_at.append((now, total))
        while len(self._bytes_at) > 1 and now - self._bytes_at[0][0] > 3.0:
            self._bytes_at.pop(0)
        t0, b0 = self._bytes_at[0]
        return round((total - b0) * 8 / 1000 / (now - t0), 1) if now > t0 else 0.0

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        try:
            await asyncio.wait_for(self.pc.close(), 2.0)
        except (TimeoutError, Exception):  # noqa: BLE001  (closing must not stop the endpoint)
            pass
        if self.receiving:
            self._ended()


async def _cancel_leftovers() -> None:
    leftovers = asyncio.all_tasks() - {asyncio.current_task()}
    for task in leftovers:
        task.cancel()
    await asyncio.gather(*leftovers, return_exceptions=True)


def _accept_only_h264_and_opus(pc: Any) -> None:
    """Answer with H.264 (packetization mode 1, baseline) and Opus only, as docs/protocol.md says:
    aiortc would otherwise take VP8 (its first choice) or G.711 from a publisher that offers them.
    An offer without H.264 or Opus cannot be answered (400)."""
    from aiortc import RTCRtpReceiver

    for kind, names in (("video", ("video/h264", "video/rtx")), ("audio", ("audio/opus",))):
        codecs = [c for c in RTCRtpReceiver.getCapabilities(kind).codecs if c.mimeType.lower() in names
                  and c.parameters.get("packetization-mode", "1") == "1"]
        pc.addTransceiver(kind, direction="recvonly").setCodecPreferences(codecs)


def _release_frames_on_marker(pc: Any) -> None:
    """Decode a video frame as soon as its last packet (RTP marker bit) is in, as browsers do.

    aiortc's jitter buffer hands a frame to the decoder only when the first packet of the *next*
    frame arrives: one frame interval (33 ms at 30 fps) more at the peer than a browser adds. Its
    buffer is private; when a future aiortc changes that, the stock buffer stays (and says so).
    """
    from aiortc.jitterbuffer import JitterBuffer, JitterFrame

    class MarkerJitterBuffer(JitterBuffer):
        gap_s = 0.3  # a packet missing this long (its retransmission lost too) is given up

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._gap_since: float | None = None

        def add(self, packet: Any) -> tuple[bool, JitterFrame | None]:
            pli_flag, frame = super().add(packet)
            if frame is None and packet.marker:
                frame = self._frame_ending_at(packet.sequence_number)
            gap = self._first_gap(packet.sequence_number) if frame is None and self._origin is not None else None
            if gap is not None:
                # A lost packet holds back every later frame (stock aiortc: until 512 packets later,
                # many seconds on a slow link). Past gap_s, skip to the next whole frame after it and
                # ask for a keyframe, as a browser's receiver does.
                now = time.monotonic()
                if self._gap_since is None:
                    self._gap_since = now
                elif now - self._gap_since > self.gap_s:
                    self._skip_to_after(gap, packet.sequence_number)
                    self._gap_since = None
                    pli_flag = True
            else:
                self._gap_since = None
            return pli_flag, frame

        def _first_gap(self, newest: int) -> int | None:
            """Index (from the origin) of the first missing packet before ``newest``, or None."""
            for count in range(self.capacity):
                slot = self._packets[(self._origin + count) % self.capacity]
                if slot is None:
                    return count
                if slot.sequence_number == newest:
                    return None
            return None

        def _skip_to_after(self, gap: int, newest: int) -> None:
            """Drop everything before the newest frame: what is older is late and broken anyway,
            and a keyframe (asked for now) brings the picture back."""
            span = (newest - self._origin) % 65536
            start = span
            newest_packet = self._packets[newest % self.capacity]
            while start > gap:
                slot = self._packets[(self._origin + start - 1) % self.capacity]
                if slot is None or newest_packet is None or slot.timestamp != newest_packet.timestamp:
                    break
                start -= 1
            self.remove(min(max(start, gap + 1), self.capacity))

        def _frame_ending_at(self, sequence_number: int) -> JitterFrame | None:
            packets = []
            for count in range(self.capacity):
                packet = self._packets[(self._origin + count) % self.capacity]
                if packet is None:
                    return None  # a packet of this frame is still missing
                packets.append(packet)
                if packet.sequence_number == sequence_number:
                    break
            else:
                return None
            if any(p.timestamp != packets[-1].timestamp for p in packets):
                return None  # an older frame is in front of it: the stock rule handles that
            self.remove(len(packets))
            return JitterFrame(data=b"".join(p._data for p in packets), timestamp=packets[-1].timestamp)

    for transceiver in pc.getTransceivers():
        receiver = transceiver.receiver
        if transceiver.kind == "video" and hasattr(receiver, "_RTCRtpReceiver__jitter_buffer"):
            receiver._RTCRtpReceiver__jitter_buffer = MarkerJitterBuffer(capacity=512, is_video=True)
        elif transceiver.kind == "video":
            log.warning("WHIP ingest: this aiortc has no jitter buffer to replace; frames wait for the next one")


_REASONS = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
            404: "Not Found", 405: "Method Not Allowed", 415: "Unsupported Media Type", 500: "Internal Server Error",
            503: "Service Unavailable"}


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str], bytes]:
    request_line = (await reader.readline()).decode("latin-1").strip()
    method, target, _ = request_line.split(" ", 2)
    headers = await read_http_headers(reader)
    length = int(headers.get("content-length", "0") or 0)
    if length > MAX_BODY_BYTES:
        raise ValueError("request body too large")
    body = await reader.readexactly(length) if length else b""
    return method.upper(), target, headers, body
