"""The network output: RTMP / RTMPS (FLV) and SRT (MPEG-TS), with its own connect/send thread.

It owns, as the reference broadcaster's output does:
- a send buffer measured in ms of media with the drop-by-time policy (send_buffer.py);
- reconnect: any disconnect after the stream was live retries after 2 s, x1.5 with jitter,
  capped, for as long as the show is live. "Reconnect now" and stop cancel the wait at once. A
  refused key or a bad URL on the first connect does not loop: it fails with one clear line.
  While waiting after "cannot reach the ingest", a cheap TCP probe every 0.5 s ends the wait as
  soon as the ingest answers again, so a restarted ingest is back in well under the backoff;
- dynamic bitrate: when the buffer passes 200 ms it asks the encoder for less, and gives it
  back in steps of 10 % of the original every 4 s once the buffer has drained.
The first video packet after a (re)connect is always a keyframe.
"""

from __future__ import annotations

import functools
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

import av

from seller_studio.common.backoff import ReconnectPolicy
from seller_studio.common.errors import BadUrlError
from seller_studio.i18n import tr_noop
from seller_studio.media.frames import EncodedPacket
from seller_studio.media.outputs import network_io
from seller_studio.media.outputs.base import Muxer, Output, OutputError, OutputState, StopReason
from seller_studio.media.outputs.bitrate import BitrateController, RatePlan
from seller_studio.media.outputs.network_io import NetworkIO, NetworkIOError
from seller_studio.media.outputs.send_buffer import SendBuffer
from seller_studio.media.outputs.send_meter import MetersSending, SendMeter, network_stream_stats
from seller_studio.media.stats import StreamStats
from seller_studio.media.supervision import ThreadCrash, report_crash, restarted

log = logging.getLogger(__name__)

SCHEMES = {"rtmp": ("flv", 1935), "rtmps": ("flv", 443), "srt": ("mpegts", None)}


