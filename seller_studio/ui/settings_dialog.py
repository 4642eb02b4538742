"""Settings: destination (sandbox, platform presets, custom RTMP/RTMPS/SRT), video, audio, hotkeys,
profiles. Stream key and platform token go to the keyring only (memory-only notice without one)."""

from __future__ import annotations

import copy
from pathlib import Path

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from seller_studio.common import paths
from seller_studio.common.errors import UserError
from seller_studio.i18n import LANGUAGES, current_locale, system_currency, tr, tr_text
from seller_studio.media.encoders.h264 import H264_CODECS
from seller_studio.media.layouts import VERTICAL_SIZES
from seller_studio.media.outputs.stream import parse_ingest_url
from seller_studio.media.outputs.whip import parse_whip_url
from seller_studio.platform.client import check_platform_url
from seller_studio.platform.rules import CURRENCIES, format_money
from seller_studio.studio.assembly import relayout_scenes
from seller_studio.studio.settings import (
    HOTKEY_ACTIONS,
    HOTKEY_LABELS,
    PLATFORM_PRESETS,
    SIZES,
    Profile,
    SettingsStore,
    safe_profile_name,
    validate_video,
)
from seller_studio.ui.camera_modes import CameraModeBox
from seller_studio.ui.destinations_settings import MoreDestinations
from seller_studio.ui.workers import run_in_worker


