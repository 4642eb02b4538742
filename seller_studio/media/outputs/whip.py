"""The WHIP output: the session's H.264 and its audio (as Opus) to a WebRTC peer, sub-second.

WHIP (WebRTC-HTTP ingestion, RFC 9725) is one HTTP POST of an SDP offer with the stream key as a
Bearer token; the endpoint answers 201 with its SDP answer and a Location to DELETE when the show
ends; the media then goes over ICE/DTLS/SRTP. Bidders then see the item well under a second late
instead of the seconds of RTMP -> HLS.

Why aiortc and not FFmpeg 8's ``whip`` muxer (it is in PyAV's build): PyAV writes a container's
header holding Python's GIL, and the muxer does its HTTP exchange, ICE and DTLS inside that call
with no deadline on the HTTP answer: an endpoint that accepts TCP and never answers froze the whole
process (measured: no other thread ran until it was killed). Here the WebRTC client is aiortc on
this output's own thread and asyncio loop, every wait has a deadline, and stop() cancels them.

It owns, like the RTMP output (stream.py): the send buffer with the drop-by-time policy, reconnect
with the shared policy (a refused key, a bad URL or an endpoint that never answers on the first
connect fail with one line instead of looping), stats, and a keyframe first after each (re)connect.
Video is the session's own encode, packetized as it is (the session encodes H.264 baseline without
B-frames when a WHIP output is present: ``needs_baseline_h264``); SPS/PPS go before each keyframe.
Audio is the session's AAC decoded and encoded again as 48 kHz stereo Opus (20 ms frames), the
codec WebRTC peers take. The peer's picture-loss requests (RTCP PLI/FIR) ask the session for a
keyframe (at most one a second). A peer that falls silent (no RTCP receiver report for 8 s: a
crashed or unplugged endpoint sends no goodbye, and ICE consent would notice only after 30 s)
counts as a disconnect; during the backoff a TCP probe of the endpoint every 0.5 s ends the wait as
soon as it answers again. Support's ``--simulate slow-uplink`` paces the sending here as for RTMP.

Dynamic bitrate: UDP sends never wait, so a link slower than the stream shows only as loss in the
peer's RTCP receiver reports (without an answer the peer decodes nothing at all: every frame has a
hole, every keyframe too). Loss above 10 % paces this output's sending (``link_kbps``: what went out
x (1 - loss/2); below 2 % it rises 8 % a report until the link no longer limits it — WebRTC's
loss-based rule); the backlog then builds in the send buffer as behind TCP, and the same
``BitrateController`` as RTMP's fits a rate plan under it, which the session's encode follows.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
import time
from dataclasses import dataclass
from fractions import Fraction
from urllib.parse import urljoin, urlsplit, urlunsplit

import av

from seller_studio.common.backoff import ReconnectPolicy
from seller_studio.common.errors import BadUrlError
from seller_studio.common.net import is_loopback_host, read_http_headers
from seller_studio.common.webrtc import offer_loopback
from seller_studio.i18n import tr_noop
from seller_studio.media.frames import EncodedPacket
from seller_studio.media.outputs.base import Output, OutputError, OutputState, StopReason
from seller_studio.media.outputs.bitrate import BitrateController
from seller_studio.media.outputs.send_buffer import SendBuffer
from seller_studio.media.outputs.send_meter import MetersSending, SendMeter, network_stream_stats
from seller_studio.media.outputs.stream import _controller_for
from seller_studio.media.stats import StreamStats
from seller_studio.media.supervision import ThreadCrash, report_crash, restarted

log = logging.getLogger(__name__)
# aioice logs every ICE candidate pair check at INFO: the studio's log says only what a seller can use.
logging.getLogger("aioice").setLevel(logging.WARNING)

# whip:// and whips:// are how a destination says "WHIP" in one URL; on the wire they are HTTP(S).
SCHEMES = {"whip": "http", "whips": "https", "http": "http", "https": "https"}
OPUS_RATE = 48000
OPUS_FRAME_SAMPLES = 960  # 20 ms
OPUS_BITRATE = 64_000  # stereo Opus at 64 kbit/s is transparent for speech and fine for music


def parse_whip_url(url: str) -> str:
    """The HTTP(S) URL of a WHIP endpoint, or BadUrlError with what is wrong."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError as exc:
        raise BadUrlError(tr_noop("bad WHIP URL: {exc}").format(exc=exc)) from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise BadUrlError(tr_noop("bad WHIP URL: the scheme must be whip://, whips://, http:// or https:// (got "
                                  "'{scheme}')").format(scheme=scheme or url))
    if not parts.hostname:
        raise BadUrlError(tr_noop("bad WHIP URL: it has no host name"))
    return urlunsplit((SCHEMES[scheme], parts.netloc, parts.path or "/", parts.query, ""))


