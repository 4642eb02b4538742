"""The studio window: preview, scenes, sources, mixer, Go Live / End Show, health, record, status bar.

Everything that waits on media or the network (building the studio, opening a camera, going live,
ending the show) runs on a short-lived worker thread; its result comes back through
``CoreBridge.post``. Core events arrive through the bridge as queued signals.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from seller_studio.common import paths
from seller_studio.common.errors import UserError
from seller_studio.diagnostics.faults import PLATFORM_FAULTS, Fault
from seller_studio.diagnostics.journal import Journal, default_journal_path
from seller_studio.diagnostics.logsetup import current_session
from seller_studio.diagnostics.studio_faults import StudioFaults
from seller_studio.diagnostics.studio_faults import describe as describe_faults
from seller_studio.media.compositor import Layer, Rect, Scene
from seller_studio.media.encoders.base import AudioSettings, VideoSettings
from seller_studio.media.outputs.recording import RecordingOutput
from seller_studio.media.outputs.stream import StreamOutput
from seller_studio.media.session import LiveSession
from seller_studio.media.sources.base import VideoSource
from seller_studio.media.stats import CpuMeter
from seller_studio.media.studio import Studio
from seller_studio.studio.assembly import (
    SOURCE_KIND_LABELS,
    BuildResult,
    build_studio,
    collection_to_json,
    make_source,
    new_source_id,
)
from seller_studio.studio.settings import HOTKEY_LABELS, Profile, SettingsStore
from seller_studio.ui import theme
from seller_studio.ui.bridge import CoreBridge
from seller_studio.ui.mixer import MixerPanel
from seller_studio.ui.preview import PreviewWidget
from seller_studio.ui.scenes import SceneBar, SourcesPanel

log = logging.getLogger(__name__)

HEALTH_COLOURS = {"good": theme.GOOD, "warning": theme.WARN, "bad": theme.BAD, "idle": "#5c616a"}


def run_in_worker(bridge: CoreBridge, name: str, fn: Callable[[], Any], on_done: Callable[[Any], None],
                  on_error: Callable[[BaseException], None]) -> threading.Thread:
    """Run ``fn`` on a named thread; its result or exception is handed back on the GUI thread."""

    def target() -> None:
        try:
            result = fn()
        except BaseException as exc:  # noqa: BLE001 - reported to the seller, never lost
            if not isinstance(exc, UserError):
                log.exception("%s failed", name)
            bridge.post(lambda e=exc: on_error(e))
            return
        bridge.post(lambda: on_done(result))

    thread = threading.Thread(target=target, name=f"ui-{name}", daemon=True)
    thread.start()
    return thread


class _HelpActions:
    """The Help menu: doctor, support bundle and replay (seller_studio.diagnostics), off the GUI thread."""

    def check_setup(self) -> None:
        from seller_studio.diagnostics.doctor import run_doctor

        self.statusBar().showMessage("Checking your setup…")
        run_in_worker(self.bridge, "doctor", run_doctor, self._show_checks,
                      lambda exc: self.notice(f"Could not check the setup: {exc}"))

    def _show_checks(self, checks: list) -> None:
        self.statusBar().showMessage("Setup checked", 5000)
        self.last_doctor_report = "\n".join(check.line() for check in checks)
        QMessageBox.information(self, "Check my setup", self.last_doctor_report)

    def save_support_bundle(self, path: str | None = None) -> None:
        from seller_studio.diagnostics.bundle import build_bundle

        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Save support bundle", "seller-studio-support.zip",
                                                  "Zip files (*.zip)")
        if not path:
            return
        self.statusBar().showMessage("Saving the support bundle…")
        run_in_worker(self.bridge, "support-bundle", lambda: build_bundle(Path(path)),
                      lambda result: self.statusBar().showMessage(f"Support bundle saved: {path}", 10000),
                      lambda exc: self.notice(f"Could not save the support bundle: {exc}"))

    def open_replay(self) -> None:
        from seller_studio.diagnostics.replay import Replay
        from seller_studio.ui.replay.window import ReplayWindow

        path, _ = QFileDialog.getOpenFileName(self, "Open a support bundle", "", "Support bundles (*.zip)")
        if not path:
            return
        try:
            self._replay_window = ReplayWindow(Replay.from_bundle(Path(path)), title=Path(path).name)
        except Exception as exc:  # a bad bundle is one line for the user, not a crash
            self.notice(f"Could not open {Path(path).name}: {exc}")
            return
        self._replay_window.show()


class NoticeBar(QFrame):
    """A one-line message across the top of the window with a close button (never a modal)."""

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        self.label = QLabel()
        self.label.setWordWrap(True)
        layout.addWidget(self.label, 1)
        self.action = QPushButton()
        self.action.hide()
        layout.addWidget(self.action)
        close = QPushButton("✕")
        close.setFlat(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout.addWidget(close)
        self.hide()

    def show_text(self, text: str, append: bool = False) -> None:
        """Show ``text``; with ``append`` keep the last few lines visible (startup notices)."""
        if append and self.isVisible():
            lines = [line for line in self.label.text().split("\n") if line and line != text][-2:]
            text = "\n".join([*lines, text])
        self.label.setText(text)
        self.show()


class HealthLight(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.dot = QLabel("●")
        self.text = QLabel("Not live")
        self.text.setWordWrap(True)
        self.text.setMinimumWidth(120)
        layout.addWidget(self.dot)
        layout.addWidget(self.text, 1)
        self.level = "idle"
        self.set_health("idle", "Not live", "")

    def set_health(self, level: str, reason: str, fix: str) -> None:
        self.level = level
        self.dot.setStyleSheet(f"color: {HEALTH_COLOURS.get(level, '#5c616a')}; font-size: 18pt;")
        self.text.setText(reason + (f" — {fix}" if fix else ""))
        self.setToolTip(f"{reason}\n{fix}".strip())


class MainWindow(_HelpActions, QMainWindow):
    """The studio. ``sandbox`` is the embedded sandbox platform (demo mode), if any."""

    platform_connected = Signal(object)  # the PlatformClient, once connected: the show subscribes to it
    next_item_requested = Signal()
    previous_item_requested = Signal()
    start_auction_requested = Signal()
    live_state_changed = Signal(str)  # idle | countdown | starting | live | ending
    studio_ready = Signal()

    def __init__(self, store: SettingsStore, profile: Profile, *, sandbox: Any = None,
                 audio_fallback: str = "silence", simulate: list[Fault] | None = None) -> None:
        super().__init__()
        self.store = store
        self.profile = profile
        self.sandbox = sandbox
        self.audio_fallback = audio_fallback
        # Support's --simulate: faults re-created from Go Live on in this real window (diagnostics/).
        self.simulate = list(simulate or [])
        has_platform_faults = any(f.kind in PLATFORM_FAULTS for f in self.simulate)
        self.faults = StudioFaults(self.simulate, sandbox if has_platform_faults else None) if self.simulate else None
        self.bridge = CoreBridge(self)
        # The flight recorder: seller actions, media events and stats, platform traffic (support replays it).
        session_log = current_session()
        self.journal = Journal(default_journal_path(session_log.session_id if session_log else None), command="studio")
        for signal, action in ((self.next_item_requested, "next_item"), (self.previous_item_requested, "previous_item"),
                               (self.start_auction_requested, "start_auction")):
            signal.connect(lambda action=action: self.journal.action(action))
        self.studio: Studio | None = None
        self.specs: dict[str, dict[str, Any]] = {}
        self.session: LiveSession | None = None
        self.live_state = "idle"
        self.live_started_at_s: float | None = None
        self.countdown_step_ms = 1000
        self.confirm: Callable[[str, str], bool] = self._confirm_dialog  # tests replace it
        self.ask_text: Callable[[str, str, str], str | None] = self._ask_text_dialog  # and this
        self.is_quitting = False  # Ctrl-C / SIGTERM: quit without asking (quit_on_signal)
        self.platform_client: Any = None
        self._recording: RecordingOutput | None = None
        self._stream: StreamOutput | None = None
        self._countdown_left = 0
        self._shortcuts: dict[str, QShortcut] = {}
        self._cpu = CpuMeter()
        self.last_stats: dict[str, Any] = {}
        self._lost_sources: set[str] = set()
        self.setWindowTitle("Seller Studio" + (" — demo" if sandbox is not None else "")
                            + (" — simulating faults" if self.simulate else ""))
        self.setDockNestingEnabled(True)
        self._build_ui()
        self._connect_bridge()
        self.apply_hotkeys(profile.hotkeys)
        self.restore_layout()
        for notice in store.notices:
            self.notice(notice)
        store.notices.clear()
        if self.simulate:
            self.notice(f"Support mode, from Go Live: {describe_faults(self.simulate)}.")
        self._load_studio(profile)
        from seller_studio.ui.show_panel.mount import install_show_panel  # issue 6: fills the Show dock

        self.show_panel = install_show_panel(self)

    # ------------------------------------------------------------------------------------- layout
    def _build_ui(self) -> None:
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(8, 8, 8, 4)
        self.notice_bar = NoticeBar("noticeBar")
        self.banner = NoticeBar("banner")
        self.banner.action.setText("Reconnect now")
        self.banner.action.show()
        self.banner.action.clicked.connect(self.reconnect_now)
        outer.addWidget(self.notice_bar)
        outer.addWidget(self.banner)
        self.preview = PreviewWidget()
        self.preview.layer_selected.connect(self._on_preview_selected)
        self.preview.layer_changed.connect(self._save_collection)
        outer.addWidget(self.preview, 1)
        self.countdown_label = QLabel("", self.preview)
        self.countdown_label.setObjectName("countdown")
        self.countdown_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.countdown_label.hide()

        # The health light gets a full-width row: its reason and fix are whole sentences.
        self.health = HealthLight()
        outer.addWidget(self.health)
        controls = QHBoxLayout()
        self.scene_bar = SceneBar()
        self.scene_bar.scene_chosen.connect(self.switch_scene)
        self.scene_bar.rename_requested.connect(self.rename_scene)
        self.scene_bar.remove_requested.connect(self.remove_scene)
        controls.addWidget(self.scene_bar)
        self.add_scene_button = QPushButton("+")
        self.add_scene_button.setToolTip("Add a scene")
        self.add_scene_button.clicked.connect(self._add_scene_dialog)
        controls.addWidget(self.add_scene_button)
        controls.addStretch(1)
        self.elapsed = QLabel("00:00:00")
        self.elapsed.setObjectName("elapsed")
        self.elapsed.setToolTip("Time on air")
        controls.addWidget(self.elapsed)
        self.record_button = QPushButton("● Record")
        self.record_button.setObjectName("record")
        self.record_button.setCheckable(True)
        self.record_button.clicked.connect(self._on_record_clicked)
        controls.addWidget(self.record_button)
        self.go_live_button = QPushButton("Go Live")
        self.go_live_button.setObjectName("goLive")
        self.go_live_button.clicked.connect(self.toggle_live)
        controls.addWidget(self.go_live_button)
        outer.addLayout(controls)
        self.setCentralWidget(central)

        self.sources_panel = SourcesPanel()
        self.sources_panel.layer_selected.connect(self.preview.select)
        self.sources_panel.add_requested.connect(self.add_source_dialog)
        self.sources_panel.remove_requested.connect(self.remove_layer)
        self.sources_panel.visibility_changed.connect(self._on_visibility)
        self.sources_panel.raise_requested.connect(self.move_layer)
        self.sources_dock = self._dock("Sources", "sourcesDock", self.sources_panel,
                                       Qt.DockWidgetArea.LeftDockWidgetArea)
        self.mixer = MixerPanel()
        self.mixer_dock = self._dock("Audio mixer", "mixerDock", self.mixer, Qt.DockWidgetArea.BottomDockWidgetArea)
        # The show panel (inventory, run of show, auction, chat) is issue 6's; it takes this dock.
        placeholder = QLabel("Show panel: inventory, run of show, auctions and chat appear here.")
        placeholder.setWordWrap(True)
        placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        placeholder.setStyleSheet("color: #7d828a; padding: 16px;")
        self.show_dock = self._dock("Show", "showDock", placeholder, Qt.DockWidgetArea.RightDockWidgetArea)
        self.splitDockWidget(self.sources_dock, self.mixer_dock, Qt.Orientation.Vertical)
        self.resize(1480, 860)
        self.resizeDocks([self.sources_dock, self.show_dock], [260, 380], Qt.Orientation.Horizontal)

        bar = self.statusBar()
        self.status_labels: dict[str, QLabel] = {}
        for key, tip in (("platform", "Connection to the live-shopping platform"),
                         ("fps", "Frames encoded per second / target"),
                         ("dropped", "Frames missed by the computer (render), the encoder, and the network"),
                         ("bitrate", "Bitrate sent to the destination"),
                         ("cpu", "CPU use of the studio (100% = one core)"),
                         ("preview", "Preview frames shown per second")):
            label = QLabel("")
            label.setToolTip(tip)
            bar.addPermanentWidget(label)
            self.status_labels[key] = label
        self._idle_status()

        menu = self.menuBar().addMenu("&Studio")
        self.settings_action = QAction("Settings…", self)
        self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.settings_action.triggered.connect(self.open_settings)
        menu.addAction(self.settings_action)
        setup = QAction("First-run setup…", self)
        setup.triggered.connect(self.open_setup_wizard)
        menu.addAction(setup)
        menu.addSeparator()
        quit_action = QAction("Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        menu.addAction(quit_action)
        view = self.menuBar().addMenu("&View")
        for dock in (self.sources_dock, self.mixer_dock, self.show_dock):
            view.addAction(dock.toggleViewAction())
        help_menu = self.menuBar().addMenu("&Help")
        for label, slot in (("Check my setup…", self.check_setup), ("Save support bundle…", self.save_support_bundle),
                            ("Open replay…", self.open_replay)):
            action = QAction(label, self)
            action.triggered.connect(slot)
            help_menu.addAction(action)

        self._elapsed_timer = QTimer(self)
        self._elapsed_timer.timeout.connect(self._tick)
        self._elapsed_timer.start(500)
        self._countdown_timer = QTimer(self)
        self._countdown_timer.timeout.connect(self._countdown_step)

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def resizeEvent(self, event: Any) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._place_countdown()

    def _place_countdown(self) -> None:
        size = self.countdown_label.sizeHint()
        self.countdown_label.setGeometry((self.preview.width() - size.width()) // 2,
                                         (self.preview.height() - size.height()) // 2, size.width(), size.height())

    def _connect_bridge(self) -> None:
        self.bridge.stats.connect(self._on_stats)
        self.bridge.output_state.connect(self._on_output_state)
        self.bridge.source_state.connect(self._on_source_state)
        self.bridge.mic_state.connect(self._on_mic_state)
        self.bridge.scene_switched.connect(lambda p: self.scene_bar.set_active(p.get("scene", "")))
        self.bridge.scene_switched.connect(lambda _p: self._refresh_sources())

    # ------------------------------------------------------------------------------------- studio
    def _load_studio(self, profile: Profile) -> None:
        """Build the studio on a worker (it opens cameras and the mic), then swap it in."""
        old = self.studio
        if old is not None:
            self.bridge.detach_all()
            self.studio = None
            self.preview.set_studio(None)
            self.mixer.set_studio(None)
            threading.Thread(target=old.stop, name="ui-stop-studio", daemon=True).start()
        profile_copy = copy.deepcopy(profile)

        def build() -> BuildResult:
            return build_studio(profile_copy, audio_fallback=self.audio_fallback, faults=self.simulate)

        def done(result: BuildResult) -> None:
            self.profile.sources, self.profile.scenes = profile_copy.sources, profile_copy.scenes
            self._set_studio(result)

        run_in_worker(self.bridge, "build-studio", build, done, lambda exc: self.notice(f"Could not start: {exc}"))

    def _set_studio(self, result: BuildResult) -> None:
        self.studio = result.studio
        self.specs = result.specs
        self.bridge.attach(self.studio.events)
        self.journal.attach_studio(self.studio)
        self.preview.set_studio(self.studio)
        self.mixer.set_studio(self.studio)
        for source in self.studio.sources.values():
            if source.state.value == "lost":
                self._on_source_state({"source_id": source.id, "state": "lost"})
        for warning in result.warnings:
            self.notice(warning)
        self._refresh_scenes()
        self._refresh_sources()
        self._update_tooltips()
        self.studio_ready.emit()

    def source_label(self, source_id: str) -> str:
        spec = self.specs.get(source_id, {})
        kind = SOURCE_KIND_LABELS.get(spec.get("kind", ""), "")
        label = spec.get("label") or source_id
        return f"{label} ({kind})" if kind and kind != label else label

    def _refresh_scenes(self) -> None:
        if self.studio is None:
            return
        comp = self.studio.compositor
        names = list(comp.scenes)
        keys = [self.profile.hotkeys.get(f"scene_{i + 1}", "") for i in range(len(names))]
        self.scene_bar.set_scenes(names, comp.active_scene, keys)

    def _refresh_sources(self) -> None:
        self.sources_panel.refresh(self.studio, self.source_label)
        self.preview.select(self.sources_panel.selected_layer())

    def switch_scene(self, name: str) -> None:
        if self.studio is None or name not in self.studio.compositor.scenes:
            return
        self.studio.set_scene(name)
        self.journal.action("scene_switch", scene=name)
        self.scene_bar.set_active(name)
        self.preview.select(-1)
        self.sources_panel.refresh(self.studio, self.source_label)

    def switch_scene_number(self, number: int) -> None:
        if self.studio is not None:
            names = list(self.studio.compositor.scenes)
            if 1 <= number <= len(names):
                self.switch_scene(names[number - 1])

    def _add_scene_dialog(self) -> None:
        if self.studio is None:
            return
        name = (self.ask_text("Add scene", "Scene name:", "") or "").strip()
        if not name:
            return
        if name in self.studio.compositor.scenes:
            self.notice(f"A scene named '{name}' already exists.")
            return
        self.studio.add_scene(Scene(name, []))
        self._refresh_scenes()
        self.switch_scene(name)
        self._save_collection()

    def rename_scene(self, name: str) -> None:
        if self.studio is None or name not in self.studio.compositor.scenes:
            return
        new = (self.ask_text("Rename scene", "Scene name:", name) or "").strip()
        if not new or new == name:
            return
        try:
            self.studio.rename_scene(name, new)
        except ValueError as exc:
            self.notice(f"Could not rename the scene: {exc}.")
            return
        self.journal.action("scene_rename", scene=name, new_name=new)
        self._refresh_scenes()  # hotkeys follow the position, so 1-9 still switch the same scenes
        self._save_collection()

    def remove_scene(self, name: str) -> None:
        studio = self.studio
        if studio is None or name not in studio.compositor.scenes:
            return
        if len(studio.compositor.scenes) == 1:
            self.notice(f"A show needs at least one scene: add another before removing '{name}'.")
            return
        text = f"Remove the scene '{name}'? Its layout goes; sources other scenes use stay."
        if studio.compositor.active_scene == name and self.live_state != "idle":
            text += "\nIt is on air now: viewers will see the next scene."
        if not self.confirm("Remove scene?", text):
            return
        on_air = studio.remove_scene(name)
        self.journal.action("scene_remove", scene=name, on_air=on_air)
        self._close_unused_sources(studio)
        self._refresh_scenes()
        self.scene_bar.set_active(on_air)
        self.preview.select(-1)
        self._refresh_sources()
        self._save_collection()

    def _on_preview_selected(self, index: int) -> None:
        self.sources_panel.select_layer(index)

    def _on_visibility(self, index: int, is_visible: bool) -> None:
        if self.studio is not None:
            comp = self.studio.compositor
            comp.update_layer(comp.active_scene, index, is_visible=is_visible)
            self._save_collection()

    def add_source_dialog(self, kind: str) -> None:
        """Ask what to add (device, file or text), then add it on a worker."""
        spec: dict[str, Any] = {"kind": kind, "label": SOURCE_KIND_LABELS[kind]}
        if kind == "camera":
            from seller_studio.media.sources.camera import list_cameras

            cameras = list_cameras()
            if not cameras:
                self.notice("No camera found. Plug one in, or add a test pattern or a video file instead.")
                return
            names = [f"{c['name']} ({c['path']})" for c in cameras]
            choice, ok = QInputDialog.getItem(self, "Add camera", "Camera:", names, 0, False)
            if not ok:
                return
            cam = cameras[names.index(choice)]
            spec.update(spec=str(cam["index"]), label=cam["name"])
        elif kind in ("video-file", "image"):
            pattern = ("Videos (*.mp4 *.mkv *.mov *.webm *.avi *.flv)" if kind == "video-file"
                       else "Images (*.png *.jpg *.jpeg *.bmp *.webp)")
            path, _ = QFileDialog.getOpenFileName(self, f"Add {SOURCE_KIND_LABELS[kind].lower()}", "", pattern)
            if not path:
                return
            spec.update(spec=path, label=Path(path).name)
        elif kind == "text":
            text, ok = QInputDialog.getText(self, "Add text", "Text (shown on the stream):")
            if not ok or not text.strip():
                return
            spec.update(spec=text.strip(), label=f"Text: {text.strip()[:24]}")
        self.add_source(spec)

    def add_source(self, spec: dict[str, Any], on_added: Callable[[str], None] | None = None) -> None:
        """Create and start a source on a worker, then put it on top of the current scene."""
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
            scene = comp.scenes.get(comp.active_scene)
            if scene is None:
                scene = Scene("Scene 1", [])
                studio.add_scene(scene)
                self._refresh_scenes()
            rect = default_rect(source, comp.width, comp.height, is_first=not scene.layers)
            z = max((layer.z for layer in scene.layers), default=-1) + 1
            index = comp.add_layer(scene.name, Layer(source.id, rect, z=z))
            self._refresh_sources()
            self.sources_panel.select_layer(index)
            self.preview.select(index)
            self._save_collection()
            if on_added:
                on_added(source.id)

        run_in_worker(self.bridge, "add-source", create, done, lambda exc: self.notice(f"Could not add: {exc}"))

    def move_layer(self, index: int, step: int) -> None:
        """Swap the layer's stacking order with its neighbour above (+1) or below (-1)."""
        if self.studio is None:
            return
        comp = self.studio.compositor
        scene = comp.scenes.get(comp.active_scene)
        if scene is None or not 0 <= index < len(scene.layers):
            return
        order = sorted(range(len(scene.layers)), key=lambda i: scene.layers[i].z)
        pos = order.index(index)
        if not 0 <= pos + step < len(order):
            return
        other = order[pos + step]
        # Renumber z as 0..n-1 first: equal z values (side by side) would make a swap do nothing.
        for z, i in enumerate(order):
            comp.update_layer(scene.name, i, z=z)
        z_self, z_other = scene.layers[index].z, scene.layers[other].z
        comp.update_layer(scene.name, index, z=z_other)
        comp.update_layer(scene.name, other, z=z_self)
        self._refresh_sources()
        self.sources_panel.select_layer(index)
        self._save_collection()

    def remove_layer(self, index: int) -> None:
        studio = self.studio
        if studio is None:
            return
        comp = studio.compositor
        comp.remove_layer(comp.active_scene, index)
        self._close_unused_sources(studio)
        self.preview.select(-1)
        self._refresh_sources()
        self._save_collection()

    def _close_unused_sources(self, studio: Studio) -> None:
        """Sources of the collection no scene shows any more leave it and release their camera or file.
        Only the collection's: a source still being added (its layer not placed yet) is not in it."""
        for source_id in studio.unused_source_ids():
            if self.specs.pop(source_id, None) is None:
                continue
            # Stopping joins the capture thread: off the GUI thread.
            threading.Thread(target=studio.remove_source, args=(source_id,), daemon=True).start()

    def _save_collection(self) -> None:
        if self.studio is None:
            return
        self.profile.sources, self.profile.scenes = collection_to_json(self.studio, self.specs)
        try:
            self.store.save_profile(self.profile, make_active=False)
        except (OSError, ValueError) as exc:
            self.notice(f"Could not save the scenes: {exc}")

    # ------------------------------------------------------------------------------------- go live
    def toggle_live(self) -> None:
        if self.live_state == "idle":
            self.request_go_live()
        elif self.live_state == "countdown":
            self._cancel_countdown()
        elif self.live_state in ("live", "starting"):
            self.request_end_show()

    def request_go_live(self) -> None:
        if self.studio is None or self.live_state != "idle":
            return
        try:
            self._stream = self._make_stream_output()
        except UserError as exc:
            self.notice(str(exc))
            return
        where = self.destination_label()
        if not self.confirm("Go live?", f"Start streaming to {where}?\nViewers will see the program preview."):
            self._stream = None
            return
        self._countdown_left = max(0, int(self.profile.countdown_s))
        if self._countdown_left == 0:
            self._start_live()
            return
        self._set_live_state("countdown")
        self._show_countdown()
        self._countdown_timer.start(self.countdown_step_ms)

    def _show_countdown(self) -> None:
        self.countdown_label.setText(str(self._countdown_left))
        self.countdown_label.show()
        self.countdown_label.raise_()
        self._place_countdown()
        self.go_live_button.setText(f"Cancel ({self._countdown_left})")

    def _countdown_step(self) -> None:
        self._countdown_left -= 1
        if self._countdown_left > 0:
            self._show_countdown()
            return
        self._countdown_timer.stop()
        self.countdown_label.hide()
        self._start_live()

    def _cancel_countdown(self) -> None:
        self._countdown_timer.stop()
        self.countdown_label.hide()
        self._stream = None
        self._set_live_state("idle")

    def destination_label(self) -> str:
        d = self.profile.destination
        if d.kind == "sandbox":
            return "the sandbox platform"
        if d.kind == "preset":
            return d.preset
        return d.url

    def _make_stream_output(self) -> StreamOutput:
        d = self.profile.destination
        if d.kind == "sandbox":
            if self.sandbox is None:
                raise UserError("The sandbox platform is not running: start with `seller-studio --demo`, "
                                "or choose another destination in Settings.")
            return StreamOutput(self.sandbox.ingest_url, self.sandbox.stream_key)
        url = d.ingest_url()
        if not url:
            raise UserError("No destination server set: choose one in Settings > Destination.")
        key = self.store.stream_key(self.profile)
        if not key:
            raise UserError("No stream key: paste your stream key in Settings > Destination.")
        return StreamOutput(url, key)

    def _video_settings(self) -> VideoSettings:
        v = self.profile.video
        assert self.studio is not None
        comp = self.studio.compositor
        # The canvas decides the output size; the profile's size applies at the next rebuild.
        return VideoSettings(comp.width, comp.height, int(comp.fps), v.bitrate_kbps, encoder=v.encoder)

    def _start_live(self) -> None:
        studio, stream = self.studio, self._stream
        if studio is None or stream is None:
            self._set_live_state("idle")
            return
        self._set_live_state("starting")
        self.notice_bar.hide()
        self._start_outputs([stream])
        self._spawn(self._platform_start_show())

    def _start_outputs(self, outputs: list) -> None:
        """Start a session with these outputs, or add them to the running one (worker)."""
        studio = self.studio
        assert studio is not None
        video = self._video_settings()
        has_audio = bool(studio.mixer.channels)

        self.journal.action("go_live" if studio.session is None else "add_output",
                            outputs=[getattr(o, "display_url", None) or o.kind for o in outputs])
        faults, journal = self.faults, self.journal
        stream = self._stream if self._stream in outputs else None

        def start() -> LiveSession:
            if faults is not None and stream is not None:
                faults.route(stream)  # net-drop: through a relay that can be cut
            if studio.session is not None:
                for output in outputs:
                    studio.add_output(output)
                session = studio.session
            else:
                session = studio.go_live(outputs, video, AudioSettings() if has_audio else None, wait_outputs_s=None)
            if faults is not None and stream is not None:
                faults.start(studio, stream, journal)  # the simulated night starts with the show
            return session

        def done(session: LiveSession) -> None:
            self.session = session

        def failed(exc: BaseException) -> None:
            self.notice(f"Could not start: {exc}")
            for output in outputs:
                if output is self._stream:
                    self._stream = None
                    self._set_live_state("idle")
                if output is self._recording:
                    self._recording = None
                    self.record_button.setChecked(False)

        run_in_worker(self.bridge, "go-live", start, done, failed)

    def request_end_show(self) -> None:
        if self.live_state not in ("live", "starting"):
            return
        text = "End the show? Viewers will see the stream end."
        if self._recording is not None:
            text += "\nThe recording stops too."
        if not self.confirm("End show?", text):
            return
        self.end_show()

    def end_show(self) -> None:
        """Stop the stream and the recording (on a worker: flushing and closing takes a moment)."""
        studio = self.studio
        if studio is None:
            return
        live_s = time.monotonic() - self.live_started_at_s if self.live_started_at_s is not None else None
        self._set_live_state("ending")
        self.journal.action("end_show")
        self._spawn(self._platform_end_show())

        faults = self.faults

        def stop() -> None:
            if faults is not None:
                faults.stop_schedule()  # ends faults still in force: the idle window is healthy again
            studio.end_show()
            if faults is not None:
                faults.close_relay()

        def done(_: Any) -> None:
            self.session = None
            self._stream = None
            recording, self._recording = self._recording, None
            self.record_button.setChecked(False)
            self.banner.hide()
            self._set_live_state("idle")
            self.health.set_health("idle", "Not live", "")
            self._idle_status()
            if recording is not None:
                path = recording.final_path or recording.path
                self.statusBar().showMessage(f"Recording saved: {path}", 15000)
            self.show_panel.show_recap(self.last_stats, live_s=live_s)  # duration, sales, viewers, drops

        run_in_worker(self.bridge, "end-show", stop, done, lambda exc: (self.notice(f"Ending: {exc}"), done(None)))

    def _set_live_state(self, state: str) -> None:
        self.live_state = state
        button = self.go_live_button
        button.setEnabled(state not in ("ending",))
        button.setText({"idle": "Go Live", "starting": "Connecting…", "live": "End Show", "ending": "Ending…"}.get(
            state, button.text()))
        button.setProperty("live", state in ("live", "starting"))
        button.style().unpolish(button)
        button.style().polish(button)
        if state == "live" and self.live_started_at_s is None:
            self.live_started_at_s = time.monotonic()
        if state == "idle":
            self.live_started_at_s = None
            self.elapsed.setText("00:00:00")
        self.preview.is_editable = True
        self._update_tooltips()
        self.live_state_changed.emit(state)

    def reconnect_now(self) -> None:
        if self.session is not None:
            self.session.reconnect_now()
            self.banner.show_text("Reconnecting now…")

    # ------------------------------------------------------------------------------------- record
    def _on_record_clicked(self, checked: bool) -> None:
        self.set_recording(checked)

    def set_recording(self, is_on: bool) -> None:
        self.record_button.setChecked(is_on)
        if self.studio is None:
            self.record_button.setChecked(False)
            return
        if is_on and self._recording is None:
            folder = Path(self.profile.record_dir) if self.profile.record_dir else paths.ensure(
                paths.data_dir() / "recordings")
            try:
                folder.mkdir(parents=True, exist_ok=True)
                self._recording = RecordingOutput(folder / time.strftime("show-%Y%m%d-%H%M%S.mkv"))
            except OSError as exc:
                self.notice(f"Cannot record to {folder}: {exc.strerror}")
                self.record_button.setChecked(False)
                return
            self._start_outputs([self._recording])
        elif not is_on and self._recording is not None:
            recording, self._recording = self._recording, None
            studio = self.studio
            if self._stream is None:
                run_in_worker(self.bridge, "stop-recording", studio.end_show, lambda _: self._recording_saved(recording),
                              lambda exc: self.notice(f"Recording: {exc}"))
                self.session = None
            elif studio.session is not None:
                session = studio.session
                run_in_worker(self.bridge, "stop-recording", lambda: session.remove_output(recording),
                              lambda _: self._recording_saved(recording), lambda exc: self.notice(f"Recording: {exc}"))

    def _recording_saved(self, recording: RecordingOutput) -> None:
        self.statusBar().showMessage(f"Recording saved: {recording.final_path or recording.path}", 15000)
        if self._stream is None:
            self._idle_status()
            self.health.set_health("idle", "Not live", "")

    # ------------------------------------------------------------------------------------- core events
    def _on_output_state(self, p: dict[str, Any]) -> None:
        state, kind = p.get("state"), p.get("kind")
        if kind == "stream":
            if state == "live":
                self.banner.hide()
                if self.live_state == "starting":
                    self._set_live_state("live")
                    self.statusBar().showMessage(f"Live on {self.destination_label()}", 8000)
            elif state == "reconnecting":
                self.banner.show_text("Connection lost — reconnecting… Your recording continues.")
            elif state == "failed":
                self.notice(f"Stream stopped: {p.get('error') or 'the destination refused the stream'}")
                if self.live_state in ("starting", "live"):
                    self._drop_failed_stream()
        elif kind == "recording":
            if state == "live":
                self.record_button.setChecked(True)
                self.statusBar().showMessage(f"Recording to {p.get('path', '')}", 8000)
            elif state == "failed":
                self.notice(f"Recording stopped: {p.get('error') or 'write failed'}")
                self._recording = None
                self.record_button.setChecked(False)

    def _drop_failed_stream(self) -> None:
        """A stream that failed for good (bad key, bad URL): leave any recording running."""
        stream, self._stream = self._stream, None
        studio = self.studio
        if studio is None:
            return
        if self._recording is None:
            self.end_show()
        else:
            session = studio.session
            if session is not None and stream is not None:
                threading.Thread(target=session.remove_output, args=(stream,), daemon=True).start()
            self._set_live_state("idle")

    def _on_source_state(self, p: dict[str, Any]) -> None:
        sid, state = p.get("source_id", ""), p.get("state")
        label = self.source_label(sid)
        if state == "lost":
            self.statusBar().showMessage(f"{label} lost — showing a slate; it reconnects by itself.", 10000)
        elif state == "live" and sid in self._lost_sources:
            self.statusBar().showMessage(f"{label} is back.", 5000)
        if state == "lost":
            self._lost_sources.add(sid)
        else:
            self._lost_sources.discard(sid)
        self._refresh_sources()

    def _on_mic_state(self, p: dict[str, Any]) -> None:
        self.mixer.on_mic_state(p)
        if p.get("is_lost"):
            self.statusBar().showMessage("Microphone lost — sending silence until it returns. The show goes on.",
                                         10000)

    def _on_stats(self, s: dict[str, Any]) -> None:
        self.last_stats = s
        health = s.get("health") or {}
        if self._stream is not None or self._recording is not None:
            level, reason = health.get("level", "good"), health.get("reason", "")
            if self._stream is None and level == "good":
                reason = "Recording (not live)"  # "Stream healthy" would suggest viewers see it
            self.health.set_health(level, reason, health.get("fix", ""))
        self.status_labels["fps"].setText(f"{s.get('fps', 0):.0f}/{s.get('target_fps', 0)} fps")
        d = s.get("dropped", {})
        self.status_labels["dropped"].setText(
            f"Dropped: {d.get('render_lag', 0)} render · {d.get('encode_lag', 0)} encode · {d.get('network', 0)} net")
        kbps = sum(o.get("bitrate_sent_kbps", 0) or 0 for o in s.get("outputs", []) if o.get("kind") == "stream")
        self.status_labels["bitrate"].setText(f"{kbps:.0f} kbps" if self._stream is not None else "")
        self.status_labels["cpu"].setText(f"CPU {s.get('cpu_percent', 0):.0f}%")
        for o in s.get("outputs", []):
            if o.get("kind") == "stream" and o.get("state") == "reconnecting":
                retry = o.get("retry_in_s")
                when = f" Next try in {retry:.0f} s." if retry else ""
                self.banner.show_text(f"Connection lost — reconnecting (attempt {o.get('attempt', 0)}).{when} "
                                      "Your recording continues.")

    def _idle_status(self) -> None:
        self.status_labels["fps"].setText("Not live")
        self.status_labels["dropped"].setText("")
        self.status_labels["bitrate"].setText("")

    def _tick(self) -> None:
        if self.live_started_at_s is not None:
            secs = int(time.monotonic() - self.live_started_at_s)
            self.elapsed.setText(f"{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}")
        self.status_labels["preview"].setText(f"Preview {self.preview.preview_fps:.0f} fps")
        if self.session is None:
            self.status_labels["cpu"].setText(f"CPU {self._cpu.percent():.0f}%")

    def notice(self, text: str) -> None:
        log.info("notice: %s", text)
        self.notice_bar.show_text(text, append=True)

    # ------------------------------------------------------------------------------------- hotkeys
    def apply_hotkeys(self, hotkeys: dict[str, str]) -> None:
        for shortcut in self._shortcuts.values():
            shortcut.setEnabled(False)
            shortcut.deleteLater()
        self._shortcuts.clear()
        actions: dict[str, Callable[[], None]] = {
            **{f"scene_{n}": (lambda n=n: self.switch_scene_number(n)) for n in range(1, 10)},
            "next_item": self.next_item_requested.emit,
            "previous_item": self.previous_item_requested.emit,
            "start_auction": self.start_auction_requested.emit,
            "go_live": self.toggle_live,
            "mute_mic": lambda: self.mixer.toggle_mute(),
            "record": lambda: self.set_recording(not self.record_button.isChecked()),
        }
        for action, key in hotkeys.items():
            if not key or action not in actions:
                continue
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(actions[action])
            self._shortcuts[action] = shortcut
        self._update_tooltips()
        self._refresh_scenes()

    def hotkey_text(self, action: str) -> str:
        key = self.profile.hotkeys.get(action, "")
        return QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText) if key else ""

    def _update_tooltips(self) -> None:
        def tip(text: str, action: str) -> str:
            key = self.hotkey_text(action)
            return f"{text}  ({key})" if key else text

        live = self.live_state in ("live", "starting")
        self.go_live_button.setToolTip(tip("End the show" if live else "Go live (asks first, then counts down 3-2-1)",
                                           "go_live"))
        self.record_button.setToolTip(tip("Record the program to a file on this computer", "record"))
        for strip in self.mixer.strips.values():
            strip.mute.setToolTip(tip("Mute or unmute", "mute_mic"))
            strip.gain.setToolTip("Gain: -30 to +12 dB")

    # ------------------------------------------------------------------------------------- dialogs
    def _ask_text_dialog(self, title: str, label: str, text: str) -> str | None:
        value, ok = QInputDialog.getText(self, title, label, text=text)
        return value if ok else None

    def _confirm_dialog(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def open_settings(self) -> None:
        from seller_studio.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.store, copy.deepcopy(self.profile), is_live=self.live_state != "idle",
                                parent=self)
        if dialog.exec():
            self.apply_profile(dialog.result_profile())
            if dialog.notice:
                self.notice(dialog.notice)

    def open_setup_wizard(self) -> None:
        from seller_studio.ui.wizard import SetupWizard

        wizard = SetupWizard(self.store, copy.deepcopy(self.profile), has_sandbox=self.sandbox is not None, parent=self)
        if wizard.exec():
            self.apply_profile(wizard.result_profile())

    def apply_profile(self, profile: Profile) -> None:
        """Take new settings: hotkeys at once; video and audio rebuild the studio when not live."""
        old = self.profile
        if self.studio is not None and profile.name == old.name:
            profile.sources, profile.scenes = collection_to_json(self.studio, self.specs)
        self.profile = profile
        self.apply_hotkeys(profile.hotkeys)
        needs_rebuild = (profile.video.width, profile.video.height, profile.video.fps) != (
            old.video.width, old.video.height, old.video.fps) or profile.audio.mic != old.audio.mic \
            or profile.name != old.name
        if needs_rebuild:
            if self.live_state != "idle" or self._recording is not None:
                self.notice("Video size, frame rate and microphone changes apply after this show.")
            else:
                self._load_studio(profile)

    # ------------------------------------------------------------------------------------- platform
    def _spawn(self, coro: Any) -> None:
        """Schedule a coroutine on the asyncio loop qasync runs inside Qt (if there is one)."""
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

        label = self.status_labels["platform"]
        d = self.profile.destination
        if d.kind == "sandbox" and self.sandbox is not None:
            url, token = self.sandbox.ws_url, self.sandbox.token
        elif d.platform_url:
            url, token = d.platform_url, self.store.platform_token(self.profile)
        else:
            label.setText("")
            return
        try:
            client = PlatformClient(url, token)
            client.status.subscribe(lambda _n, p: label.setText(f"Platform: {p.get('state', '')}"))
            label.setText("Platform: connecting")
            await client.connect()
        except UserError as exc:
            label.setText("Platform: not connected")
            self.notice(f"Platform: {exc}")
            return
        self.platform_client = client
        self.journal.attach_platform(client)
        label.setText("Platform: connected")
        client.subscribe(self._on_platform_event, types=("viewers",))
        self.platform_connected.emit(client)

    def _on_platform_event(self, event: Any) -> None:
        # PlatformClient calls subscribers on the asyncio loop, which qasync runs in the GUI thread.
        count = getattr(event, "count", None)
        if count is not None:
            self.status_labels["platform"].setText(f"Platform: connected · {count} watching")

    async def _platform_start_show(self) -> None:
        client = self.platform_client
        if client is not None and client.is_connected:
            try:
                await client.start_show()
            except Exception as exc:  # the stream goes on without the platform's show state
                log.warning("platform show.start: %s", exc)

    async def _platform_end_show(self) -> None:
        client = self.platform_client
        if client is not None and client.is_connected:
            try:
                await client.end_show()
            except Exception as exc:
                log.warning("platform show.end: %s", exc)

    # ------------------------------------------------------------------------------------- persistence
    @staticmethod
    def layout_path() -> Path:
        return paths.config_dir() / "window.json"

    def save_layout(self) -> None:
        data = {"geometry": base64.b64encode(bytes(self.saveGeometry())).decode("ascii"),
                "state": base64.b64encode(bytes(self.saveState())).decode("ascii")}
        try:
            path = self.layout_path()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(data), encoding="utf-8")
        except OSError as exc:
            log.warning("window layout not saved: %s", exc)

    def restore_layout(self) -> None:
        try:
            data = json.loads(self.layout_path().read_text(encoding="utf-8"))
            self.restoreGeometry(QByteArray(base64.b64decode(data["geometry"])))
            self.restoreState(QByteArray(base64.b64decode(data["state"])))
        except FileNotFoundError:
            pass
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("window layout not restored (%s); using the default layout", exc)

    def quit_on_signal(self, name: str) -> None:
        """Ctrl-C in the terminal, or the session ending (SIGTERM): quit as the Quit menu does, without
        asking — nobody is looking at a dialog — ending the show and saving the layout."""
        log.info("%s received: ending the show and quitting", name)
        self.journal.action("quit", signal=name, live_state=self.live_state)
        self.is_quitting = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        live = self.live_state != "idle"
        if live and not self.is_quitting and not self.confirm("Quit?", "You are live. End the show and quit?"):
            event.ignore()
            return
        self.save_layout()
        self._save_collection()
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop everything (blocking: only when the window goes away)."""
        self.bridge.detach_all()
        self._countdown_timer.stop()
        if self.faults is not None:
            self.faults.close()
        self.journal.close()
        if self.platform_client is not None:
            self._spawn(self.platform_client.close())
        if self.studio is not None:
            self.studio.stop()
            self.studio = None
        self.preview.set_studio(None)
        self.preview.stop()
        self.mixer.set_studio(None)


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


__all__ = ["MainWindow", "run_in_worker", "default_rect", "HOTKEY_LABELS"]