class DestinationForm(QWidget):
    """Shared by the settings dialog and the setup wizard."""

    def __init__(self, store: SettingsStore, profile: Profile, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        form = QFormLayout(self)
        self.kind = QComboBox()
        self.kind.addItem(tr("Sandbox platform (practice, nothing public)"), "sandbox")
        for name in PLATFORM_PRESETS:
            self.kind.addItem(name, f"preset:{name}")
        self.kind.addItem(tr("Custom server (RTMP, RTMPS or SRT)"), "custom")
        d = profile.destination
        wanted = f"preset:{d.preset}" if d.kind == "preset" else d.kind
        self.kind.setCurrentIndex(max(0, self.kind.findData(wanted)))
        self.kind.currentIndexChanged.connect(self._on_kind)
        form.addRow(tr("Destination"), self.kind)
        self.url = QLineEdit(d.url)
        self.url.setPlaceholderText(tr("rtmp://server/app, rtmps://server:443/app or srt://server:port"))
        form.addRow(tr("Server URL"), self.url)
        self.key = QLineEdit()
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setPlaceholderText(tr("paste the stream key from your platform"))
        form.addRow(tr("Stream key"), self.key)
        self.platform_url = QLineEdit(d.platform_url)
        self.platform_url.setPlaceholderText(tr("wss://… (optional: chat, auctions and viewers)"))
        form.addRow(tr("Platform address"), self.platform_url)
        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(tr("Platform token"), self.token)
        self.secret_note = QLabel()
        self.secret_note.setWordWrap(True)
        form.addRow(self.secret_note)
        if store.secrets.is_persistent:
            self.secret_note.setText(tr("The stream key and token are stored in your system keyring, never in a file."))
        else:
            self.secret_note.setText("⚠ " + store.memory_only_notice)
            self.secret_note.setStyleSheet("color: #f5a524;")
        self._profile = profile
        self._loaded_key = store.stream_key(profile)
        self._loaded_token = store.platform_token(profile)
        self.key.setText(self._loaded_key)
        self.token.setText(self._loaded_token)
        self._on_kind()

    def _on_kind(self) -> None:
        data = self.kind.currentData() or "sandbox"
        is_custom, is_sandbox = data == "custom", data == "sandbox"
        self.url.setEnabled(is_custom)
        if data.startswith("preset:"):
            self.url.setText(PLATFORM_PRESETS[data.split(":", 1)[1]])
        for w in (self.key, self.platform_url, self.token):
            w.setEnabled(not is_sandbox)

    def apply(self, profile: Profile) -> str:
        """Validate and write into ``profile``; store secrets. Returns a notice ('' if none).
        Raises ValueError with one line on bad input."""
        data = self.kind.currentData() or "sandbox"
        d = profile.destination
        if data.startswith("preset:"):
            d.kind, d.preset = "preset", data.split(":", 1)[1]
        else:
            d.kind = data
        if d.kind == "custom":
            url = self.url.text().strip()
            try:
                if url.lower().startswith(("whip://", "whips://")):
                    parse_whip_url(url)  # a WHIP (WebRTC) endpoint
                else:
                    parse_ingest_url(url)
            except UserError as exc:
                raise ValueError(str(exc)) from None
            d.url = url
        platform_url = self.platform_url.text().strip()
        if platform_url:
            try:
                check_platform_url(platform_url)  # ws:// on this computer only: the token goes in the hello
            except UserError as exc:
                raise ValueError(str(exc)) from None
        d.platform_url = platform_url if d.kind != "sandbox" else ""
        if d.kind == "sandbox":
            return ""
        saved = self.store.set_stream_key(profile, self.key.text())
        self.store.set_platform_token(profile, self.token.text())
        if self.key.text() and not saved:
            return self.store.memory_only_notice
        return ""


class SettingsDialog(QDialog):
    def __init__(self, store: SettingsStore, profile: Profile, *, is_live: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Settings"))
        self.setMinimumWidth(560)
        self.store = store
        self.profile = profile
        self.notice = ""
        layout = QVBoxLayout(self)

        top = QHBoxLayout()
        top.addWidget(QLabel(tr("Profile")))
        self.profiles = QComboBox()
        names = store.profile_names()
        if profile.name not in names:
            names.append(profile.name)
        self.profiles.addItems(sorted(names))
        self.profiles.setCurrentText(profile.name)
        self.profiles.activated.connect(self._on_profile_chosen)
        top.addWidget(self.profiles, 1)
        save_as = QPushButton(tr("Save as new…"))
        save_as.clicked.connect(self._save_as)
        top.addWidget(save_as)
        layout.addLayout(top)

        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 1)
        self.destination = DestinationForm(store, profile)
        self.tabs.addTab(self.destination, tr("Destination"))
        self.more_destinations = MoreDestinations(store, profile)
        self.tabs.addTab(self.more_destinations, tr("More destinations"))
        self.tabs.addTab(self._video_tab(profile), tr("Video"))
        self.tabs.addTab(self._audio_tab(profile), tr("Audio"))
        self.tabs.addTab(self._hotkeys_tab(profile), tr("Hotkeys"))
        self.tabs.addTab(self._general_tab(profile), tr("General"))
        if is_live:
            note = QLabel(tr("You are live: video size, frame rate and microphone changes apply after this show."))
            note.setWordWrap(True)
            layout.addWidget(note)
        self.error = QLabel()
        self.error.setStyleSheet("color: #e5484d;")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    # -- tabs ------------------------------------------------------------------------------------
    def _general_tab(self, profile: Profile) -> QWidget:
        """Language (takes effect at the next start) and the currency shows are priced in."""
        tab = QWidget()
        form = QFormLayout(tab)
        self.language = QComboBox()
        self.language.addItem(tr("Follow the system"), "")
        for code, name in LANGUAGES.items():
            self.language.addItem(name, code)
        self.language.setCurrentIndex(max(0, self.language.findData(profile.language)))
        form.addRow(tr("Language"), self.language)
        self.currency = QComboBox()
        self.currency.addItem(tr("Follow the system ({code})").format(code=system_currency()), "")
        for code in CURRENCIES:
            self.currency.addItem(f"{code} ({format_money(129900, code, current_locale())})", code)
        self.currency.setCurrentIndex(max(0, self.currency.findData(profile.currency)))
        form.addRow(tr("Currency"), self.currency)
        note = QLabel(tr("The language changes when the studio starts again. The currency prices the next show."))
        note.setWordWrap(True)
        form.addRow(note)
        return tab

    def _video_tab(self, profile: Profile) -> QWidget:
        tab = QWidget()
        form = QFormLayout(tab)
        v = profile.video
        self.size = QComboBox()
        # Item data as "WxH" text: Qt does not keep Python tuples as item data.
        for w, h in SIZES:
            shape = "  (vertical 9:16, phones)" if h > w else ""
            self.size.addItem(f"{w} × {h}{shape}", f"{w}x{h}")
        if self.size.findData(f"{v.width}x{v.height}") < 0:
            self.size.addItem(f"{v.width} × {v.height}", f"{v.width}x{v.height}")
        self.size.setCurrentIndex(self.size.findData(f"{v.width}x{v.height}"))
        form.addRow(tr("Output size"), self.size)
        # The second canvas: a vertical program for phones from the same cameras and microphone.
        vp = profile.vertical
        self.vertical_size = QComboBox()
        self.vertical_size.addItem(tr("Off"), "")
        for w, h in VERTICAL_SIZES:
            self.vertical_size.addItem(tr('{w} × {h}  (vertical 9:16, phones)').format(w=w, h=h), f"{w}x{h}")
        if vp.is_enabled and self.vertical_size.findData(f"{vp.width}x{vp.height}") < 0:
            self.vertical_size.addItem(f"{vp.width} × {vp.height}", f"{vp.width}x{vp.height}")
        self.vertical_size.setCurrentIndex(max(0, self.vertical_size.findData(
            f"{vp.width}x{vp.height}" if vp.is_enabled else "")))
        self.vertical_size.setToolTip(tr("Also make a vertical picture for phone apps (TikTok LIVE) at the same time: "
                                      "its scenes follow yours until you drag their layers; Record also records it"))
        form.addRow(tr("Vertical canvas too"), self.vertical_size)
        self.camera_modes: dict[str, CameraModeBox] = {}
        for spec in profile.sources:
            if spec.get("kind") == "camera":
                box = CameraModeBox(spec.get("mode"))
                box.load(str(spec.get("spec", "")))
                self.camera_modes[spec["id"]] = box
                form.addRow(tr('Camera mode ({value})').format(value=spec.get('label') or spec['id']), box)
        self.fps = QComboBox()
        for fps in (24, 25, 30, 50, 60):
            self.fps.addItem(tr('{fps} fps').format(fps=fps), fps)
        if self.fps.findData(v.fps) < 0:
            self.fps.addItem(tr('{fps} fps').format(fps=v.fps), v.fps)
        self.fps.setCurrentIndex(self.fps.findData(v.fps))
        form.addRow(tr("Frame rate"), self.fps)
        self.encoder = QComboBox()
        self.encoder.addItem(tr("Automatic (hardware if it works, else x264)"), "auto")
        for kind in H264_CODECS:
            self.encoder.addItem(kind, kind)
        self.encoder.setCurrentIndex(max(0, self.encoder.findData(v.encoder)))
        form.addRow(tr("Encoder"), self.encoder)
        self.encoder_status = QLabel(tr("Checking which encoders work here…"))
        self.encoder_status.setWordWrap(True)
        form.addRow(self.encoder_status)
        self.bitrate = QSpinBox()
        self.bitrate.setRange(200, 50_000)
        self.bitrate.setSingleStep(250)
        self.bitrate.setSuffix(tr(" kbps"))
        self.bitrate.setValue(v.bitrate_kbps)
        form.addRow(tr("Bitrate"), self.bitrate)
        self.countdown = QSpinBox()
        self.countdown.setRange(0, 10)
        self.countdown.setSuffix(" s")
        self.countdown.setValue(profile.countdown_s)
        form.addRow(tr("Go Live countdown"), self.countdown)
        folder_row = QHBoxLayout()
        self.record_dir = QLineEdit(profile.record_dir)
        self.record_dir.setPlaceholderText(str(paths.data_dir() / "recordings"))
        browse = QPushButton(tr("Browse…"))
        browse.clicked.connect(self._browse_record_dir)
        folder_row.addWidget(self.record_dir, 1)
        folder_row.addWidget(browse)
        form.addRow(tr("Recordings folder"), folder_row)
        self.record_when_live = QCheckBox(tr("Record automatically when going live"))
        self.record_when_live.setToolTip(tr("A recording starts with the show and stops with End Show"))
        self.record_when_live.setChecked(profile.record_when_live)
        form.addRow("", self.record_when_live)
        self.fade_ms = QSpinBox()
        self.fade_ms.setRange(0, 5000)
        self.fade_ms.setSingleStep(100)
        self.fade_ms.setSuffix(tr(" ms"))
        self.fade_ms.setSpecialValueText(tr("Cut (no fade)"))
        self.fade_ms.setValue(profile.fade_ms)
        self.fade_ms.setToolTip(tr("How long Studio Mode's Fade (and its hotkey) dissolves to the next scene"))
        form.addRow(tr("Studio Mode fade"), self.fade_ms)
        # Probing encoders opens each one: do it off the GUI thread.
        run_in_worker(self, "probe-encoders", _probe_encoders, self._show_encoders,
                      lambda exc: self._show_encoders({"error": str(exc)}))
        return tab

    def _browse_record_dir(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, tr("Recordings folder"), self.record_dir.text())
        if folder:
            self.record_dir.setText(folder)

    def _show_encoders(self, result: dict) -> None:
        ok = [k for k, v in result.items() if v == "ok"]
        self.encoder_status.setText(tr("Works on this computer: ") + (", ".join(ok) or "none found"))
        for i in range(self.encoder.count()):
            kind = self.encoder.itemData(i)
            if kind in result and result[kind] != "ok":
                self.encoder.setItemText(i, f"{kind} (not available here)")

    def _audio_tab(self, profile: Profile) -> QWidget:
        tab = QWidget()
        form = QFormLayout(tab)
        self.mic = QComboBox()
        self.mic.addItem(tr("First microphone found"), "auto")
        try:
            from seller_studio.media.audio.microphone import list_microphones

            for mic in list_microphones():
                self.mic.addItem(mic["name"], mic["name"])
            self.mic_note = ""
        except UserError as exc:
            self.mic_note = tr_text(str(exc))
        self.mic.addItem(tr("Test tone"), "tone")
        self.mic.addItem(tr("No sound"), "none")
        if self.mic.findData(profile.audio.mic) < 0:
            self.mic.addItem(tr('{mic} (not connected)').format(mic=profile.audio.mic), profile.audio.mic)
        self.mic.setCurrentIndex(self.mic.findData(profile.audio.mic))
        form.addRow(tr("Microphone"), self.mic)
        if self.mic_note:
            form.addRow(QLabel(self.mic_note))
        return tab

    def _hotkeys_tab(self, profile: Profile) -> QWidget:
        tab = QWidget()
        form = QFormLayout(tab)
        self.hotkey_edits: dict[str, QKeySequenceEdit] = {}
        for action in HOTKEY_ACTIONS:
            edit = QKeySequenceEdit(QKeySequence(profile.hotkeys.get(action, "")))
            edit.setMaximumSequenceLength(1)
            edit.setClearButtonEnabled(True)
            self.hotkey_edits[action] = edit
            form.addRow(tr_text(HOTKEY_LABELS[action]), edit)  # English in the core, shown translated
        reset = QPushButton(tr("Reset to defaults"))
        reset.clicked.connect(lambda: [e.setKeySequence(QKeySequence(HOTKEY_ACTIONS[a]))
                                       for a, e in self.hotkey_edits.items()])
        form.addRow(reset)
        return tab

    # -- profiles --------------------------------------------------------------------------------------
    def _on_profile_chosen(self) -> None:
        name = self.profiles.currentText()
        if name != self.profile.name:
            self.profile = self.store.load_profile(name)
            self._switched_profile = True
            self.accept()

    def _save_as(self) -> None:
        name, ok = QInputDialog.getText(self, tr("New profile"), tr("Profile name:"))
        if not ok:
            return
        try:
            name = safe_profile_name(name)
        except ValueError as exc:
            self.error.setText(tr_text(str(exc)))
            return
        self.profile = copy.deepcopy(self.profile)
        self.profile.name = name
        self.accept()

    # -- result ---------------------------------------------------------------------------------------
    def collect(self) -> Profile:
        """The edited profile; ValueError with one line when something is wrong."""
        if getattr(self, "_switched_profile", False):
            return self.profile
        p = copy.deepcopy(self.profile)
        p.video.width, p.video.height = (int(n) for n in str(self.size.currentData()).split("x"))
        if (p.video.height > p.video.width) != (self.profile.video.height > self.profile.video.width):
            p.scenes = relayout_scenes(p.scenes, p.video.width, p.video.height)  # landscape <-> vertical
        p.video.fps = int(self.fps.currentData())
        vertical = str(self.vertical_size.currentData() or "")
        p.vertical.is_enabled = bool(vertical)
        if vertical:
            p.vertical.width, p.vertical.height = (int(n) for n in vertical.split("x"))
        for spec in p.sources:
            box = self.camera_modes.get(spec.get("id", ""))
            if box is not None:
                if box.value():
                    spec["mode"] = box.value()
                else:
                    spec.pop("mode", None)
        p.video.encoder = str(self.encoder.currentData())
        p.video.bitrate_kbps = int(self.bitrate.value())
        p.countdown_s = int(self.countdown.value())
        folder = self.record_dir.text().strip()
        if folder:
            try:
                Path(folder).expanduser().mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ValueError(tr("cannot use {folder} for recordings: {error}").format(folder=folder, error=exc.strerror)) from None
        p.record_dir = str(Path(folder).expanduser()) if folder else ""
        p.record_when_live = self.record_when_live.isChecked()
        p.fade_ms = int(self.fade_ms.value())
        validate_video(p.video)
        p.audio.mic = str(self.mic.currentData())
        keys: dict[str, str] = {}
        for action, edit in self.hotkey_edits.items():
            keys[action] = edit.keySequence().toString(QKeySequence.SequenceFormat.PortableText)
        used = [k for k in keys.values() if k]
        clash = next((k for k in used if used.count(k) > 1), None)
        if clash:
            raise ValueError(tr("the hotkey {key} is used twice; give each action its own key").format(key=clash))
        p.hotkeys = keys
        p.language = str(self.language.currentData() or "")
        p.currency = str(self.currency.currentData() or "")
        self.more_destinations.apply(p)
        self.notice = self.destination.apply(p)
        return p

    def accept(self) -> None:
        try:
            self._result = self.collect()
            self.store.save_profile(self._result)
        except (ValueError, OSError) as exc:
            self.error.setText(tr_text(str(exc)))  # the core's messages are English templates
            return
        super().accept()  # the window shows ``notice`` (memory-only key) in its notice bar

    def result_profile(self) -> Profile:
        return self._result


def _probe_encoders() -> dict:
    """Worker thread: open each H.264 encoder once (advice only: an error becomes a line)."""
    from seller_studio.media.encoders.h264 import available_h264_encoders

    try:
        return available_h264_encoders()
    except Exception as exc:
        return {"error": str(exc)}
