"""A microphone through PortAudio (sounddevice). The device callback fills a ring buffer.

A missing PortAudio library or device is a clear error at start. A device that disappears
mid-show turns into silence with a warning; the stream and the recording go on.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from typing import Any

import numpy as np

from seller_studio.common.errors import AudioLibraryMissingError, ExitCode, UserError
from seller_studio.i18n import tr_noop
from seller_studio.media.audio import CHANNELS, SAMPLE_RATE
from seller_studio.media.audio.base import AudioSource
from seller_studio.media.audio.ring_buffer import AudioRingBuffer

log = logging.getLogger(__name__)


def load_sounddevice():
    """Import sounddevice, turning a missing PortAudio library into a clear error."""
    try:
        import sounddevice
    except OSError as exc:  # sounddevice raises OSError when libportaudio cannot be loaded
        raise AudioLibraryMissingError(
            tr_noop("the PortAudio library is missing ({error}); install it (Debian: apt-get install libportaudio2)")
            .format(error=exc)) from None
    return sounddevice


_open_streams = 0  # PortAudio may only be re-initialised while no stream is open
_live_sources: weakref.WeakSet[MicrophoneSource] = weakref.WeakSet()


def close_all() -> None:
    """Close every open microphone stream (app exit, or before a test takes its sound server away:
    PortAudio polls a vanished ALSA/PulseAudio device in a busy loop while its stream stays open)."""
    for source in list(_live_sources):
        source.stop()


def refresh_devices() -> None:
    """Let PortAudio see devices plugged in (or sound servers started) since it was initialised."""
    sd = load_sounddevice()
    if _open_streams == 0:
        sd._terminate()  # sounddevice's documented way to rescan: terminate and initialise again
        sd._initialize()


def list_microphones(refresh: bool = True) -> list[dict[str, Any]]:
    sd = load_sounddevice()
    if refresh:
        refresh_devices()
    mics = []
    for index, dev in enumerate(sd.query_devices()):
        if dev["max_input_channels"] > 0:
            mics.append({"index": index, "name": dev["name"], "channels": dev["max_input_channels"],
                         "default_rate": dev["default_samplerate"]})
    return mics


def resolve_microphone(spec: str | int) -> int:
    mics = list_microphones()
    if isinstance(spec, int) or str(spec).isdigit():
        if any(m["index"] == int(spec) for m in mics):
            return int(spec)
    else:
        for mic in mics:
            if mic["name"].lower() == str(spec).lower():
                return mic["index"]
        for mic in mics:
            if str(spec).lower() in mic["name"].lower():
                return mic["index"]
    names = ", ".join(m["name"] for m in mics) or "none found"
    raise UserError(tr_noop("microphone '{spec}' not found (microphones here: {names})").format(spec=spec, names=names), ExitCode.MISSING_MIC)


class MicrophoneSource(AudioSource):
    kind = "microphone"
    reopen_interval_s = 2.0

    def __init__(self, source_id: str, device: str | int) -> None:
        super().__init__(source_id)
        self.device = resolve_microphone(device)
        self._ring = AudioRingBuffer(SAMPLE_RATE)
        self._stream = None
        self.is_lost = False
        self.device_rate = SAMPLE_RATE
        self._last_callback_s = 0.0
        self._has_delivered = False
        self._last_reopen_s = 0.0
        self._is_stopped = True
        self._delivered_since_open = False

    def start(self) -> None:
        self._is_stopped = False
        self._open_stream()

    def _open_stream(self) -> None:
        sd = load_sounddevice()
        info = sd.query_devices(self.device)
        channels = min(CHANNELS, int(info["max_input_channels"]))
        try:
            sd.check_input_settings(device=self.device, channels=channels, samplerate=SAMPLE_RATE, dtype="float32")
            rate = SAMPLE_RATE
        except Exception:
            rate = int(info["default_samplerate"])  # resampled to 48 kHz in the callback
        self.device_rate, self._channels = rate, channels
        self._last_callback_s = time.monotonic()
        self._delivered_since_open = False
        stream = sd.InputStream(device=self.device, channels=channels, samplerate=rate, dtype="float32",
                                blocksize=0, latency="low", callback=self._callback)
        stream.start()
        global _open_streams
        _open_streams += 1
        self._stream = stream
        _live_sources.add(self)
        log.info("microphone %s (%s): %d ch @ %d Hz", self.device, info["name"], channels, rate)

    def _callback(self, indata: np.ndarray, frames: int, time_info, status) -> None:
        self._last_callback_s = time.monotonic()
        self._has_delivered = True
        self._delivered_since_open = True
        block = indata if indata.shape[1] == CHANNELS else np.repeat(indata[:, :1], CHANNELS, axis=1)
        if self.device_rate != SAMPLE_RATE:
            block = _resample_linear(block, self.device_rate, SAMPLE_RATE)
        self._ring.write(block.astype(np.float32, copy=False))

    def read(self, n: int) -> np.ndarray:
        now = time.monotonic()
        stream = self._stream
        silent_s = now - self._last_callback_s
        # Some devices (PulseAudio monitors) take a moment before their first block: 2 s of grace.
        grace_s = 1.0 if self._has_delivered else 2.0
        # After a reopen the device counts as back only once it has delivered: no flapping warning.
        lost = (stream is None or not stream.active or silent_s > grace_s
                or (self.is_lost and not self._delivered_since_open))
        if lost != self.is_lost:
            self.is_lost = lost
            if lost:
                log.warning("microphone %s stopped delivering; sending silence", self.device)
            else:
                log.info("microphone %s is back", self.device)
            self.events.emit("mic_state", source_id=self.id, is_lost=lost)
        if lost and stream is not None:
            # Release the dead device: PortAudio would otherwise keep polling it in a busy loop.
            self._close_stream()
        if (lost and self._stream is None and not self._is_stopped
                and now - self._last_reopen_s >= self.reopen_interval_s):
            self._last_reopen_s = now
            try:
                self._open_stream()  # the device may be back (replugged, sound server restarted)
            except Exception as exc:
                log.debug("microphone %s not back yet: %s", self.device, exc)
        return self._ring.read(n)

    def _close_stream(self, wait_s: float = 1.0) -> None:
        """Close the stream on a helper thread: PortAudio can hang releasing a vanished device, and
        the caller is the encoder thread, which must never stall on a microphone."""
        stream, self._stream = self._stream, None
        if stream is None:
            return
        global _open_streams
        _open_streams -= 1
        closed = threading.Event()

        def close() -> None:
            try:
                stream.abort()
                stream.close()
            except Exception as exc:  # a device that vanished may fail to close; nothing to save
                log.debug("closing microphone: %s", exc)
            finally:
                closed.set()

        threading.Thread(target=close, name=f"mic-close-{self.id}", daemon=True).start()
        if not closed.wait(wait_s):
            log.warning("microphone %s: the audio system did not release the device", self.device)

    def stop(self) -> None:
        self._is_stopped = True  # a stopped source never reopens its device, even if still read
        self._close_stream()

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "device": self.device, "device_rate": self.device_rate}


def _resample_linear(block: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    n_out = max(1, round(len(block) * to_rate / from_rate))
    x_old = np.arange(len(block))
    x_new = np.linspace(0, len(block) - 1, n_out)
    return np.stack([np.interp(x_new, x_old, block[:, c]) for c in range(block.shape[1])], axis=1)
