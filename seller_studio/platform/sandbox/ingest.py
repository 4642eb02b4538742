"""The sandbox's RTMP ingest on loopback: receive what the studio pushes and report its health.

FFmpeg's RTMP listen mode (PyAV ``av.open(url, options={"listen": "1"})``) accepts ANY stream
name: a publish to the wrong key only logs "Unexpected stream X, expecting Y" (with both keys in
the log) and the stream is accepted. So the public port is a small gate in front of the listener:
it reads the publisher's RTMP messages up to `publish`, compares the stream name with the key, and
either splices the connection through to the PyAV listener on a private loopback port, or answers
`onStatus NetStream.Publish.BadName` ("wrong stream key") and closes. FFmpeg, OBS and the studio's
own output all report that as a refused key, and no media from a wrong key is ever decoded.

The listener runs in its own thread; it ends with an EIO error when the publisher disconnects,
which is treated as the end of that stream before listening again. Health is computed from the
stream's own timestamps over the last few seconds and handed to ``on_event`` from that thread.
Keys are never logged (PyAV error texts carry the URL, so only their errno/type are logged).
"""

from __future__ import annotations

import errno
import hmac
import logging
import secrets
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import av

from seller_studio.common.net import free_port

log = logging.getLogger(__name__)

EventSink = Callable[[str, dict[str, Any]], None]

HANDSHAKE_BYTES = 1 + 1536 + 1536  # C0 + C1 + C2 from the publisher
HEALTH_WINDOW_S = 3.0
FIRST_BYTES_TIMEOUT_S = 10.0  # a connection that sends nothing for this long is dropped
AMF0_COMMAND = 20
AMF3_COMMAND = 17
SET_CHUNK_SIZE = 1


