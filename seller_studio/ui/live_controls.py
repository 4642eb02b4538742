"""The row under the preview: scene bar (it scrolls, so the row fits a 1280-wide window whatever the
number of scenes), add-scene, Studio Mode, time on air, Record and Go Live; and the 3-2-1.

It draws the studio controller's live state (``LiveState``) and countdown; its buttons' signals are
connected by the window to the controller.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QLabel, QPushButton, QWidget

from seller_studio.i18n import tr, tr_noop
from seller_studio.studio.events import LiveState
from seller_studio.ui.scenes import SceneBar

_BUTTON_TEXT = {LiveState.IDLE: tr_noop("Go Live"), LiveState.STARTING: tr_noop("Connecting…"),
                LiveState.LIVE: tr_noop("End Show"), LiveState.ENDING: tr_noop("Ending…")}


class LiveControls(QWidget):
    """Two groups, scenes and the live buttons, on one row when the window is wide enough, else the
    live buttons wrap under the scenes: the window's minimum width is the wider group, not their sum."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._box = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self._box.setContentsMargins(0, 0, 0, 0)
        self.scene_part = QWidget()
        scenes = QHBoxLayout(self.scene_part)
        scenes.setContentsMargins(0, 0, 0, 0)
        self.scene_bar = SceneBar()
        scenes.addWidget(self.scene_bar, 1)
        self.add_scene_button = QPushButton("+")
        self.add_scene_button.setToolTip(tr("Add a scene (it never goes on air by being added)"))
        scenes.addWidget(self.add_scene_button)
        self.studio_mode_button = QPushButton(tr("Studio Mode"))
        self.studio_mode_button.setCheckable(True)
        self.studio_mode_button.setToolTip(tr("Preview and program side by side: prepare the next scene off air, "
                                           "then Cut or Fade to it. Scene buttons and keys load the preview."))
        scenes.addWidget(self.studio_mode_button)
        self.live_part = QWidget()
        controls = QHBoxLayout(self.live_part)
        controls.setContentsMargins(0, 0, 0, 0)
        controls.addStretch(1)
        self.elapsed = QLabel("00:00:00")
        self.elapsed.setObjectName("elapsed")
        self.elapsed.setToolTip(tr("Time on air"))
        controls.addWidget(self.elapsed)
        self.record_button = QPushButton(tr("● Record"))
        self.record_button.setObjectName("record")
        self.record_button.setCheckable(True)
        controls.addWidget(self.record_button)
        self.go_live_button = QPushButton(tr("Go Live"))
        self.go_live_button.setObjectName("goLive")
        controls.addWidget(self.go_live_button)
        self._box.addWidget(self.scene_part, 1)
        self._box.addWidget(self.live_part)

    @property
    def is_one_row(self) -> bool:
        return self._box.direction() == QBoxLayout.Direction.LeftToRight

    def _one_row_width(self) -> int:
        # Room for a few scene buttons beside the live buttons; narrower, the live buttons wrap.
        return self.scene_part.minimumSizeHint().width() + 240 + self.live_part.sizeHint().width()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt name
        a, b = self.scene_part.minimumSizeHint(), self.live_part.minimumSizeHint()
        spacing = self._box.spacing()
        if self.is_one_row:
            return QSize(max(a.width(), b.width()), max(a.height(), b.height()))
        return QSize(max(a.width(), b.width()), a.height() + b.height() + spacing)

    def sizeHint(self) -> QSize:  # noqa: N802
        hint = super().sizeHint()
        return QSize(hint.width(), self.minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        one_row = event.size().width() >= self._one_row_width()
        if one_row != self.is_one_row:
            self._box.setDirection(QBoxLayout.Direction.LeftToRight if one_row else QBoxLayout.Direction.TopToBottom)
            self.updateGeometry()
        super().resizeEvent(event)

    def set_live_state(self, state: LiveState) -> None:
        button = self.go_live_button
        button.setEnabled(state != LiveState.ENDING)
        button.setText(tr(_BUTTON_TEXT[state]) if state in _BUTTON_TEXT else button.text())
        button.setProperty("live", state.is_on_air)
        button.style().unpolish(button)
        button.style().polish(button)
        if state == LiveState.IDLE:
            self.elapsed.setText("00:00:00")

    def set_elapsed(self, seconds: int) -> None:
        self.elapsed.setText(f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}")


class CountdownLabel(QLabel):
    """The big 3-2-1 over the preview."""

    def __init__(self, preview: QWidget) -> None:
        super().__init__("", preview)
        self.preview = preview
        self.setObjectName("countdown")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hide()

    def show_seconds(self, seconds_left: int) -> None:
        if seconds_left <= 0:
            self.hide()
            return
        self.setText(str(seconds_left))
        self.show()
        self.raise_()
        self.place()

    def place(self) -> None:
        size = self.sizeHint()
        self.setGeometry((self.preview.width() - size.width()) // 2, (self.preview.height() - size.height()) // 2,
                         size.width(), size.height())
