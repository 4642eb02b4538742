"""The Show dock's "Scenes" tab: which scene each show moment switches to (stored in the profile).

The rule lives in ``studio/scene_follow.py``; this only lets the seller pick. Scene names are read
from the studio controller each time the tab is shown or the scenes change.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from seller_studio.i18n import tr
from seller_studio.studio.events import StudioChanged
from seller_studio.studio.scene_follow import MOMENTS

NO_SWITCH = "(don't switch)"


class SceneFollowWidget(QWidget):
    def __init__(self, studio_controller: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = studio_controller
        layout = QVBoxLayout(self)
        intro = QLabel(tr("Switch scenes when the show moves on. Switching by hand wins until the next moment."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.boxes: dict[str, QComboBox] = {}
        for moment, label in MOMENTS.items():
            box = QComboBox()
            box.setObjectName(f"sceneFollow_{moment}")
            box.currentIndexChanged.connect(lambda _=0: self._save())
            form.addRow(label, box)
            self.boxes[moment] = box
        layout.addLayout(form)
        layout.addStretch(1)
        self._is_loading = False
        self.reload()
        studio_controller.events.subscribe(lambda _e: self.reload(), StudioChanged)

    def reload(self) -> None:
        """Scene names and the saved choices, without saving anything back."""
        self._is_loading = True
        try:
            scenes = self.controller.scene_names()
            rules = self.controller.profile.scene_follow
            for moment, box in self.boxes.items():
                box.clear()
                box.addItem(NO_SWITCH, "")
                for name in scenes:
                    box.addItem(name, name)
                chosen = rules.get(moment, "")
                if chosen and chosen not in scenes:
                    box.addItem(tr('{chosen} (missing)').format(chosen=chosen), chosen)
                index = box.findData(chosen)
                box.setCurrentIndex(max(0, index))
        finally:
            self._is_loading = False

    def showEvent(self, event: Any) -> None:  # noqa: N802
        self.reload()
        super().showEvent(event)

    def choose(self, moment: str, scene: str) -> None:
        """Pick ``scene`` for ``moment`` as the seller would (tests, hotkeys)."""
        box = self.boxes[moment]
        box.setCurrentIndex(max(0, box.findData(scene)))

    def _save(self) -> None:
        if self._is_loading:
            return
        rules = {k: v for k, v in self.controller.profile.scene_follow.items() if k.startswith("item:")}
        rules |= {moment: str(box.currentData() or "") for moment, box in self.boxes.items()}
        self.controller.set_scene_follow(rules)