class RtmpIngest:
    def __init__(self, on_event: EventSink, host: str = "127.0.0.1", port: int = 0, app: str = "live",
                 stream_key: str | None = None, health_every_s: float = 1.0):
        self.on_event = on_event
        self.host = host
        self.port = port
        self.app = app
        self.stream_key = stream_key or secrets.token_hex(8)
        self.health_every_s = health_every_s
        self._inner_port = 0
        self._gate: socket.socket | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._links: set[socket.socket] = set()
        self._links_lock = threading.Lock()
        self.streams_received = 0
        self.publishes_refused = 0

    @property
    def url(self) -> str:
        """Server URL without the key (what a streaming app calls "Server")."""
        return f"rtmp://{self.host}:{self.port}/{self.app}"

    @property
    def publish_url(self) -> str:
        return f"{self.url}/{self.stream_key}"

    def start(self) -> None:
        gate = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        gate.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        gate.bind((self.host, self.port))
        gate.listen(8)
        gate.settimeout(0.2)  # so the accept loop notices stop()
        self._gate = gate
        self.port = gate.getsockname()[1]
        self._inner_port = free_port()
        for target, name in ((self._accept_loop, "ingest-gate"), (self._listen_loop, "ingest-listener")):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)
        log.info("RTMP ingest listening on %s (key not shown)", self.url)

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        with self._links_lock:
            links = list(self._links)
        for s in links:
            _close(s)
        # The PyAV listener blocks in accept: a throwaway connection wakes it so it sees the stop.
        try:
            socket.create_connection(("127.0.0.1", self._inner_port), timeout=0.5).close()
        except OSError:
            pass
        for t in self._threads:
            t.join(timeout_s)
        if self._gate is not None:
            self._gate.close()

    # --- the gate ---

    def _accept_loop(self) -> None:
        assert self._gate is not None
        while not self._stop.is_set():
            try:
                client, _ = self._gate.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._gate_one, args=(client,), name="ingest-gate-conn", daemon=True).start()

    def _gate_one(self, client: socket.socket) -> None:
        upstream = None
        self._track(client)
        try:
            # The listener is only reached once the client speaks: a bare connect (doctor's
            # reachability check, a port scanner) must not take the one-stream listener, or a
            # publisher connecting at the same moment would be reset in the listener's backlog.
            client.settimeout(FIRST_BYTES_TIMEOUT_S)
            first = client.recv(65536)
            if not first:
                return
            client.settimeout(None)
            upstream = self._connect_inner()
            if upstream is None:
                log.warning("ingest busy or not listening; refused a publisher")
                return
            self._track(upstream)
            write_lock = threading.Lock()
            back = threading.Thread(target=_pump, args=(upstream, client, write_lock), name="ingest-gate-back",
                                    daemon=True)
            back.start()
            verdict, held = self._read_until_publish(client, upstream, first)
            if verdict is None:
                return
            if not verdict:
                self.publishes_refused += 1
                log.warning("ingest refused a publish: wrong stream key")
                self.on_event("ingest.status", {"state": "refused", "reason": "wrong stream key"})
                _close(upstream)
                back.join(1.0)
                with write_lock:
                    try:
                        client.sendall(_on_status_bad_name())
                        time.sleep(0.2)  # let the publisher read it before the close
                    except OSError:
                        pass
                return
            upstream.sendall(held)
            _pump(client, upstream, None)
        except OSError as exc:
            log.info("ingest gate connection ended: %s", errno.errorcode.get(exc.errno or 0, type(exc).__name__))
        finally:
            for s in (client, upstream):
                if s is not None:
                    _close(s)
                    self._untrack(s)

    def _connect_inner(self) -> socket.socket | None:
        deadline = time.monotonic() + 2.0  # the listener may be between two streams
        while not self._stop.is_set():
            try:
                return socket.create_connection(("127.0.0.1", self._inner_port), timeout=1.0)
            except OSError:
                if time.monotonic() > deadline:
                    return None
                time.sleep(0.05)
        return None

    def _read_until_publish(self, client: socket.socket, upstream: socket.socket,
                            first: bytes = b"") -> tuple[bool | None, bytes]:
        """Forward the publisher's bytes until its `publish` command, which is held back.

        Returns (True, held bytes) for the right key, (False, b"") for a wrong one, (None, b"") if the
        publisher left first.
        """
        reader = _ChunkReader()
        handshake_left = HANDSHAKE_BYTES
        pending = first
        while True:
            data, pending = (pending or client.recv(65536)), b""
            if not data:
                return None, b""
            if handshake_left:
                take = min(handshake_left, len(data))
                upstream.sendall(data[:take])
                handshake_left -= take
                data = data[take:]
                if not data:
                    continue
            # Forward message by message so the publish is never half sent.
            for raw, mtype, payload in reader.feed(data):
                name = _publish_name(mtype, payload)
                if name is None:
                    upstream.sendall(raw)
                    continue
                key = name.split("?", 1)[0]
                if not hmac.compare_digest(key.encode(), self.stream_key.encode()):
                    return False, b""
                return True, raw + reader.rest()
            if reader.is_broken:
                return None, b""

    def _track(self, s: socket.socket) -> None:
        with self._links_lock:
            self._links.add(s)

    def _untrack(self, s: socket.socket) -> None:
        with self._links_lock:
            self._links.discard(s)

    # --- the listener ---

    def _listen_loop(self) -> None:
        inner_url = f"rtmp://127.0.0.1:{self._inner_port}/{self.app}/{self.stream_key}"
        while not self._stop.is_set():
            self.on_event("ingest.status", {"state": "listening"})
            try:
                container = av.open(inner_url, options={"listen": "1"}, timeout=(None, 10.0))
            except Exception as exc:  # the stop() wake-up connection or a publisher that left early
                if not self._stop.is_set():
                    log.info("ingest listener: no stream (%s)", _err_text(exc))
                    time.sleep(0.05)
                continue
            if self._stop.is_set():
                container.close()
                return
            self.streams_received += 1
            self.on_event("ingest.status", {"state": "receiving"})
            try:
                self._receive(container)
            finally:
                container.close()
            self.on_event("ingest.status", {"state": "ended"})

    def _receive(self, container: Any) -> None:
        video = next((s for s in container.streams if s.type == "video"), None)
        audio = next((s for s in container.streams if s.type == "audio"), None)
        health = _HealthWindow()
        next_report = time.monotonic() + self.health_every_s
        try:
            for packet in container.demux():
                if self._stop.is_set():
                    return
                if packet.pts is None or packet.time_base is None:
                    continue
                t = float(packet.pts * packet.time_base)
                health.add_packet(t, packet.size, is_audio=packet.stream is audio)
                if video is not None and packet.stream is video:
                    if packet.is_keyframe:
                        health.add_keyframe(t)
                    for frame in packet.decode():
                        # Frame times, not packet times: with B-frames packets come in decode order.
                        ft = frame.time if frame.time is not None else t
                        health.add_frame(ft, frame.width, frame.height)
                if time.monotonic() >= next_report:
                    next_report = time.monotonic() + self.health_every_s
                    self.on_event("ingest.health", health.report())
        except av.error.EOFError:
            pass
        except OSError as exc:
            # EIO: the publisher disconnected; that is the normal end of a stream in listen mode.
            if exc.errno != errno.EIO:
                log.info("ingest stream ended: %s", _err_text(exc))
        except av.error.FFmpegError as exc:
            log.info("ingest stream ended: %s", _err_text(exc))
        if health.frames or health.sizes:
            self.on_event("ingest.health", health.report())


