"""The row under the preview: scene bar, add-scene, time on air, Record and Go Live; and the 3-2-1.

It draws the studio controller's live state (``LiveState``) and countdown; its buttons' signals are
connected by the window to the controller.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from seller_studio.studio.events import LiveState
from seller_studio.ui.scenes import SceneBar

_BUTTON_TEXT = {LiveState.IDLE: "Go Live", LiveState.STARTING: "Connecting…", LiveState.LIVE: "End Show",
                LiveState.ENDING: "Ending…"}


class LiveControls(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        controls = QHBoxLayout(self)
        controls.setContentsMargins(0, 0, 0, 0)
        self.scene_bar = SceneBar()
        controls.addWidget(self.scene_bar)
        self.add_scene_button = QPushButton("+")
        self.add_scene_button.setToolTip("Add a scene")
        controls.addWidget(self.add_scene_button)
        controls.addStretch(1)
        self.elapsed = QLabel("00:00:00")
        self.elapsed.setObjectName("elapsed")
        self.elapsed.setToolTip("Time on air")
        controls.addWidget(self.elapsed)
        self.record_button = QPushButton("● Record")
        self.record_button.setObjectName("record")
        self.record_button.setCheckable(True)
        controls.addWidget(self.record_button)
        self.go_live_button = QPushButton("Go Live")
        self.go_live_button.setObjectName("goLive")
        controls.addWidget(self.go_live_button)

    def set_live_state(self, state: LiveState) -> None:
        button = self.go_live_button
        button.setEnabled(state != LiveState.ENDING)
        button.setText(_BUTTON_TEXT.get(state, button.text()))
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