def unavailable_reason(protocol: str = "whip") -> str | None:
    """Why this build cannot send WHIP (aiortc or an FFmpeg codec missing), or None."""
    try:
        import aiortc  # noqa: F401
    except ImportError:
        return tr_noop("WHIP needs the aiortc package, which is not installed")
    if "libopus" not in av.codecs_available:
        return tr_noop("WHIP needs the Opus encoder, which this FFmpeg build lacks")
    return None


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    reason: str
    headers: dict[str, str]  # lower-case names
    body: bytes


class _OpusFromAac:
    """The session's AAC packets -> 48 kHz stereo Opus packets of 20 ms (pts in samples)."""

    def __init__(self, template: av.stream.Stream) -> None:
        cc = template.codec_context
        self.decoder = av.CodecContext.create("aac", "r")
        if cc.extradata:
            self.decoder.extradata = cc.extradata
        self.decoder.sample_rate = cc.sample_rate
        self.decoder.layout = cc.layout
        self.resampler = av.AudioResampler(format="s16", layout="stereo", rate=OPUS_RATE,
                                           frame_size=OPUS_FRAME_SAMPLES)
        enc = av.CodecContext.create("libopus", "w")
        enc.sample_rate = OPUS_RATE
        enc.layout = "stereo"
        enc.format = "s16"
        enc.bit_rate = OPUS_BITRATE
        enc.time_base = Fraction(1, OPUS_RATE)
        enc.options = {"application": "lowdelay"}
        enc.open()
        self.encoder = enc
        self.samples_in = 0
        self.packets_out = 0

    def feed(self, packet: EncodedPacket) -> list[av.Packet]:
        p = av.Packet(packet.data)
        p.pts, p.dts, p.time_base = packet.pts, packet.dts, packet.time_base
        out: list[av.Packet] = []
        for frame in self.decoder.decode(p):
            frame.pts = None
            for f in self.resampler.resample(frame):
                f.pts = self.samples_in
                f.time_base = Fraction(1, OPUS_RATE)
                self.samples_in += f.samples
                for op in self.encoder.encode(f):
                    # Our own clock: one 20 ms frame after the other (libopus starts at a negative pts).
                    op.pts = op.dts = self.packets_out * OPUS_FRAME_SAMPLES
                    op.time_base = Fraction(1, OPUS_RATE)
                    self.packets_out += 1
                    out.append(op)
        return out


def _annexb_parameter_sets(extradata: bytes) -> bytes:
    """SPS/PPS as Annex B NAL units from an encoder's extradata (Annex B already, or avcC)."""
    if not extradata:
        return b""
    if extradata[:1] != b"\x01":
        return bytes(extradata)
    out, pos = b"", 5
    try:
        for count_mask in (0x1F, 0xFF):  # SPS count (low 5 bits), then PPS count
            count = extradata[pos] & count_mask
            pos += 1
            for _ in range(count):
                n = int.from_bytes(extradata[pos:pos + 2], "big")
                out += b"\x00\x00\x00\x01" + extradata[pos + 2:pos + 2 + n]
                pos += 2 + n
    except IndexError:
        return out
    return out


def h264_profile_of(extradata: bytes) -> int | None:
    """profile_idc of the first SPS in the extradata (66 = baseline), or None."""
    sets = _annexb_parameter_sets(extradata)
    for nal in sets.split(b"\x00\x00\x01")[1:]:
        if nal and nal[0] & 0x1F == 7 and len(nal) > 1:
            return nal[1]
    return None


