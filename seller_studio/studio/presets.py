"""Destination presets (what each platform publishes for desktop encoders) and the validator run
before Go Live.

A preset is plain data with its source named in docs/destinations.md. The validator checks every
destination of a show against its preset and the settings of the canvas it is on, and says per
destination, in plain words, what it changes ("keyframes every 2 s instead of 4 s"), what it only
warns about ("Facebook ends a broadcast after 8 hours") and what it refuses ("Facebook Live takes
RTMPS only"). A refused destination does not go live; the others do. Changes to the encode apply to
the whole canvas (one encode per canvas feeds every destination on it), so the validator folds them
into one ``VideoSettings`` / ``AudioSettings`` per canvas and names the destination that asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit, urlunsplit

from seller_studio.common.errors import ExitCode
from seller_studio.i18n import tr_noop
from seller_studio.media.encoders.base import AudioSettings, VideoSettings
from seller_studio.media.outputs.registry import unavailable_reason

CANVASES = ("landscape", "vertical")


@dataclass(frozen=True)
class Preset:
    id: str  # what --dest ...,preset=ID takes
    label: str  # what the seller reads
    server_url: str = ""  # the platform's ingest server, when it has one fixed server
    protocols: tuple[str, ...] = ("rtmp", "rtmps", "srt", "whip")
    canvas: str | None = None  # the canvas its viewers expect (None: either)
    keyframe_interval_s: float | None = 2.0  # asked for (None: no rule)
    max_keyframe_interval_s: float | None = None  # refused above this (Facebook: 4 s)
    max_audio_kbps: int | None = None
    # Highest video bitrate per picture height (the height of the canvas, or its width when upright).
    max_video_kbps_by_height: tuple[tuple[int, int], ...] = ()
    is_cbr: bool = False  # asks for constant bitrate (the studio always sends CBR: x264 with filler)
    max_duration_h: float | None = None  # the platform ends a broadcast after this long
    rtmps_servers: dict[str, str] = field(default_factory=dict)  # rtmp:// host -> its rtmps:// server URL
    source: str = ""  # where these figures come from (docs/destinations.md)

    def max_video_kbps(self, width: int, height: int) -> int | None:
        rows = sorted(self.max_video_kbps_by_height)
        if not rows:
            return None
        lines = min(width, height)  # 1080p means 1080 lines, landscape or upright
        return next((kbps for h, kbps in rows if lines <= h), rows[-1][1])


PRESETS: dict[str, Preset] = {p.id: p for p in (
    Preset("platform", "the live-shopping platform (sandbox)", protocols=("rtmp", "rtmps", "whip"),
           source="docs/protocol.md, 'The sandbox's RTMP ingest'"),
    Preset("tiktok", "TikTok LIVE", protocols=("rtmp", "rtmps"), canvas="vertical", keyframe_interval_s=2.0,
           max_video_kbps_by_height=((1080, 8000),), is_cbr=True,
           source="TikTok LIVE Studio / third-party streaming guides: 1080x1920, 4-8 Mbps CBR, 2 s keyframes"),
    Preset("youtube", "YouTube", server_url="rtmps://a.rtmps.youtube.com:443/live2", protocols=("rtmps", "rtmp"),
           keyframe_interval_s=2.0, max_audio_kbps=160,
           max_video_kbps_by_height=((720, 6000), (1080, 8000), (1440, 13000), (2160, 35000)),
           rtmps_servers={"a.rtmp.youtube.com": "rtmps://a.rtmps.youtube.com:443/live2"},
           source="YouTube Help 'Choose live encoder settings, bitrates, and resolutions'; RTMPS ingest"),
    Preset("facebook", "Facebook Live", server_url="rtmps://live-api-s.facebook.com:443/rtmp", protocols=("rtmps",),
           keyframe_interval_s=2.0, max_keyframe_interval_s=4.0, max_audio_kbps=256,
           max_video_kbps_by_height=((720, 4000), (1080, 6000)), max_duration_h=8.0,
           rtmps_servers={"live-api-s.facebook.com": "rtmps://live-api-s.facebook.com:443/rtmp"},
           source="Meta Live Video API reference, 'Live video specs': RTMPS only, H.264/AAC, keyframe 2 s "
                  "(4 s max), 8 h per broadcast"),
    Preset("twitch", "Twitch", server_url="rtmp://live.twitch.tv/app", protocols=("rtmp", "rtmps"),
           keyframe_interval_s=2.0, max_audio_kbps=160, max_video_kbps_by_height=((1080, 6000),), is_cbr=True,
           source="Twitch 'Broadcasting Guidelines': H.264 CBR up to 6000 kbps, keyframes 2 s, AAC up to 160 kbps"),
    Preset("custom", "custom server", keyframe_interval_s=None, source="no rules: the seller's own server"),
)}

DURATION_WARNING_BEFORE_S = 15 * 60  # "Facebook ends this broadcast in 15 minutes"


def preset_id_for(name: str) -> str:
    """The preset id of a settings preset name ("YouTube (RTMPS)" -> youtube, "Facebook Live" ->
    facebook); custom for a server no preset knows."""
    word = (name or "custom").strip().lower().split(" ")[0]
    return word if word in PRESETS else "custom"


def preset_for(preset_id: str) -> Preset:
    """The preset of an id (case-insensitive; "" is custom); ValueError naming the known ones."""
    preset = PRESETS.get((preset_id or "custom").strip().lower())
    if preset is None:
        raise ValueError(tr_noop("unknown preset '{preset}' (use {presets})").format(preset=preset_id,
                                                                                  presets=", ".join(PRESETS)))
    return preset


@dataclass(frozen=True)
class DestinationCheck:
    """What the validator says about one destination."""

    name: str
    changes: tuple[str, ...] = ()  # done for it (to its URL, or to its canvas's encode)
    warnings: tuple[str, ...] = ()  # worth knowing, nothing changed
    refusals: tuple[str, ...] = ()  # it does not go live while any of these stand
    url: str = ""  # the URL it goes live on (a change may have moved it to rtmps://)
    exit_code: int = ExitCode.BAD_URL  # of its first refusal, for the command line


    @property
    def is_refused(self) -> bool:
        return bool(self.refusals)

    def lines(self) -> list[str]:
        """One plain sentence per finding, each naming the destination."""
        return ([f"{self.name}: refused: {r}" for r in self.refusals]
                + [f"{self.name}: {c}" for c in self.changes]
                + [f"{self.name}: note: {w}" for w in self.warnings])


@dataclass(frozen=True)
class ValidationReport:
    checks: tuple[DestinationCheck, ...]
    video: dict[str, VideoSettings]  # canvas -> the encode its destinations get (changes applied)
    audio: AudioSettings | None

    @property
    def refused(self) -> list[DestinationCheck]:
        return [c for c in self.checks if c.is_refused]

    def check(self, name: str) -> DestinationCheck:
        return next(c for c in self.checks if c.name == name)

    def lines(self) -> list[str]:
        return [line for c in self.checks for line in c.lines()]


def validate(destinations: list, video: dict[str, VideoSettings], audio: AudioSettings | None,
             canvases: tuple[str, ...] = ("landscape",), secrets=None) -> ValidationReport:  # noqa: ANN001
    """Check ``destinations`` (studio.destination.Destination) against their presets and the
    encode settings of their canvas; ``canvases`` are the canvases this studio can run."""
    video = dict(video)
    checks: list[DestinationCheck] = []
    seen: dict[tuple[str, str], str] = {}
    for d in destinations:
        changes: list[str] = []
        warnings: list[str] = []
        refusals: list[str] = []
        url = d.url
        try:
            preset = preset_for(d.preset)
        except ValueError as exc:
            checks.append(DestinationCheck(d.name, refusals=(str(exc),), url=url, exit_code=ExitCode.USAGE))
            continue
        code = ExitCode.BAD_URL
        protocol = d.protocol
        if d.canvas not in CANVASES or d.canvas not in canvases:
            code = ExitCode.USAGE
        if d.canvas not in CANVASES:
            refusals.append(f"canvas '{d.canvas}' is not landscape or vertical")
        elif d.canvas not in canvases:
            refusals.append(f"the {d.canvas} canvas is off: turn on 'Vertical canvas too' in Settings > Video, "
                            "or put this destination on the landscape canvas")
        elif preset.canvas is not None and d.canvas != preset.canvas:
            warnings.append(f"{preset.label} viewers watch {preset.canvas} pictures; this destination "
                            f"gets the {d.canvas} canvas")
        if protocol not in preset.protocols:
            host = (urlsplit(url).hostname or "").lower()
            upgrade = preset.rtmps_servers.get(host) if protocol == "rtmp" else None
            if upgrade is not None:
                key_path = urlsplit(url).path.rstrip("/").split("/")[len(urlsplit(upgrade).path.rstrip("/").split("/")):]
                url = _with_path(upgrade, key_path)
                protocol = "rtmps"
                changes.append(f"sends over RTMPS ({url}) instead of plain RTMP: {preset.label} takes RTMPS only")
            else:
                refusals.append(f"{preset.label} takes {' or '.join(p.upper() for p in preset.protocols)} only, "
                                f"not {protocol.upper()}: use its {preset.protocols[0]}:// server URL")
        elif protocol == "rtmp" and "rtmps" in preset.protocols and preset.rtmps_servers:
            host = (urlsplit(url).hostname or "").lower()
            if host in preset.rtmps_servers:
                warnings.append(f"plain RTMP is not encrypted: {preset.label} also takes "
                                f"{preset.rtmps_servers[host]}")
        if not refusals:
            reason = unavailable_reason(protocol)
            if reason is not None:
                refusals.append(reason)
        identity = (url.rstrip("/"), d.key_identity(secrets))
        if not refusals and identity in seen:
            code = ExitCode.USAGE
            refusals.append(f"same ingest URL and stream key as '{seen[identity]}': the platform would take "
                            "one stream and cut the other")
        seen.setdefault(identity, d.name)
        settings = video.get(d.canvas)
        if settings is not None and not refusals:
            settings, canvas_changes = _fit_encode(preset, settings, d.canvas)
            video[d.canvas] = settings
            changes += canvas_changes
            if audio is not None and preset.max_audio_kbps and audio.bitrate_kbps > preset.max_audio_kbps:
                changes.append(f"audio {preset.max_audio_kbps} kbps instead of {audio.bitrate_kbps} "
                               f"({preset.label} takes at most {preset.max_audio_kbps}; for every destination)")
                audio = replace(audio, bitrate_kbps=preset.max_audio_kbps)
        if preset.max_duration_h:
            warnings.append(f"{preset.label} ends a broadcast after {preset.max_duration_h:g} hours: the studio "
                            f"warns {DURATION_WARNING_BEFORE_S // 60} minutes before")
        checks.append(DestinationCheck(d.name, tuple(changes), tuple(warnings), tuple(refusals), url, code))
    return ValidationReport(tuple(checks), video, audio)


def _fit_encode(preset: Preset, settings: VideoSettings, canvas: str) -> tuple[VideoSettings, list[str]]:
    changes = []
    wanted = preset.keyframe_interval_s
    too_long = preset.max_keyframe_interval_s is not None and settings.keyframe_interval_s > preset.max_keyframe_interval_s
    if wanted is not None and (too_long or abs(settings.keyframe_interval_s - wanted) > 1e-6):
        changes.append(f"keyframes every {wanted:g} s instead of {settings.keyframe_interval_s:g} s "
                       f"({preset.label} asks for {wanted:g} s; for the whole {canvas} canvas)")
        settings = replace(settings, keyframe_interval_s=wanted)
    most = preset.max_video_kbps(settings.width, settings.height)
    if most is not None and settings.bitrate_kbps > most:
        changes.append(f"video {most} kbps instead of {settings.bitrate_kbps} ({preset.label} takes at most "
                       f"{most} kbps at {min(settings.width, settings.height)}p; for the whole {canvas} canvas)")
        settings = replace(settings, bitrate_kbps=most)
    return settings, changes


def _with_path(server_url: str, tail: list[str]) -> str:
    parts = urlsplit(server_url)
    path = "/".join([parts.path.rstrip("/"), *[t for t in tail if t]])
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))