class _HealthWindow:
    def __init__(self) -> None:
        self.frames: deque[float] = deque()
        self.sizes: deque[tuple[float, int]] = deque()
        self.keyframes: deque[float] = deque(maxlen=6)
        self.last_audio_t: float | None = None
        self.width = 0
        self.height = 0
        self.newest_t = 0.0

    def add_packet(self, t: float, size: int, is_audio: bool) -> None:
        self.newest_t = max(self.newest_t, t)
        self.sizes.append((t, size))
        if is_audio:
            self.last_audio_t = t
        self._trim()

    def add_keyframe(self, t: float) -> None:
        if not self.keyframes or t > self.keyframes[-1]:
            self.keyframes.append(t)

    def add_frame(self, t: float, width: int, height: int) -> None:
        if self.frames and t <= self.frames[-1]:
            return  # a repeated or reordered timestamp would skew the rate
        self.frames.append(t)
        self.width, self.height = width, height
        self._trim()

    def _trim(self) -> None:
        cutoff = self.newest_t - HEALTH_WINDOW_S
        while self.frames and self.frames[0] < cutoff:
            self.frames.popleft()
        while self.sizes and self.sizes[0][0] < cutoff:
            self.sizes.popleft()

    def report(self) -> dict[str, Any]:
        fps = 0.0
        if len(self.frames) >= 2 and self.frames[-1] > self.frames[0]:
            fps = (len(self.frames) - 1) / (self.frames[-1] - self.frames[0])
        bitrate_kbps = 0.0
        if len(self.sizes) >= 2:
            span_s = max(self.sizes[-1][0] - self.sizes[0][0], 1e-3)
            bitrate_kbps = sum(size for _, size in self.sizes) * 8 / 1000 / span_s
        keyframe_interval_s = None
        if len(self.keyframes) >= 2:
            k = list(self.keyframes)
            keyframe_interval_s = round((k[-1] - k[0]) / (len(k) - 1), 3)
        has_audio = self.last_audio_t is not None and self.newest_t - self.last_audio_t < HEALTH_WINDOW_S
        return {"fps": round(fps, 2), "bitrate_kbps": round(bitrate_kbps, 1), "keyframe_interval_s": keyframe_interval_s,
                "width": self.width, "height": self.height, "has_audio": has_audio}