class WhipOutput(MetersSending, Output):
    kind = "stream"  # a network stream for the stats bus, the health verdict and the journal
    is_destination = True
    protocol = "whip"
    needs_baseline_h264 = True  # the session encodes H.264 baseline, no B-frames, when this is present
    answer_timeout_s = 5.0  # TCP connect, then the HTTP answer to the offer: each wait
    media_timeout_s = 10.0  # the answer came: ICE + DTLS must connect within this
    delete_timeout_s = 1.0
    peer_silence_s = 8.0  # no RTCP receiver report for this long: the peer is gone, reconnect
    port_probe_interval_s = 0.5
    rate_history_s = 6.0
    raise_interval_s = 4.0
    min_link_kbps = 150.0  # the pace never goes below this (Opus alone is 64 kbit/s)

    @classmethod
    def unavailable_reason(cls, protocol: str = "whip") -> str | None:
        return unavailable_reason(protocol)

    def __init__(self, url: str, stream_key: str = "", name: str = "whip", *,
                 policy: ReconnectPolicy | None = None, send_buffer: SendBuffer | None = None,
                 dynamic_bitrate: bool | None = None) -> None:
        super().__init__(name)
        self.http_url = parse_whip_url(url)
        self.url = url
        self._key = stream_key
        self.policy = policy or ReconnectPolicy()
        self.buffer = send_buffer or SendBuffer()
        self.is_dynamic_bitrate = True if dynamic_bitrate is None else dynamic_bitrate
        # Wired by the session: the encode follows a plan (dynamic bitrate), as for RTMP.
        self.apply_rate_plan = lambda plan: None
        self.request_keyframe_for_congestion = None
        self.rate: BitrateController | None = None
        self.current_bitrate_kbps = 0
        self._stop = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None  # the pump's: set from send() and stop()
        self._retry_wake: asyncio.Event | None = None  # ends a backoff wait (stop, reconnect_now)
        self._stopping: asyncio.Event | None = None  # set by stop(): ends any wait of the thread
        self._ever_live = False
        self.reconnect_count = 0
        self.attempt = 0
        self.next_retry_at: float | None = None
        self.video_packets_sent = 0
        self.audio_packets_sent = 0
        self._sent = SendMeter(self.rate_history_s)  # the output thread writes, any thread reads
        self.crashes_total = 0
        self._pending_crash: ThreadCrash | None = None
        self.resource_url: str | None = None
        self.first_packet_after_connect_was_keyframe: list[bool] = []
        self._first_video_pending = False
        self.connected_at_s: float | None = None
        self.setup_ms: float | None = None  # POST -> media flowing, the last connect
        self.keyframes_asked_by_peer = 0
        self.thread_cpu_s = 0.0  # CPU time of the output's thread (Opus, RTP, SRTP, ICE), updated each second
        self._peer_keyframe_at_s = -1e9
        self._last_report_wall_s = 0.0
        self._connected_wall_s = 0.0
        self.disconnect_reasons: list[str] = []
        # Support's --simulate slow-uplink: pace sending as a slow uplink would (as the RTMP output).
        self.simulated_uplink_kbps: float | None = None
        # What the link delivers, from the peer's loss reports (None: it does not limit the stream).
        self.link_kbps: float | None = None
        self._keyframe_asked_s = -1e9
        self.peer_loss_percent: float | None = None
        self._report_counts = (0, 0)  # (packets lost, packets sent) in the last receiver report
        self._paced_until_s = 0.0

    @property
    def display_url(self) -> str:
        parts = urlsplit(self.http_url)
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))

    def _where(self) -> str:
        if self.name in ("whip", "stream"):
            return tr_noop("the WHIP endpoint {url}").format(url=self.display_url)
        return tr_noop("the WHIP endpoint {url} (destination '{name}')").format(url=self.display_url, name=self.name)

    # -- control (any thread) --------------------------------------------------------------------
    def start(self, templates: list, bitrate_kbps: int = 0) -> None:
        video = next((t for t in templates if t.type == "video"), None)
        self.current_bitrate_kbps = bitrate_kbps or (
            round((video.codec_context.bit_rate or 0) / 1000) if video is not None else 0)
        if self.is_dynamic_bitrate and bitrate_kbps and video is not None:
            # The same controller as RTMP's: the pace (from the peer's loss reports) makes the
            # backlog build here as TCP would, and the controller fits the encode under it.
            self.rate = _controller_for(templates, bitrate_kbps, self.raise_interval_s)
        reason = unavailable_reason()
        if reason is not None:
            self.fail(OutputError(StopReason.BAD_URL, f"{self._where()}: {reason}"))
            return
        self._stop.clear()
        self._set_state(OutputState.CONNECTING, url=self.display_url)
        self._thread = threading.Thread(target=self._run, args=(templates,), name=f"output-{self.name}",
                                        daemon=True)
        self._thread.start()

    def send(self, packet: EncodedPacket) -> None:
        if self.state in (OutputState.FAILED, OutputState.STOPPED):
            return
        if self.state != OutputState.LIVE:
            self.buffer.drop_while_disconnected(packet)
            return
        was_waiting = self.buffer.is_waiting_for_keyframe
        self.buffer.push(packet)
        if self.buffer.is_waiting_for_keyframe and not was_waiting:
            # Past 900 ms all video waits for a keyframe: ask for one now (at most one a second).
            now = time.monotonic()
            if now - self._keyframe_asked_s >= 1.0:
                self._keyframe_asked_s = now
                (self.request_keyframe_for_congestion or self.request_keyframe)()
        if self.rate is not None:
            self._adjust_bitrate()
        self._poke(self._wake)

    def _adjust_bitrate(self) -> None:
        """Encoder thread (from send): let the controller fit the plan to what the link carries."""
        assert self.rate is not None
        change = self.rate.update(time.monotonic(), self.buffer.buffered_ms(), self.send_rate_kbps)
        if change is not None:
            plan, why = change
            log.info("%s: video %d -> %d kbps, audio %d kbps (%s)", self.name, self.current_bitrate_kbps,
                     plan.video_kbps, plan.audio_kbps, why)
            self.current_bitrate_kbps = plan.video_kbps
            self.apply_rate_plan(plan)
            self.events.emit("bitrate_changed", output=self.name, bitrate_kbps=plan.video_kbps,
                             audio_kbps=plan.audio_kbps, fps_divisor=plan.fps_divisor,
                             link_kbps=None if plan.link_kbps is None else round(plan.link_kbps), reason=why)

    def _poke(self, event: asyncio.Event | None) -> None:
        loop = self._loop
        if loop is None or event is None:
            return
        try:
            loop.call_soon_threadsafe(event.set)
        except RuntimeError:  # the loop has closed: the output is finishing
            pass

    def reconnect_now(self) -> None:
        self._poke(self._retry_wake)

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        self._poke(self._stopping)
        self._poke(self._wake)
        self._poke(self._retry_wake)
        self.buffer.wake()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                log.warning("%s: WHIP session did not close within %.1f s; abandoning it", self.name, timeout_s)
        if self.state != OutputState.FAILED:
            self.stop_reason = StopReason.REQUESTED
            self._set_state(OutputState.STOPPED)

    # -- the output's thread -------------------------------------------------------------------------
    def _run(self, templates: list) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._supervised(templates))
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                self._loop = None
                loop.close()

    async def _supervised(self, templates: list) -> None:
        """Supervised like the RTMP output: an uncaught exception is reported and the output
        connects again at once (keyframe first) instead of dying with the show still "live"."""
        self._wake = asyncio.Event()
        self._retry_wake = asyncio.Event()
        self._stopping = asyncio.Event()
        if self._stop.is_set():
            return
        while not self._stop.is_set():
            try:
                await self._connections(templates)
                return
            except Exception as exc:
                crash = report_crash("output", exc)
                self.crashes_total += 1
                self._pending_crash = crash
                self.events.emit("thread_crashed", **crash.to_dict(), output=self.name)
                self.buffer.clear("disconnect")
                if not self._stop.is_set():
                    self._set_state(OutputState.CONNECTING, attempt=self.attempt, after_crash=True)
                    await asyncio.sleep(0.1)  # a part that crashes at once must not spin a core

    async def _connections(self, templates: list) -> None:
        while not self._stop.is_set():
            pc = None
            try:
                pc = await self._connect(templates)
            except OutputError as err:
                if self._stop.is_set():
                    return
                if not self._ever_live:
                    log.error("%s: %s", self.name, err)
                    self.fail(err)
                    return
                log.warning("%s: reconnect failed: %s", self.name, err)
            if pc is not None:
                is_ended_by_peer = False
                try:
                    self._on_connected()
                    await self._pump(pc)
                    is_ended_by_peer = self._failed.is_set()
                finally:
                    await self._close(pc)
                if self._stop.is_set():
                    return
                self.buffer.clear("disconnect")
                if is_ended_by_peer:
                    self.disconnect_reasons.append("connection ended")
                log.warning("%s: the WebRTC connection to %s ended", self.name, self.display_url)
            self.attempt += 1
            if not self.policy.should_retry(self.attempt):
                self.fail(OutputError(StopReason.UNREACHABLE, f"{self._where()}: gave up after "
                                      f"{self.attempt - 1} reconnect attempts"))
                return
            delay = self.policy.delay_s(self.attempt)
            self.next_retry_at = time.monotonic() + delay
            self._set_state(OutputState.RECONNECTING, attempt=self.attempt, delay_s=round(delay, 2))
            assert self._retry_wake is not None
            self._retry_wake.clear()
            await self._wait_for_retry(delay)
            self.next_retry_at = None
            if not self._stop.is_set():
                self._set_state(OutputState.CONNECTING, attempt=self.attempt)

    async def _wait_for_retry(self, delay_s: float) -> None:
        """Sleep out the backoff; end early on stop, "reconnect now", or an endpoint that answers
        TCP again (a restarted ingest is back within half a second, as for RTMP)."""
        assert self._retry_wake is not None
        deadline = time.monotonic() + delay_s
        parts = urlsplit(self.http_url)
        host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
        while not self._retry_wake.is_set() and not self._stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            try:
                await asyncio.wait_for(self._retry_wake.wait(), min(remaining, self.port_probe_interval_s))
                return
            except TimeoutError:
                pass
            try:
                _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 0.3)
            except (OSError, TimeoutError):
                continue
            writer.close()
            log.info("%s: the WHIP endpoint answers again; reconnecting now", self.name)
            return

    async def _connect(self, templates: list):
        """Offer, POST, answer, then wait for ICE + DTLS: the connected peer connection."""
        from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription

        started = time.monotonic()
        if is_loopback_host(urlsplit(self.http_url).hostname or ""):
            offer_loopback()  # an endpoint on this machine: connect even with no other interface up
        video_t = next(t for t in templates if t.type == "video")
        audio_t = next((t for t in templates if t.type == "audio"), None)
        profile = h264_profile_of(bytes(video_t.codec_context.extradata or b""))
        if profile not in (None, 66):
            log.warning("%s: the H.264 stream is not baseline (profile %s); WebRTC peers may refuse it",
                        self.name, profile)
        self._parameter_sets = _annexb_parameter_sets(bytes(video_t.codec_context.extradata or b""))
        self._opus = _OpusFromAac(audio_t) if audio_t is not None else None
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        ok = False
        try:
            self._video_track = _packet_track("video")
            video = pc.addTransceiver(self._video_track, direction="sendonly")
            video.setCodecPreferences([c for c in RTCRtpSender.getCapabilities("video").codecs
                                       if c.mimeType.lower() == "video/h264"])
            # The peer's picture-loss / full-intra requests (RTCP PLI/FIR) reach aiortc's sender,
            # which can only force a keyframe in an encoder of its own: ask the session's instead.
            if hasattr(video.sender, "_send_keyframe"):
                video.sender._send_keyframe = self._peer_asked_keyframe
            self._video_sender = video.sender
            self._audio_track = None
            if self._opus is not None:
                self._audio_track = _packet_track("audio")
                audio = pc.addTransceiver(self._audio_track, direction="sendonly")
                audio.setCodecPreferences([c for c in RTCRtpSender.getCapabilities("audio").codecs
                                           if c.mimeType.lower() == "audio/opus"])
            connected = asyncio.Event()
            failed = asyncio.Event()

            @pc.on("connectionstatechange")
            def _state() -> None:
                if pc.connectionState == "connected":
                    connected.set()
                elif pc.connectionState in ("failed", "closed"):
                    failed.set()
                    if self._wake is not None:
                        self._wake.set()

            self._failed = failed
            await self._unless_stopped(pc.setLocalDescription(await pc.createOffer()))  # gathers candidates
            answer = await self._unless_stopped(self._post_offer(pc.localDescription.sdp))
            try:
                await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
            except Exception as exc:  # noqa: BLE001  (aiortc raises ValueError and friends on a bad SDP)
                raise OutputError(StopReason.NOT_RTMP, tr_noop(
                    "{where} answered with an SDP the studio cannot use ({error}): is it a WHIP endpoint that takes "
                    "H.264 and Opus?").format(where=self._where(), error=exc)) from None
            waiter = asyncio.ensure_future(connected.wait())
            loser = asyncio.ensure_future(failed.wait())
            assert self._stopping is not None
            stopper = asyncio.ensure_future(self._stopping.wait())
            done, _ = await asyncio.wait({waiter, loser, stopper}, timeout=self.media_timeout_s,
                                         return_when=asyncio.FIRST_COMPLETED)
            for f in (waiter, loser, stopper):
                f.cancel()
            if self._stop.is_set():
                raise OutputError(StopReason.REQUESTED, "stopped")
            if not connected.is_set():
                what = (tr_noop("the connection failed") if failed.is_set()
                        else tr_noop("nothing within {seconds} s").format(seconds=f"{self.media_timeout_s:.0f}"))
                raise OutputError(StopReason.NO_ANSWER, tr_noop(
                    "{where} answered the offer, but no media connection came up ({what}): is UDP to the endpoint "
                    "blocked?").format(where=self._where(), what=what))
            self.setup_ms = (time.monotonic() - started) * 1000
            ok = True
            return pc
        finally:
            if not ok:
                await self._close(pc)

    def _peer_asked_keyframe(self) -> None:
        now = time.monotonic()
        self.keyframes_asked_by_peer += 1
        if now - self._peer_keyframe_at_s >= 1.0:  # at most one a second, as for congestion
            self._peer_keyframe_at_s = now
            self.request_keyframe()

    async def _peer_is_silent(self) -> bool:
        """True when the peer has sent no RTCP receiver report for ``peer_silence_s``: it is gone
        (a crashed or unplugged endpoint says nothing; ICE consent would notice only after 30 s).
        Each new report also feeds the loss-based pacing (``_on_report``)."""
        try:
            stats = await self._video_sender.getStats()
        except Exception:  # noqa: BLE001  (a sender that is closing)
            return False
        reports = [st for st in stats.values() if st.type == "remote-inbound-rtp"]
        if reports:
            report = reports[0]
            at = report.timestamp.timestamp()
            if at > self._last_report_wall_s:
                self._last_report_wall_s = at
                self._on_report(report.packetsLost, report.packetsReceived)
        heard = self._last_report_wall_s or self._connected_wall_s
        return time.time() - heard > self.peer_silence_s

    def _on_report(self, lost: int, received: int) -> None:
        """The peer's receiver report: fit ``link_kbps`` to what the link delivers.

        UDP sends never wait, so a link slower than the stream shows only as loss at the peer (the
        picture breaks up, it asks for keyframe after keyframe, none gets through). Loss above 10 %
        paces the sending to what went out times (1 - loss/2), and the send buffer sheds video by
        time; below 2 % the pace rises 8 % a report until the link no longer limits it. (The rule
        of WebRTC's loss-based controller, on the studio's own buffer.)"""
        previous_lost, previous_total = self._report_counts
        total = lost + received
        self._report_counts = (lost, total)
        if total - previous_total < 20 or previous_total == 0:
            return  # too few packets since the last report to judge (or the first report)
        # (A report can count as lost packets sent before the previous one: never past 100 %.)
        loss = min(1.0, max(0, lost - previous_lost) / (total - previous_total))
        self.peer_loss_percent = round(100 * loss, 1)
        sent_kbps = self.send_rate_kbps(2.0)
        if loss > 0.10:
            base = min(self.link_kbps or sent_kbps, sent_kbps) if sent_kbps else (self.link_kbps or 0)
            self.link_kbps = max(self.min_link_kbps, base * (1 - loss / 2))
            log.info("%s: the WHIP peer lost %.0f %% of the picture: sending at most %.0f kbit/s", self.name,
                     100 * loss, self.link_kbps)
        elif loss < 0.02 and self.link_kbps is not None:
            self.link_kbps *= 1.08
            if self.link_kbps > 1.5 * max(sent_kbps, 1.0):
                self.link_kbps = None  # the link no longer limits the stream
                log.info("%s: the WHIP link carries the stream again", self.name)

    async def _unless_stopped(self, coro):
        """Await ``coro``, or raise OutputError(REQUESTED) as soon as stop() is called: a stop never
        waits out a deadline (an endpoint that does not answer, a slow candidate gathering)."""
        assert self._stopping is not None
        task = asyncio.ensure_future(coro)
        stopper = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
        if not task.done():
            task.cancel()
            raise OutputError(StopReason.REQUESTED, "stopped")
        return task.result()

    async def _post_offer(self, sdp: str) -> str:
        headers = {"Content-Type": "application/sdp"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        answer = await self._http("POST", self.http_url, headers, sdp.encode())
        if answer.status in (401, 403):
            raise OutputError(StopReason.REJECTED, tr_noop("{where} refused the stream ({status} {reason}): check "
                                                           "the stream key").format(
                where=self._where(), status=answer.status, reason=answer.reason))
        if 400 <= answer.status < 500:
            raise OutputError(StopReason.BAD_URL, tr_noop("{where} answered {status} {reason}: check the WHIP URL "
                                                          "in the destination's settings").format(
                where=self._where(), status=answer.status, reason=answer.reason))
        if answer.status >= 500:
            raise OutputError(StopReason.UNREACHABLE, tr_noop("{where} answered {status} {reason} (a server error): "
                                                              "try again later, or ask the platform").format(
                where=self._where(), status=answer.status, reason=answer.reason))
        if answer.status not in (200, 201) or not answer.body.lstrip().startswith(b"v="):
            raise OutputError(StopReason.NOT_RTMP, tr_noop("{where} answered {status} {reason} without an SDP "
                                                           "answer: is it a WHIP endpoint?").format(
                where=self._where(), status=answer.status, reason=answer.reason))
        location = answer.headers.get("location")
        self.resource_url = urljoin(self.http_url, location) if location else None
        return answer.body.decode("utf-8", "replace")

    async def _http(self, method: str, url: str, headers: dict[str, str], body: bytes = b"",
                    timeout_s: float | None = None) -> HttpAnswer:
        """One HTTP/1.1 request with a deadline on the connect and on the answer."""
        timeout_s = self.answer_timeout_s if timeout_s is None else timeout_s
        parts = urlsplit(url)
        is_https = parts.scheme == "https"
        host, port = parts.hostname or "", parts.port or (443 if is_https else 80)
        where = f"{host}:{port}"
        context = ssl.create_default_context() if is_https else None
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, port, ssl=context, server_hostname=host if is_https else None),
                timeout_s)
        except TimeoutError:
            raise OutputError(StopReason.UNREACHABLE, tr_noop(
                "cannot reach {where} ({address}: no answer within {seconds} s): check the address and your internet "
                "connection").format(where=self._where(), address=where, seconds=f"{timeout_s:.0f}")) from None
        except ssl.SSLError as exc:
            raise OutputError(StopReason.TLS_FAILED, tr_noop("{where}: the TLS handshake failed ({error}): use "
                                                             "http:// if it takes plain HTTP").format(
                where=self._where(), error=exc.reason or exc)) from None
        except OSError as exc:
            raise OutputError(StopReason.UNREACHABLE, tr_noop("cannot reach {where} ({error}): check the address "
                                                              "and your internet connection").format(
                where=self._where(), error=exc.strerror or exc)) from None
        try:
            target = parts.path or "/"
            if parts.query:
                target += f"?{parts.query}"
            lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc.rsplit('@', 1)[-1]}",
                     f"Content-Length: {len(body)}", "Connection: close",
                     *(f"{k}: {v}" for k, v in headers.items())]
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
            try:
                return await asyncio.wait_for(_read_response(reader), timeout_s)
            except TimeoutError:
                raise OutputError(StopReason.NO_ANSWER, tr_noop(
                    "{where} accepted the connection but did not answer within {seconds} s: check the URL (is it a "
                    "WHIP endpoint?)").format(where=self._where(), seconds=f"{timeout_s:.0f}")) from None
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                raise OutputError(StopReason.NOT_RTMP, tr_noop("{where} did not answer as a web server ({error}): "
                                                               "check the URL").format(
                    where=self._where(), error=type(exc).__name__)) from None
        finally:
            writer.close()

    def _on_connected(self) -> None:
        if self._ever_live:
            self.reconnect_count += 1
        self._ever_live = True
        self.attempt = 0
        self.connected_at_s = time.monotonic()
        self._connected_wall_s = time.time()
        self._last_report_wall_s = 0.0
        self._report_counts = (0, 0)
        self.link_kbps = None  # a new connection (maybe another path): the loss reports decide again
        self._paced_until_s = 0.0
        self.buffer.clear("disconnect")  # anything left is stale; wait for a fresh keyframe
        self.request_keyframe()
        self._first_video_pending = True
        log.info("%s: live over WHIP on %s in %.0f ms%s", self.name, self.display_url, self.setup_ms or 0,
                 f" (reconnect #{self.reconnect_count})" if self.reconnect_count else "")
        self._set_state(OutputState.LIVE, url=self.display_url, reconnects=self.reconnect_count)
        crash, self._pending_crash = self._pending_crash, None
        if crash is not None:
            self.events.emit("thread_restarted", **restarted(crash).to_dict(), output=self.name)

    async def _pump(self, pc) -> None:
        """Move packets from the send buffer to the tracks until stop or the connection ends."""
        assert self._wake is not None
        next_check = time.monotonic() + 1.0
        while not self._stop.is_set() and not self._failed.is_set():
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + 1.0
                self.thread_cpu_s = time.thread_time()  # everything WHIP does runs on this thread
                if await self._peer_is_silent():
                    self.disconnect_reasons.append("peer silent")
                    log.warning("%s: no report from the WHIP peer for %.0f s: reconnecting", self.name,
                                self.peer_silence_s)
                    return
            self._wake.clear()
            # (Leaves the batch once a second for the checks above: a paced backlog never empties.)
            while time.monotonic() < next_check and (packet := self.buffer.pop(timeout_s=0)) is not None:
                self.crash_injector.check()
                size = len(packet.data)
                if packet.kind == "video":
                    if self._first_video_pending:
                        self.first_packet_after_connect_was_keyframe.append(packet.is_keyframe)
                        self._first_video_pending = False
                    data = self._parameter_sets + packet.data if packet.is_keyframe else packet.data
                    p = av.Packet(data)
                    p.pts, p.dts, p.time_base = packet.pts, packet.dts, packet.time_base
                    self._video_track.put(p)
                    self.video_packets_sent += 1
                elif self._opus is not None and self._audio_track is not None:
                    for op in self._opus.feed(packet):
                        self._audio_track.put(op)
                        self.audio_packets_sent += 1
                self._record_sent(time.monotonic(), size)
                if self._stop.is_set():
                    return
                if (self.simulated_uplink_kbps or self.link_kbps) and await self._pace(size):
                    return
            await asyncio.sleep(0)  # let the senders take what was queued
            try:
                await asyncio.wait_for(self._wake.wait(), 0.25)
            except TimeoutError:
                pass

    async def _pace(self, size: int) -> bool:
        """Send no faster than the link carries (``link_kbps``, from the peer's loss reports) or
        support's slow-uplink fault (``simulated_uplink_kbps``): the backlog builds in the send
        buffer, whose drop policy sheds video by time, as for RTMP. True when stopped meanwhile."""
        kbps = min((r for r in (self.simulated_uplink_kbps, self.link_kbps) if r), default=None)
        if not kbps:
            return False
        now = time.monotonic()
        self._paced_until_s = max(self._paced_until_s, now) + size * 8 / (kbps * 1000)
        await asyncio.sleep(0)  # the senders take this packet now
        wait_s = self._paced_until_s - time.monotonic()
        if wait_s <= 0:
            return False
        assert self._stopping is not None
        try:
            await asyncio.wait_for(self._stopping.wait(), wait_s)
            return True
        except TimeoutError:
            return False

    async def _close(self, pc) -> None:
        resource, self.resource_url = self.resource_url, None
        if resource:
            headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
            try:
                await self._http("DELETE", resource, headers, timeout_s=self.delete_timeout_s)
            except OutputError as exc:
                log.info("%s: ending the WHIP session: %s", self.name, exc)
        for track in (getattr(self, "_video_track", None), getattr(self, "_audio_track", None)):
            if track is not None:
                track.stop()
        try:
            await asyncio.wait_for(pc.close(), 2.0)
        except (TimeoutError, Exception) as exc:  # noqa: BLE001  (closing must never keep the show)
            log.debug("%s: closing the peer connection: %s", self.name, exc)

    # -- stats -----------------------------------------------------------------------------------------
    def stats(self) -> StreamStats:
        return network_stream_stats(self, self.link_kbps)


