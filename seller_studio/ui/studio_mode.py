"""The centre of the window: the program alone, or in Studio Mode the preview and the program side by
side with Cut and Fade between them (as in the reference broadcaster). When the centre is taller than
wide (a 1280-wide laptop with the docks open) the preview goes above the program instead, so both
pictures stay as large as the space allows.

The seller prepares the next scene on the left (a scene pick loads it there, its layers are edited
there) while viewers keep seeing the right; Cut or Fade puts the left on air. What a pick or a
transition does is the studio controller's; this only lays the two pictures out and asks.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QBoxLayout, QLabel, QPushButton, QSizePolicy, QSpinBox, QVBoxLayout, QWidget

from seller_studio.i18n import tr
from seller_studio.media.transitions import MAX_FADE_MS
from seller_studio.ui.preview import PreviewWidget

NORMAL_MIN = (320, 180)
STUDIO_MODE_MIN = (128, 72)  # two pictures and the transition column still fit a 1280-wide window
VERTICAL_MIN = (90, 160)  # the vertical canvas's picture beside the program
VERTICAL_MAX_W = 240


class StudioStage(QWidget):
    cut_requested = Signal()
    fade_requested = Signal(int)  # duration in ms
    fade_ms_changed = Signal(int)

    def __init__(self, program: PreviewWidget, preview: PreviewWidget, fade_ms: int = 300,
                 parent: QWidget | None = None, vertical: PreviewWidget | None = None) -> None:
        super().__init__(parent)
        self.program, self.preview, self.vertical = program, preview, vertical
        self.is_studio_mode = False
        self._row = row = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)

        self.preview_column = QWidget()
        left = QVBoxLayout(self.preview_column)
        left.setContentsMargins(0, 0, 0, 0)
        self.preview_label = _label("Preview")
        self.preview_label.setToolTip(tr("The next scene, not on air: pick a scene, arrange its sources here"))
        left.addWidget(self.preview_label)
        left.addWidget(preview, 1)
        row.addWidget(self.preview_column, 1)

        self.transition_column = QWidget()
        self._middle = middle = QBoxLayout(QBoxLayout.Direction.TopToBottom, self.transition_column)
        middle.setContentsMargins(0, 0, 0, 0)
        middle.addStretch(1)
        self.cut_button = QPushButton(tr("Cut ▶"))
        self.cut_button.setObjectName("transition")
        self.cut_button.setToolTip(tr("Put the preview on air now"))
        self.cut_button.clicked.connect(self.cut_requested.emit)
        self.fade_button = QPushButton(tr("Fade ▶"))
        self.fade_button.setObjectName("transition")
        self.fade_button.clicked.connect(lambda: self.fade_requested.emit(self.fade_ms.value()))
        self.fade_ms = QSpinBox()
        self.fade_ms.setRange(100, MAX_FADE_MS)
        self.fade_ms.setSingleStep(100)
        self.fade_ms.setSuffix(tr(" ms"))
        self.fade_ms.setValue(max(100, fade_ms))
        self.fade_ms.setToolTip(tr("How long the fade lasts"))
        self.fade_ms.valueChanged.connect(self._on_fade_ms)
        self._on_fade_ms(self.fade_ms.value())
        for widget in (self.cut_button, self.fade_button, self.fade_ms):
            middle.addWidget(widget)
        middle.addStretch(1)
        row.addWidget(self.transition_column)

        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        self.program_label = _label("Program")
        self.program_label.setToolTip(tr("What viewers see"))
        right.addWidget(self.program_label)
        right.addWidget(program, 1)
        row.addLayout(right, 1)

        # The vertical canvas's program: a small phone-shaped picture at the side (hidden without one).
        self.vertical_column = QWidget()
        side = QVBoxLayout(self.vertical_column)
        side.setContentsMargins(0, 0, 0, 0)
        self.vertical_label = _label("Vertical")
        self.vertical_label.setToolTip(tr("The vertical (phone) canvas: the same sources, its own scenes — "
                                       "drag its layers to edit this scene for phones"))
        side.addWidget(self.vertical_label)
        if vertical is not None:
            vertical.setMinimumSize(*VERTICAL_MIN)
            vertical.setMaximumWidth(VERTICAL_MAX_W)
            side.addWidget(vertical, 1)
        row.addWidget(self.vertical_column, 0)
        self.vertical_column.setVisible(False)
        self.set_studio_mode(False)

    def set_vertical_shown(self, is_shown: bool) -> None:
        """Show the vertical canvas's picture (while the studio has a vertical canvas)."""
        self.vertical_column.setVisible(is_shown and self.vertical is not None)

    @property
    def is_stacked(self) -> bool:
        """Preview above program (a tall centre) rather than side by side."""
        return self._row.direction() == QBoxLayout.Direction.TopToBottom

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt name
        stacked = event.size().height() > event.size().width() * 0.8
        if stacked != self.is_stacked:
            self._row.setDirection(QBoxLayout.Direction.TopToBottom if stacked else QBoxLayout.Direction.LeftToRight)
            self._middle.setDirection(QBoxLayout.Direction.LeftToRight if stacked else QBoxLayout.Direction.TopToBottom)
            self.updateGeometry()
        super().resizeEvent(event)

    def set_fade_ms(self, value: int) -> None:
        """Show the profile's fade (Settings; 0 there is a cut: the box shows its minimum) without
        writing it back."""
        self.fade_ms.blockSignals(True)
        self.fade_ms.setValue(max(self.fade_ms.minimum(), value))
        self.fade_ms.blockSignals(False)
        self.fade_button.setToolTip(tr('Dissolve from the program to the preview over {value} ms').format(value=self.fade_ms.value()))

    def _on_fade_ms(self, value: int) -> None:
        self.fade_button.setToolTip(tr('Dissolve from the program to the preview over {value} ms').format(value=value))
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
        self.preview_label.setText(tr('Preview: {preview}').format(preview=preview) if preview else tr("Preview"))
        self.program_label.setText(tr('Program: {program}').format(program=program) + (tr("  ● on air") if is_on_air else ""))
        self.preview_label.setToolTip(tr('{value} — not on air: arrange its sources here').format(value=self.preview_label.text()))
        self.program_label.setToolTip(tr('{value} — what viewers see').format(value=self.program_label.text()))
        if bool(self.program_label.property("onAir")) != is_on_air:
            self.program_label.setProperty("onAir", is_on_air)
            self.program_label.style().unpolish(self.program_label)
            self.program_label.style().polish(self.program_label)
        can_transition = bool(preview) and preview != program
        self.cut_button.setEnabled(can_transition)
        self.fade_button.setEnabled(can_transition)



def _label(text: str) -> QLabel:
    """A picture's title: it may be cut short rather than widen the window (the tooltip has it all)."""
    label = QLabel(text)
    label.setObjectName("stageLabel")
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
    label.setMinimumWidth(40)
    return label
