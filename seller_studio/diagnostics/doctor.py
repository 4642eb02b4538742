"""`seller-studio doctor`: is this machine ready to go live? Each check is pass / warn / fail with the fix.

Checks never raise: a missing library or device is a failed check with a fix, not a crash. The
ingest probe does not publish anything: it does the RTMP handshake and then sends harmless protocol
control messages (Window Acknowledgement Size) for a moment to measure the uplink.
"""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import struct
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from seller_studio.common import paths
from seller_studio.common.errors import UserError
from seller_studio.i18n import tr, tr_noop, tr_text

PASS, WARN, FAIL = "pass", "warn", "fail"
MIN_FREE_GB_FAIL = 2.0
MIN_FREE_GB_WARN = 10.0


@dataclass
class Check:
    name: str
    status: str  # pass | warn | fail
    detail: str
    fix: str = ""
    data: dict[str, Any] | None = None

    def line(self) -> str:
        text = f"[{self.status.upper():4}] {self.name}: {self.detail}"
        return f"{text}\n       fix: {self.fix}" if self.fix and self.status != PASS else text

    def shown_line(self) -> str:
        """``line()`` in the studio's language, for the seller (the report in bundles and --json stays English)."""
        text = f"[{self.status.upper():4}] {tr_text(self.name)}: {tr_text(self.detail)}"
        return f"{text}\n       {tr('fix')}: {tr_text(self.fix)}" if self.fix and self.status != PASS else text


def _guard(name: str, fn: Callable[[], Check]) -> Check:
    try:
        return fn()
    except Exception as exc:  # a check that breaks is reported, never a traceback
        return Check(name, FAIL, tr_noop("the check itself failed: {error}").format(error=f"{type(exc).__name__}: {exc}"),
                     tr_noop("Send a support bundle (seller-studio support-bundle) so we can look."))


def check_cameras() -> Check:
    from seller_studio.media.sources.camera import list_cameras

    cameras = list_cameras()
    if not cameras:
        return Check(tr_noop("cameras"), FAIL, tr_noop("no camera found"),
                     tr_noop("Plug in a USB camera (or check the laptop's camera switch), then run doctor again; "
                             "the test pattern works without one."))
    names = ", ".join(f"{c['index']}: {c['name']}" for c in cameras)
    return Check(tr_noop("cameras"), PASS, tr_noop("{n} found ({names})").format(n=len(cameras), names=names), data={"cameras": cameras})


def check_portaudio() -> Check:
    from seller_studio.media.audio.microphone import load_sounddevice

    try:
        sd = load_sounddevice()
    except UserError as err:
        return Check(tr_noop("audio library"), FAIL, str(err).split(";")[0],
                     tr_noop("Install PortAudio (Debian/Ubuntu: sudo apt-get install libportaudio2; macOS and "
                             "Windows: reinstall Seller Studio)."))
    return Check(tr_noop("audio library"), PASS, str(sd.get_portaudio_version()[1]))


def check_microphones() -> Check:
    from seller_studio.media.audio.microphone import list_microphones

    try:
        mics = list_microphones()
    except UserError:
        return Check(tr_noop("microphones"), FAIL, tr_noop("cannot list microphones without the PortAudio library"),
                     tr_noop("Fix the audio library first (see above)."))
    if not mics:
        return Check(tr_noop("microphones"), FAIL, tr_noop("no microphone found"),
                     tr_noop("Plug in a microphone or headset and allow the app to use it in the system's privacy "
                             "settings; you can stream with --mic silence meanwhile."))
    names = ", ".join(f"{m['index']}: {m['name']}" for m in mics)
    return Check(tr_noop("microphones"), PASS, tr_noop("{n} found ({names})").format(n=len(mics), names=names), data={"microphones": mics})


def check_encoders() -> Check:
    from seller_studio.media.encoders.h264 import available_h264_encoders

    found = available_h264_encoders()
    working = [k for k, v in found.items() if v == "ok"]
    if not working:
        return Check(tr_noop("video encoders"), FAIL, tr_noop("no H.264 encoder opens here"),
                     tr_noop("Reinstall Seller Studio (its FFmpeg includes x264) or update the graphics driver."),
                     data={"encoders": found})
    hardware = [k for k in working if k != "x264"]
    detail = tr_noop("working: {encoders}").format(encoders=", ".join(working))
    if not hardware:
        return Check(tr_noop("video encoders"), WARN,
                     tr_noop("working: {encoders} (no hardware encoder)").format(encoders=", ".join(working)),
                     tr_noop("x264 uses the CPU; on a slow computer choose 720p and preset veryfast, or update "
                             "the graphics driver to get a hardware encoder."), data={"encoders": found})
    return Check(tr_noop("video encoders"), PASS, detail, data={"encoders": found})