class _ChunkReader:
    """Reassembles RTMP messages from the publisher's chunk stream (only until `publish`)."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.chunk_size = 128
        self.is_broken = False
        # csid -> [timestamp, length, type, stream id, payload so far, raw bytes so far, has extended ts]
        self.streams: dict[int, list[Any]] = {}

    def rest(self) -> bytes:
        return bytes(self.buf)

    def feed(self, data: bytes) -> list[tuple[bytes, int, bytes]]:
        self.buf += data
        out: list[tuple[bytes, int, bytes]] = []
        while True:
            parsed = self._one_chunk()
            if parsed is None:
                return out
            if parsed is not False:
                out.append(parsed)  # type: ignore[arg-type]

    def _one_chunk(self) -> tuple[bytes, int, bytes] | None | bool:
        b = self.buf
        if not b:
            return None
        fmt, csid, pos = b[0] >> 6, b[0] & 0x3F, 1
        if csid == 0:
            if len(b) < 2:
                return None
            csid, pos = 64 + b[1], 2
        elif csid == 1:
            if len(b) < 3:
                return None
            csid, pos = 64 + b[1] + b[2] * 256, 3
        header_len = (11, 7, 3, 0)[fmt]
        if len(b) < pos + header_len:
            return None
        st = self.streams.get(csid)
        if st is None:
            if fmt != 0:
                self.is_broken = True  # not a stream we understand: let the caller give up
                return None
            st = self.streams[csid] = [0, 0, 0, 0, bytearray(), bytearray(), False]
        h = b[pos:pos + header_len]
        if fmt <= 2:
            ts = int.from_bytes(h[0:3], "big")
            st[6] = ts == 0xFFFFFF
        if fmt <= 1:
            st[1], st[2] = int.from_bytes(h[3:6], "big"), h[6]
        if fmt == 0:
            st[3] = int.from_bytes(h[7:11], "little")
        pos += header_len
        if st[6]:
            pos += 4
        if len(b) < pos:
            return None
        need = min(self.chunk_size, st[1] - len(st[4]))
        if len(b) < pos + need:
            return None
        st[4] += b[pos:pos + need]
        st[5] += b[:pos + need]
        del b[:pos + need]
        if len(st[4]) < st[1]:
            return False
        payload, raw, mtype = bytes(st[4]), bytes(st[5]), st[2]
        st[4], st[5] = bytearray(), bytearray()
        if mtype == SET_CHUNK_SIZE and len(payload) >= 4:
            self.chunk_size = max(1, int.from_bytes(payload[:4], "big") & 0x7FFFFFFF)
        return raw, mtype, payload


def _publish_name(mtype: int, payload: bytes) -> str | None:
    """The stream name if this message is an RTMP `publish` command, else None."""
    if mtype == AMF3_COMMAND:
        payload = payload[1:]
    elif mtype != AMF0_COMMAND:
        return None
    name, pos = _amf_string(payload, 0)
    if name != "publish":
        return None
    # publish(transaction id: number, null, stream name: string, type: string)
    if payload[pos:pos + 1] != b"\x00":
        return ""
    pos += 9
    if payload[pos:pos + 1] == b"\x05":
        pos += 1
    stream, _ = _amf_string(payload, pos)
    return stream or ""


def _amf_string(payload: bytes, pos: int) -> tuple[str | None, int]:
    if payload[pos:pos + 1] != b"\x02" or len(payload) < pos + 3:
        return None, pos
    n = int.from_bytes(payload[pos + 1:pos + 3], "big")
    return payload[pos + 3:pos + 3 + n].decode("utf-8", "replace"), pos + 3 + n


def _amf0_str(s: str) -> bytes:
    raw = s.encode()
    return struct.pack(">H", len(raw)) + raw


def _on_status_bad_name() -> bytes:
    """onStatus(level=error, code=NetStream.Publish.BadName) as one chunk on message stream 1."""
    body = b"\x02" + _amf0_str("onStatus") + b"\x00" + struct.pack(">d", 0.0) + b"\x05" + b"\x03"
    for key, value in (("level", "error"), ("code", "NetStream.Publish.BadName"),
                       ("description", "wrong stream key")):
        body += _amf0_str(key) + b"\x02" + _amf0_str(value)
    body += b"\x00\x00\x09"
    assert len(body) <= 128  # one chunk at the default chunk size, whatever the server set
    header = bytes([0x05]) + b"\x00\x00\x00" + len(body).to_bytes(3, "big") + bytes([AMF0_COMMAND])
    return header + struct.pack("<I", 1) + body


def _pump(src: socket.socket, dst: socket.socket, lock: threading.Lock | None) -> None:
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if lock is None:
                dst.sendall(data)
            else:
                with lock:
                    dst.sendall(data)
    except OSError:
        pass  # either side went away; the caller closes both


def _close(s: socket.socket) -> None:
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    s.close()


def _err_text(exc: BaseException) -> str:
    """An error description without the URL (it holds the stream key)."""
    code = getattr(exc, "errno", None)
    if isinstance(code, int) and code > 0:
        return f"{type(exc).__name__} errno {errno.errorcode.get(code, code)}"
    return type(exc).__name__
