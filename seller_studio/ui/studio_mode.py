"""The centre of the window: the program alone, or in Studio Mode the preview and the program side by
side with Cut and Fade between them (as in the reference broadcaster).

The seller prepares the next scene on the left (a scene pick loads it there, its layers are edited
there) while viewers keep seeing the right; Cut or Fade puts the left on air. What a pick or a
transition does is the studio controller's; this only lays the two pictures out and asks.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

from seller_studio.media.transitions import MAX_FADE_MS
from seller_studio.ui.preview import PreviewWidget

NORMAL_MIN = (320, 180)
STUDIO_MODE_MIN = (128, 72)  # two pictures and the transition column still fit a 1280-wide window


class StudioStage(QWidget):
    cut_requested = Signal()
    fade_requested = Signal(int)  # duration in ms
    fade_ms_changed = Signal(int)

    def __init__(self, program: PreviewWidget, preview: PreviewWidget, fade_ms: int = 300,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.program, self.preview = program, preview
        self.is_studio_mode = False
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)

        self.preview_column = QWidget()
        left = QVBoxLayout(self.preview_column)
        left.setContentsMargins(0, 0, 0, 0)
        self.preview_label = QLabel("Preview")
        self.preview_label.setObjectName("stageLabel")
        self.preview_label.setToolTip("The next scene, not on air: pick a scene, arrange its sources here")
        left.addWidget(self.preview_label)
        left.addWidget(preview, 1)
        row.addWidget(self.preview_column, 1)

        self.transition_column = QWidget()
        middle = QVBoxLayout(self.transition_column)
        middle.setContentsMargins(0, 0, 0, 0)
        middle.addStretch(1)
        self.cut_button = QPushButton("Cut ▶")
        self.cut_button.setObjectName("transition")
        self.cut_button.setToolTip("Put the preview on air now")
        self.cut_button.clicked.connect(self.cut_requested.emit)
        self.fade_button = QPushButton("Fade ▶")
        self.fade_button.setObjectName("transition")
        self.fade_button.clicked.connect(lambda: self.fade_requested.emit(self.fade_ms.value()))
        self.fade_ms = QSpinBox()
        self.fade_ms.setRange(100, MAX_FADE_MS)
        self.fade_ms.setSingleStep(100)
        self.fade_ms.setSuffix(" ms")
        self.fade_ms.setValue(max(100, fade_ms))
        self.fade_ms.setToolTip("How long the fade lasts")
        self.fade_ms.valueChanged.connect(self._on_fade_ms)
        self._on_fade_ms(self.fade_ms.value())
        for widget in (self.cut_button, self.fade_button, self.fade_ms):
            middle.addWidget(widget)
        middle.addStretch(1)
        row.addWidget(self.transition_column)

        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        self.program_label = QLabel("Program")
        self.program_label.setObjectName("stageLabel")
        self.program_label.setToolTip("What viewers see")
        right.addWidget(self.program_label)
        right.addWidget(program, 1)
        row.addLayout(right, 1)
        self.set_studio_mode(False)

    def _on_fade_ms(self, value: int) -> None:
        self.fade_button.setToolTip(f"Dissolve from the program to the preview over {value} ms")
        self.fade_ms_changed.emit(value)

    def set_studio_mode(self, is_on: bool) -> None:
        self.is_studio_mode = is_on
        # Smaller pictures first, then show the second one: the window must not grow past the screen.
        w, h = STUDIO_MODE_MIN if is_on else NORMAL_MIN
        for view in (self.program, self.preview):
            view.setMinimumSize(w, h)
        for widget in (self.preview_column, self.transition_column, self.program_label):
            widget.setVisible(is_on)
        self.program.is_editable = not is_on  # in Studio Mode the preview is where layers move
        self.preview.is_editable = is_on
        self.program.update()

    def set_scenes(self, preview: str | None, program: str, is_on_air: bool) -> None:
        """The labels over the two pictures: which scene each shows, and whether viewers see it."""
        self.preview_label.setText(f"Preview: {preview}" if preview else "Preview")
        self.program_label.setText(f"Program: {program}" + ("  ● on air" if is_on_air else ""))
        if bool(self.program_label.property("onAir")) != is_on_air:
            self.program_label.setProperty("onAir", is_on_air)
            self.program_label.style().unpolish(self.program_label)
            self.program_label.style().polish(self.program_label)
        can_transition = bool(preview) and preview != program
        self.cut_button.setEnabled(can_transition)
        self.fade_button.setEnabled(can_transition)

