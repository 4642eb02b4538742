"""A combo box of a camera's modes for Settings and the setup wizard.

The modes are read off the GUI thread (listing opens the device node); until they arrive, and for a
camera whose system gives no mode list, the box offers "Automatic" only and says why.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QWidget

from seller_studio.i18n import tr, tr_noop, tr_text
from seller_studio.media.sources.camera_modes import USABLE_FORMATS, CameraMode
from seller_studio.ui.workers import run_in_worker

AUTO_LABEL = tr_noop("Automatic (matches the output size)")


def mode_items(modes: list[CameraMode]) -> list[tuple[str, str]]:
    """(label, "WxH@fps") per size and frame rate the camera offers, largest first, the best format
    named (MJPEG only where raw cannot reach the rate)."""
    best: dict[tuple[int, int, float], CameraMode] = {}
    for m in modes:
        if m.pixel_format not in USABLE_FORMATS or not m.fps:
            continue
        key = (m.width, m.height, m.fps)
        if key not in best or (best[key].is_compressed and not m.is_compressed):
            best[key] = m
    ordered = sorted(best.values(), key=lambda m: (-m.width * m.height, -m.fps))
    return [(f"{m.width} × {m.height} · {m.fps:g} fps · {m.pixel_format}", f"{m.width}x{m.height}@{m.fps:g}")
            for m in ordered]


class CameraModeBox(QComboBox):
    def __init__(self, current: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._current = current or ""
        self._spec: str | None = None
        self.set_modes([], "")

    def value(self) -> str | None:
        data = self.currentData()
        return str(data) if data else None

    def set_modes(self, modes: list[CameraMode], note: str) -> None:
        self.clear()
        self.addItem(tr(AUTO_LABEL), "")
        for label, data in mode_items(modes):
            self.addItem(label, data)
        if self._current and self.findData(self._current) < 0:
            self.addItem(tr('{value} fps (saved)').format(value=self._current.replace('@', ' @ ')), self._current)
        self.setCurrentIndex(max(0, self.findData(self._current)))
        self.setToolTip(tr_text(note) if note else tr("The studio picks the camera's mode from the output size and "
                                                      "frame rate; choose one here to ask for a particular size."))

    def load(self, spec: str) -> None:
        """List the camera's modes on a worker thread (``spec``: the camera's index or name)."""
        self._spec = spec

        def work() -> tuple[str, list[CameraMode], str]:
            from seller_studio.media.sources.camera import camera_infos

            modes: list[CameraMode] = []
            note = ""
            try:
                infos = camera_infos(with_modes=True)
                info = next((c for c in infos if str(c.index) == spec or c.name.lower() == spec.lower()), None)
                if info is None:
                    note = tr_noop("This camera is not connected now: its modes cannot be listed.")
                else:
                    modes, note = info.modes, info.modes_note
            except OSError as exc:
                note = tr_noop("Cannot list the camera's modes: {error}").format(error=exc)
            return spec, modes, note

        run_in_worker(self, "camera-modes", work, self._on_modes,
                      lambda exc: self._on_modes((spec, [], tr_noop("Cannot list the camera's modes: {error}").format(error=exc))))

    def _on_modes(self, payload: object) -> None:
        spec, modes, note = payload  # type: ignore[misc]
        if spec == self._spec:  # a newer camera was chosen meanwhile: ignore the old answer
            self.set_modes(modes, note)
