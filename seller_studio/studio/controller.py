"""The studio controller: the seller's studio as one object without Qt (the window is its view).

In the spirit of OBS's output handler (which lives outside its window) and of ``show/controller.py``:
it owns the studio and its scene collection, the live state (``LiveState``), the stream and
recording outputs, the fault rig of support's ``--simulate``, the journal, the platform connection
and the show's start and end, and tells views what happened through typed events
(``studio/events.py``). A view only calls its methods and draws its events.

Threads: every method is called on the owner thread of the ``Dispatcher`` (the GUI thread in the
window, ``OwnerThread`` without Qt) and every event is emitted there. What waits on media or the
network (building the studio, opening a source, going live, ending the show, stopping a recording)
runs on a worker through ``Dispatcher.run``; core events from capture, encoder and output threads
come back through ``Dispatcher.post``.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from seller_studio.common import paths
from seller_studio.common.errors import UserError
from seller_studio.diagnostics.faults import PLATFORM_FAULTS, Fault
from seller_studio.diagnostics.journal import Journal, default_journal_path
from seller_studio.diagnostics.logsetup import current_session
from seller_studio.diagnostics.reproduce import describe_setup
from seller_studio.diagnostics.studio_faults import StudioFaults
from seller_studio.i18n import tr, tr_noop
from seller_studio.media.compositor import Layer, Rect, Scene
from seller_studio.media.encoders.base import AudioSettings, VideoSettings
from seller_studio.media.outputs.base import Output
from seller_studio.media.outputs.recording import RecordingOutput
from seller_studio.media.outputs.stream import StreamOutput
from seller_studio.media.session import LiveSession
from seller_studio.media.sources.base import VideoSource
from seller_studio.media.studio import Studio
from seller_studio.studio.assembly import (
    SOURCE_KIND_LABELS,
    BuildResult,
    build_studio,
    collection_to_json,
    make_source,
    new_source_id,
    vertical_recording_path,
    vertical_scenes_to_json,
)
from seller_studio.studio.chapters import attach_to_recording, follow_show
from seller_studio.studio.destination import Destination, destination_for_profile
from seller_studio.studio.dispatch import Dispatcher
from seller_studio.studio.events import (
    CountdownTick,
    DestinationsChanged,
    HealthChanged,
    LiveState,
    LiveStateChanged,
    MicStateChanged,
    Notice,
    PlatformConnected,
    PlatformStatus,
    PreviewSceneChanged,
    RecordingChanged,
    SceneSwitched,
    ShowEnded,
    SourceStateChanged,
    StatsCleared,
    StatsUpdated,
    StatusMessage,
    StreamConnection,
    StudioChanged,
    StudioEvents,
    StudioModeChanged,
)
from seller_studio.studio.health_gate import HealthGate
from seller_studio.studio.presets import DURATION_WARNING_BEFORE_S, PRESETS, preset_id_for
from seller_studio.studio.scene_follow import SceneFollower
from seller_studio.studio.settings import Profile, SettingsStore
from seller_studio.studio.show_destinations import ShowDestinations

log = logging.getLogger(__name__)

THANKS_HOLD_S = 3.0
_LEVELS = {"good": 0, "warning": 1, "bad": 2}  # the show-end scene is on air this long before End Show stops the outputs


class StudioController:
    """One seller's studio. ``sandbox`` is the demo's sandbox platform (``SandboxProcess``), if any;
    ``simulate`` the faults support re-creates from Go Live on."""

    def __init__(self, store: SettingsStore, profile: Profile, dispatcher: Dispatcher, *, sandbox: Any = None,
                 audio_fallback: str = "silence", simulate: list[Fault] | None = None,
                 journal: Journal | None = None) -> None:
        self.store = store
        self.profile = profile
        self.dispatcher = dispatcher
        self.sandbox = sandbox
        self.audio_fallback = audio_fallback
        self.simulate = list(simulate or [])
        has_platform_faults = any(f.kind in PLATFORM_FAULTS for f in self.simulate)
        self.faults = StudioFaults(self.simulate, sandbox if has_platform_faults else None) if self.simulate else None
        if journal is None:  # the flight recorder: seller actions, media events, stats, platform traffic
            session_log = current_session()
            journal = Journal(default_journal_path(session_log.session_id if session_log else None),
                              command="studio")
        self.journal = journal
        self.events = StudioEvents()
        self.studio: Studio | None = None
        self.specs: dict[str, dict[str, Any]] = {}  # source id -> spec of the scene collection
        self.session: LiveSession | None = None
        self.live_state = LiveState.IDLE
        self.live_started_at_s: float | None = None
        self.countdown_step_ms = 1000
        self.countdown_left = 0
        self.stream: StreamOutput | None = None
        self.recording: RecordingOutput | None = None
        # The vertical canvas's recording (NAME.vertical.mkv beside NAME.mkv), while the studio has one.
        self.vertical_recording: RecordingOutput | None = None
        self.vertical_edited: set[str] = set()  # vertical scenes the seller edited (the rest are derived)
        self.vertical_stats: dict[str, Any] = {}  # the vertical canvas's newest stats tick
        # profile.destinations: the show's other destinations (docs/destinations.md)
        self.extra_destinations = ShowDestinations()
        self._limit_warned: set[str] = set()  # destinations already warned that their platform's limit nears
        self.lost_sources: set[str] = set()
        self.last_stats: dict[str, Any] = {}
        self.health_gate = HealthGate()  # asks before an auction or a draw on a sick stream
        self.show_lots: Any = None  # the ShowController whose lots become the recording's chapters
        self._unfollow_lots: Callable[[], None] | None = None
        # Scenes that follow the show (auction -> overhead cam, item -> its scene, ...); a switch by
        # hand wins until the next moment.
        self._is_auto_switching = False
        self.scene_follower = SceneFollower(self._auto_switch, self.scene_names, profile.scene_follow)
        self._unfollow_show: Callable[[], None] | None = None
        self.platform_client: Any = None
        self.studio_mode = False  # preview and program side by side; scene picks load the preview
        self._countdown_generation = 0
        # Go Live and Record can start outputs at the same moment: one worker at a time decides
        # whether to start the session or join the running one (else two sessions could start).
        self._session_lock = threading.Lock()
        self._unsubscribe_studio: Callable[[], None] | None = None

    # ------------------------------------------------------------------------------------- studio
    def load_studio(self, profile: Profile | None = None) -> None:
        """Build the studio on a worker (it opens cameras and the mic), then swap it in."""
        profile = profile or self.profile
        old = self.studio
        if old is not None:
            self._detach_studio()
            self.studio = None
            self.events.emit(StudioChanged(None))
            self._in_background("stop-studio", old.stop)
        profile_copy = copy.deepcopy(profile)

        def build() -> BuildResult:
            return build_studio(profile_copy, audio_fallback=self.audio_fallback, faults=self.simulate)

        def done(result: BuildResult) -> None:
            self.profile.sources, self.profile.scenes = profile_copy.sources, profile_copy.scenes
            self._set_studio(result)

        self.dispatcher.run("build-studio", build, done, lambda exc: self._notice(tr_noop('Could not start: {exc}').format(exc=exc)))

    def _set_studio(self, result: BuildResult) -> None:
        self.studio = result.studio
        self.specs = result.specs
        self.vertical_edited = set(result.vertical_edited)
        self._unsubscribe_studio = self.dispatcher.attach(self.studio.events, self.handle_core_event)
        self.journal.attach_studio(self.studio)
        self.events.emit(StudioChanged(self.studio, tuple(result.warnings)))
        for source in self.studio.sources.values():
            if source.state.value == "lost":
                self._on_source_state({"source_id": source.id, "state": "lost"})
        for warning in result.warnings:
            self._notice(warning)
        if self.studio_mode:  # a rebuilt studio keeps Studio Mode (on its first scene)
            self.set_studio_mode(True)

    def _detach_studio(self) -> None:
        if self._unsubscribe_studio is not None:
            self._unsubscribe_studio()
            self._unsubscribe_studio = None

    def source_label(self, source_id: str) -> str:
        spec = self.specs.get(source_id, {})
        kind = tr(SOURCE_KIND_LABELS.get(spec.get("kind", ""), ""))
        label = spec.get("label") or source_id
        return f"{label} ({kind})" if kind and kind != label else label

    # ------------------------------------------------------------------------------------- scenes
    def switch_scene(self, name: str, fade_ms: int = 0) -> bool:
        """Put a scene on the program (a cut, or a fade of ``fade_ms``)."""
        if self.studio is None or name not in self.studio.compositor.scenes:
            return False
        try:
            self.studio.set_scene(name, fade_ms=fade_ms)  # both canvases
        except ValueError as exc:
            self._notice(tr_noop('Could not fade: {exc}.').format(exc=exc))
            return False
        self.journal.action("scene_switch", scene=name, **({"fade_ms": fade_ms} if fade_ms else {}),
                            **({"auto": True} if self._is_auto_switching else {}))
        if not self._is_auto_switching:
            self.scene_follower.manual_switch(name)
        return True

    def scene_names(self) -> list[str]:
        return list(self.studio.compositor.scenes) if self.studio is not None else []

    def _auto_switch(self, name: str) -> bool:
        self._is_auto_switching = True
        try:
            switched = self.switch_scene(name)
        finally:
            self._is_auto_switching = False
        return switched  # the compositor's scene_switched event tells the views

    def follow_show(self, show: Any) -> None:
        """The window's ShowController: its lots become the recording's chapters and its moments
        (auction started, item shown, show ended) switch scenes by the profile's ``scene_follow``."""
        if self._unfollow_show is not None:
            self._unfollow_show()
        self.show_lots = show
        self._unfollow_show = show.events.subscribe(self.scene_follower.on_show_event)

    def show_moment(self, moment: str, item_id: Any = None) -> bool:
        """A moment the show controller does not report (a break's draw starting)."""
        return self.scene_follower.moment(moment, item_id, key=object()) is not None

    def set_scene_follow(self, rules: dict[str, str]) -> None:
        """The Show dock's choices: kept in the profile."""
        self.profile.scene_follow = {k: v for k, v in rules.items() if v}
        self.scene_follower.rules = dict(self.profile.scene_follow)
        try:
            self.store.save_profile(self.profile, make_active=False)
        except (OSError, ValueError) as exc:
            self._notice(tr_noop('Could not save the scene choices: {exc}').format(exc=exc))

    # Studio Mode, as in the reference broadcaster: the seller prepares the next scene in the preview
    # while the program stays on air, then cuts or fades to it. A scene pick (button or hotkey 1-9)
    # loads the preview; only Cut / Fade change what viewers see.
    @property
    def program_scene(self) -> str:
        return self.studio.compositor.active_scene if self.studio is not None else ""

    @property
    def preview_scene(self) -> str | None:
        return self.studio.compositor.preview_scene if self.studio is not None and self.studio_mode else None

    @property
    def edit_scene(self) -> str:
        """The scene the sources list and the layer edits act on: the preview's in Studio Mode."""
        return self.preview_scene or self.program_scene

    @property
    def is_on_air(self) -> bool:
        """Viewers (or the recording) see the program: a new scene must not go there by itself."""
        return self.live_state != LiveState.IDLE or self.recording is not None

    def set_studio_mode(self, is_on: bool, preview: str | None = None) -> None:
        """Turn Studio Mode on (the preview starts on ``preview`` or the program's scene) or off."""
        studio = self.studio
        if studio is None:
            return
        comp = studio.compositor
        if is_on:
            scene = preview if preview in comp.scenes else comp.active_scene
            comp.set_preview_scene(scene)
        else:
            comp.set_preview_scene(None)
        changed = is_on != self.studio_mode
        self.studio_mode = is_on
        if changed:
            self.journal.action("studio_mode", is_on=is_on)
        self.events.emit(StudioModeChanged(is_on, comp.preview_scene))

    def preview_scene_to(self, name: str) -> bool:
        """Studio Mode: load a scene into the preview (nothing changes on air)."""
        if self.studio is None or not self.studio_mode or name not in self.studio.compositor.scenes:
            return False
        self.studio.compositor.set_preview_scene(name)
        self.journal.action("scene_preview", scene=name)
        self.events.emit(PreviewSceneChanged(name))
        return True

    def pick_scene(self, name: str) -> bool:
        """A scene button or hotkey: the preview in Studio Mode, else the program."""
        return self.preview_scene_to(name) if self.studio_mode else self.switch_scene(name)

    def transition(self, fade_ms: int = 0) -> bool:
        """Studio Mode's Cut (``fade_ms`` 0) or Fade: the preview's scene goes on the program; the
        preview keeps it (as the reference broadcaster does by default)."""
        scene = self.preview_scene
        if scene is None or scene == self.program_scene:
            return False
        return self.switch_scene(scene, fade_ms=fade_ms)

    def scene_name(self, number: int) -> str | None:
        """The scene a hotkey 1-9 switches to."""
        if self.studio is None:
            return None
        names = list(self.studio.compositor.scenes)
        return names[number - 1] if 1 <= number <= len(names) else None

    def add_scene(self, name: str) -> bool:
        name = name.strip()
        if self.studio is None or not name:
            return False
        if name in self.studio.compositor.scenes:
            self._notice(tr_noop("A scene named '{name}' already exists.").format(name=name))
            return False
        self.studio.add_scene(Scene(name, []))
        self.journal.action("scene_add", scene=name)
        return True

    def add_scene_off_air(self, name: str) -> bool:
        """Add a scene without ever putting it on air: in Studio Mode it opens in the preview; while
        live or recording Studio Mode turns on with it in the preview (the program stays); when
        nothing is on air it becomes the scene shown, ready to fill."""
        if not self.add_scene(name):
            return False
        name = name.strip()
        if self.studio_mode:
            self.preview_scene_to(name)
        elif self.is_on_air:
            self.set_studio_mode(True, preview=name)
            self.events.emit(StatusMessage(tr_noop("'{name}' is in the preview, not on air: add its sources, then Cut or Fade to show it.").format(name=name), 15000))
        else:
            self.switch_scene(name)
        self.save_collection()
        return True

    def rename_scene(self, name: str, new: str) -> bool:
        new = new.strip()
        if self.studio is None or name not in self.studio.compositor.scenes or not new or new == name:
            return False
        try:
            self.studio.rename_scene(name, new)
        except ValueError as exc:
            self._notice(tr_noop('Could not rename the scene: {exc}.').format(exc=exc))
            return False
        self.journal.action("scene_rename", scene=name, new_name=new)
        if name in self.vertical_edited:
            self.vertical_edited = (self.vertical_edited - {name}) | {new}
        self.save_collection()  # hotkeys follow the position, so 1-9 still switch the same scenes
        return True

    def can_remove_scene(self, name: str) -> bool:
        studio = self.studio
        if studio is None or name not in studio.compositor.scenes:
            return False
        if len(studio.compositor.scenes) == 1:
            self._notice(tr_noop("A show needs at least one scene: add another before removing '{name}'.").format(name=name))
            return False
        return True

    def is_scene_on_air(self, name: str) -> bool:
        return (self.studio is not None and self.studio.compositor.active_scene == name
                and self.live_state != LiveState.IDLE)

    def remove_scene(self, name: str) -> str | None:
        """Remove a scene (its sources no other scene uses close); returns the scene now on air."""
        studio = self.studio
        if studio is None or name not in studio.compositor.scenes or len(studio.compositor.scenes) == 1:
            return None
        on_air = studio.remove_scene(name)
        self.vertical_edited.discard(name)
        self.journal.action("scene_remove", scene=name, on_air=on_air)
        self._close_unused_sources(studio)
        self.save_collection()
        return on_air

    # ------------------------------------------------------------------------------------- layers
    def set_layer_visible(self, index: int, is_visible: bool) -> None:
        if self.studio is not None:
            self.studio.compositor.update_layer(self.edit_scene, index, is_visible=is_visible)
            self.save_collection()

    def add_source(self, spec: dict[str, Any], on_added: Callable[[str, int], None] | None = None) -> None:
        """Create and start a source on a worker, then put it on top of the current scene;
        ``on_added(source_id, layer_index)`` runs on the owner thread once it is placed."""
        studio = self.studio
        if studio is None:
            return
        spec = {**spec, "id": spec.get("id") or new_source_id(spec["kind"], self.specs)}
        comp = studio.compositor

        def create() -> VideoSource:
            source = make_source(spec, comp.width, comp.height, comp.fps)
            studio.add_source(source)
            return source

        def done(source: VideoSource) -> None:
            if self.studio is not studio:
                return
            self.specs[spec["id"]] = spec
            scene = comp.scenes.get(self.edit_scene)
            if scene is None:
                scene = Scene("Scene 1", [])
                studio.add_scene(scene)
            rect = default_rect(source, comp.width, comp.height, is_first=not scene.layers)
            z = max((layer.z for layer in scene.layers), default=-1) + 1
            index = comp.add_layer(scene.name, Layer(source.id, rect, z=z))
            self.save_collection()
            if on_added:
                on_added(source.id, index)

        self.dispatcher.run("add-source", create, done, lambda exc: self._notice(tr_noop('Could not add: {exc}').format(exc=exc)))

    def move_layer(self, index: int, step: int) -> bool:
        """Swap the layer's stacking order with its neighbour above (+1) or below (-1)."""
        if self.studio is None:
            return False
        comp = self.studio.compositor
        scene = comp.scenes.get(self.edit_scene)
        if scene is None or not 0 <= index < len(scene.layers):
            return False
        order = sorted(range(len(scene.layers)), key=lambda i: scene.layers[i].z)
        pos = order.index(index)
        if not 0 <= pos + step < len(order):
            return False
        other = order[pos + step]
        # Renumber z as 0..n-1 first: equal z values (side by side) would make a swap do nothing.
        for z, i in enumerate(order):
            comp.update_layer(scene.name, i, z=z)
        z_self, z_other = scene.layers[index].z, scene.layers[other].z
        comp.update_layer(scene.name, index, z=z_other)
        comp.update_layer(scene.name, other, z=z_self)
        self.save_collection()
        return True

    def remove_layer(self, index: int) -> None:
        studio = self.studio
        if studio is None:
            return
        studio.compositor.remove_layer(self.edit_scene, index)
        self._close_unused_sources(studio)
        self.save_collection()

    def _close_unused_sources(self, studio: Studio) -> None:
        """Sources of the collection no scene shows any more leave it and release their camera or file.
        Only the collection's: a source still being added (its layer not placed yet) is not in it."""
        for source_id in studio.unused_source_ids():
            if self.specs.pop(source_id, None) is None:
                continue
            # Stopping joins the capture thread: off the owner thread.
            self._in_background("close-source", lambda sid=source_id: studio.remove_source(sid))

    def save_collection(self) -> None:
        if self.studio is None:
            return
        self._follow_landscape_scenes()
        self.profile.sources, self.profile.scenes = collection_to_json(self.studio, self.specs)
        if self.studio.vertical is not None:
            self.profile.vertical_scenes = vertical_scenes_to_json(self.studio, self.vertical_edited)
        try:
            self.store.save_profile(self.profile, make_active=False)
        except (OSError, ValueError) as exc:
            self._notice(tr_noop('Could not save the scenes: {exc}').format(exc=exc))

    # ------------------------------------------------------------------------------------- vertical canvas
    def _follow_landscape_scenes(self) -> None:
        """Every vertical scene the seller has not edited is derived again from its landscape scene
        (a layer added, moved or hidden there shows on the phone canvas too)."""
        studio = self.studio
        vertical = studio.vertical if studio is not None else None
        if studio is None or vertical is None:
            return
        for name, scene in list(studio.compositor.scenes.items()):
            if name not in self.vertical_edited:
                vertical.add_scene(studio.derive_vertical(scene))

    def vertical_scene_edited(self, name: str | None = None) -> None:
        """The seller changed a vertical scene by hand (the vertical preview's layers): from now on it is
        kept as edited, in the profile, instead of following its landscape scene."""
        studio = self.studio
        if studio is None or studio.vertical is None:
            return
        name = name or studio.vertical.active_scene
        if name in studio.vertical.scenes:
            self.vertical_edited.add(name)
            self.journal.action("vertical_scene_edit", scene=name)
            self.save_collection()

    def reset_vertical_scene(self, name: str) -> bool:
        """Back to the derived vertical scene (it follows its landscape scene again)."""
        if self.studio is None or self.studio.vertical is None or name not in self.studio.compositor.scenes:
            return False
        self.vertical_edited.discard(name)
        self.save_collection()
        return True

    # ------------------------------------------------------------------------------------- go live
    def destination(self) -> Destination:
        return destination_for_profile(self.profile, self.sandbox)

    def destination_label(self) -> str:
        d = self.profile.destination
        if d.kind == "sandbox":
            return "the sandbox platform"
        return d.preset if d.kind == "preset" else d.url

    def prepare_go_live(self) -> bool:
        """Make the stream output for the destination (not started). False, with a notice, when the
        destination cannot work (no server, no key, no sandbox): nothing to confirm then."""
        if self.studio is None or self.live_state != LiveState.IDLE:
            return False
        try:
            primary = self.destination()
            self.stream = primary.open_output(self.store.secrets)
        except UserError as exc:
            self._notice(str(exc))
            return False
        self._prepare_extra_destinations(primary)
        return True

    def _prepare_extra_destinations(self, primary: Destination) -> None:
        """The profile's other destinations: validated with the main one (what the validator changes
        or refuses is said, one line each), an output opened for each it did not refuse."""
        studio = self.studio
        assert studio is not None
        video = {"landscape": self._video_settings()}
        if studio.vertical is not None:
            video["vertical"] = self._vertical_video_settings()
        lines = self.extra_destinations.prepare(self.profile.destinations, primary, self.store.secrets, video,
                                                tuple(video))
        for line in lines:
            self.journal.write("action", "destination_check", line=line)
            if ": refused: " in line:
                self._notice(line)
            else:
                self.events.emit(StatusMessage(line, 12000))
        self._emit_destinations()

    def destination_names(self) -> list[str]:
        """Every destination of the show: the main one ("stream"), then the profile's others."""
        stream = self.stream
        return [stream.name] * isinstance(stream, Output) + list(self.extra_destinations.labels)

    def _emit_destinations(self) -> None:
        stream = self.stream
        primary = (stream.name, self.destination_label(), stream) if isinstance(stream, Output) else None
        outputs = list(self.last_stats.get("outputs", [])) + list(self.vertical_stats.get("outputs", []))
        self.events.emit(DestinationsChanged(self.extra_destinations.rows(primary, outputs)))

    def cancel_go_live(self) -> None:
        """The seller said no, or cancelled the countdown."""
        if self.live_state == LiveState.COUNTDOWN:
            self._countdown_generation += 1
            self.events.emit(CountdownTick(0))
        self.stream = None
        self.extra_destinations.clear()
        self._limit_warned = set()
        self._emit_destinations()
        if self.live_state == LiveState.COUNTDOWN:
            self._set_live_state(LiveState.IDLE)

    def go_live(self) -> None:
        """After the seller confirmed: the countdown (``profile.countdown_s``), then the outputs start."""
        if self.live_state != LiveState.IDLE or (self.stream is None and not self.prepare_go_live()):
            return
        self.countdown_left = max(0, int(self.profile.countdown_s))
        if self.countdown_left == 0:
            self.start_live()
            return
        self._set_live_state(LiveState.COUNTDOWN)
        self._countdown_generation += 1
        self.events.emit(CountdownTick(self.countdown_left))
        self._schedule_countdown(self._countdown_generation)

    def _schedule_countdown(self, generation: int) -> None:
        self.dispatcher.call_later(self.countdown_step_ms / 1000, lambda: self._countdown_step(generation))

    def _countdown_step(self, generation: int) -> None:
        if generation != self._countdown_generation or self.live_state != LiveState.COUNTDOWN:
            return  # cancelled
        self.countdown_left -= 1
        self.events.emit(CountdownTick(max(0, self.countdown_left)))
        if self.countdown_left > 0:
            self._schedule_countdown(generation)
            return
        self.start_live()

    def start_live(self) -> None:
        studio, stream = self.studio, self.stream
        if studio is None or stream is None:
            self._set_live_state(LiveState.IDLE)
            return
        self._set_live_state(LiveState.STARTING)
        outputs: list = [stream, *self.extra_destinations.on_canvas("landscape")]
        vertical_destinations = self.extra_destinations.on_canvas("vertical")
        if self.profile.record_when_live and self.recording is None:
            # Settings: "Record automatically when going live"; End Show stops it with the stream.
            self.recording = self._new_recording()
            if self.recording is not None:
                self.events.emit(RecordingChanged(True))
                outputs.append(self.recording)
        self._start_outputs(outputs, vertical_destinations)
        self._spawn(self._platform_start_show())

    def _video_settings(self) -> VideoSettings:
        v = self.profile.video
        assert self.studio is not None
        comp = self.studio.compositor
        if (checked := self.extra_destinations.video.get("landscape")) is not None:
            return checked  # what the presets' validator made of it (keyframes, a bitrate cap)
        # The canvas decides the output size; the profile's size applies at the next rebuild.
        return VideoSettings(comp.width, comp.height, int(comp.fps), v.bitrate_kbps, encoder=v.encoder)

    def _vertical_video_settings(self) -> VideoSettings:
        assert self.studio is not None and self.studio.vertical is not None
        if (checked := self.extra_destinations.video.get("vertical")) is not None:
            return checked
        comp, v = self.studio.vertical, self.profile.vertical
        return VideoSettings(comp.width, comp.height, int(comp.fps), v.bitrate_kbps, encoder=self.profile.video.encoder)

    def _start_outputs(self, outputs: list, vertical_outputs: list | None = None) -> None:
        """Start a session with these outputs, or add them to the running one (worker). The vertical
        canvas's outputs (its recording; a vertical destination) go to its own session, likewise."""
        studio = self.studio
        assert studio is not None
        vertical_outputs = list(vertical_outputs or [])
        if vertical_outputs and studio.vertical is None:  # a studio built before the destination was added
            self._notice(tr_noop("The vertical canvas starts after this show: the destinations that stream "
                                 "it go live then."))
            vertical_outputs = []
        if studio.vertical is not None and self.recording in outputs and self.vertical_recording is None:
            self.vertical_recording = RecordingOutput(vertical_recording_path(self.recording.path))
            vertical_outputs.append(self.vertical_recording)
        vertical_video = self._vertical_video_settings() if vertical_outputs else None
        video = self._video_settings()
        has_audio = bool(studio.mixer.channels)
        if studio.session is None:  # what `seller-studio reproduce` rebuilds: the collection as it went live
            try:
                destination: Destination | None = self.destination()
            except UserError:  # not streaming anywhere (recording only)
                destination = None
            self.journal.write("head", "profile", **describe_setup(studio, video, destination, vertical_video))
        self.journal.action("go_live" if studio.session is None else "add_output",
                            outputs=[getattr(o, "display_url", None) or o.kind for o in outputs])
        faults, journal = self.faults, self.journal
        stream = self.stream if self.stream in outputs else None
        destinations = [o for o in [*outputs, *vertical_outputs] if o.is_destination]

        def start() -> LiveSession:
            if faults is not None:
                for output in destinations:  # net-drop: the one place a stream is rerouted, through a relay
                    faults.route(output)
            with self._session_lock:
                if studio.session is not None:
                    for output in outputs:
                        studio.add_output(output)
                    session = studio.session
                else:
                    session = studio.go_live(outputs, video, AudioSettings() if has_audio else None,
                                             wait_outputs_s=None)
                if vertical_outputs and vertical_video is not None:  # one encode per canvas
                    try:
                        if studio.vertical_session is not None:
                            for output in vertical_outputs:
                                studio.add_output(output, canvas="vertical")
                        else:
                            studio.go_live(vertical_outputs, vertical_video, AudioSettings() if has_audio else None,
                                           wait_outputs_s=None, canvas="vertical")
                    except Exception as exc:  # the landscape canvas is live: the vertical one's failure is its own
                        log.exception("the vertical canvas could not start")
                        self.dispatcher.post(lambda e=exc: self._vertical_failed(e, vertical_outputs))
            if faults is not None and stream is not None:
                faults.start(studio, destinations, journal)  # the simulated night starts with the show
            return session

        def done(session: LiveSession) -> None:
            self.session = session

        def failed(exc: BaseException) -> None:
            self._notice(tr_noop('Could not start: {exc}').format(exc=exc))
            for output in outputs:
                if output is self.stream:
                    self.stream = None
                    self._set_live_state(LiveState.IDLE)
                if output is self.recording:
                    self.recording = None
                    self.vertical_recording = None
                    self.events.emit(RecordingChanged(False))

        self.dispatcher.run("go-live", start, done, failed)

    def end_show(self) -> None:
        """Stop the stream and the recording (on a worker: flushing and closing takes a moment)."""
        studio = self.studio
        if studio is None:
            return
        live_s = time.monotonic() - self.live_started_at_s if self.live_started_at_s is not None else None
        # A thank-you scene for the show's end (Scenes follow the show) stays on air a moment first.
        is_on_air = self.stream is not None or self.recording is not None
        hold_s = THANKS_HOLD_S if is_on_air and self.scene_follower.moment(
            "show_end", key=("end_show", time.monotonic())) is not None else 0.0
        self._set_live_state(LiveState.ENDING)
        self.journal.action("end_show")
        self._spawn(self._platform_end_show())
        faults = self.faults

        def stop() -> None:
            if faults is not None:
                faults.stop_schedule()  # ends faults still in force: the idle studio is healthy again
            studio.end_show()
            if faults is not None:
                faults.close_relay()

        def done(_: Any) -> None:
            self.session = None
            self.stream = None
            self.extra_destinations.clear()
            self._limit_warned = set()
            self._emit_destinations()
            self.vertical_recording = None
            self.vertical_stats = {}
            recording, self.recording = self.recording, None
            self._stop_following_lots()
            self.events.emit(RecordingChanged(False))
            self.events.emit(StreamConnection(False))
            self._set_live_state(LiveState.IDLE)
            self.events.emit(HealthChanged("idle", tr_noop("Not live")))
            self.events.emit(StatsCleared())
            if recording is not None:
                self.events.emit(StatusMessage(tr_noop('Recording saved: {value}').format(value=recording.final_path or recording.path), 15000))
            self.events.emit(ShowEnded(live_s, self.last_stats))  # the recap: duration, sales, viewers, drops

        def failed(exc: BaseException) -> None:
            self._notice(tr_noop('Ending: {exc}').format(exc=exc))
            done(None)

        if hold_s:
            self.dispatcher.call_later(hold_s, lambda: self.dispatcher.run("end-show", stop, done, failed))
        else:
            self.dispatcher.run("end-show", stop, done, failed)

    def _set_live_state(self, state: LiveState) -> None:
        previous, self.live_state = self.live_state, state
        if state == LiveState.LIVE and self.live_started_at_s is None:
            self.live_started_at_s = time.monotonic()
        if state == LiveState.IDLE:
            self.live_started_at_s = None
        self.events.emit(LiveStateChanged(state, previous))

    def live_seconds(self) -> int:
        return 0 if self.live_started_at_s is None else int(time.monotonic() - self.live_started_at_s)

    def reconnect_now(self, name: str | None = None) -> None:
        """Skip the backoff wait of every destination, or of the one named ``name``."""
        if name is not None:
            output = self.stream if self.stream is not None and self.stream.name == name else \
                self.extra_destinations.outputs.get(name)
            if output is not None and hasattr(output, "reconnect_now"):
                self.journal.action("reconnect_now", destination=name)
                output.reconnect_now()
                self.events.emit(StatusMessage(tr_noop("{name}: reconnecting now…").format(name=name), 5000))
            return
        if self.session is not None:
            self.session.reconnect_now()
            for output in self.extra_destinations.on_canvas("vertical"):
                getattr(output, "reconnect_now", lambda: None)()
            self.events.emit(StreamConnection(True, tr_noop("Reconnecting now…")))

    def doctor_job(self) -> Callable[[], list]:
        """What "Check my setup" runs on a worker: the doctor against this studio's destination (the
        sandbox's ingest in demo mode; a preset's server), or while on air the live stream's own
        view of it instead of a probe."""
        from seller_studio.diagnostics.doctor import check_live_ingest, run_doctor

        try:
            destination: Destination | None = self.destination()
        except UserError:
            destination = None
        url = destination.url if destination is not None else None
        bitrate = self.profile.video.bitrate_kbps
        if destination is not None and self.stream is not None and self.live_state.is_on_air:
            stream_stats = next((o for o in self.last_stats.get("outputs", []) if o.get("kind") == "stream"),
                                {"state": "starting"})
            live = check_live_ingest(destination.label, destination.url, stream_stats)
            return lambda: run_doctor(ingest=live)
        return lambda: run_doctor(url, bitrate) if url else run_doctor()

    # ------------------------------------------------------------------------------------- record
    def recording_folder(self) -> Path:
        if self.profile.record_dir:
            return Path(self.profile.record_dir)
        return paths.ensure(paths.data_dir() / "recordings")

    def set_recording(self, is_on: bool) -> None:
        if self.studio is None:
            self.events.emit(RecordingChanged(False))
            return
        if is_on and self.recording is None:
            self.recording = self._new_recording()
            if self.recording is None:
                self.events.emit(RecordingChanged(False))
                return
            self.events.emit(RecordingChanged(True))
            self._start_outputs([self.recording])
        elif not is_on and self.recording is not None:
            recording, self.recording = self.recording, None
            vertical_recording, self.vertical_recording = self.vertical_recording, None
            self._stop_following_lots()
            self.events.emit(RecordingChanged(False))
            studio = self.studio
            if vertical_recording is not None and self.stream is not None:
                self._in_background("stop-vertical-recording",
                                    lambda: self._remove_vertical_output(studio, vertical_recording))
            if self.stream is None:
                self.dispatcher.run("stop-recording", studio.end_show, lambda _: self._recording_saved(recording),
                                    lambda exc: self._notice(tr_noop('Recording: {exc}').format(exc=exc)))
                self.session = None
            elif studio.session is not None:
                session = studio.session
                self.dispatcher.run("stop-recording", lambda: self._remove_output(session, recording),
                                    lambda _: self._recording_saved(recording),
                                    lambda exc: self._notice(tr_noop('Recording: {exc}').format(exc=exc)))

    def _new_recording(self) -> RecordingOutput | None:
        """A recording output in the recording folder (not started); None, with a notice, when the
        folder cannot be made."""
        folder = self.recording_folder()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            recording = RecordingOutput(folder / time.strftime("show-%Y%m%d-%H%M%S.mkv"))
        except OSError as exc:
            self._notice(tr_noop('Cannot record to {folder}: {strerror}').format(folder=folder, strerror=exc.strerror))
            return None
        self._follow_lots(recording)
        return recording

    def _follow_lots(self, recording: RecordingOutput) -> None:
        """A chapter per lot (studio/chapters.py): the sidecar beside the file as the show goes, the
        chapters inside it when it closes."""
        chapter_log = attach_to_recording(recording)
        if self.show_lots is not None:
            self._unfollow_lots = follow_show(chapter_log, self.show_lots)

    def _stop_following_lots(self) -> None:
        if self._unfollow_lots is not None:
            self._unfollow_lots()
            self._unfollow_lots = None

    def _recording_saved(self, recording: RecordingOutput) -> None:
        self.events.emit(StatusMessage(tr_noop('Recording saved: {value}').format(value=recording.final_path or recording.path), 15000))
        if self.stream is None:
            self.events.emit(StatsCleared())
            self.events.emit(HealthChanged("idle", tr_noop("Not live")))

    # ------------------------------------------------------------------------------------- core events
    def handle_core_event(self, name: str, payload: dict[str, Any]) -> None:
        """A studio, session or output event (stats, output_state, source_state, mic_state,
        scene_switched), delivered on the owner thread by ``Dispatcher.attach``."""
        if self.studio is None:
            return  # from a studio that was replaced
        if name == "stats":
            self._on_stats(payload)
        elif name == "canvas_stats":
            self.vertical_stats = payload
        elif name == "output_state" and payload.get("canvas") == "vertical":
            self._on_vertical_output_state(payload)
        elif name == "output_state":
            self._on_output_state(payload)
        elif name == "source_state":
            self._on_source_state(payload)
        elif name == "mic_state":
            self._on_mic_state(payload)
        elif name == "camera_notice":  # "This camera gives 10 fps at 1920x1080 — choose 1280x720 ..."
            label = self.source_label(str(payload.get("source_id", "")))
            self.events.emit(StatusMessage(f"{label}: {payload.get('message', '')}", 20000))
        elif name == "scene_switched":
            # Reported when the switch reaches a frame; the seller may have chosen another scene since
            # (a late event would light the old one): the views show the latest choice.
            self.events.emit(SceneSwitched(self.studio.compositor.active_scene))

    def _on_output_state(self, p: dict[str, Any]) -> None:
        state, kind = p.get("state"), p.get("kind")
        if kind == "stream" and p.get("output") in self.extra_destinations.outputs:
            self._on_extra_destination_state(p)
        elif kind == "stream":
            self.health_gate.on_stream_state(str(state))
            if state == "live":
                self.events.emit(StreamConnection(False))
                if self.live_state == LiveState.STARTING:
                    self._set_live_state(LiveState.LIVE)
                    self.events.emit(StatusMessage(tr_noop('Live on {value}').format(value=self.destination_label()), 8000))
            elif state == "reconnecting":
                self.events.emit(StreamConnection(True, tr_noop("Connection lost — reconnecting… Your recording continues.")))
            elif state == "failed":
                self._notice(tr_noop('Stream stopped: {value}').format(value=p.get('error') or 'the destination refused the stream'))
                if self.live_state.is_on_air:
                    self._drop_failed_stream()
        elif kind == "recording":
            if state == "live":
                self.events.emit(RecordingChanged(True, str(p.get("path", ""))))
                self.events.emit(StatusMessage(tr_noop('Recording to {value}').format(value=p.get('path', '')), 8000))
            elif state == "failed":
                self._notice(tr_noop('Recording stopped: {value}').format(value=p.get('error') or 'write failed'))
                self.recording = None
                self.events.emit(RecordingChanged(False))

    def _on_extra_destination_state(self, p: dict[str, Any]) -> None:
        """One of the show's other destinations: its own light; failing for good is its own notice,
        and it leaves the show while the others go on."""
        name, state = str(p.get("output")), p.get("state")
        if state == "live" and self.live_state == LiveState.STARTING:
            self._set_live_state(LiveState.LIVE)
        if state == "failed":
            self._notice(tr_noop("Destination '{name}' stopped: {error}").format(
                name=name, error=p.get("error") or tr_noop("the destination refused the stream")))
            self._drop_extra_destination(name)
        self._emit_destinations()

    def _drop_extra_destination(self, name: str) -> None:
        canvas = self.extra_destinations.canvases.get(name, "landscape")
        output = self.extra_destinations.drop(name)
        studio = self.studio
        if output is None or studio is None:
            return
        if canvas == "vertical":
            self._in_background(f"drop-{name}", lambda: self._remove_vertical_output(studio, output))
        elif studio.session is not None:
            session = studio.session
            self._in_background(f"drop-{name}", lambda: self._remove_output(session, output))
        if self.stream is None and self.recording is None and not self.extra_destinations.is_any_live() \
                and self.live_state.is_on_air:
            self.end_show()  # nothing left on air

    def _vertical_failed(self, exc: BaseException, outputs: list) -> None:
        self._notice(tr_noop('The vertical canvas could not start: {exc}').format(exc=exc))
        if self.vertical_recording in outputs:
            self.vertical_recording = None

    def _on_vertical_output_state(self, p: dict[str, Any]) -> None:
        """An output of the vertical canvas: its recording (or a vertical destination)."""
        state, kind = p.get("state"), p.get("kind")
        if kind == "stream" and p.get("output") in self.extra_destinations.outputs:
            self._on_extra_destination_state(p)
            return
        what = (tr_noop("Vertical recording") if kind == "recording"
                else tr_noop("Vertical stream ({name})").format(name=p.get("name", kind)))
        if state == "live" and kind == "recording":
            self.events.emit(StatusMessage(tr_noop("Recording the vertical canvas to {path}").format(path=p.get("path", "")), 8000))
        elif state == "failed":
            self._notice(tr_noop('{what} stopped: {value}').format(what=what, value=p.get('error') or tr_noop('it failed')))
            if kind == "recording":
                self.vertical_recording = None

    def _drop_failed_stream(self) -> None:
        """A stream that failed for good (bad key, bad URL): leave any recording running."""
        stream, self.stream = self.stream, None
        studio = self.studio
        if studio is None:
            return
        if self.extra_destinations.outputs:  # the show goes on on the other destinations
            session = studio.session
            if session is not None and stream is not None:
                self._in_background("drop-stream", lambda: self._remove_output(session, stream))
            if not self.extra_destinations.is_any_live() and self.recording is None:
                self.end_show()
            return
        if self.recording is None:
            self.end_show()
        else:
            session = studio.session
            if session is not None and stream is not None:
                self._in_background("drop-stream", lambda: self._remove_output(session, stream))
            self._set_live_state(LiveState.IDLE)

    def _remove_vertical_output(self, studio: Studio, output: Any) -> None:
        """Worker: finish one output of the vertical canvas; with nothing left on it its session ends."""
        with self._session_lock:
            session = studio.vertical_session
            if session is None:
                return
            session.remove_output(output)
            if not session.outputs:
                studio.end_canvas("vertical")

    def _remove_output(self, session: LiveSession, output: Any) -> None:
        """Worker thread: after the go-live worker that may still be adding this output (a stream can
        fail before ``add_output`` returns; removed before it is added, it would stay in the session)."""
        with self._session_lock:
            session.remove_output(output)

    def _on_source_state(self, p: dict[str, Any]) -> None:
        sid, state = str(p.get("source_id", "")), str(p.get("state"))
        label = self.source_label(sid)
        if state == "lost":
            self.events.emit(StatusMessage(tr_noop('{label} lost — showing a slate; it reconnects by itself.').format(label=label), 10000))
        elif state == "live" and sid in self.lost_sources:
            self.events.emit(StatusMessage(tr_noop('{label} is back.').format(label=label), 5000))
        if state == "lost":
            self.lost_sources.add(sid)
        else:
            self.lost_sources.discard(sid)
        self.events.emit(SourceStateChanged(sid, state, label))

    def _on_mic_state(self, p: dict[str, Any]) -> None:
        self.events.emit(MicStateChanged(dict(p)))
        if p.get("is_lost"):
            self.events.emit(StatusMessage(tr_noop("Microphone lost — sending silence until it returns. The show goes on."),
                                           10000))

    def _on_stats(self, s: dict[str, Any]) -> None:
        self.last_stats = s
        self.health_gate.observe(s)
        health = s.get("health") or {}
        is_streaming, is_recording = self.stream is not None, self.recording is not None
        vertical_health = (self.vertical_stats.get("health") or {}) if self.studio and self.studio.vertical_session else {}
        if _LEVELS.get(vertical_health.get("level", "good"), 0) > _LEVELS.get(health.get("level", "good"), 0):
            health = {**vertical_health, "reason": f"Vertical canvas: {vertical_health.get('reason', '')}"}
        if is_streaming or is_recording:
            level, reason = health.get("level", "good"), health.get("reason", "")
            if not is_streaming and level == "good":
                reason = "Recording (not live)"  # "Stream healthy" would suggest viewers see it
            self.events.emit(HealthChanged(level, reason, health.get("fix", "")))
        kbps = sum(o.get("bitrate_sent_kbps", 0) or 0 for o in s.get("outputs", []) if o.get("kind") == "stream")
        self.events.emit(StatsUpdated(s, is_streaming, is_recording, float(kbps)))
        if self.stream is not None or self.extra_destinations.labels:
            self._emit_destinations()
        for o in s.get("outputs", []):
            if o.get("kind") == "stream" and o.get("state") == "reconnecting":
                retry = o.get("retry_in_s")
                when = tr_noop(" Next try in {retry:.0f} s.").format(retry=retry) if retry else ""
                text = tr_noop('Connection lost — reconnecting (attempt {value}).{when} Your recording continues.').format(value=o.get('attempt', 0), when=when)
                if self.extra_destinations.labels:  # several destinations: say which one
                    text = f"{o.get('name', '')}: {text}"
                self.events.emit(StreamConnection(True, text))
        self._warn_before_platform_limits()

    def _warn_before_platform_limits(self) -> None:
        """A platform that ends a broadcast after a while (Facebook: 8 h) is warned about 15 minutes
        before, once per destination (docs/destinations.md)."""
        if self.live_started_at_s is None:
            return
        live_s = time.monotonic() - self.live_started_at_s
        for name, output, preset in self._live_destination_presets():
            hours = PRESETS[preset].max_duration_h if preset in PRESETS else None
            if not hours or name in self._limit_warned or output.state.value != "live":
                continue
            if live_s >= hours * 3600 - DURATION_WARNING_BEFORE_S:
                self._limit_warned.add(name)
                left_min = max(0, round((hours * 3600 - live_s) / 60))
                self._notice(tr_noop("Destination '{name}': {platform} ends this broadcast in {minutes} minutes (at "
                                     "{hours} hours). Start a new broadcast there to go on.").format(
                    name=name, platform=PRESETS[preset].label, minutes=left_min, hours=f"{hours:g}"))

    def _live_destination_presets(self) -> list[tuple[str, Any, str]]:
        found = []
        if isinstance(self.stream, Output) and self.profile.destination.kind == "preset":
            found.append((self.stream.name, self.stream, preset_id_for(self.profile.destination.preset)))
        for entry in self.profile.destinations:
            output = self.extra_destinations.outputs.get(entry["name"])
            if output is not None:
                found.append((entry["name"], output, (entry.get("preset") or "custom").lower()))
        return found

    def start_question(self, action: str) -> str | None:
        """The question to ask before starting ``action`` ("auction" or "draw") on a reconnecting
        or dropping stream, or None when it can start at once."""
        problem = self.health_gate.problem()
        if problem is None:
            return None
        self.journal.write("action", "health_gate", action=action, reason=problem.reason)
        return problem.question(action)

    def _in_background(self, name: str, fn: Callable[[], Any]) -> None:
        """Work nobody waits for (closing a device, stopping an old studio): a worker like any other;
        a failure is logged by the dispatcher."""
        self.dispatcher.run(name, fn, lambda _result: None, lambda _exc: None)

    def _notice(self, text: str) -> None:
        log.info("notice: %s", text)
        self.events.emit(Notice(text))

    # ------------------------------------------------------------------------------------- settings
    def apply_profile(self, profile: Profile) -> None:
        """Take new settings: video and audio rebuild the studio when not live (hotkeys are the view's)."""
        old = self.profile
        if self.studio is not None and profile.name == old.name:
            profile.sources, profile.scenes = collection_to_json(self.studio, self.specs)
            if self.studio.vertical is not None:
                profile.vertical_scenes = vertical_scenes_to_json(self.studio, self.vertical_edited)
        self.profile = profile
        self.scene_follower.rules = dict(profile.scene_follow)
        needs_rebuild = (profile.video.width, profile.video.height, profile.video.fps) != (
            old.video.width, old.video.height, old.video.fps) or profile.audio.mic != old.audio.mic \
            or profile.name != old.name or (profile.has_vertical_canvas, profile.vertical.width,
                                            profile.vertical.height) != (old.has_vertical_canvas, old.vertical.width,
                                                                         old.vertical.height)
        if needs_rebuild:
            if self.live_state != LiveState.IDLE or self.recording is not None:
                self._notice(tr_noop("Video size, frame rate and microphone changes apply after this show."))
            else:
                self.load_studio(profile)

    # ------------------------------------------------------------------------------------- platform
    def _spawn(self, coro: Any) -> None:
        """Schedule a coroutine on the owner thread's running asyncio loop (qasync's in the app), if any."""
        try:
            loop = asyncio.get_event_loop()
        except RuntimeError:
            loop = None
        if loop is not None and loop.is_running():
            loop.create_task(coro)
        else:
            coro.close()

    async def connect_platform(self) -> None:
        """Connect to the platform of the destination (the sandbox in demo mode)."""
        from seller_studio.platform.client import PlatformClient

        d = self.profile.destination
        if d.kind == "sandbox" and self.sandbox is not None:
            url, token = self.sandbox.ws_url, self.sandbox.token
        elif d.platform_url:
            url, token = d.platform_url, self.store.platform_token(self.profile)
        else:
            self.events.emit(PlatformStatus(""))
            return
        try:
            client = PlatformClient(url, token)
            client.status.subscribe(lambda _n, p: self.dispatcher.post(
                lambda: self.events.emit(PlatformStatus(tr_noop("Platform: {state}").format(state=p.get('state', '')), str(p.get('state', ''))))))
            self.events.emit(PlatformStatus(tr_noop("Platform: connecting"), "connecting"))
            await client.connect()
        except UserError as exc:
            self.events.emit(PlatformStatus(tr_noop("Platform: not connected"), "disconnected"))
            self._notice(tr_noop('Platform: {exc}').format(exc=exc))
            return
        self.platform_client = client
        self.journal.attach_platform(client)
        self.events.emit(PlatformStatus(tr_noop("Platform: connected"), "connected"))
        client.subscribe(self._on_viewers, types=("viewers",))
        self.events.emit(PlatformConnected(client))

    def _on_viewers(self, event: Any) -> None:
        # PlatformClient calls subscribers on the asyncio loop, which runs on the owner thread.
        count = getattr(event, "count", None)
        if count is not None:
            self.events.emit(PlatformStatus(tr_noop("Platform: connected · {count} watching").format(count=count), "connected", count))

    async def _platform_start_show(self) -> None:
        client = self.platform_client
        if client is not None and client.is_connected:
            try:
                await client.start_show(currency=self.profile.show_currency)
            except Exception as exc:  # the stream goes on without the platform's show state
                log.warning("platform show.start: %s", exc)

    async def _platform_end_show(self) -> None:
        client = self.platform_client
        if client is not None and client.is_connected:
            try:
                await client.end_show()
            except Exception as exc:
                log.warning("platform show.end: %s", exc)

    # ------------------------------------------------------------------------------------- shutdown
    def shutdown(self) -> None:
        """Stop everything (blocking: only when the studio goes away)."""
        self._detach_studio()
        self._countdown_generation += 1
        if self.faults is not None:
            self.faults.close()
        self.journal.close()
        if self.platform_client is not None:
            self._spawn(self.platform_client.close())
        if self.studio is not None:
            self.studio.stop()
            self.studio = None


def default_rect(source: VideoSource, width: int, height: int, is_first: bool) -> Rect | None:
    """Where a new layer goes: full screen when it is the scene's first, else a centred box at the
    source's own size (capped to half the canvas) so it does not hide the camera."""
    if is_first and source.kind not in ("text", "image"):
        return None
    frame = source.frame_at(0, time.monotonic())
    w, h = frame.size if frame is not None else (width // 2, height // 2)
    scale = min(1.0, (width / 2) / max(1, w), (height / 2) / max(1, h)) if source.kind != "text" else min(
        1.0, width / max(1, w))
    w, h = max(16, round(w * scale)), max(16, round(h * scale))
    return Rect((width - w) // 2, (height - h) // 2, w, h)