def parse_ingest_url(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of an ingest URL, or BadUrlError with what is wrong."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BadUrlError(tr_noop('bad ingest URL: {exc}').format(exc=exc)) from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise BadUrlError(tr_noop("bad ingest URL: scheme must be rtmp://, rtmps://, srt://, whip:// or whips:// (got '{value}')").format(value=scheme or url))
    if not parts.hostname:
        raise BadUrlError(tr_noop("bad ingest URL: it has no host name"))
    if scheme == "srt" and port is None:
        raise BadUrlError(tr_noop("bad ingest URL: srt:// needs a port"))
    return scheme, parts.hostname, port or SCHEMES[scheme][1]


def full_ingest_url(url: str, stream_key: str) -> str:
    scheme, _, _ = parse_ingest_url(url)
    if not stream_key:
        return url
    if scheme == "srt":
        return f"{url}{'&' if '?' in url else '?'}streamid={stream_key}"
    return f"{url.rstrip('/')}/{stream_key}"


def output_protocols() -> dict[str, str]:
    """Which ingest schemes this FFmpeg build can send: "ok" or why not."""
    result = {}
    for scheme, (fmt, _) in SCHEMES.items():
        # Port 9 (discard) on loopback refuses at once: only a missing protocol says something else.
        url = f"{scheme}://127.0.0.1:9/x" + ("?connect_timeout=300" if scheme == "srt" else "")
        container = None
        try:
            container = av.open(url, "w", format=fmt)
            container.add_stream("mpeg2video" if fmt == "mpegts" else "flv1")
            container.start_encoding()
            result[scheme] = "ok"
        except av.error.ProtocolNotFoundError:
            result[scheme] = tr_noop("not in this FFmpeg build")
        except (av.FFmpegError, OSError, ValueError):
            result[scheme] = "ok"
        finally:
            if container is not None:  # a probe leaves nothing open behind it
                try:
                    container.close()
                except (av.FFmpegError, OSError, ValueError):
                    pass
    return result


@functools.lru_cache(maxsize=1)
def _output_protocols_cached() -> dict[str, str]:
    return output_protocols()


def _controller_for(templates: list, video_kbps: int, raise_interval_s: float) -> BitrateController:
    """A bitrate controller sized from the encoders' templates (picture size, frame rate, audio)."""
    video = next(t for t in templates if t.type == "video").codec_context
    audio = next((t for t in templates if t.type == "audio"), None)
    fps = float(video.framerate) if video.framerate else 30.0
    audio_kbps = round((audio.codec_context.bit_rate or 160_000) / 1000) if audio is not None else 0
    return BitrateController(video_kbps, audio_kbps, video.width, video.height, fps,
                             has_audio=audio is not None, raise_interval_s=raise_interval_s)


def url_secrets(url: str) -> list[str]:
    """The parts of an ingest URL that are secrets: a password, query values, and for RTMP a stream
    key pasted after the application name (rtmp://host/app/KEY, as platforms show it)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found = [parts.password] if parts.password else []
    found += [v for _, v in parse_qsl(parts.query) if len(v) >= 4]
    segments = [seg for seg in parts.path.split("/") if seg]
    if parts.scheme.lower() in ("rtmp", "rtmps") and len(segments) >= 2 and len(segments[-1]) >= 4:
        found.append(segments[-1])
    return found


def mask_url(url: str) -> str:
    for secret in sorted(url_secrets(url), key=len, reverse=True):
        url = url.replace(secret, "****")
    return url


def redact(text: str, *secrets: str) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "****")
    return text


class StreamOutput(MetersSending, Output):
    kind = "stream"
    is_destination = True
    connect_timeout_s = 5.0  # TCP connect, TLS handshake, RTMP handshake probe: each wait
    open_timeout_s = 10.0  # then connect and publish through FFmpeg, in all
    stall_timeout_s = 10.0  # a packet not out this long (plus its time at 64 kbit/s): the link is dead
    raise_interval_s = 4.0  # drained this long: the bitrate may be raised again (bitrate.py)
    port_probe_interval_s = 0.5
    rate_history_s = 6.0  # how much send history is kept for send_rate_kbps

    def __init__(self, url: str, stream_key: str = "", name: str = "stream",
                 policy: ReconnectPolicy | None = None, dynamic_bitrate: bool | None = None,
                 send_buffer: SendBuffer | None = None) -> None:
        super().__init__(name)
        self.scheme, self.host, self.port = parse_ingest_url(url)
        self.url = url
        self._key = stream_key
        self.format = SCHEMES[self.scheme][0]
        self.policy = policy or ReconnectPolicy()
        self.buffer = send_buffer or SendBuffer()
        self.is_dynamic_bitrate = self.scheme != "srt" if dynamic_bitrate is None else dynamic_bitrate
        # Wired by the session: switch the encoders to a new rate plan (dynamic bitrate).
        self.apply_rate_plan: Callable[[RatePlan], None] = lambda plan: None
        # Wired by the session: a keyframe asked because congestion dropped video (the session may
        # refuse it when other destinations share the encode); None: ask with request_keyframe.
        self.request_keyframe_for_congestion: Callable[[], None] | None = None
        self.rate: BitrateController | None = None  # created at start when dynamic bitrate is on
        self.original_bitrate_kbps = 0
        self.current_bitrate_kbps = 0
        self._stop = threading.Event()
        self._wake = threading.Event()  # set by stop() and reconnect_now(): ends a backoff wait
        self._ever_live = False
        self._last_failure_unreachable = False
        self.reconnect_count = 0
        self.attempt = 0
        self.next_retry_at: float | None = None
        self._sent = SendMeter(self.rate_history_s)  # the output thread writes, any thread reads
        self._last_bitrate_change_s = 0.0
        self._drained_since_s: float | None = None
        self.connected_at_s: float | None = None
        self.first_packet_after_connect_was_keyframe: list[bool] = []
        # Fault injection (support's --simulate slow-uplink): pace sending as a slow uplink would.
        # It caps the studio's own sending, so the backlog builds in the send buffer as it does
        # behind a real slow link; a loopback relay cannot show that (the kernel buffers megabytes).
        self.simulated_uplink_kbps: float | None = None
        self.crashes_total = 0
        self._pending_crash: ThreadCrash | None = None
        self._muxer: Muxer | None = None
        self._keyframe_asked_s = -1e9
        self._probe_sock: socket.socket | None = None
        self._paced_until_s = 0.0

    @classmethod
    def unavailable_reason(cls, protocol: str) -> str | None:
        """Why this FFmpeg build cannot send ``protocol`` (the output-kind registry asks), or None."""
        if protocol not in SCHEMES:
            return tr_noop("{protocol}:// is not a protocol of the RTMP/SRT output").format(protocol=protocol)
        if protocol != "srt":
            return None  # every FFmpeg build has RTMP (a missing one still fails at connect, with its line)
        status = _output_protocols_cached().get(protocol)
        return None if status == "ok" else f"this FFmpeg build cannot send {protocol}://"

    def route_via(self, host: str, port: int, url: str) -> None:
        """Before start: connect through a relay at host:port (support's simulated network faults)."""
        self.host, self.port, self.url = host, port, url

    @property
    def display_url(self) -> str:
        """The URL without the key, safe for logs and the UI (a key pasted into it is masked)."""
        return mask_url(self.url)

    # -- control (any thread) ----------------------------------------------------------------
    def start(self, templates: list, bitrate_kbps: int = 0) -> None:
        self.original_bitrate_kbps = self.current_bitrate_kbps = bitrate_kbps
        if self.is_dynamic_bitrate and bitrate_kbps:
            self.rate = _controller_for(templates, bitrate_kbps, self.raise_interval_s)
        self._stop.clear()
        self._set_state(OutputState.CONNECTING, url=self.display_url)
        self._thread = threading.Thread(target=self._run, args=(templates,), name=f"output-{self.name}", daemon=True)
        self._thread.start()

    def send(self, packet: EncodedPacket) -> None:
        if self.state in (OutputState.FAILED, OutputState.STOPPED):
            return
        if self.state != OutputState.LIVE:
            # Nothing can be sent while (re)connecting; the new connection starts at a keyframe.
            self.buffer.drop_while_disconnected(packet)
            return
        was_waiting = self.buffer.is_waiting_for_keyframe
        self.buffer.push(packet)
        if self.buffer.is_waiting_for_keyframe and not was_waiting and self.rate is not None:
            # Past 900 ms all video waits for a keyframe: ask for one now instead of losing up to a
            # whole keyframe interval of frames (at most one such request a second).
            now = time.monotonic()
            if now - self._keyframe_asked_s >= 1.0:
                self._keyframe_asked_s = now
                (self.request_keyframe_for_congestion or self.request_keyframe)()
        if self.is_dynamic_bitrate:
            self._adjust_bitrate()

    def reconnect_now(self) -> None:
        """Skip the rest of a backoff wait."""
        self._wake.set()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        probe = self._probe_sock
        if probe is not None:
            try:
                probe.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.buffer.wake()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                log.warning("%s: connection did not close within %.1f s; abandoning it", self.name, timeout_s)
        if self.state not in (OutputState.FAILED,):
            self.stop_reason = StopReason.REQUESTED
            self._set_state(OutputState.STOPPED)

    # -- the output's thread -------------------------------------------------------------------
    def _run(self, templates: list) -> None:
        """The output's thread, supervised: an uncaught exception is reported and the output
        reconnects at once (keyframe first) instead of dying with the show still "live"."""
        while not self._stop.is_set():
            try:
                self._connections(templates)
                return
            except Exception as exc:
                crash = report_crash("output", exc)
                self.crashes_total += 1
                self._pending_crash = crash
                self.events.emit("thread_crashed", **crash.to_dict(), output=self.name)
                if self._muxer is not None:
                    self._close(self._muxer)
                    self._muxer = None
                self.buffer.clear("disconnect")
                self._wake.clear()
                if not self._stop.is_set():
                    self._set_state(OutputState.CONNECTING, attempt=self.attempt, after_crash=True)

    def _connections(self, templates: list) -> None:
        while not self._stop.is_set():
            muxer = None
            try:
                muxer = self._connect(templates)
                self._last_failure_unreachable = False
            except OutputError as err:
                if self._stop.is_set():
                    return  # stopped while connecting: not a failure
                self._last_failure_unreachable = err.reason in (StopReason.UNREACHABLE, StopReason.NO_ANSWER)
                if not self._ever_live:
                    # First connect: a refused key, a bad URL or an unreachable host is reported, not looped.
                    self._fail(err)
                    return
                log.warning("%s: reconnect failed: %s", self.name, err)
            if muxer is not None:
                self._muxer = muxer
                self._on_connected()
                self._send_loop(muxer)
                self._muxer = None
                self._close(muxer)
                if self._stop.is_set():
                    break
                self.buffer.clear("disconnect")
                self._last_failure_unreachable = True  # watch the port: it may already be back
                log.warning("%s: disconnected from %s", self.name, self.display_url)
            self.attempt += 1
            if not self.policy.should_retry(self.attempt):
                self._fail(OutputError(StopReason.UNREACHABLE, tr_noop('gave up after {value} reconnect attempts').format(value=self.attempt - 1)))
                return
            delay = self.policy.delay_s(self.attempt)
            self.next_retry_at = time.monotonic() + delay
            self._set_state(OutputState.RECONNECTING, attempt=self.attempt, delay_s=round(delay, 2))
            self._wake.clear()
            self._wait_for_retry(delay)
            self.next_retry_at = None
            if not self._stop.is_set():
                self._set_state(OutputState.CONNECTING, attempt=self.attempt)

    def _wait_for_retry(self, delay_s: float) -> None:
        """Sleep out the backoff; end early on stop, "reconnect now", or an ingest that answers again."""
        deadline = time.monotonic() + delay_s
        watch_port = self._last_failure_unreachable and self.scheme in ("rtmp", "rtmps")
        while not self._wake.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if self._wake.wait(min(remaining, self.port_probe_interval_s)):
                return
            if watch_port and self._port_answers():
                log.info("%s: the ingest answers again; reconnecting now", self.name)
                return

    def _port_answers(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=0.3):
                return True
        except OSError:
            return False

    def _probe(self) -> None:
        """Check, with a deadline on every wait, that an RTMP(S) server answers before FFmpeg connects.

        FFmpeg's connect has no timeout on output and holds Python's GIL while it waits, so a server
        that accepts TCP (or TLS) but never answers would freeze the whole studio. The probe connects
        (TCP, then TLS for rtmps://), sends C0+C1 and waits for S0+S1, then hangs up; only a server
        that answers as RTMP gets to FFmpeg. Each way of failing has its own reason and fix.
        """
        where = f"{self.host}:{self.port}"
        try:
            raw = socket.create_connection((self.host, self.port), timeout=self.connect_timeout_s)
        except TimeoutError:
            raise OutputError(StopReason.UNREACHABLE, tr_noop('cannot reach the ingest {where} (no answer within {connect_timeout_s:.0f} s): check the server address and your internet connection').format(where=where, connect_timeout_s=self.connect_timeout_s)) from None
        except ConnectionResetError:  # something is there, and it hangs up on us at once
            raise OutputError(StopReason.NOT_RTMP, tr_noop('{where} is not an RTMP server (it reset the connection): check the ingest URL and port in Settings').format(where=where)) from None
        except OSError as exc:
            raise OutputError(StopReason.UNREACHABLE, tr_noop('cannot reach the ingest {where} ({value}): check the server address and your internet connection').format(where=where, value=exc.strerror or exc)) from None
        sock: socket.socket = raw
        self._probe_sock = raw  # stop() shuts it down: a stop never waits out the probe's deadline
        if self._stop.is_set():
            raw.close()
            raise OutputError(StopReason.REQUESTED, tr_noop("stopped"))
        try:
            if self.scheme == "rtmps":
                context = ssl.create_default_context()
                context.check_hostname = False  # as FFmpeg's tls protocol: no certificate check by default
                context.verify_mode = ssl.CERT_NONE
                try:
                    sock = context.wrap_socket(raw, server_hostname=self.host)  # handshake, under the timeout
                except (ssl.SSLError, TimeoutError, ConnectionError, OSError) as exc:
                    detail = (tr_noop("no TLS answer within {seconds} s").format(seconds=f"{self.connect_timeout_s:.0f}")
                              if isinstance(exc, TimeoutError)
                              else getattr(exc, "reason", None) or str(exc) or type(exc).__name__)
                    raise OutputError(StopReason.TLS_FAILED, tr_noop('rtmps:// to {where}: the TLS handshake failed ({detail}): if this server takes plain RTMP use rtmp://, otherwise check the port').format(where=where, detail=detail)) from None
            sock.sendall(b"\x03" + bytes(1536))
            got = b""
            while len(got) < 1 + 1536:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                got += chunk
                if got[:1] != b"\x03":
                    break
        except TimeoutError:
            raise OutputError(StopReason.NO_ANSWER, tr_noop('the ingest {where} accepted the connection but did not answer within {connect_timeout_s:.0f} s: check the ingest URL and port (is it an RTMP server?)').format(where=where, connect_timeout_s=self.connect_timeout_s)) from None
        except OSError as exc:
            got = b""
            closed = exc.strerror or type(exc).__name__
        else:
            closed = tr_noop("it closed the connection during the handshake")
        finally:
            self._probe_sock = None
            sock.close()
        if len(got) >= 1 + 1536 and got[:1] == b"\x03":
            return
        heard = got[:40].decode("latin-1").splitlines()[0].strip() if got[:1] not in (b"", b"\x03") else ""
        what = f"it answered {heard!r}" if heard else closed
        raise OutputError(StopReason.NOT_RTMP, tr_noop('{where} is not an RTMP server ({what}): check the ingest URL and port in Settings').format(where=where, what=what))

    def _connect(self, templates: list) -> Muxer:
        if self.scheme in ("rtmp", "rtmps"):
            self._probe()
        target = full_ingest_url(self.url, self._key)
        try:
            return self._open_muxer(target, templates)
        except av.error.ProtocolNotFoundError:
            raise OutputError(StopReason.BAD_URL, tr_noop('this FFmpeg build cannot send {scheme}://').format(scheme=self.scheme)) from None
        except (av.FFmpegError, OSError) as exc:
            message = redact(str(exc), self._key, target, *url_secrets(self.url))
            if self.scheme == "srt":
                raise OutputError(StopReason.UNREACHABLE, tr_noop('cannot reach the SRT ingest {host}:{port} ({message}): check the address and your internet connection').format(host=self.host, port=self.port, message=message)) from None
            raise OutputError(StopReason.REJECTED, tr_noop('the ingest at {display_url} refused the stream ({message}): check the stream key').format(display_url=self.display_url, message=message)) from None

    def _open_muxer(self, target: str, templates: list) -> Muxer:
        io = None
        try:
            if self.scheme in ("rtmp", "rtmps") and network_io.available():
                # Connect and publish with deadlines and the GIL free (network_io.py says why).
                io = self._open_network_io(target)
                container = av.open(io, "w", format=self.format, options={"flush_packets": "1"})
            else:
                container = av.open(target, "w", format=self.format)
            muxer = Muxer(container, templates, io=io)
            muxer.start()  # through PyAV: RTMP handshake, connect and publish happen here
            return muxer
        except BaseException:
            if io is not None:
                io.close()
            raise

    def _open_network_io(self, target: str) -> NetworkIO:
        try:
            return NetworkIO(target, open_timeout_s=self.open_timeout_s, stall_timeout_s=self.stall_timeout_s,
                             is_stopped=self._stop.is_set)
        except NetworkIOError as exc:
            if exc.stopped:
                raise OutputError(StopReason.REQUESTED, tr_noop("stopped")) from None
            if exc.timed_out:
                raise OutputError(StopReason.NO_ANSWER, tr_noop('the ingest {where} answered the RTMP handshake but did not let us publish within {open_timeout_s:.0f} s: check the ingest URL, or try again later (the server may be overloaded)').format(where=f"{self.host}:{self.port}", open_timeout_s=self.open_timeout_s)) from None
            message = redact(str(exc), self._key, target, *url_secrets(self.url))
            raise OutputError(StopReason.REJECTED, tr_noop('the ingest at {display_url} refused the stream ({message}): check the stream key').format(display_url=self.display_url, message=message)) from None

    def _on_connected(self) -> None:
        if self._ever_live:
            self.reconnect_count += 1
        self._ever_live = True
        self.attempt = 0
        self.connected_at_s = time.monotonic()
        self.buffer.clear("disconnect")  # anything left is stale; wait for a fresh keyframe
        self.request_keyframe()
        self._first_video_pending = True
        log.info("%s: live on %s%s", self.name, self.display_url,
                 f" (reconnect #{self.reconnect_count})" if self.reconnect_count else "")
        self._set_state(OutputState.LIVE, url=self.display_url, reconnects=self.reconnect_count)
        crash, self._pending_crash = self._pending_crash, None
        if crash is not None:
            self.events.emit("thread_restarted", **restarted(crash).to_dict(), output=self.name)

    def _send_loop(self, muxer: Muxer) -> None:
        while not self._stop.is_set():
            packet = self.buffer.pop(timeout_s=0.25)
            self.crash_injector.check()
            if packet is None:
                continue
            if packet.kind == "video" and self._first_video_pending:
                self.first_packet_after_connect_was_keyframe.append(packet.is_keyframe)
                self._first_video_pending = False
            try:
                muxer.mux(packet)
            except (av.FFmpegError, OSError) as exc:
                log.warning("%s: send failed: %s", self.name, redact(str(exc), self._key))
                return
            now = time.monotonic()
            if self.simulated_uplink_kbps:
                self._paced_until_s = max(self._paced_until_s, now) + len(packet.data) * 8 / (
                    self.simulated_uplink_kbps * 1000)
                if self._stop.wait(max(0.0, self._paced_until_s - now)):
                    return
            self._record_sent(now, len(packet.data))

    def _close(self, muxer: Muxer) -> None:
        try:
            muxer.close()
        except (av.FFmpegError, OSError) as exc:
            log.debug("%s: close: %s", self.name, redact(str(exc), self._key))

    def _fail(self, err: OutputError) -> None:
        log.error("%s: %s", self.name, err)
        self.fail(err)

    # -- dynamic bitrate ------------------------------------------------------------------------
    def _adjust_bitrate(self) -> None:
        """Encoder thread (from send): let the controller fit the plan to the uplink."""
        if self.rate is None:
            return
        change = self.rate.update(time.monotonic(), self.buffer.buffered_ms(), self.send_rate_kbps)
        if change is not None:
            plan, why = change
            log.info("%s: video %d -> %d kbps, audio %d kbps, every %s frame (%s)", self.name,
                     self.current_bitrate_kbps, plan.video_kbps, plan.audio_kbps,
                     {1: "", 2: "2nd", 3: "3rd"}.get(plan.fps_divisor, f"{plan.fps_divisor}th") or "", why)
            self.current_bitrate_kbps = plan.video_kbps
            self.apply_rate_plan(plan)
            self.events.emit("bitrate_changed", output=self.name, bitrate_kbps=plan.video_kbps,
                             audio_kbps=plan.audio_kbps, fps_divisor=plan.fps_divisor,
                             link_kbps=None if plan.link_kbps is None else round(plan.link_kbps), reason=why)

    def stats(self) -> StreamStats:
        rate = self.rate
        return network_stream_stats(self, rate.measured_link_kbps if rate is not None else None)
