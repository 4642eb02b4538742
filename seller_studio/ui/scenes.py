"""The scene bar (one button per scene, scrolling sideways) and the list of sources in the scene being
edited (the program's, or in Studio Mode the preview's)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QWheelEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from seller_studio.i18n import tr
from seller_studio.media.studio import Studio
from seller_studio.studio.assembly import SOURCE_KIND_LABELS


class SceneBar(QScrollArea):
    """One button per scene in a row that scrolls sideways (wheel, drag of the bar): any number of
    scenes fits a 1280-wide window. The checked button is the scene a pick acts on (the program, or
    in Studio Mode the preview); in Studio Mode the program's button is marked on air."""

    scene_chosen = Signal(str)
    rename_requested = Signal(str)
    remove_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sceneBar")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        inner = QWidget()
        self._layout = QHBoxLayout(inner)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addStretch(1)
        self.setWidget(inner)
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self.buttons: dict[str, QPushButton] = {}
        self.on_air = ""
        self._scroll_target: QPushButton | None = None
        self.horizontalScrollBar().rangeChanged.connect(lambda *_: self._scroll_to_target())
        self._fit_height()

    def _fit_height(self) -> None:
        # Room for a button row and the sideways scroll bar, so showing the bar never covers a button.
        button_h = QPushButton(tr("Scene")).sizeHint().height() + 6
        self.setFixedHeight(button_h + self.horizontalScrollBar().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt name
        return QSize(120, self.height())

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(min(self.widget().sizeHint().width(), 900), self.height())

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - a mouse wheel scrolls the row sideways
        bar = self.horizontalScrollBar()
        bar.setValue(bar.value() - event.angleDelta().y() - event.angleDelta().x())
        event.accept()

    def set_scenes(self, names: list[str], active: str, shortcuts: list[str] | None = None,
                   on_air: str | None = None) -> None:
        for button in self.buttons.values():
            self._group.removeButton(button)
            self._layout.removeWidget(button)
            button.deleteLater()
        self.buttons.clear()
        for i, name in enumerate(names):
            button = QPushButton(name)
            button.setObjectName("sceneButton")
            button.setCheckable(True)
            button.setChecked(name == active)
            key = shortcuts[i] if shortcuts and i < len(shortcuts) else ""
            button.setToolTip(tr("Scene '{name}'").format(name=name) + (f"  ({key})" if key else "")
                              + tr("\nRight-click to rename or remove"))
            button.clicked.connect(lambda _=False, n=name: self.scene_chosen.emit(n))
            button.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            button.customContextMenuRequested.connect(
                lambda pos, n=name, b=button: self.menu_for(n).exec(b.mapToGlobal(pos)))
            self._group.addButton(button)
            self._layout.insertWidget(self._layout.count() - 1, button)
            self.buttons[name] = button
        self.set_on_air(on_air or "")
        self.set_active(active)

    def menu_for(self, name: str) -> QMenu:
        menu = QMenu(self)
        menu.addAction(tr("Rename…"), lambda: self.rename_requested.emit(name))
        menu.addAction(tr("Remove…"), lambda: self.remove_requested.emit(name))
        return menu

    def set_active(self, name: str) -> None:
        button = self.buttons.get(name)
        if button is not None:
            if not button.isChecked():
                button.setChecked(True)
            # Once the row is laid out (a button just added has no place yet): scroll it into view.
            self._scroll_target = button
            QTimer.singleShot(0, self._scroll_to_target)

    def _scroll_to_target(self) -> None:
        button = self._scroll_target
        if button is not None and button in self.buttons.values() and button.width() > 0:
            self.ensureWidgetVisible(button, 8, 0)

    def set_on_air(self, name: str) -> None:
        """Studio Mode: mark the program's scene (a red edge); "" clears the mark."""
        self.on_air = name
        for scene, button in self.buttons.items():
            is_on_air = scene == name
            if bool(button.property("onAir")) != is_on_air:
                button.setProperty("onAir", is_on_air)
                button.style().unpolish(button)
                button.style().polish(button)


class SourcesPanel(QWidget):
    """The layers of the current scene, topmost first; add, remove, show/hide, select for dragging."""

    layer_selected = Signal(int)  # index into the scene's layers
    add_requested = Signal(str)  # source kind
    remove_requested = Signal(int)
    visibility_changed = Signal(int, bool)
    raise_requested = Signal(int, int)  # layer index, +1 (towards the top) or -1

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.list = QListWidget()
        self.list.currentRowChanged.connect(self._on_row)
        self.list.itemChanged.connect(self._on_item_changed)
        layout.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.add_button = QPushButton(tr("Add source"))
        menu = QMenu(self.add_button)
        for kind in ("camera", "video-file", "image", "test-pattern", "text"):
            menu.addAction(tr(SOURCE_KIND_LABELS[kind]) + "…", lambda k=kind: self.add_requested.emit(k))
        self.add_button.setMenu(menu)
        self.remove_button = QPushButton(tr("Remove"))
        self.remove_button.setToolTip(tr("Remove the selected source from this scene"))
        self.remove_button.clicked.connect(self._on_remove)
        self.up_button = QPushButton("▲")
        self.up_button.setToolTip(tr("Bring the selected source forward (in front of the one above it)"))
        self.up_button.clicked.connect(lambda: self._on_move(+1))
        self.down_button = QPushButton("▼")
        self.down_button.setToolTip(tr("Send the selected source backward"))
        self.down_button.clicked.connect(lambda: self._on_move(-1))
        for button in (self.up_button, self.down_button):
            button.setFixedWidth(36)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        row.addWidget(self.up_button)
        row.addWidget(self.down_button)
        row.addStretch(1)
        layout.addLayout(row)
        self._indices: list[int] = []  # list row -> layer index
        self._updating = False

    def refresh(self, studio: Studio | None, labels: Callable[[str], str], scene_name: str | None = None) -> None:
        self._updating = True
        selected = self.selected_layer()
        self.list.clear()
        self._indices = []
        if studio is not None:
            comp = studio.compositor
            scene = comp.scenes.get(scene_name or comp.active_scene)
            layers = list(scene.layers) if scene else []
            for index in sorted(range(len(layers)), key=lambda i: layers[i].z, reverse=True):
                layer = layers[index]
                source = studio.sources.get(layer.source_id)
                state = source.state.value if source is not None else "missing"
                text = labels(layer.source_id)
                if state == "lost":
                    text += "   ⚠ lost — reconnecting"
                elif state == "missing":
                    text += "   ⚠ not available"
                item = QListWidgetItem(text)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if layer.is_visible else Qt.CheckState.Unchecked)
                item.setToolTip(tr("Tick to show, untick to hide. Drag it on the preview to move; "
                                "drag the corner to resize."))
                if state in ("lost", "missing"):
                    item.setForeground(QColor("#f5a524"))
                self.list.addItem(item)
                self._indices.append(index)
        if selected in self._indices:
            self.list.setCurrentRow(self._indices.index(selected))
        self._updating = False

    def selected_layer(self) -> int:
        row = self.list.currentRow()
        return self._indices[row] if 0 <= row < len(self._indices) else -1

    def select_layer(self, index: int) -> None:
        self._updating = True
        self.list.setCurrentRow(self._indices.index(index) if index in self._indices else -1)
        self._updating = False

    def _on_row(self, row: int) -> None:
        if not self._updating:
            self.layer_selected.emit(self._indices[row] if 0 <= row < len(self._indices) else -1)

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        if self._updating:
            return
        row = self.list.row(item)
        if 0 <= row < len(self._indices):
            self.visibility_changed.emit(self._indices[row], item.checkState() == Qt.CheckState.Checked)

    def _on_move(self, step: int) -> None:
        index = self.selected_layer()
        if index >= 0:
            self.raise_requested.emit(index, step)

    def _on_remove(self) -> None:
        index = self.selected_layer()
        if index >= 0:
            self.remove_requested.emit(index)
