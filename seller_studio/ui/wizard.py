"""First-run setup: camera and mic (with a live preview and meter), destination, and the bench test
whose recommended size, fps and bitrate are applied to the profile."""

from __future__ import annotations

import copy
import time
from typing import Any

import cv2
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from seller_studio.common.errors import UserError
from seller_studio.i18n import tr, tr_noop, tr_text
from seller_studio.media.audio.base import AudioSource
from seller_studio.media.audio.mixer import _levels
from seller_studio.media.sources.base import VideoSource
from seller_studio.media.sources.camera import CameraSource, list_cameras
from seller_studio.media.sources.test_pattern import TestPatternSource
from seller_studio.studio.assembly import default_collection, make_audio
from seller_studio.studio.settings import Profile, SettingsStore
from seller_studio.ui.bridge import CoreBridge
from seller_studio.ui.camera_modes import CameraModeBox
from seller_studio.ui.mixer import LevelMeter
from seller_studio.ui.settings_dialog import DestinationForm
from seller_studio.ui.workers import run_in_worker


def run_bench_lazily() -> dict[str, Any]:
    """The bench lives in diagnostics; a build without it gets one clear line, not a traceback."""
    try:
        from seller_studio.diagnostics.bench import run_bench
    except ImportError:
        raise UserError(tr_noop("The computer test is not part of this build yet; keep the current video "
                                "settings or choose them in Settings > Video.")) from None
    # Quick, without the nginx latency leg: the seller waits for this in the wizard.
    return run_bench(quick=True, with_latency=False)