def _packet_track(kind: str):
    """An aiortc track that hands out already-encoded packets (aiortc packetizes them as they are).
    The class is built on first use: aiortc is imported only when WHIP is used."""
    from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

    class PacketTrack(MediaStreamTrack):
        def __init__(self, kind: str) -> None:
            super().__init__()
            self.kind = kind
            self._queue: asyncio.Queue[av.Packet | None] = asyncio.Queue()

        def put(self, packet: av.Packet) -> None:
            # Bounded by the send buffer in front of it: the pump only moves what the sender
            # takes right away (it yields after each batch), so this holds a handful of packets.
            self._queue.put_nowait(packet)

        async def recv(self) -> av.Packet:
            if self.readyState != "live":
                raise MediaStreamError
            packet = await self._queue.get()
            if packet is None:
                raise MediaStreamError
            return packet

        def stop(self) -> None:
            if self.readyState == "live":
                self._queue.put_nowait(None)
            super().stop()

    return PacketTrack(kind)


async def _read_response(reader: asyncio.StreamReader) -> HttpAnswer:
    status_line = (await reader.readline()).decode("latin-1").strip()
    if not status_line:
        raise ConnectionResetError(tr_noop("closed without an answer"))
    proto, _, rest = status_line.partition(" ")
    if not proto.startswith("HTTP/"):
        raise ValueError(tr_noop("not HTTP: {line}").format(line=repr(status_line[:40])))
    code, _, reason = rest.partition(" ")
    headers = await read_http_headers(reader)
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                break
            body += await reader.readexactly(size)
            await reader.readline()
    elif "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    else:
        body = await reader.read()
    return HttpAnswer(int(code), reason, headers, body)
