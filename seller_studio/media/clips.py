"""Cut a part of a recording without re-encoding (packet copy), for per-lot clips.

Copying packets keeps the seller's quality and costs almost nothing, but a clip can only start on
a keyframe: the cut starts at the last video keyframe at or before the asked start (the studio
sends one every 2 s, so a clip starts up to 2 s early; a cut that falls on a keyframe is exact) and
ends with the last video packet before the asked end. Audio packets are copied for the same span.
Timestamps are rebased so the clip starts at 0. Nothing between keyframes is re-encoded: frames
before the start keyframe cannot be shown without the frames they depend on, so they are left out
rather than decoded and re-encoded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

from seller_studio.common.errors import BadMediaFileError, UnwritablePathError
from seller_studio.i18n import tr_noop

CLIP_FORMATS = {".mp4": "mp4", ".mkv": "matroska", ".mov": "mov"}


@dataclass(frozen=True)
class RecordingSpan:
    start_s: float  # the file's first video timestamp
    end_s: float  # its last video timestamp plus one frame
    keyframes_s: tuple[float, ...]


@dataclass(frozen=True)
class ClipResult:
    path: Path
    asked_start_s: float
    asked_end_s: float
    start_s: float  # the keyframe the clip starts on (file time)
    end_s: float  # the end of the last video frame copied (file time)
    video_packets: int
    audio_packets: int

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def is_exact_start(self) -> bool:
        return abs(self.start_s - self.asked_start_s) < 1e-3


def _open(path: Path) -> av.container.InputContainer:
    try:
        return av.open(str(path))
    except (OSError, av.FFmpegError) as exc:
        raise BadMediaFileError(tr_noop('cannot read the recording {path}: {exc}').format(path=path, exc=exc)) from None


def scan(path: Path) -> RecordingSpan:
    """The recording's video span and its keyframes (reads packet headers only, no decoding)."""
    with _open(path) as container:
        if not container.streams.video:
            raise BadMediaFileError(tr_noop('{path} has no video').format(path=path))
        video = container.streams.video[0]
        tb = video.time_base
        rate = float(video.average_rate or video.guessed_rate or 30)
        first = last = None
        keyframes = []
        for packet in container.demux(video):
            if packet.pts is None:
                continue
            t = float(packet.pts * tb)
            first = t if first is None else min(first, t)
            last = t if last is None else max(last, t)
            if packet.is_keyframe:
                keyframes.append(t)
        if first is None or last is None:
            raise BadMediaFileError(tr_noop('{path} has no video frames').format(path=path))
        return RecordingSpan(first, last + 1 / rate, tuple(sorted(keyframes)))


def cut(src: Path, dst: Path, start_s: float, end_s: float, span: RecordingSpan | None = None) -> ClipResult:
    """Copy [start_s, end_s) of ``src`` (file times) into ``dst``, starting on the keyframe at or
    before ``start_s``."""
    span = span or scan(src)
    key = max((k for k in span.keyframes_s if k <= start_s + 1e-6), default=span.keyframes_s[0])
    fmt = CLIP_FORMATS.get(dst.suffix.lower(), "mp4")
    options = {"movflags": "+faststart"} if fmt in ("mp4", "mov") else {}
    tmp = dst.with_name(f".{dst.name}.part")
    try:
        out = av.open(str(tmp), "w", format=fmt, options=options)
    except (OSError, av.FFmpegError) as exc:
        raise UnwritablePathError(tr_noop('cannot write the clip {dst}: {exc}').format(dst=dst, exc=exc)) from None
    video_count = audio_count = 0
    last_video_end = key
    with _open(src) as inp, out:
        streams = [s for s in inp.streams if s.type in ("video", "audio")]
        mapping = {s.index: out.add_stream_from_template(s) for s in streams}
        video = inp.streams.video[0]
        rate = float(video.average_rate or video.guessed_rate or 30)
        inp.seek(int(key / float(video.time_base)), stream=video, backward=True, any_frame=False)
        started = False
        for packet in inp.demux(*streams):
            if packet.pts is None or packet.dts is None:
                continue
            t = float(packet.pts * packet.time_base)
            kind = packet.stream.type
            if kind == "video":
                if not started:
                    if t < key - 1e-6 or not packet.is_keyframe:
                        continue
                    started = True
                if t >= end_s - 1e-6:
                    break
            elif not started or t < key - 1e-6:
                continue
            elif t >= end_s:
                continue
            offset = round(key / float(packet.time_base))
            packet.pts -= offset
            packet.dts -= offset
            packet.stream = mapping[packet.stream.index]
            out.mux(packet)
            if kind == "video":
                video_count += 1
                last_video_end = max(last_video_end, t + 1 / rate)
            else:
                audio_count += 1
    tmp.replace(dst)
    return ClipResult(dst, start_s, end_s, key, last_video_end, video_count, audio_count)


def chapters_of(path: Path) -> list[dict]:
    """The chapters stored in a recording (PyAV's form: start/end in ``time_base``, metadata)."""
    with _open(path) as container:
        return list(container.chapters())


def remux_with_chapters(src: Path, chapters: list[dict]) -> None:
    """Rewrite ``src`` with ``chapters`` (packet copy into a temp file beside it, then renamed over
    it): merges a sidecar's chapters into a recording a killed studio left without them."""
    tmp = src.with_name(f".{src.name}.chapters.part")
    try:
        out = av.open(str(tmp), "w", format=CLIP_FORMATS.get(src.suffix.lower(), "matroska"))
    except (OSError, av.FFmpegError) as exc:
        raise UnwritablePathError(tr_noop('cannot write beside {src}: {exc}').format(src=src, exc=exc)) from None
    with _open(src) as inp, out:
        streams = [s for s in inp.streams if s.type in ("video", "audio")]
        mapping = {s.index: out.add_stream_from_template(s) for s in streams}
        for packet in inp.demux(*streams):
            if packet.dts is None:
                continue
            packet.stream = mapping[packet.stream.index]
            out.mux(packet)
        out.set_chapters(chapters)
    tmp.replace(src)
