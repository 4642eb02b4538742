"""The flight recorder and ``--simulate`` for headless ``seller-studio stream`` (kept here so the
command module only gains a few calls).

Network faults need something between the studio and the ingest: the stream is pointed at a
loopback relay (``NetemProxyProcess``) that forwards to the real ingest and can be cut; a slow uplink
paces the stream output itself (``StreamOutput.simulated_uplink_kbps``).
Camera and microphone faults wrap the sources so they stop delivering for the fault's window.
"""

from __future__ import annotations

import argparse
import atexit
import logging
from pathlib import Path
from typing import Any

from seller_studio.diagnostics.faults import (
    STREAM_FAULTS,
    Fault,
    FaultSchedule,
    WithholdingAudioSource,
    WithholdingVideoSource,
    camera_freeze_appliers,
    media_appliers,
    parse_simulate,
    start_relay,
    wrap_audio,  # noqa: F401 (re-exported: callers wrap their mic through this module)
)
from seller_studio.diagnostics.journal import Journal, default_journal_path
from seller_studio.diagnostics.logsetup import current_session, log_devices, log_settings
from seller_studio.diagnostics.netem_proxy import NetemProxyProcess

log = logging.getLogger(__name__)

_relays: list[NetemProxyProcess] = []
_journal: Journal | None = None


def parse(args: argparse.Namespace) -> list[Fault]:
    return parse_simulate(args.simulate, STREAM_FAULTS) if getattr(args, "simulate", None) else []


def relay_url(url: str, faults: list[Fault]) -> str:
    """With a network fault, start a relay to the ingest and return the URL that goes through it."""
    if not any(f.kind == "net-drop" for f in faults):
        return url
    relay, relayed = start_relay(url)
    _relays.append(relay)
    return relayed


def wrap_video(source: Any, faults: list[Fault]) -> Any:
    return WithholdingVideoSource(source) if any(f.kind == "camera-lost" for f in faults) else source


def close_relays(outputs: list | None = None) -> None:
    while _relays:
        _relays.pop().close()


atexit.register(close_relays)


def switch_scene(studio: Any, scene: str) -> None:
    """A scheduled ``--switch``: the seller's action goes into the journal, then the studio switches."""
    if _journal is not None:
        _journal.action("scene_switch", scene=scene)
    studio.set_scene(scene)


class FlightRecorder:
    """The journal of one headless stream, plus the fault schedule when ``--simulate`` is given."""

    def __init__(self, args: argparse.Namespace, studio: Any, outputs: list) -> None:
        global _journal
        session = current_session()
        path = Path(args.journal) if getattr(args, "journal", None) else default_journal_path(
            session.session_id if session else None)
        self.journal = Journal(path, command="stream")
        _journal = self.journal
        self.journal.attach_studio(studio)
        self.studio = studio
        self.faults = parse(args)
        video = studio.sources.get("camera")
        audio = studio.mixer.channels["mic"].source if "mic" in studio.mixer.channels else None
        appliers = media_appliers(video if isinstance(video, WithholdingVideoSource) else None,
                                  audio if isinstance(audio, WithholdingAudioSource) else None,
                                  _relays[-1] if _relays else None,
                                  next((o for o in outputs if o.kind == "stream"), None))
        appliers.update(camera_freeze_appliers(list(studio.sources.values())))
        self.schedule = FaultSchedule(self.faults, appliers, self.journal) if self.faults else None
        mic_spec = str(getattr(args, "mic", ""))
        devices = log_devices(microphones=mic_spec not in ("tone", "silence", "none") and not Path(mic_spec).is_file())
        self.journal.write("head", "settings", devices=devices, simulate=[f.describe() for f in self.faults],
                           outputs=[{"kind": o.kind, "url": getattr(o, "display_url", None),
                                     "path": str(getattr(o, "path", "") or "")} for o in outputs])

    def on_live(self, session: Any, video: Any) -> None:
        encoder = getattr(getattr(session.encoders, "video", None), "codec_name", None)
        settings = {"encoder": encoder, "width": video.width, "height": video.height, "fps": video.fps,
                    "bitrate_kbps": video.bitrate_kbps, "preset": getattr(video, "preset", None),
                    "keyframe_interval_s": getattr(video, "keyframe_interval_s", None),
                    "outputs": [{"kind": o.kind, "url": getattr(o, "display_url", None)} for o in session.outputs]}
        log_settings("encoder and settings", settings)
        self.journal.action("go_live", **settings)
        if self.schedule is not None:
            self.schedule.start()

    def close(self) -> None:
        global _journal
        if self.schedule is not None:
            self.schedule.stop()
        self.journal.action("end_show")
        self.journal.close()
        _journal = None
