"""The Help menu: check my setup (doctor), save a support bundle, open a replay — off the GUI thread.

A mixin of ``MainWindow``: it uses the window's ``workers``, ``notice`` and status bar.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox


class HelpActions:
    def check_setup(self) -> None:
        from seller_studio.diagnostics.doctor import run_doctor

        self.statusBar().showMessage("Checking your setup…")
        self.workers.run("doctor", run_doctor, self._show_checks,
                         lambda exc: self.notice(f"Could not check the setup: {exc}"))

    def _show_checks(self, checks: list) -> None:
        self.statusBar().showMessage("Setup checked", 5000)
        self.last_doctor_report = "\n".join(check.line() for check in checks)
        QMessageBox.information(self, "Check my setup", self.last_doctor_report)

    def save_support_bundle(self, path: str | None = None) -> None:
        from seller_studio.diagnostics.bundle import build_bundle

        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Save support bundle", "seller-studio-support.zip",
                                                  "Zip files (*.zip)")
        if not path:
            return
        self.statusBar().showMessage("Saving the support bundle…")
        self.workers.run("support-bundle", lambda: build_bundle(Path(path)),
                         lambda result: self.statusBar().showMessage(f"Support bundle saved: {path}", 10000),
                         lambda exc: self.notice(f"Could not save the support bundle: {exc}"))

    def open_replay(self) -> None:
        from seller_studio.diagnostics.replay import Replay
        from seller_studio.ui.replay.window import ReplayWindow

        path, _ = QFileDialog.getOpenFileName(self, "Open a support bundle", "", "Support bundles (*.zip)")
        if not path:
            return
        try:
            self._replay_window = ReplayWindow(Replay.from_bundle(Path(path)), title=Path(path).name)
        except Exception as exc:  # a bad bundle is one line for the user, not a crash
            self.notice(f"Could not open {Path(path).name}: {exc}")
            return
        self._replay_window.show()