class DevicesPage(QWizardPage):
    def __init__(self, profile: Profile, bridge: CoreBridge) -> None:
        super().__init__()
        self.setTitle(tr("Camera and microphone"))
        self.setSubTitle(tr("Pick what viewers see and hear. The picture and the meter below are live."))
        self.bridge = bridge
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.camera = QComboBox()
        self.camera.addItem(tr("Test pattern (no camera)"), "test-pattern")
        try:
            for cam in list_cameras():
                self.camera.addItem(cam["name"], str(cam["index"]))
        except OSError:
            pass
        main = next((s for s in profile.sources if s.get("kind") in ("camera", "test-pattern")), None)
        if main and main.get("kind") == "camera":
            self.camera.setCurrentIndex(max(0, self.camera.findData(str(main.get("spec")))))
        elif self.camera.count() > 1 and not profile.sources:
            self.camera.setCurrentIndex(1)
        self.camera.currentIndexChanged.connect(self._open_camera)
        form.addRow(tr("Camera"), self.camera)
        self.camera_mode = CameraModeBox(main.get("mode") if main else None)
        form.addRow(tr("Camera mode"), self.camera_mode)
        self.shape = QComboBox()
        self.shape.addItem(tr("Landscape 16:9 (YouTube, Facebook, computers)"), "landscape")
        self.shape.addItem(tr("Vertical 9:16 (TikTok LIVE, phone shopping apps)"), "vertical")
        self.shape.setCurrentIndex(1 if profile.video.height > profile.video.width else 0)
        form.addRow(tr("Picture shape"), self.shape)
        self.mic = QComboBox()
        self.mic.addItem(tr("First microphone found"), "auto")
        try:
            from seller_studio.media.audio.microphone import list_microphones

            for mic in list_microphones():
                self.mic.addItem(mic["name"], mic["name"])
        except UserError:
            pass
        self.mic.addItem(tr("Test tone"), "tone")
        self.mic.addItem(tr("No sound"), "none")
        self.mic.setCurrentIndex(max(0, self.mic.findData(profile.audio.mic)))
        self.mic.currentIndexChanged.connect(self._open_mic)
        form.addRow(tr("Microphone"), self.mic)
        layout.addLayout(form)
        self.picture = QLabel(tr("Opening camera…"))
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setFixedSize(384, 216)
        self.picture.setStyleSheet("background: #0e0f11;")
        layout.addWidget(self.picture, 0, Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(QLabel(tr("Microphone level (speak: the bar should reach the yellow part)")))
        self.meter = LevelMeter()
        layout.addWidget(self.meter)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.source: VideoSource | None = None
        self.audio: AudioSource | None = None
        self._frame_index = 0
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._timer.start(66)
        self._open_camera()
        self._open_mic()

    def _open_camera(self) -> None:
        self._close_camera()
        spec = self.camera.currentData()
        self.picture.setText(tr("Opening camera…"))
        if spec != "test-pattern":
            self.camera_mode.load(str(spec))
        else:
            self.camera_mode.set_modes([], tr_noop("The test pattern has no modes."))

        def open_source() -> VideoSource:
            if spec == "test-pattern":
                return TestPatternSource("wizard", 384, 216, 15)
            cam = CameraSource("wizard", spec, 640, 360, 15)
            cam.start()
            return cam

        def done(source: VideoSource) -> None:
            if self.camera.currentData() != spec:
                source.stop()
                return
            self.source = source
            self.status.setText(getattr(source, "notice", ""))  # e.g. "This camera gives 5 fps at ..."

        run_in_worker(self.bridge, "wizard-camera", open_source, done,
                      lambda exc: self.status.setText(tr('Camera: {exc}').format(exc=tr_text(str(exc)))))

    def _open_mic(self) -> None:
        self._close_mic()
        audio, warning = make_audio(str(self.mic.currentData()), "silence")
        self.status.setText(warning)
        if audio is not None:
            try:
                audio.start()
            except Exception as exc:  # a device that refuses to open: say so, keep the wizard going
                self.status.setText(tr('Microphone: {exc}').format(exc=tr_text(str(exc))))
                return
        self.audio = audio

    def _tick(self) -> None:
        self._frame_index += 1
        if self.source is not None and self.source.state.value == "lost":
            # Unplugged or frozen while previewed: the camera's own thread keeps trying; say so.
            self.status.setText(tr("The camera stopped giving pictures — plug it back in, or choose another camera. "
                                "The studio keeps trying to reopen it."))
        if self.source is not None:
            frame = self.source.frame_at(self._frame_index, time.monotonic())
            if frame is not None:
                rgb = cv2.resize(frame.image[:, :, :3], (384, 216), interpolation=cv2.INTER_AREA)
                image = QImage(rgb.data, 384, 216, rgb.strides[0], QImage.Format.Format_RGB888)
                self.picture.setPixmap(QPixmap.fromImage(image))
        if self.audio is not None:
            peak, rms = _levels(self.audio.read(3200))  # 66 ms at 48 kHz
            self.meter.set_levels(peak, rms)

    def _close_camera(self) -> None:
        if self.source is not None:
            self.source.stop()
            self.source = None

    def _close_mic(self) -> None:
        if self.audio is not None:
            self.audio.stop()
            self.audio = None

    def close_devices(self) -> None:
        self._timer.stop()
        self._close_camera()
        self._close_mic()


class DestinationPage(QWizardPage):
    def __init__(self, store: SettingsStore, profile: Profile) -> None:
        super().__init__()
        self.setTitle(tr("Where do you go live?"))
        self.setSubTitle(tr("Practice on the sandbox first, or paste the server and stream key of your platform."))
        layout = QVBoxLayout(self)
        self.form = DestinationForm(store, profile)
        layout.addWidget(self.form)
        self.error = QLabel()
        self.error.setStyleSheet("color: #e5484d;")
        layout.addWidget(self.error)


class BenchPage(QWizardPage):
    def __init__(self, profile: Profile, bridge: CoreBridge) -> None:
        super().__init__()
        self.setTitle(tr("Test this computer"))
        self.setSubTitle(tr("About half a minute: finds the size, frame rate and bitrate this computer streams "
                         "without dropping frames."))
        self.bridge = bridge
        self.recommended: dict[str, Any] | None = None
        layout = QVBoxLayout(self)
        v = profile.video
        self.current = QLabel(tr('Now: {width}×{height} at {fps} fps, {bitrate_kbps} kbps').format(width=v.width, height=v.height, fps=v.fps, bitrate_kbps=v.bitrate_kbps))
        layout.addWidget(self.current)
        self.run = QPushButton(tr("Run the test"))
        self.run.clicked.connect(self.start)
        layout.addWidget(self.run, 0, Qt.AlignmentFlag.AlignLeft)
        self.result = QLabel("")
        self.result.setWordWrap(True)
        layout.addWidget(self.result)
        self.apply = QCheckBox(tr("Use the recommended settings"))
        self.apply.setChecked(True)
        self.apply.setEnabled(False)
        layout.addWidget(self.apply)
        layout.addStretch(1)

    def start(self) -> None:
        self.run.setEnabled(False)
        self.result.setText(tr("Testing… (the window stays usable)"))
        run_in_worker(self.bridge, "bench", run_bench_lazily, self._done, self._failed)

    def _done(self, report: dict[str, Any]) -> None:
        self.run.setEnabled(True)
        rec = report.get("recommended") or {}
        try:
            self.recommended = {k: int(rec[k]) for k in ("width", "height", "fps", "bitrate_kbps")}
        except (KeyError, TypeError, ValueError):
            self.result.setText(tr("The test finished without a recommendation; keep the current settings."))
            return
        r = self.recommended
        self.result.setText(tr('Recommended: {value}×{value2} at {value3} fps, {value4} kbps').format(value=r['width'], value2=r['height'], value3=r['fps'], value4=r['bitrate_kbps']))
        self.apply.setEnabled(True)

    def _failed(self, exc: BaseException) -> None:
        self.run.setEnabled(True)
        self.result.setText(tr_text(str(exc)) if isinstance(exc, UserError) else tr('The test failed: {exc}').format(exc=exc))


class SetupWizard(QWizard):
    def __init__(self, store: SettingsStore, profile: Profile, *, has_sandbox: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Set up Seller Studio"))
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setMinimumSize(640, 560)
        self.store = store
        self.profile = profile
        self.bridge = CoreBridge(self)
        self.devices = DevicesPage(profile, self.bridge)
        self.destination = DestinationPage(store, profile)
        self.bench = BenchPage(profile, self.bridge)
        for page in (self.devices, self.destination, self.bench):
            self.addPage(page)
        self.finished.connect(lambda _r: self.devices.close_devices())
        self._result: Profile | None = None

    def validateCurrentPage(self) -> bool:  # noqa: N802
        if self.currentPage() is self.destination:
            try:
                probe = copy.deepcopy(self.profile)
                self.destination.form.apply(probe)
            except ValueError as exc:
                self.destination.error.setText(tr_text(str(exc)))
                return False
        return super().validateCurrentPage()

    def result_profile(self) -> Profile:
        if self._result is None:
            self._result = self.collect()
        return self._result

    def collect(self) -> Profile:
        p = copy.deepcopy(self.profile)
        camera = self.devices.camera.currentData()
        p.audio.mic = str(self.devices.mic.currentData())
        self.destination.form.apply(p)
        if self.bench.recommended and self.bench.apply.isChecked():
            r = self.bench.recommended
            p.video.width, p.video.height, p.video.fps = r["width"], r["height"], r["fps"]
            p.video.bitrate_kbps = r["bitrate_kbps"]
        # The picture's shape: the same pixel count turned upright for phones (1280x720 -> 720x1280).
        long_side, short_side = max(p.video.width, p.video.height), min(p.video.width, p.video.height)
        is_vertical = self.devices.shape.currentData() == "vertical"
        shape_changed = (p.video.height > p.video.width) != is_vertical
        p.video.width, p.video.height = (short_side, long_side) if is_vertical else (long_side, short_side)
        if shape_changed and p.sources:  # lay the scenes out again for the new shape
            p.sources, p.scenes = [], []
        # The chosen camera (or the test pattern) becomes the main source of the scenes.
        main = next((s for s in p.sources if s.get("kind") in ("camera", "test-pattern")), None)
        if main is None:
            p.sources, p.scenes = default_collection(p.video.width, p.video.height, camera != "test-pattern")
            main = p.sources[0]
        if camera == "test-pattern":
            main.update(kind="test-pattern", spec="", label=tr("Test pattern"))
            main.pop("mode", None)
        else:
            main.update(kind="camera", spec=camera, label=self.devices.camera.currentText())
            if self.devices.camera_mode.value():
                main["mode"] = self.devices.camera_mode.value()
            else:
                main.pop("mode", None)
        return p

    def accept(self) -> None:
        try:
            self._result = self.collect()
            self.store.save_profile(self._result)
            state = self.store.load_state()
            state["first_run_done"] = True
            self.store.save_state(state)
        except (ValueError, OSError) as exc:
            self.destination.error.setText(tr_text(str(exc)))
            return
        super().accept()