def check_keyring() -> Check:
    import keyring

    from seller_studio.common.secrets import keyring_available

    backend = keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if not keyring_available():
        return Check(tr_noop("keyring"), FAIL, tr_noop("no usable keyring backend ({name})").format(name=name),
                     tr_noop("Install and unlock a keyring (GNOME Keyring or KWallet on Linux); until then stream keys "
                             "are kept only while the app runs and must be entered again after a restart."))
    plaintext = _plaintext_backends(backend)
    if plaintext:
        return Check(tr_noop("keyring"), WARN, tr_noop("the keyring backend stores secrets as plain text ({backends})").format(
                         backends=", ".join(plaintext)),
                     tr_noop("Anyone who can read your files can read your stream keys and platform tokens: install and "
                             "unlock a system keyring (GNOME Keyring or KWallet on Linux, or the OS's own), remove the "
                             "keyrings.alt plaintext setting (PYTHON_KEYRING_BACKEND or keyringrc.cfg), then save the "
                             "keys again in Settings."), data={"backend": name})
    return Check(tr_noop("keyring"), PASS, name)


def _plaintext_backends(backend: Any) -> list[str]:
    """The backends (a chainer's members too) that keep secrets unencrypted on disk."""
    members = list(getattr(backend, "backends", None) or [backend])
    found = []
    for b in members:
        cls = type(b)
        if "plaintext" in cls.__name__.lower() or "plaintext" in str(getattr(b, "scheme", "")).lower():
            where = getattr(b, "file_path", "")
            found.append(f"{cls.__module__}.{cls.__name__}" + (f" at {where}" if where else ""))
    return found


def check_disk(path: Path | None = None) -> Check:
    target = path or paths.data_dir()
    probe = target
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free_gb = shutil.disk_usage(probe).free / 1e9
    detail = tr_noop("{gb} GB free at {path}").format(gb=f"{free_gb:.1f}", path=probe)
    fix = tr_noop("Free some disk space or choose another recording folder in Settings; an hour of 1080p is about 3 GB.")
    if free_gb < MIN_FREE_GB_FAIL:
        return Check(tr_noop("disk"), FAIL, detail, fix, data={"free_gb": round(free_gb, 2)})
    if free_gb < MIN_FREE_GB_WARN:
        return Check(tr_noop("disk"), WARN, detail, fix, data={"free_gb": round(free_gb, 2)})
    return Check(tr_noop("disk"), PASS, detail, data={"free_gb": round(free_gb, 2)})


