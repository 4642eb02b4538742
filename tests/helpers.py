"""Helpers for tests: real tools (ffprobe, nginx, PulseAudio) driven from Python."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np

from seller_studio.common.net import free_port  # noqa: F401 (tests take it from here)
from seller_studio.diagnostics.rtmp_server import RtmpServer
from seller_studio.media import framecode
from seller_studio.media.audio.synthetic import beep_onsets_s

REPO = Path(__file__).resolve().parent.parent
SELLER_STUDIO = [sys.executable, "-m", "seller_studio"]


def ffprobe(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout)


def stream_of(probe: dict, kind: str) -> dict:
    return next(s for s in probe["streams"] if s["codec_type"] == kind)


def stream_duration_s(path: Path, kind: str) -> float:
    """Duration of one stream by its packets (FLV from nginx carries no per-stream duration)."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0" if kind == "video" else "a:0",
         "-show_entries", "packet=pts_time,duration_time", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    )
    rows = [r.split(",") for r in out.stdout.split() if r]
    starts = [float(r[0]) for r in rows if r[0] not in ("", "N/A")]
    last_duration = float(rows[-1][1]) if rows and len(rows[-1]) > 1 and rows[-1][1] not in ("", "N/A") else 0.0
    return max(starts) + last_duration - min(starts)


@dataclass
class DecodedMedia:
    frame_codes: list[int] = field(default_factory=list)
    frame_times_s: list[float] = field(default_factory=list)
    flash_times_s: list[float] = field(default_factory=list)
    beep_times_s: list[float] = field(default_factory=list)
    mean_rgb: list[tuple[float, float, float]] = field(default_factory=list)
    audio: np.ndarray | None = None
    sample_rate: int = 48000

    def missing_codes(self) -> list[int]:
        if not self.frame_codes:
            return []
        have = set(self.frame_codes)
        return [n for n in range(min(have), max(have) + 1) if n not in have]


def decode_media(path: Path, with_audio: bool = True) -> DecodedMedia:
    """Decode a file: frame codes, flash times (a near-white frame) and beep onsets, relative to t=0."""
    result = DecodedMedia()
    with av.open(str(path)) as container:
        vstream = container.streams.video[0]
        streams = [vstream] + (list(container.streams.audio[:1]) if with_audio else [])
        chunks = []
        for frame in container.decode(*streams):
            if isinstance(frame, av.VideoFrame):
                luma = frame.to_ndarray(format="gray")
                code = framecode.read(luma)
                t = float(frame.time or 0.0)
                if code is not None:
                    result.frame_codes.append(code.frame_number)
                result.frame_times_s.append(t)
                body = luma[luma.shape[0] // 4 :]
                if body.mean() > 200:
                    result.flash_times_s.append(t)
                small = frame.to_ndarray(format="rgb24")[::16, ::16]
                result.mean_rgb.append(tuple(small.reshape(-1, 3).mean(axis=0)))
            else:
                if not chunks:
                    result.audio_start_s = float(frame.time or 0.0)
                result.sample_rate = frame.sample_rate
                chunks.append(frame.to_ndarray().reshape(frame.layout.nb_channels if frame.format.is_planar else 1, -1)[0]
                              if frame.format.is_planar else frame.to_ndarray().reshape(-1, frame.layout.nb_channels)[:, 0])
        if chunks:
            result.audio = np.concatenate(chunks).astype(np.float32)
            start = getattr(result, "audio_start_s", 0.0)
            result.beep_times_s = [start + t for t in beep_onsets_s(result.audio, result.sample_rate)]
    return result


def av_offsets_s(media: DecodedMedia, beep_s: float = 0.1) -> list[float]:
    """For each flash with a whole beep's worth of audio after it, the distance to the nearest beep onset."""
    offsets = []
    audio_end_s = getattr(media, "audio_start_s", 0.0) + (len(media.audio) / media.sample_rate if media.audio is not None else 0)
    for flash in media.flash_times_s:
        if flash + beep_s > audio_end_s:
            continue  # the stream ended during this beep: too short to find its onset
        if media.beep_times_s:
            offsets.append(min((b - flash for b in media.beep_times_s), key=abs))
    return offsets


class Nginx(RtmpServer):
    """The tests' ingest: the app's local RTMP server, recording every publish to FLV."""

    def __init__(self, workdir: Path, on_publish_url: str | None = None, port: int | None = None,
                 with_tls: bool = False) -> None:
        super().__init__(workdir, port=port, record=True, on_publish_url=on_publish_url, with_tls=with_tls)


class PulseNullSink:
    """A PulseAudio daemon in user space with a null sink: a real audio device without a sound card."""

    def __init__(self, runtime_dir: Path) -> None:
        self.runtime_dir = runtime_dir
        runtime_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(runtime_dir, 0o700)
        self.env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime_dir), "PULSE_RUNTIME_PATH": str(runtime_dir / "pulse")}
        self.proc: subprocess.Popen | None = None

    def start(self) -> PulseNullSink:
        self.proc = subprocess.Popen(
            ["pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "-n", "--disallow-exit",
             "--load=module-null-sink sink_name=virt rate=48000",
             "--load=module-native-protocol-unix"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if subprocess.run(["pactl", "info"], env=self.env, capture_output=True).returncode == 0:
                subprocess.run(["pactl", "set-default-source", "virt.monitor"], env=self.env, capture_output=True)
                return self
            time.sleep(0.1)
        raise RuntimeError("PulseAudio did not start")

    def unplug(self) -> None:
        """The microphone stops delivering, as a pulled or hung USB mic does: the sink is suspended,
        so its monitor (our input) goes quiet. (Killing the server or unloading the sink instead can
        leave PortAudio's ALSA thread spinning on the dead device, spewing to stderr forever.)"""
        subprocess.run(["pactl", "suspend-sink", "virt", "1"], env=self.env, check=True, capture_output=True)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)
