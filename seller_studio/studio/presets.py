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
        return ([tr_noop("{name}: refused: {reason}").format(name=self.name, reason=r) for r in self.refusals]
                + [f"{self.name}: {c}" for c in self.changes]  # a whole-line template below translates each
                + [tr_noop("{name}: note: {note}").format(name=self.name, note=w) for w in self.warnings])


# The validator's lines as whole templates, so an nb studio shows them in Norwegian (tr_text matches the
# longest template first): a change line has no wrapper long enough to be recognised ("{name}: {change}"),
# and a line whose message starts with the platform's name would otherwise be read as that name.
LINE_TEMPLATES = (
    tr_noop("{name}: sends over RTMPS ({url}) instead of plain RTMP: {platform} takes RTMPS only"),
    tr_noop("{name}: keyframes every {wanted} s instead of {was} s ({platform} asks for {wanted} s; for the whole "
            "{canvas} canvas)"),
    tr_noop("{name}: video {most} kbps instead of {was} ({platform} takes at most {most} kbps at {lines}p; for the "
            "whole {canvas} canvas)"),
    tr_noop("{name}: audio {most} kbps instead of {was} ({platform} takes at most {most}; for every destination)"),
    tr_noop("{name}: refused: {platform} takes {protocols} only, not {protocol}: use its {scheme}:// server URL"),
    tr_noop("{name}: note: {platform} viewers watch {shape} pictures; this destination gets the {canvas} canvas"),
    tr_noop("{name}: note: {platform} ends a broadcast after {hours} hours: the studio warns {minutes} minutes "
            "before"),
)


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
            refusals.append(tr_noop("canvas '{canvas}' is not landscape or vertical").format(canvas=d.canvas))
        elif d.canvas not in canvases:
            refusals.append(tr_noop("the {canvas} canvas is off: turn on 'Vertical canvas too' in Settings > Video, "
                                    "or put this destination on the landscape canvas").format(canvas=d.canvas))
        elif preset.canvas is not None and d.canvas != preset.canvas:
            warnings.append(tr_noop("{platform} viewers watch {shape} pictures; this destination gets the {canvas} "
                                    "canvas").format(platform=preset.label, shape=preset.canvas, canvas=d.canvas))
        if protocol not in preset.protocols:
            host = (urlsplit(url).hostname or "").lower()
            upgrade = preset.rtmps_servers.get(host) if protocol == "rtmp" else None
            if upgrade is not None:
                key_path = urlsplit(url).path.rstrip("/").split("/")[len(urlsplit(upgrade).path.rstrip("/").split("/")):]
                url = _with_path(upgrade, key_path)
                protocol = "rtmps"
                changes.append(tr_noop("sends over RTMPS ({url}) instead of plain RTMP: {platform} takes RTMPS only")
                               .format(url=url, platform=preset.label))
            else:
                refusals.append(tr_noop("{platform} takes {protocols} only, not {protocol}: use its {scheme}:// server "
                                        "URL").format(platform=preset.label,
                                                      protocols=" or ".join(p.upper() for p in preset.protocols),
                                                      protocol=protocol.upper(), scheme=preset.protocols[0]))
        elif protocol == "rtmp" and "rtmps" in preset.protocols and preset.rtmps_servers:
            host = (urlsplit(url).hostname or "").lower()
            if host in preset.rtmps_servers:
                warnings.append(tr_noop("plain RTMP is not encrypted: {platform} also takes {url}").format(
                    platform=preset.label, url=preset.rtmps_servers[host]))
        if not refusals:
            reason = unavailable_reason(protocol)
            if reason is not None:
                refusals.append(reason)
        identity = (url.rstrip("/"), d.key_identity(secrets))
        if not refusals and identity in seen:
            code = ExitCode.USAGE
            refusals.append(tr_noop("same ingest URL and stream key as '{other}': the platform would take one stream "
                                    "and cut the other").format(other=seen[identity]))
        seen.setdefault(identity, d.name)
        settings = video.get(d.canvas)
        if settings is not None and not refusals:
            settings, canvas_changes = _fit_encode(preset, settings, d.canvas)
            video[d.canvas] = settings
            changes += canvas_changes
            if audio is not None and preset.max_audio_kbps and audio.bitrate_kbps > preset.max_audio_kbps:
                changes.append(tr_noop("audio {most} kbps instead of {was} ({platform} takes at most {most}; for every "
                                       "destination)").format(most=preset.max_audio_kbps, was=audio.bitrate_kbps,
                                                              platform=preset.label))
                audio = replace(audio, bitrate_kbps=preset.max_audio_kbps)
        if preset.max_duration_h:
            warnings.append(tr_noop("{platform} ends a broadcast after {hours} hours: the studio warns {minutes} "
                                    "minutes before").format(platform=preset.label, hours=f"{preset.max_duration_h:g}",
                                                             minutes=DURATION_WARNING_BEFORE_S // 60))
        checks.append(DestinationCheck(d.name, tuple(changes), tuple(warnings), tuple(refusals), url, code))
    return ValidationReport(tuple(checks), video, audio)


def _fit_encode(preset: Preset, settings: VideoSettings, canvas: str) -> tuple[VideoSettings, list[str]]:
    changes = []
    wanted = preset.keyframe_interval_s
    too_long = preset.max_keyframe_interval_s is not None and settings.keyframe_interval_s > preset.max_keyframe_interval_s
    if wanted is not None and (too_long or abs(settings.keyframe_interval_s - wanted) > 1e-6):
        changes.append(tr_noop("keyframes every {wanted} s instead of {was} s ({platform} asks for {wanted} s; for the "
                               "whole {canvas} canvas)").format(wanted=f"{wanted:g}",
                                                                was=f"{settings.keyframe_interval_s:g}",
                                                                platform=preset.label, canvas=canvas))
        settings = replace(settings, keyframe_interval_s=wanted)
    most = preset.max_video_kbps(settings.width, settings.height)
    if most is not None and settings.bitrate_kbps > most:
        changes.append(tr_noop("video {most} kbps instead of {was} ({platform} takes at most {most} kbps at {lines}p; "
                               "for the whole {canvas} canvas)").format(most=most, was=settings.bitrate_kbps,
                                                                        platform=preset.label,
                                                                        lines=min(settings.width, settings.height),
                                                                        canvas=canvas))
        settings = replace(settings, bitrate_kbps=most)
    return settings, changes


def _with_path(server_url: str, tail: list[str]) -> str:
    parts = urlsplit(server_url)
    path = "/".join([parts.path.rstrip("/"), *[t for t in tail if t]])
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))