# -- ingest ------------------------------------------------------------------------------------------
def configured_ingest() -> tuple[str | None, int | None]:
    """(ingest URL, bitrate) of the active profile in the settings files, without importing the UI."""
    root = paths.config_dir()
    try:
        state = json.loads((root / "studio.json").read_text(encoding="utf-8"))
        name = state.get("active_profile") or "Default"
        profile = json.loads((root / "profiles" / f"{name}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, AttributeError):
        return None, None
    dest = profile.get("destination") or {}
    # Presets live with the settings UI; doctor probes custom URLs (or --url) only.
    url = dest.get("url") if dest.get("kind") == "custom" else None
    bitrate = (profile.get("video") or {}).get("bitrate_kbps")
    return url or None, bitrate if isinstance(bitrate, int) else None


def rtmp_upload_probe(host: str, port: int, seconds: float = 2.0, timeout_s: float = 5.0) -> float:
    """Upload rate to an RTMP server in kbit/s: handshake, then protocol control messages for ``seconds``.

    Only the rate after the first quarter counts, so the socket buffers filling up at the start do
    not inflate it. Nothing is published: no stream key is sent.
    """
    sock = socket.create_connection((host, port), timeout=timeout_s)
    with sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 32 * 1024)
        sock.sendall(b"\x03" + bytes(1536))
        got = b""
        while len(got) < 1 + 1536 * 2:
            chunk = sock.recv(8192)
            if not chunk:
                raise ConnectionError(tr_noop("the server closed the connection during the RTMP handshake"))
            got += chunk
        sock.sendall(got[1:1537])  # C2 echoes S1
        # Window Acknowledgement Size (type 5) on chunk stream 2, message stream 0: 16 bytes each.
        message = bytes([0x02]) + (0).to_bytes(3, "big") + (4).to_bytes(3, "big") + bytes([5]) + \
            struct.pack("<I", 0) + struct.pack(">I", 2_500_000)
        block = message * 4096
        sock.settimeout(1.0)
        start = time.monotonic()
        marks: list[tuple[float, int]] = []
        sent = 0
        pending = memoryview(block)
        while time.monotonic() - start < seconds:
            try:
                n = sock.send(pending)
            except TimeoutError:
                continue
            sent += n
            # A partial send must be finished before the next block, or messages would be cut in two.
            pending = pending[n:] if n < len(pending) else memoryview(block)
            marks.append((time.monotonic() - start, sent))
    if not marks:
        return 0.0
    settled = [m for m in marks if m[0] >= seconds / 4] or marks
    t0, b0 = settled[0]
    t1, b1 = marks[-1]
    if t1 - t0 < 0.05:
        return b1 * 8 / 1000 / max(t1, 1e-3)
    return (b1 - b0) * 8 / 1000 / (t1 - t0)


def check_ingest(url: str | None, bitrate_kbps: int | None = None, probe_s: float = 2.0) -> Check:
    from seller_studio.diagnostics.redact import redact
    from seller_studio.media.outputs.stream import parse_ingest_url

    if not url:
        return Check(tr_noop("ingest"), WARN, tr_noop("no ingest configured"),
                     tr_noop("Set the stream destination in Settings (or run doctor --url rtmp://...)."))
    safe = redact(url)
    if url.lower().startswith(("whip://", "whips://")):
        return check_whip(url)
    try:
        scheme, host, port = parse_ingest_url(url)
    except UserError as err:
        return Check(tr_noop("ingest"), FAIL, str(err), tr_noop("Copy the server URL again from the platform's stream settings."))
    assert port is not None
    started = time.monotonic()
    try:
        with socket.create_connection((host, port), timeout=5):
            connect_ms = 1000 * (time.monotonic() - started)
    except OSError as exc:
        return Check(tr_noop("ingest"), FAIL, tr_noop("cannot reach {host}:{port} ({error})").format(
            host=host, port=port, error=exc.strerror or exc),
                     tr_noop("Check the internet connection and the server URL; a firewall may block the port."))
    if scheme == "srt":
        return Check(tr_noop("ingest"), PASS, tr_noop("{url}: port answers ({ms} ms); SRT upload is not probed").format(
            url=safe, ms=f"{connect_ms:.0f}"))
    if scheme == "rtmps":
        try:
            context = ssl.create_default_context()
            with socket.create_connection((host, port), timeout=5) as raw, \
                    context.wrap_socket(raw, server_hostname=host):
                pass
        except (OSError, ssl.SSLError) as exc:
            return Check(tr_noop("ingest"), FAIL, tr_noop("TLS to {host}:{port} failed ({error})").format(host=host, port=port, error=exc),
                         tr_noop("Check the computer's date and time, or use the platform's rtmp:// URL."))
        return Check(tr_noop("ingest"), PASS, tr_noop("{url}: reachable over TLS ({ms} ms); upload not probed").format(
            url=safe, ms=f"{connect_ms:.0f}"))
    try:
        kbps = rtmp_upload_probe(host, port, probe_s)
    except (OSError, ConnectionError) as exc:
        return Check(tr_noop("ingest"), FAIL, tr_noop("{host}:{port} is not an RTMP server that answers ({error})").format(
            host=host, port=port, error=exc), tr_noop("Check the server URL in Settings."))
    data = {"connect_ms": round(connect_ms, 1), "upload_kbps": round(kbps), "bitrate_kbps": bitrate_kbps}
    reach = {"url": safe, "ms": f"{connect_ms:.0f}", "kbps": f"{kbps:.0f}"}
    detail = tr_noop("{url}: reachable ({ms} ms), upload about {kbps} kbit/s").format(**reach)
    need = (bitrate_kbps or 2500) + 160  # video + audio
    if kbps < need:
        suggestion = max(300, int(kbps * 0.7 / 100) * 100)
        return Check(tr_noop("ingest"), FAIL, tr_noop("{url}: reachable ({ms} ms), upload about {kbps} kbit/s, below the {need} "
                                               "kbit/s the stream needs").format(need=need, **reach),
                     tr_noop("Lower the video bitrate to {suggestion} kbps in Settings > Video, or use a cable "
                             "instead of Wi-Fi.").format(suggestion=suggestion), data=data)
    if kbps < need * 1.5:
        return Check(tr_noop("ingest"), WARN, tr_noop("{url}: reachable ({ms} ms), upload about {kbps} kbit/s, little headroom "
                                               "over {need} kbit/s").format(need=need, **reach),
                     tr_noop("Consider {suggestion} kbps in Settings > Video.").format(
                         suggestion=max(300, int(kbps * 0.6 / 100) * 100)), data=data)
    return Check(tr_noop("ingest"), PASS, detail, data=data)


def check_whip(url: str, timeout_s: float = 5.0) -> Check:
    """A WHIP endpoint: reachable, and answering HTTP (an OPTIONS request: it creates no stream).
    The WebRTC media path (UDP) is not probed: only a real offer would open it."""
    import http.client
    from urllib.parse import urlsplit

    from seller_studio.diagnostics.redact import redact
    from seller_studio.media.outputs.whip import parse_whip_url

    try:
        http_url = parse_whip_url(url)
    except UserError as err:
        return Check(tr_noop("ingest"), FAIL, str(err), tr_noop("Copy the WHIP URL again from the platform's stream settings."))
    parts = urlsplit(http_url)
    is_https = parts.scheme == "https"
    host, port = parts.hostname or "", parts.port or (443 if is_https else 80)
    safe = redact(url)
    started = time.monotonic()
    conn_class = http.client.HTTPSConnection if is_https else http.client.HTTPConnection
    conn = conn_class(host, port, timeout=timeout_s)
    try:
        conn.request("OPTIONS", parts.path or "/")
        answer = conn.getresponse()
        status = answer.status
    except (OSError, http.client.HTTPException) as exc:
        return Check(tr_noop("ingest"), FAIL, tr_noop("{url}: the WHIP endpoint {host}:{port} does not answer ({error})").format(
            url=safe, host=host, port=port, error=exc),
                     tr_noop("Check the internet connection and the WHIP URL; a firewall may block the port."))
    finally:
        conn.close()
    ms = 1000 * (time.monotonic() - started)
    if status >= 500:
        return Check(tr_noop("ingest"), WARN, tr_noop("{url}: the WHIP endpoint answers, with a server error ({status})").format(
            url=safe, status=status), tr_noop("Try again later, or ask the platform."), data={"connect_ms": round(ms, 1)})
    return Check(tr_noop("ingest"), PASS, tr_noop("{url}: the WHIP endpoint answers ({ms} ms, OPTIONS {status}); "
                                          "the WebRTC media path (UDP) is tested only by going live").format(
        url=safe, ms=f"{ms:.0f}", status=status), data={"connect_ms": round(ms, 1)})


def check_live_ingest(label: str, url: str, stream_stats: dict[str, Any] | None) -> Check:
    """The ingest while the studio is live on it: the running stream is the probe (a second
    connection would compete with the show, and a single-publisher ingest such as the sandbox's
    would not answer it)."""
    from seller_studio.diagnostics.redact import redact

    where = f"{label} ({redact(url)})" if url and url != label else (label or redact(url))
    s = stream_stats or {}
    state = s.get("state", "")
    kbps = float(s.get("bitrate_sent_kbps") or 0)
    buffer_ms = float(s.get("send_buffer_ms") or 0)
    data = {"live": True, "state": state, "bitrate_sent_kbps": kbps, "send_buffer_ms": buffer_ms}
    if state == "reconnecting":
        return Check(tr_noop("ingest"), FAIL, tr_noop("{where}: live, but the connection is lost and reconnecting").format(where=where),
                     tr_noop("Check the internet connection; the show goes on as soon as it is back."), data=data)
    if state and state != "live":
        return Check(tr_noop("ingest"), WARN, tr_noop("{where}: the stream is {state}").format(where=where, state=state),
                     tr_noop("Wait a moment and check again."), data=data)
    sending = {"where": where, "kbps": f"{kbps:.0f}", "buffer_ms": f"{buffer_ms:.0f}"}
    detail = tr_noop("{where}: live now, sending {kbps} kbit/s (send buffer {buffer_ms} ms); not probed while live"
                     ).format(**sending)
    if buffer_ms > 500:
        return Check(tr_noop("ingest"), WARN,
                     tr_noop("{where}: live now, sending {kbps} kbit/s (send buffer {buffer_ms} ms); not probed while "
                             "live, the uplink is not keeping up").format(**sending),
                     tr_noop("Lower the bitrate in Settings > Video after the show, or use a cable instead of Wi-Fi."),
                     data=data)
    return Check(tr_noop("ingest"), PASS, detail, data=data)


def run_doctor(url: str | None = None, bitrate_kbps: int | None = None, probe_s: float = 2.0,
               with_ingest: bool = True, ingest: Check | None = None) -> list[Check]:
    """Every check; ``ingest`` replaces the ingest probe with a check already made (the window's
    while live)."""
    if ingest is not None:
        with_ingest = False
    if url is None and with_ingest:
        url, configured_bitrate = configured_ingest()
        bitrate_kbps = bitrate_kbps or configured_bitrate
    checks = [
        _guard("cameras", check_cameras),
        _guard("audio library", check_portaudio),
        _guard("microphones", check_microphones),
        _guard("video encoders", check_encoders),
        _guard("keyring", check_keyring),
        _guard("disk", check_disk),
    ]
    if with_ingest:
        checks.append(_guard("ingest", lambda: check_ingest(url, bitrate_kbps, probe_s)))
    if ingest is not None:
        checks.append(ingest)
    return checks


def report_json(checks: list[Check]) -> dict[str, Any]:
    worst = FAIL if any(c.status == FAIL for c in checks) else WARN if any(c.status == WARN for c in checks) else PASS
    return {"status": worst, "checks": [asdict(c) for c in checks]}
