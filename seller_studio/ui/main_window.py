"""The studio window: the view of the studio controller (``studio/controller.py``).

Widgets, layout and hotkeys live here; what they do is the controller's (go live, end the show,
record, scenes and sources, the platform). Widget signals call controller methods and the
controller's typed events (``studio/events.py``) update the widgets, on the GUI thread: the
controller's dispatcher is ``ui/workers.Workers``, which runs waits on worker threads and brings
results and core events back through the bridge.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QInputDialog, QMainWindow, QMessageBox, QVBoxLayout, QWidget

from seller_studio.diagnostics.faults import Fault
from seller_studio.diagnostics.studio_faults import describe as describe_faults
from seller_studio.i18n import tr, tr_text
from seller_studio.media.stats import CpuMeter
from seller_studio.studio.controller import StudioController, default_rect
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
    StudioModeChanged,
)
from seller_studio.studio.settings import HOTKEY_LABELS, Profile, SettingsStore
from seller_studio.ui import window_layout
from seller_studio.ui.bridge import CoreBridge
from seller_studio.ui.collection_actions import CollectionActions
from seller_studio.ui.docks import build_docks
from seller_studio.ui.help_actions import HelpActions
from seller_studio.ui.live_controls import CountdownLabel, LiveControls
from seller_studio.ui.menus import build_menus
from seller_studio.ui.preview import PreviewWidget
from seller_studio.ui.status_widgets import (
    HealthLight,
    NoticeBar,
    add_status_labels,
    show_idle_status,
    show_stats,
)
from seller_studio.ui.studio_mode import StudioStage
from seller_studio.ui.workers import Workers, run_in_worker

log = logging.getLogger(__name__)


class MainWindow(HelpActions, CollectionActions, QMainWindow):
    """The studio. ``sandbox`` is the embedded sandbox platform (demo mode), if any."""

    platform_connected = Signal(object)  # the PlatformClient, once connected: the show subscribes to it
    next_item_requested = Signal()
    previous_item_requested = Signal()
    start_auction_requested = Signal()
    live_state_changed = Signal(str)  # a LiveState value: idle | countdown | starting | live | ending
    studio_ready = Signal()

    def __init__(self, store: SettingsStore, profile: Profile, *, sandbox: Any = None,
                 audio_fallback: str = "silence", simulate: list[Fault] | None = None) -> None:
        super().__init__()
        self.sandbox = sandbox
        self.bridge = CoreBridge(self)
        self.workers = Workers(self.bridge)
        self.controller = StudioController(store, profile, self.workers, sandbox=sandbox,
                                           audio_fallback=audio_fallback, simulate=simulate)
        for signal, action in ((self.next_item_requested, "next_item"), (self.previous_item_requested, "previous_item"),
                               (self.start_auction_requested, "start_auction")):
            signal.connect(lambda action=action: self.journal.action(action))
        self.confirm: Callable[[str, str], bool] = self._confirm_dialog  # tests replace it
        self.ask_text: Callable[[str, str, str], str | None] = self._ask_text_dialog  # and this
        self.ask_save_path: Callable[[str, str, str], str | None] = self._ask_save_path_dialog  # and this
        self.is_quitting = False  # Ctrl-C / SIGTERM: quit without asking (quit_on_signal)
        self._shortcuts: dict[str, QShortcut] = {}
        self._cpu = CpuMeter()
        self.setWindowTitle(tr("Seller Studio") + (tr(" — demo") if sandbox is not None else "")
                            + (tr(" — simulating faults") if self.simulate else ""))
        self.setDockNestingEnabled(True)
        self._build_ui()
        self._handlers: dict[type, Callable[[Any], None]] = {
            LiveStateChanged: self._on_live_state, CountdownTick: lambda e: self._show_countdown(e.seconds_left),
            StudioChanged: self._on_studio_changed, Notice: lambda e: self.notice(e.text),
            StatusMessage: lambda e: self.statusBar().showMessage(tr_text(e.text), e.timeout_ms),
            RecordingChanged: lambda e: self.record_button.setChecked(e.is_on),
            StreamConnection: lambda e: self.banner.show_text(tr_text(e.text)) if e.is_reconnecting else self.banner.hide(),
            HealthChanged: lambda e: self.health.set_health(e.level, e.reason, e.fix),
            StatsUpdated: lambda e: show_stats(self.status_labels, e),
            StatsCleared: lambda e: show_idle_status(self.status_labels),
            SourceStateChanged: lambda e: self.refresh_sources(),
            MicStateChanged: lambda e: self.mixer.on_mic_state(e.payload),
            SceneSwitched: self._on_scene_switched,
            StudioModeChanged: self._on_studio_mode,
            PreviewSceneChanged: lambda e: self._show_scenes(),
            PlatformStatus: lambda e: self.status_labels["platform"].setText(tr_text(e.text)),
            PlatformConnected: lambda e: self.platform_connected.emit(e.client),
            ShowEnded: lambda e: self.show_panel.show_recap(e.stats, live_s=e.live_s),
            DestinationsChanged: lambda e: self.destinations_panel.set_rows(e.rows),
        }
        self.controller.events.subscribe(self._on_event)
        self.apply_hotkeys(profile.hotkeys)
        self.restore_layout()
        for notice in store.notices:
            self.notice(notice)
        store.notices.clear()
        if self.simulate:
            self.notice(tr('Support mode, from Go Live: {value}.').format(value=describe_faults(self.simulate)))
        self.controller.load_studio()
        from seller_studio.ui.show_panel.mount import install_show_panel

        self.show_panel = install_show_panel(self)

    # ------------------------------------------------------------------------------------- the model
    # The controller's state, read where the view (and its tests) always read it.
    store = property(lambda self: self.controller.store)
    studio = property(lambda self: self.controller.studio)
    specs = property(lambda self: self.controller.specs)
    session = property(lambda self: self.controller.session)
    live_state = property(lambda self: self.controller.live_state)
    last_stats = property(lambda self: self.controller.last_stats)
    journal = property(lambda self: self.controller.journal)
    faults = property(lambda self: self.controller.faults)
    simulate = property(lambda self: self.controller.simulate)
    platform_client = property(lambda self: self.controller.platform_client)
    audio_fallback = property(lambda self: self.controller.audio_fallback)

    @property
    def profile(self) -> Profile:
        return self.controller.profile

    @property
    def countdown_step_ms(self) -> int:
        return self.controller.countdown_step_ms

    @countdown_step_ms.setter
    def countdown_step_ms(self, value: int) -> None:
        self.controller.countdown_step_ms = value

    def source_label(self, source_id: str) -> str:
        return self.controller.source_label(source_id)

    def destination_label(self) -> str:
        return self.controller.destination_label()

    # ------------------------------------------------------------------------------------- layout
    def _build_ui(self) -> None:
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(8, 8, 8, 4)
        self.notice_bar = NoticeBar("noticeBar")
        self.banner = NoticeBar("banner")
        self.banner.action.setText(tr("Reconnect now"))
        self.banner.action.show()
        self.banner.action.clicked.connect(self.reconnect_now)
        outer.addWidget(self.notice_bar)
        outer.addWidget(self.banner)
        self.preview = PreviewWidget()  # the program
        self.scene_preview = PreviewWidget(kind="preview")  # Studio Mode's next scene, off air
        for view in (self.preview, self.scene_preview):
            view.layer_selected.connect(lambda index: self.sources_panel.select_layer(index))
            view.layer_changed.connect(lambda: self.controller.save_collection())
        # The vertical canvas's program, small beside the landscape one (shown while the studio has one);
        # moving its layers keeps that vertical scene as edited instead of derived.
        self.vertical_preview = PreviewWidget(kind="vertical")
        self.vertical_preview.layer_changed.connect(lambda: self.controller.vertical_scene_edited())
        self.vertical_preview.follow_requested.connect(lambda name: self.controller.reset_vertical_scene(name))
        self.stage = StudioStage(self.preview, self.scene_preview, fade_ms=self.profile.fade_ms,
                                 vertical=self.vertical_preview)
        self.stage.cut_requested.connect(lambda: self.transition_to_program(0))
        self.stage.fade_requested.connect(self.transition_to_program)
        self.stage.fade_ms_changed.connect(self._on_fade_ms)
        outer.addWidget(self.stage, 1)
        self.countdown_label = CountdownLabel(self.preview)
        # The health light gets a full-width row: its reason and fix are whole sentences.
        self.health = HealthLight()
        outer.addWidget(self.health)
        self.controls = controls = LiveControls()
        self.scene_bar, self.add_scene_button = controls.scene_bar, controls.add_scene_button
        self.elapsed, self.record_button, self.go_live_button = (controls.elapsed, controls.record_button,
                                                                 controls.go_live_button)
        self.scene_bar.scene_chosen.connect(self.pick_scene)
        controls.studio_mode_button.toggled.connect(self.set_studio_mode)
        self.scene_bar.rename_requested.connect(self.rename_scene)
        self.scene_bar.remove_requested.connect(self.remove_scene)
        self.add_scene_button.clicked.connect(self._add_scene_dialog)
        self.record_button.clicked.connect(self.set_recording)
        self.go_live_button.clicked.connect(self.toggle_live)
        outer.addWidget(controls)
        self.setCentralWidget(central)

        docks = build_docks(self)
        self.sources_panel, self.sources_dock = docks.sources_panel, docks.sources_dock
        self.mixer, self.mixer_dock, self.show_dock = docks.mixer, docks.mixer_dock, docks.show_dock
        self.destinations_panel, self.destinations_dock = docks.destinations_panel, docks.destinations_dock
        self.destinations_panel.reconnect_requested.connect(lambda name: self.controller.reconnect_now(name))
        self.sources_panel.layer_selected.connect(lambda index: self.edit_view.select(index))
        self.sources_panel.add_requested.connect(self.add_source_dialog)
        self.sources_panel.remove_requested.connect(self.remove_layer)
        self.sources_panel.visibility_changed.connect(self._on_visibility)
        self.sources_panel.raise_requested.connect(self.move_layer)
        self.mixer.mute_toggled.connect(lambda _sid, _muted: self.health.set_muted(self.mixer.muted_labels()))
        # The first size (a saved layout replaces it): roomy, but never more than the screen has.
        available = self.screen().availableGeometry()
        self.resize(min(1480, available.width()), min(860, available.height()))
        self.resizeDocks([self.sources_dock, self.show_dock], [260, 380], Qt.Orientation.Horizontal)
        self.status_labels = add_status_labels(self.statusBar())
        self.settings_action = build_menus(self)
        self._elapsed_timer = QTimer(self)
        self._elapsed_timer.timeout.connect(self._tick)
        self._elapsed_timer.start(500)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.countdown_label.place()

    # ------------------------------------------------------------------------------------- controller events
    def _on_event(self, event: Any) -> None:
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(event)

    def _on_studio_changed(self, event: StudioChanged) -> None:
        self.preview.set_studio(event.studio)
        self.scene_preview.set_studio(event.studio)
        self.vertical_preview.set_studio(event.studio)
        self.stage.set_vertical_shown(event.studio is not None and event.studio.vertical is not None)
        self.mixer.set_studio(event.studio)
        self.health.set_muted(self.mixer.muted_labels())
        if event.studio is None:
            return
        self.refresh_scenes()
        self.refresh_sources()
        self._update_tooltips()
        self.studio_ready.emit()

    def _on_scene_switched(self, event: SceneSwitched) -> None:
        self._show_scenes()
        self.refresh_sources()

    def _on_live_state(self, event: LiveStateChanged) -> None:
        self.controls.set_live_state(event.state)
        if event.state == LiveState.STARTING:
            self.notice_bar.hide()
        self.stage.set_studio_mode(self.controller.studio_mode)
        self._show_scenes()
        self._update_tooltips()
        self.live_state_changed.emit(event.state.value)

    def _show_countdown(self, seconds_left: int) -> None:
        self.countdown_label.show_seconds(seconds_left)
        if seconds_left > 0:
            self.go_live_button.setText(tr('Cancel ({seconds_left})').format(seconds_left=seconds_left))

    def _tick(self) -> None:
        if self.controller.live_started_at_s is not None:
            self.controls.set_elapsed(self.controller.live_seconds())
        self.status_labels["preview"].setText(tr('Preview {preview_fps:.0f} fps').format(preview_fps=self.preview.preview_fps))
        if self.session is None:
            self.status_labels["cpu"].setText(tr('CPU {value:.0f}%').format(value=self._cpu.percent()))

    def notice(self, text: str) -> None:
        log.info("notice: %s", text)
        self.notice_bar.show_text(tr_text(text), append=True)  # made in the core in English

    # ------------------------------------------------------------------------------------- go live
    def toggle_live(self) -> None:
        state = self.live_state
        if state == LiveState.IDLE:
            self.request_go_live()
        elif state == LiveState.COUNTDOWN:
            self.controller.cancel_go_live()
        elif state.is_on_air:
            self.request_end_show()

    def request_go_live(self) -> None:
        """Check the destination, ask, then the controller counts down and goes live."""
        if not self.controller.prepare_go_live():
            return
        where = self.controller.destination_label()
        if not self.confirm(tr("Go live?"), tr('Start streaming to {where}?\nViewers will see the program preview.').format(where=where)):
            self.controller.cancel_go_live()
            return
        self.controller.go_live()

    def request_end_show(self) -> None:
        if not self.live_state.is_on_air:
            return
        text = tr("End the show? Viewers will see the stream end.")
        if self.controller.recording is not None:
            text += "\n" + tr("The recording stops too.")
        warning = self.show_panel.end_show_warning()  # a running auction or open giveaway
        if warning:
            text += "\n" + tr_text(warning)
        if self.confirm(tr("End show?"), text):
            self.end_show()

    def end_show(self) -> None:
        self.controller.end_show()

    def reconnect_now(self) -> None:
        self.controller.reconnect_now()

    def set_recording(self, is_on: bool) -> None:
        self.record_button.setChecked(is_on)
        self.controller.set_recording(is_on)

    # ------------------------------------------------------------------------------------- studio mode
    @property
    def edit_view(self) -> PreviewWidget:
        """The picture whose layers the sources list selects: Studio Mode's preview, else the program."""
        return self.scene_preview if self.controller.studio_mode else self.preview

    def set_studio_mode(self, is_on: bool) -> None:
        if is_on != self.controller.studio_mode:
            self.controller.set_studio_mode(is_on)

    def _on_studio_mode(self, event: StudioModeChanged) -> None:
        self.controls.studio_mode_button.blockSignals(True)
        self.controls.studio_mode_button.setChecked(event.is_on)
        self.controls.studio_mode_button.blockSignals(False)
        self.stage.set_studio_mode(event.is_on)
        self.preview.select(-1)
        self.scene_preview.select(-1)
        self._show_scenes()
        self.refresh_sources()

    def _show_scenes(self) -> None:
        """Scene bar and stage labels: which scene is picked (preview or program) and which is on air."""
        c = self.controller
        if c.studio is None:
            return
        self.scene_bar.set_active(c.edit_scene)
        self.scene_bar.set_on_air(c.program_scene if c.studio_mode else "")
        self.stage.set_scenes(c.preview_scene, c.program_scene, c.live_state.is_on_air)
        self.refresh_sources()

    def transition_to_program(self, fade_ms: int = 0) -> None:
        """Cut (0) or Fade: Studio Mode's preview goes on air."""
        if not self.controller.studio_mode:
            self.statusBar().showMessage(tr("Turn on Studio Mode to prepare a scene before it goes on air"), 5000)
            return
        self.controller.transition(fade_ms)

    def _on_fade_ms(self, value: int) -> None:
        if value != self.profile.fade_ms:
            self.profile.fade_ms = value
            self.controller.save_collection()  # saves the profile with it

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
            "transition": lambda: self.transition_to_program(self.profile.fade_ms),
        }
        for action, key in hotkeys.items():
            if not key or action not in actions:
                continue
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(actions[action])
            self._shortcuts[action] = shortcut
        self._update_tooltips()
        self.refresh_scenes()

    def hotkey_text(self, action: str) -> str:
        key = self.profile.hotkeys.get(action, "")
        return QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText) if key else ""

    def _update_tooltips(self) -> None:
        def tip(text: str, action: str) -> str:
            key = self.hotkey_text(action)
            return f"{text}  ({key})" if key else text

        live = self.live_state.is_on_air
        self.go_live_button.setToolTip(tip(tr("End the show") if live else tr("Go live (asks first, then counts down 3-2-1)"),
                                           "go_live"))
        self.record_button.setToolTip(tip(tr("Record the program to a file on this computer"), "record"))
        for strip in self.mixer.strips.values():
            strip.mute.setToolTip(tip(tr("Mute or unmute"), "mute_mic"))
            strip.gain.setToolTip(tr("Gain: -30 to +12 dB"))

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

        dialog = SettingsDialog(self.store, copy.deepcopy(self.profile), is_live=self.live_state != LiveState.IDLE,
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
        self.controller.apply_profile(profile)
        self.apply_hotkeys(profile.hotkeys)
        self.stage.set_fade_ms(profile.fade_ms)

    # ------------------------------------------------------------------------------------- platform
    async def connect_platform(self) -> None:
        """Connect to the platform of the destination (the sandbox in demo mode)."""
        await self.controller.connect_platform()

    # ------------------------------------------------------------------------------------- persistence
    @staticmethod
    def layout_path() -> Path:
        return window_layout.layout_path()

    def save_layout(self) -> None:
        window_layout.save_layout(self)

    def restore_layout(self) -> None:
        notice = window_layout.restore_layout(self)
        if notice:
            self.notice(notice)

    def quit_on_signal(self, name: str) -> None:
        """Ctrl-C in the terminal, or the session ending (SIGTERM): quit as the Quit menu does, without
        asking — nobody is looking at a dialog — ending the show and saving the layout."""
        log.info("%s received: ending the show and quitting", name)
        self.journal.action("quit", signal=name, live_state=self.live_state.value)
        self.is_quitting = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        live = self.live_state != LiveState.IDLE
        if live and not self.is_quitting and not self.confirm(tr("Quit?"), tr("You are live. End the show and quit?")):
            event.ignore()
            return
        self.save_layout()
        self.controller.save_collection()
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop everything (blocking: only when the window goes away)."""
        self.bridge.detach_all()
        self.controller.shutdown()
        for view in (self.preview, self.scene_preview, self.vertical_preview):
            view.set_studio(None)
            view.stop()
        self.mixer.set_studio(None)


__all__ = ["MainWindow", "default_rect", "run_in_worker", "HOTKEY_LABELS"]
