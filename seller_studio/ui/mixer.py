"""The audio mixer: one strip per source with a live meter, mute and gain.

Meters read ``AudioMixer.levels()`` (plain numbers the mixing thread updates) on a 20 Hz timer; a
lost microphone (the core turns it into silence) shows a warning on its strip.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from seller_studio.i18n import tr, tr_noop
from seller_studio.media.audio.mixer import SILENCE_DB
from seller_studio.media.studio import Studio

METER_FLOOR_DB = -60.0


class LevelMeter(QWidget):
    """A horizontal peak/RMS meter, green to yellow (-18 dBFS) to red (-6 dBFS), with peak hold."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(120, 12)
        self.setMaximumHeight(16)
        self.peak_db = SILENCE_DB
        self.rms_db = SILENCE_DB
        self._hold_db = SILENCE_DB

    def set_levels(self, peak_db: float, rms_db: float) -> None:
        self.peak_db, self.rms_db = peak_db, rms_db
        # Peak hold falls back slowly so short peaks stay readable.
        self._hold_db = max(peak_db, self._hold_db - 1.5)
        self.update()

    @staticmethod
    def _fraction(db: float) -> float:
        return min(1.0, max(0.0, (db - METER_FLOOR_DB) / -METER_FLOOR_DB))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        w, h = self.width(), self.height()
        p.fillRect(self.rect(), QColor("#15171a"))
        for db_from, db_to, colour, dim in ((METER_FLOOR_DB, -18, "#30a46c", "#1d3b2c"),
                                            (-18, -6, "#f5a524", "#4a3a17"), (-6, 0, "#e5484d", "#4a1d20")):
            x0, x1 = int(self._fraction(db_from) * w), int(self._fraction(db_to) * w)
            p.fillRect(QRect(x0, 0, x1 - x0, h), QColor(dim))
            lit = min(x1, int(self._fraction(self.peak_db) * w))
            if lit > x0:
                p.fillRect(QRect(x0, 0, lit - x0, h), QColor(colour))
        rms_x = int(self._fraction(self.rms_db) * w)
        p.fillRect(QRect(0, h - 3, rms_x, 3), QColor("#e3e5e8"))
        hold_x = int(self._fraction(self._hold_db) * w)
        if hold_x > 0:
            p.fillRect(QRect(hold_x - 2, 0, 2, h), QColor("white"))
        p.end()


class ChannelStrip(QWidget):
    def __init__(self, studio: Studio, source_id: str, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.source_id = source_id
        channel = studio.mixer.channels[source_id]
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        top = QHBoxLayout()
        self.name = QLabel(label)
        self.name.setStyleSheet("font-weight: 600;")
        self.warning = QLabel("")
        self.warning.setStyleSheet("color: #f5a524;")
        self.mute = QPushButton(tr("Mute"))
        self.mute.setCheckable(True)
        self.mute.setChecked(channel.is_muted)
        self.mute.toggled.connect(self._on_mute)
        self.gain = QSlider(Qt.Orientation.Horizontal)
        self.gain.setRange(-300, 120)  # tenths of a dB: -30 .. +12 dB
        self.gain.setValue(round(channel.gain_db * 10))
        self.gain.setMinimumWidth(110)
        self.gain.valueChanged.connect(self._on_gain)
        self.gain_label = QLabel()
        self.gain_label.setMinimumWidth(56)
        self._show_gain(channel.gain_db)
        top.addWidget(self.name)
        top.addWidget(self.warning, 1)
        top.addWidget(self.gain_label)
        top.addWidget(self.gain)
        top.addWidget(self.mute)
        layout.addLayout(top)
        self.meter = LevelMeter()
        layout.addWidget(self.meter)

    def _on_mute(self, is_muted: bool) -> None:
        self.studio.mixer.set_muted(self.source_id, is_muted)
        self.mute.setText(tr("Muted") if is_muted else tr("Mute"))

    def _on_gain(self, tenths: int) -> None:
        self.studio.mixer.set_gain_db(self.source_id, tenths / 10)
        self._show_gain(tenths / 10)

    def _show_gain(self, gain_db: float) -> None:
        self.gain_label.setText(tr('{gain_db:+.1f} dB').format(gain_db=gain_db))

    def set_lost(self, is_lost: bool) -> None:
        self.warning.setText(tr("⚠ microphone lost — sending silence") if is_lost else "")


class MixerPanel(QWidget):
    mute_toggled = Signal(str, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.studio: Studio | None = None
        self.strips: dict[str, ChannelStrip] = {}
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(4, 4, 4, 4)
        self.master = LevelMeter()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh_levels)
        self._timer.start(50)

    def set_studio(self, studio: Studio | None, labels: dict[str, str] | None = None) -> None:
        for strip in self.strips.values():
            strip.setParent(None)
            strip.deleteLater()
        self.strips.clear()
        while self._layout.count():
            item = self._layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.studio = studio
        if studio is not None:
            for sid, channel in studio.mixer.channels.items():
                label = (labels or {}).get(sid) or _audio_label(channel.source)
                strip = ChannelStrip(studio, sid, label)
                strip.mute.toggled.connect(lambda is_muted, sid=sid: self.mute_toggled.emit(sid, is_muted))
                self.strips[sid] = strip
                self._layout.addWidget(strip)
        if not self.strips:
            empty = QLabel(tr("No audio source. Choose a microphone in Settings > Audio."))
            empty.setWordWrap(True)
            self._layout.addWidget(empty)
        # Widgets are rebuilt on every studio swap: the old ones were handed to Qt for deletion.
        holder = QWidget()
        row = QHBoxLayout(holder)
        row.setContentsMargins(6, 0, 6, 0)
        row.addWidget(QLabel(tr("Program")))
        self.master = LevelMeter()
        row.addWidget(self.master, 1)
        self._layout.addWidget(holder)
        self._layout.addStretch(1)

    def refresh_levels(self) -> None:
        if self.studio is None or not self.isVisible():
            return
        levels = self.studio.mixer.levels()
        for sid, strip in self.strips.items():
            lv = levels.get(sid)
            if lv:
                strip.meter.set_levels(lv["peak_db"], lv["rms_db"])
        master = levels.get("master")
        if master:
            self.master.set_levels(master["peak_db"], master["rms_db"])

    def on_mic_state(self, payload: dict) -> None:
        strip = self.strips.get(payload.get("source_id", ""))
        if strip is not None:
            strip.set_lost(bool(payload.get("is_lost")))

    def muted_labels(self) -> list[str]:
        """The names of the muted audio sources (for the health row)."""
        return [strip.name.text() for strip in self.strips.values() if strip.mute.isChecked()]

    def toggle_mute(self, source_id: str | None = None) -> None:
        sid = source_id or next(iter(self.strips), None)
        if sid in self.strips:
            self.strips[sid].mute.toggle()


def _audio_label(source) -> str:
    words = {"microphone": tr_noop("Microphone"), "tone": tr_noop("Test tone"), "silence": tr_noop("Silence"),
             "file": tr_noop("Audio file")}
    kind = getattr(source, "kind", "")
    return tr(words[kind]) if kind in words else source.id
