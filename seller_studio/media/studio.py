"""The Studio: the sources, scenes and mixer of one seller's setup, with the compositor always
running (for the preview) and a LiveSession attached while the show is live.

This is the object the window and the headless command drive. Outputs connect on their own
threads; ``go_live`` waits for them only when asked (the headless command does, the window passes
``wait_outputs_s=None`` and follows the output_state events).
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
from seller_studio.media.compositor import Compositor, Layer, Scene
from seller_studio.media.encoders.base import AudioSettings, VideoSettings
from seller_studio.media.outputs.base import Output
from seller_studio.media.session import LiveSession
from seller_studio.media.sources.base import VideoSource
from seller_studio.media.sources.test_pattern import TestPatternSource

log = logging.getLogger(__name__)


class Studio:
    def __init__(self, width: int = 1280, height: int = 720, fps: int = 30) -> None:
        self.compositor = Compositor(width, height, fps)
        self.mixer = AudioMixer()
        self.events = EventEmitter()
        self.session: LiveSession | None = None
        self._preview_lock = threading.Lock()
        self._preview: tuple[int, np.ndarray] | None = None
        self._is_running = False
        self.compositor.events.subscribe(lambda name, payload: self.events.emit(name, **payload))

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

    def add_scene(self, scene: Scene) -> None:
        self.compositor.add_scene(scene)

    def set_scene(self, name: str) -> None:
        self.compositor.set_scene(name)

    def rename_scene(self, old: str, new: str) -> None:
        self.compositor.rename_scene(old, new)

    def remove_scene(self, name: str) -> str:
        return self.compositor.remove_scene(name)

    def unused_source_ids(self) -> list[str]:
        """Sources no scene or overlay shows any more (they still hold a camera or file open)."""
        comp = self.compositor
        used = {layer.source_id for scene in comp.scenes.values() for layer in scene.layers}
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
        self.compositor.start(self._on_frame)

    def _on_frame(self, index: int, image: np.ndarray) -> None:
        with self._preview_lock:
            self._preview = (index, image)
        session = self.session
        if session is not None:
            session.on_frame(index, image)
        else:
            # Not live: keep the meters moving and the devices drained.
            self.mixer.mix(round(48000 / self.compositor.fps))

    def preview(self) -> tuple[int, np.ndarray] | None:
        """The newest program frame (index, RGB image); never blocks on media work."""
        with self._preview_lock:
            return self._preview

    def go_live(self, outputs: list[Output], video: VideoSettings, audio: AudioSettings | None,
                stats_path: Path | None = None, duration_s: float | None = None,
                wait_outputs_s: float | None = 15.0) -> LiveSession:
        if self.session is not None:
            raise RuntimeError("already live")
        if (video.width, video.height) != (self.compositor.width, self.compositor.height):
            raise ValueError("output size must match the canvas")
        mixer = self.mixer if audio is not None else None
        session = LiveSession(self.compositor, mixer, video, audio, outputs, stats_path)
        session.events.subscribe(lambda name, payload: self.events.emit(name, **payload))
        for output in outputs:
            output.events.subscribe(lambda name, payload: self.events.emit(name, **payload))
        session.start(duration_s=duration_s, wait_outputs_s=wait_outputs_s)
        self.session = session
        return session

    def add_output(self, output: Output) -> None:
        """Add an output to the running session (the Record toggle while live)."""
        if self.session is None:
            raise RuntimeError("not live")
        output.events.subscribe(lambda name, payload: self.events.emit(name, **payload))
        self.session.add_output(output)

    def end_show(self, timeout_s: float = 2.5) -> LiveSession | None:
        """Finish the live session within ``timeout_s`` (see LiveSession.stop)."""
        session, self.session = self.session, None
        if session is not None:
            session.stop(timeout_s)
        return session

    def stop(self, timeout_s: float = 2.5) -> None:
        """End the show, stop the clock and close every source within ``timeout_s`` (quit): a source
        or thread that does not let go in time is abandoned (daemon threads), never waited for."""
        deadline = time.monotonic() + timeout_s
        self.end_show(timeout_s * 0.7)
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
