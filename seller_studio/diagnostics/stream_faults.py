"""The flight recorder and ``--simulate`` for headless ``seller-studio stream`` (kept here so the
command module only gains a few calls).

The fault rig is the window's (``studio_faults.StudioFaults``): the stream is rerouted through a
loopback relay that a net-drop cuts at one place (``StudioFaults.route``, before the stream starts);
a slow uplink paces the stream output itself; the cameras and the mic were wrapped by the one
assembler (``studio/assembly.build_studio``) so they can stop delivering for the fault's window.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from seller_studio.diagnostics.faults import STREAM_FAULTS, Fault, parse_simulate
from seller_studio.diagnostics.journal import Journal, default_journal_path
from seller_studio.diagnostics.logsetup import current_session, log_devices, log_settings
from seller_studio.diagnostics.reproduce import describe_setup
from seller_studio.diagnostics.studio_faults import StudioFaults

log = logging.getLogger(__name__)

_journal: Journal | None = None


def parse(args: argparse.Namespace) -> list[Fault]:
    return parse_simulate(args.simulate, STREAM_FAULTS) if getattr(args, "simulate", None) else []


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
        self.streams = [o for o in outputs if o.is_destination]
        self.stream = self.streams[0] if self.streams else None  # the first destination (reproduce's)
        self.rig = StudioFaults(self.faults) if self.faults else None
        if self.rig is not None:
            self.rig.check_destinations([o.name for o in self.streams])
            for stream in self.streams:
                self.rig.route(stream)  # net-drop: through a relay that can be cut (before it connects)
        mic_spec = str(getattr(args, "mic", ""))
        devices = log_devices(microphones=mic_spec not in ("tone", "silence", "none") and not Path(mic_spec).is_file())
        self.journal.write("head", "settings", devices=devices, simulate=[f.describe() for f in self.faults],
                           outputs=[{"kind": o.kind, "name": o.name, "url": getattr(o, "display_url", None),
                                     "path": str(getattr(o, "path", "") or "")} for o in outputs])

    def on_live(self, session: Any, video: Any) -> None:
        encoder = getattr(getattr(session.encoders, "video", None), "codec_name", None)
        settings = {"encoder": encoder, "width": video.width, "height": video.height, "fps": video.fps,
                    "bitrate_kbps": video.bitrate_kbps, "preset": getattr(video, "preset", None),
                    "keyframe_interval_s": getattr(video, "keyframe_interval_s", None),
                    "outputs": [{"kind": o.kind, "url": getattr(o, "display_url", None)} for o in session.outputs]}
        log_settings("encoder and settings", settings)
        self.journal.write("head", "profile", **describe_setup(  # for `reproduce`
            self.studio, video, getattr(self.stream, "display_url", None)))
        self.journal.action("go_live", **settings)
        if self.rig is not None:
            self.rig.start(self.studio, self.streams, self.journal)  # the fault clock starts with the show

    def close(self) -> None:
        global _journal
        if self.rig is not None:
            self.rig.close()
        self.journal.action("end_show")
        self.journal.close()
        _journal = None
