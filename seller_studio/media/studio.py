"""The Studio: the sources, scenes and mixer of one seller's setup, with the compositor always
running (for the preview) and a LiveSession attached while the show is live.

This is the object the window and the headless command drive. Outputs connect on their own
threads; ``go_live`` waits for them only when asked (the headless command does, the window passes
``wait_outputs_s=None`` and follows the output_state events).

Two canvases: ``add_vertical_canvas`` adds a second compositor (a phone-shaped 9:16 program, e.g.
for TikTok LIVE beside a landscape stream) over the *same* sources — each camera is opened and
captured once, both compositors read its latest frame — on the same clock (frame N of both is due
at the same instant), with scenes of its own. Each canvas that goes live has its own LiveSession,
so one encode per canvas feeds every output of that canvas; both sessions hear the same sound
through taps of one ``SharedMix`` (the mixer is read once). A scene switch switches both canvases
(the vertical scene of the same name).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import numpy as np

from seller_studio.common.events import EventEmitter
from seller_studio.media.audio.base import AudioSource
from seller_studio.media.audio.mixer import AudioMixer
from seller_studio.media.audio.synthetic import ToneSource
from seller_studio.media.audio.tee import MixTap, SharedMix
from seller_studio.media.compositor import Compositor, Layer, Scene
from seller_studio.media.encoders.base import AudioSettings, VideoSettings
from seller_studio.media.frames import VideoFrame
from seller_studio.media.layouts import derive_vertical_scene
from seller_studio.media.outputs.base import Output
from seller_studio.media.session import LiveSession
from seller_studio.media.sources.base import VideoSource
from seller_studio.media.sources.test_pattern import TestPatternSource

log = logging.getLogger(__name__)

CANVASES = ("landscape", "vertical")


class Studio:
    def __init__(self, width: int = 1280, height: int = 720, fps: int = 30) -> None:
        self.compositor = Compositor(width, height, fps)
        self.mixer = AudioMixer()
        self.shared_mix = SharedMix(self.mixer)  # every live canvas hears the same mix, read once
        self.events = EventEmitter()
        self.session: LiveSession | None = None
        self.vertical: Compositor | None = None  # the second (phone) canvas, when added
        self.vertical_session: LiveSession | None = None
        self._preview_lock = threading.Lock()
        self._preview: tuple[int, VideoFrame] | None = None
        self._vertical_preview: tuple[int, VideoFrame] | None = None
        self._is_running = False
        self.compositor.events.subscribe(lambda name, payload: self.events.emit(name, **payload))
        self.compositor.events.subscribe(self._on_scene_switched)

    # -- setup ----------------------------------------------------------------------------------
    @property
    def sources(self) -> dict[str, VideoSource]:
        return self.compositor.sources

    def add_source(self, source: VideoSource, start: bool = True) -> VideoSource:
        if start:
            source.start()
        source.events.subscribe(lambda name, payload: self.events.emit(name, **payload))
        self.compositor.sources[source.id] = source
        return source

    def remove_source(self, source_id: str) -> None:
        source = self.compositor.sources.pop(source_id, None)
        if source is not None:
            source.stop()

    def add_audio(self, source: AudioSource, gain_db: float = 0.0) -> AudioSource:
        source.events.subscribe(lambda name, payload: self.events.emit(name, **payload))
        self.mixer.add(source, gain_db)
        if self._is_running:
            source.start()
        return source

    def add_scene(self, scene: Scene, vertical: Scene | None = None) -> None:
        """Add a scene; with a vertical canvas, its vertical counterpart too (``vertical``, or derived
        from it: ``layouts.derive_vertical_scene``)."""
        self.compositor.add_scene(scene)
        if self.vertical is not None:
            self.vertical.add_scene(vertical or self.derive_vertical(scene))

    def derive_vertical(self, scene: Scene, size: tuple[int, int] | None = None) -> Scene:
        """The vertical canvas's scene derived from a landscape scene (before the seller edits it), for
        the vertical canvas (or, before it exists, a canvas of ``size``)."""
        if size is None:
            size = (self.vertical.width, self.vertical.height) if self.vertical is not None else (720, 1280)
        width, height = size
        comp = self.compositor
        return derive_vertical_scene(scene, comp.width, comp.height, width, height)

    def set_scene(self, name: str, fade_ms: int = 0) -> None:
        """Switch the program (a cut, or a fade) — on both canvases: the vertical scene of that name."""
        self.compositor.set_scene(name, fade_ms=fade_ms)
        vertical = self.vertical
        if vertical is not None and name in vertical.scenes:
            vertical.set_scene(name, fade_ms=fade_ms)

    def rename_scene(self, old: str, new: str) -> None:
        self.compositor.rename_scene(old, new)
        vertical = self.vertical
        if vertical is not None and old in vertical.scenes:
            vertical.rename_scene(old, new)

    def remove_scene(self, name: str) -> str:
        on_air = self.compositor.remove_scene(name)
        vertical = self.vertical
        if vertical is not None and name in vertical.scenes and len(vertical.scenes) > 1:
            vertical.remove_scene(name)
            if on_air in vertical.scenes:
                vertical.set_scene(on_air)
        return on_air

    # -- the second (vertical) canvas --------------------------------------------------------------
    def add_vertical_canvas(self, width: int, height: int, scenes: list[Scene] | None = None) -> Compositor:
        """A second canvas over the same sources (nothing is opened again), on the landscape canvas's
        clock; ``scenes`` are its own (usually derived from the landscape scenes, same names). While
        the studio runs it starts at once, at the landscape canvas's current frame."""
        if self.vertical is not None:
            raise RuntimeError("the studio already has a vertical canvas")
        vertical = Compositor(width, height, self.compositor.fps, scenes=scenes)
        vertical.sources = self.compositor.sources  # the same dict: a source added later is on both
        active = self.compositor.active_scene
        if active in vertical.scenes:
            vertical.set_scene(active)
        vertical.events.subscribe(self._on_vertical_compositor_event)
        self.vertical = vertical
        if self._is_running:
            self._start_vertical()
        return vertical

    def _start_vertical(self) -> None:
        vertical, main = self.vertical, self.compositor
        assert vertical is not None
        start_s = getattr(main, "start_s", None)
        first = max(0, int((time.monotonic() - start_s) * main.fps)) if start_s is not None else 0
        vertical.start(self._on_vertical_frame, start_s=start_s, first_index=first, pictures=True)

    def _on_vertical_compositor_event(self, name: str, payload: dict) -> None:
        if name == "thread_crashed":
            self.events.emit(name, **payload, canvas="vertical")

    def _on_scene_switched(self, name: str, payload: dict) -> None:
        """A switch made on the landscape compositor directly: the vertical canvas follows."""
        vertical = self.vertical
        scene = payload.get("scene")
        if (name == "scene_switched" and vertical is not None and scene in vertical.scenes
                and vertical.active_scene != scene):
            vertical.set_scene(str(scene))

    def compositor_for(self, canvas: str) -> Compositor:
        """The compositor of a canvas ("landscape" or "vertical"); a studio whose only canvas is
        already vertical answers it for "vertical". KeyError when the studio has no such canvas."""
        if canvas not in CANVASES:
            raise KeyError(f"no canvas named {canvas!r} (landscape or vertical)")
        main_is_vertical = self.compositor.height > self.compositor.width
        if canvas == "vertical" and self.vertical is not None:
            return self.vertical
        if canvas == "landscape" or main_is_vertical:
            return self.compositor
        raise KeyError("the studio has no vertical canvas")

    def session_for(self, canvas: str) -> LiveSession | None:
        return self.vertical_session if self._is_vertical_slot(canvas) else self.session

    def _is_vertical_slot(self, canvas: str) -> bool:
        """Whether ``canvas`` is the second compositor (not the main one)."""
        return self.vertical is not None and self.compositor_for(canvas) is self.vertical

    def vertical_preview(self) -> tuple[int, np.ndarray] | None:
        """The newest frame of the vertical canvas (index, RGB), or None without one."""
        latest = self.vertical_preview_picture()
        return None if latest is None else (latest[0], latest[1].image)

    def vertical_preview_picture(self) -> tuple[int, VideoFrame] | None:
        """The newest frame of the vertical canvas as composed (see ``preview_picture``)."""
        with self._preview_lock:
            return self._vertical_preview

    def _on_vertical_frame(self, index: int, picture: VideoFrame) -> None:
        with self._preview_lock:
            self._vertical_preview = (index, picture)
        session = self.vertical_session
        if session is not None:
            session.on_frame(index, picture)

    def unused_source_ids(self) -> list[str]:
        """Sources no scene or overlay shows any more (they still hold a camera or file open)."""
        used: set[str] = set()
        for comp in (self.compositor, self.vertical):  # a source only an edited vertical scene shows is used
            if comp is not None:
                used |= {layer.source_id for scene in comp.scenes.values() for layer in scene.layers}
                used |= {layer.source_id for layer in comp.overlays}  # the product card is in no scene
        return [sid for sid in self.compositor.sources if sid not in used]

    # -- running ----------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the canvas clock (preview) and the audio devices."""
        if self._is_running:
            return
        for ch in self.mixer.channels.values():
            ch.source.start()
        self._is_running = True
        # Pictures as composed (I420 from cameras and files) go to the encoder without conversion.
        self.compositor.start(self._on_frame, pictures=True)
        if self.vertical is not None:
            self._start_vertical()

    def _on_frame(self, index: int, picture: VideoFrame) -> None:
        with self._preview_lock:
            self._preview = (index, picture)
        session = self.session
        if session is not None:
            session.on_frame(index, picture)
        elif self.vertical_session is None and self.shared_mix.tap_count == 0:
            # Not live: keep the meters moving and the devices drained.
            self.mixer.mix(round(48000 / self.compositor.fps))

    def preview(self) -> tuple[int, np.ndarray] | None:
        """The newest program frame (index, RGB image at the canvas's size); never blocks on media work."""
        latest = self.preview_picture()
        return None if latest is None else (latest[0], latest[1].image)

    def preview_picture(self) -> tuple[int, VideoFrame] | None:
        """The newest program frame as composed: a preview scales it (``scaled_rgb``) before any RGB."""
        with self._preview_lock:
            return self._preview

    def go_live(self, outputs: list[Output], video: VideoSettings, audio: AudioSettings | None,
                stats_path: Path | None = None, duration_s: float | None = None,
                wait_outputs_s: float | None = 15.0, canvas: str = "landscape",
                is_partial_ok: bool = False) -> LiveSession:
        """Start the live session of one canvas (its own encode) with these outputs. The vertical
        canvas's session is ``vertical_session``; its events carry ``canvas="vertical"`` and its
        stats tick is the event "canvas_stats" (the landscape one stays "stats")."""
        is_vertical = self._is_vertical_slot(canvas)
        comp = self.compositor_for(canvas)
        if (self.vertical_session if is_vertical else self.session) is not None:
            raise RuntimeError(f"the {canvas} canvas is already live")
        if (video.width, video.height) != (comp.width, comp.height):
            raise ValueError("output size must match the canvas")
        tap: MixTap | None = self.shared_mix.tap() if audio is not None else None
        session = LiveSession(comp, tap, video, audio, outputs, stats_path,
                              canvas="vertical" if is_vertical else "landscape")
        forward = self._forwarder(is_vertical)
        session.events.subscribe(forward)
        for output in outputs:
            output.events.subscribe(forward)
        try:
            session.start(duration_s=duration_s, wait_outputs_s=wait_outputs_s, is_partial_ok=is_partial_ok)
        except BaseException:
            if tap is not None:
                tap.close()
            raise
        if is_vertical:
            self.vertical_session = session
        else:
            self.session = session
        return session

    def _forwarder(self, is_vertical: bool):
        if not is_vertical:
            return lambda name, payload: self.events.emit(name, **payload)

        def forward(name: str, payload: dict) -> None:
            self.events.emit("canvas_stats" if name == "stats" else name, **{**payload, "canvas": "vertical"})
        return forward

    def add_output(self, output: Output, canvas: str = "landscape") -> None:
        """Add an output to a canvas's running session (the Record toggle while live)."""
        is_vertical = self._is_vertical_slot(canvas)
        session = self.vertical_session if is_vertical else self.session
        if session is None:
            raise RuntimeError("not live")
        output.events.subscribe(self._forwarder(is_vertical))
        session.add_output(output)

    def end_show(self, timeout_s: float = 2.5) -> LiveSession | None:
        """Finish the live session of every canvas within ``timeout_s`` (see LiveSession.stop; the two
        canvases stop in parallel); returns the landscape canvas's session."""
        session, self.session = self.session, None
        vertical, self.vertical_session = self.vertical_session, None
        if session is not None and vertical is not None:
            stoppers = [threading.Thread(target=s.stop, args=(timeout_s,), name="stop-session", daemon=True)
                        for s in (session, vertical)]
            for t in stoppers:
                t.start()
            deadline = time.monotonic() + timeout_s + 0.2
            for t in stoppers:
                t.join(max(0.05, deadline - time.monotonic()))
        elif session is not None or vertical is not None:
            (session or vertical).stop(timeout_s)  # type: ignore[union-attr]
        for s in (session, vertical):
            if s is not None and isinstance(s.mixer, MixTap):
                s.mixer.close()
        return session

    def end_canvas(self, canvas: str, timeout_s: float = 2.5) -> LiveSession | None:
        """Finish one canvas's session; the other goes on."""
        is_vertical = self._is_vertical_slot(canvas)
        if is_vertical:
            session, self.vertical_session = self.vertical_session, None
        else:
            session, self.session = self.session, None
        if session is not None:
            session.stop(timeout_s)
            if isinstance(session.mixer, MixTap):
                session.mixer.close()
        return session

    def stop(self, timeout_s: float = 2.5) -> None:
        """End the show, stop the clock and close every source within ``timeout_s`` (quit): a source
        or thread that does not let go in time is abandoned (daemon threads), never waited for."""
        deadline = time.monotonic() + timeout_s
        self.end_show(timeout_s * 0.7)
        if self.vertical is not None:
            self.vertical.stop(max(0.1, (deadline - time.monotonic()) / 3))
        self.compositor.stop(max(0.1, (deadline - time.monotonic()) / 2))
        closers = [threading.Thread(target=source.stop, name=f"stop-{source.id}", daemon=True)
                   for source in [*self.compositor.sources.values(), *(ch.source for ch in self.mixer.channels.values())]]
        for t in closers:
            t.start()
        for t in closers:
            t.join(max(0.05, deadline - time.monotonic()))
        self._is_running = False


def pattern_studio(width: int, height: int, fps: int, with_tone: bool = True) -> Studio:
    """A started studio showing the test pattern (and the tone): benches, soaks, demos, tests."""
    studio = Studio(width, height, fps)
    studio.add_source(TestPatternSource("tp", width, height, fps))
    studio.add_scene(Scene("test pattern", [Layer("tp")]))
    if with_tone:
        studio.add_audio(ToneSource("tone"))
    studio.start()
    return studio
