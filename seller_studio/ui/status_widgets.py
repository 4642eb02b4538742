"""The window's passive status pieces: the notice bar, the health light and the status-bar labels.

They only draw what the studio controller's events say (``studio/events.py``).
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QStatusBar, QWidget

from seller_studio.i18n import tr, tr_noop, tr_text
from seller_studio.studio.events import StatsUpdated
from seller_studio.ui import theme

HEALTH_COLOURS = {"good": theme.GOOD, "warning": theme.WARN, "bad": theme.BAD, "idle": "#5c616a"}


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
        close.setToolTip(tr("Dismiss"))
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
    """The health row: the stream's verdict (good / warning / bad, the reason and the fix) and, whatever
    the stream's health, a muted microphone (viewers hear nothing): said first, in the warning colour,
    and the light at least amber."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.dot = QLabel("●")
        self.text = QLabel(tr("Not live"))
        self.text.setWordWrap(True)
        self.text.setMinimumWidth(120)
        layout.addWidget(self.dot)
        layout.addWidget(self.text, 1)
        self.level = "idle"
        self.stream_level = "idle"
        self.muted_note = ""
        self._reason, self._fix = "Not live", ""
        self.set_health("idle", "Not live", "")

    def set_muted(self, names: list[str]) -> None:
        """The muted audio sources (empty: nothing muted)."""
        what = names[0] if len(names) == 1 else ", ".join(names)
        self.muted_note = tr("🔇 {what} muted — viewers hear nothing").format(what=what) if names else ""
        self._show()

    def set_health(self, level: str, reason: str, fix: str) -> None:
        # The verdict is made in English (journals compare it); the seller reads it in their language.
        self.stream_level, self._reason, self._fix = level, tr_text(reason), tr_text(fix)
        self._show()

    def _show(self) -> None:
        level, reason, fix = self.stream_level, self._reason, self._fix
        text = reason + (f" — {fix}" if fix else "")
        tip = f"{reason}\n{fix}".strip()
        self.text.setTextFormat(Qt.TextFormat.RichText if self.muted_note else Qt.TextFormat.PlainText)
        if self.muted_note:
            text = (f'<b style="color: {theme.WARN}">{html.escape(self.muted_note, quote=False)}</b> · '
                    f"{html.escape(text, quote=False)}")
            tip = self.muted_note + tr(" (unmute in the audio mixer or with the mute hotkey)") + f"\n{tip}"
            if level in ("good", "idle"):
                level = "warning"
        self.level = level
        self.dot.setStyleSheet(f"color: {HEALTH_COLOURS.get(level, '#5c616a')}; font-size: 18pt;")
        self.text.setText(text)
        self.setToolTip(tip)


_STATUS_TIPS = (("platform", tr_noop("Connection to the live-shopping platform")),
                ("fps", tr_noop("Frames encoded per second / target")),
                ("dropped", tr_noop("Frames missed by the computer (render), the encoder, and the network")),
                ("bitrate", tr_noop("Bitrate sent to the destination")),
                ("cpu", tr_noop("CPU use of the studio (100% = one core)")),
                ("preview", tr_noop("Preview frames shown per second")))


def add_status_labels(bar: QStatusBar) -> dict[str, QLabel]:
    """The permanent labels of the status bar, by key (platform, fps, dropped, bitrate, cpu, preview)."""
    labels: dict[str, QLabel] = {}
    for key, tip in _STATUS_TIPS:
        label = QLabel("")
        label.setToolTip(tr(tip))
        bar.addPermanentWidget(label)
        labels[key] = label
    show_idle_status(labels)
    return labels


def show_stats(labels: dict[str, QLabel], event: StatsUpdated) -> None:
    s = event.stats
    labels["fps"].setText(tr('{value:.0f}/{value2} fps').format(value=s.get('fps', 0), value2=s.get('target_fps', 0)))
    d = s.get("dropped", {})
    labels["dropped"].setText(
        tr('Dropped: {value} render · {value2} encode · {value3} net').format(value=d.get('render_lag', 0), value2=d.get('encode_lag', 0), value3=d.get('network', 0)))
    labels["bitrate"].setText(tr('{stream_bitrate_kbps:.0f} kbps').format(stream_bitrate_kbps=event.stream_bitrate_kbps) if event.is_streaming else "")
    labels["cpu"].setText(tr('CPU {value:.0f}%').format(value=s.get('cpu_percent', 0)))


def show_idle_status(labels: dict[str, QLabel]) -> None:
    labels["fps"].setText(tr("Not live"))
    labels["dropped"].setText("")
    labels["bitrate"].setText("")
