"""The Help menu: check my setup (doctor), save a support bundle, open a replay — off the GUI thread.

A mixin of ``MainWindow``: it uses the window's ``workers``, ``notice`` and status bar.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from seller_studio.i18n import tr, tr_text


class HelpActions:
    def check_setup(self) -> None:
        self.statusBar().showMessage(tr("Checking your setup…"))
        self.workers.run("doctor", self.controller.doctor_job(), self._show_checks,
                         lambda exc: self.notice(tr('Could not check the setup: {exc}').format(exc=tr_text(str(exc)))))

    def _show_checks(self, checks: list) -> None:
        self.statusBar().showMessage(tr("Setup checked"), 5000)
        self.last_doctor_report = "\n".join(check.line() for check in checks)  # English, as support reads it
        QMessageBox.information(self, tr("Check my setup"), "\n".join(check.shown_line() for check in checks))

    def _ask_save_path_dialog(self, title: str, suggested: str, filters: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self, title, suggested, filters)
        return path or None

    def save_support_bundle(self, path: str | None = None) -> None:
        """Help > Save support bundle: ask where (a file dialog, ``ask_save_path``), build the zip on a
        worker, then say where it went. (The menu's ``triggered(bool)`` must not reach ``path``: a
        ``False`` there once made the menu item do nothing at all.)"""
        from seller_studio.diagnostics.bundle import build_bundle

        if not isinstance(path, str):
            suggested = str(Path.home() / time.strftime("seller-studio-support-%Y%m%d-%H%M.zip"))
            path = self.ask_save_path(tr("Save support bundle"), suggested, tr("Zip files (*.zip)"))
        if not path:
            return
        if not path.lower().endswith(".zip"):
            path += ".zip"
        self.statusBar().showMessage(tr("Saving the support bundle…"))
        self.journal.action("support_bundle")

        def saved(result) -> None:  # noqa: ANN001 - diagnostics.bundle.BundleResult
            text = tr("Support bundle saved to {path} ({kb} KB, secrets removed).").format(
                path=result.path, kb=f"{result.bytes / 1024:.0f}")
            self.statusBar().showMessage(text, 15000)
            self.notice(text)

        self.workers.run("support-bundle", lambda: build_bundle(Path(path)), saved,
                         lambda exc: self.notice(tr('Could not save the support bundle: {exc}').format(exc=tr_text(str(exc)))))

    def open_replay(self) -> None:
        from seller_studio.diagnostics.replay import Replay
        from seller_studio.ui.replay.window import ReplayWindow

        path, _ = QFileDialog.getOpenFileName(self, tr("Open a support bundle"), "", "Support bundles (*.zip)")
        if not path:
            return
        try:
            self._replay_window = ReplayWindow(Replay.from_bundle(Path(path)), title=Path(path).name)
        except Exception as exc:  # a bad bundle is one line for the user, not a crash
            self.notice(tr('Could not open {name}: {exc}').format(name=Path(path).name, exc=tr_text(str(exc))))
            return
        self._replay_window.show()
