"""The window's scene and source actions: the dialogs that ask, the studio controller that does.

A mixin of ``MainWindow``: it uses the window's ``controller``, scene bar, sources panel, preview,
``ask_text``/``confirm`` and ``notice``. The rules (what a scene removal closes, stacking order,
where a new layer goes, saving the collection) are the controller's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog, QInputDialog

from seller_studio.i18n import tr
from seller_studio.studio.assembly import SOURCE_KIND_LABELS


class CollectionActions:
    def refresh_scenes(self) -> None:
        studio = self.controller.studio
        if studio is None:
            return
        comp = studio.compositor
        names = list(comp.scenes)
        keys = [self.controller.profile.hotkeys.get(f"scene_{i + 1}", "") for i in range(len(names))]
        self.scene_bar.set_scenes(names, self.controller.edit_scene, keys,
                                  on_air=comp.active_scene if self.controller.studio_mode else None)

    def refresh_sources(self) -> None:
        self.sources_panel.refresh(self.controller.studio, self.controller.source_label, self.controller.edit_scene)
        self.edit_view.select(self.sources_panel.selected_layer())

    def switch_scene(self, name: str) -> None:
        """Put a scene on the program (a cut)."""
        if not self.controller.switch_scene(name):
            return
        self.scene_bar.set_active(self.controller.edit_scene)
        self.preview.select(-1)
        self.refresh_sources()

    def pick_scene(self, name: str) -> None:
        """A scene button or hotkey: in Studio Mode it loads the preview, else it goes on the program."""
        if self.controller.studio_mode:
            if self.controller.preview_scene_to(name):
                self.scene_preview.select(-1)
        else:
            self.switch_scene(name)

    def switch_scene_number(self, number: int) -> None:
        name = self.controller.scene_name(number)
        if name is not None:
            self.pick_scene(name)

    def _add_scene_dialog(self) -> None:
        if self.controller.studio is None:
            return
        name = (self.ask_text("Add scene", "Scene name:", "") or "").strip()
        self.add_scene(name)

    def add_scene(self, name: str) -> bool:
        """A new scene never goes on air by being created (``StudioController.add_scene_off_air``)."""
        if not name or not self.controller.add_scene_off_air(name):
            return False
        self.refresh_scenes()
        self._show_scenes()
        return True

    def rename_scene(self, name: str) -> None:
        studio = self.controller.studio
        if studio is None or name not in studio.compositor.scenes:
            return
        new = self.ask_text("Rename scene", "Scene name:", name) or ""
        if self.controller.rename_scene(name, new):
            self.refresh_scenes()

    def remove_scene(self, name: str) -> None:
        if not self.controller.can_remove_scene(name):
            return
        text = tr("Remove the scene '{name}'? Its layout goes; sources other scenes use stay.").format(name=name)
        if self.controller.is_scene_on_air(name):
            text += "\n" + tr("It is on air now: viewers will see the next scene.")
        if not self.confirm(tr("Remove scene?"), text):
            return
        self.controller.remove_scene(name)
        self.refresh_scenes()
        self.edit_view.select(-1)
        self._show_scenes()

    def _on_visibility(self, index: int, is_visible: bool) -> None:
        self.controller.set_layer_visible(index, is_visible)

    def add_source_dialog(self, kind: str) -> None:
        """Ask what to add (device, file or text), then add it on a worker."""
        spec: dict[str, Any] = {"kind": kind, "label": tr(SOURCE_KIND_LABELS[kind])}
        if kind == "camera":
            from seller_studio.media.sources.camera import list_cameras

            cameras = list_cameras()
            if not cameras:
                self.notice(tr("No camera found. Plug one in, or add a test pattern or a video file instead."))
                return
            names = [f"{c['name']} ({c['path']})" for c in cameras]
            choice, ok = QInputDialog.getItem(self, tr("Add camera"), tr("Camera:"), names, 0, False)
            if not ok:
                return
            cam = cameras[names.index(choice)]
            spec.update(spec=str(cam["index"]), label=cam["name"])
        elif kind in ("video-file", "image"):
            pattern = ("Videos (*.mp4 *.mkv *.mov *.webm *.avi *.flv)" if kind == "video-file"
                       else "Images (*.png *.jpg *.jpeg *.bmp *.webp)")
            path, _ = QFileDialog.getOpenFileName(self, tr('Add {value}').format(value=tr(SOURCE_KIND_LABELS[kind]).lower()), "", pattern)
            if not path:
                return
            spec.update(spec=path, label=Path(path).name)
        elif kind == "text":
            text, ok = QInputDialog.getText(self, tr("Add text"), tr("Text (shown on the stream):"))
            if not ok or not text.strip():
                return
            spec.update(spec=text.strip(), label=f"Text: {text.strip()[:24]}")
        self.add_source(spec)

    def add_source(self, spec: dict[str, Any], on_added: Callable[[str], None] | None = None) -> None:
        """Create and start a source on a worker, then put it on top of the current scene."""

        def placed(source_id: str, index: int) -> None:
            self.refresh_scenes()
            self.refresh_sources()
            self.sources_panel.select_layer(index)
            self.edit_view.select(index)
            if on_added:
                on_added(source_id)

        self.controller.add_source(spec, placed)

    def move_layer(self, index: int, step: int) -> None:
        if self.controller.move_layer(index, step):
            self.refresh_sources()
            self.sources_panel.select_layer(index)

    def remove_layer(self, index: int) -> None:
        self.controller.remove_layer(index)
        self.edit_view.select(-1)
        self.refresh_sources()
