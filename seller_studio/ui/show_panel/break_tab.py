"""The Show dock's "Break" tab: open a break, watch its spots fill from the sales, post the
commitment, draw on stream, reassign a spot by hand with a reason, export the packing list.

The work is ``studio/breaks.BreakSession`` (no Qt); this is its view. The draw asks first through
the window's ``confirm`` when the health gate names a problem with the stream.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from seller_studio.common import paths
from seller_studio.i18n import current_locale, tr, tr_text
from seller_studio.show.break_board import BreakError, BreakFormat
from seller_studio.show.selling import SellingError
from seller_studio.studio.breaks import BreakSession

SPOT_CHOICES = [("MLB: 30 teams", "mlb"), ("NBA: 30 teams", "nba"), ("NFL: 32 teams", "nfl"), ("10 numbered spots", "10"),
                ("20 numbered spots", "20")]


class BreakTab(QWidget):
    def __init__(self, window: Any, show: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.window_ref = window
        self.session = BreakSession(show, getattr(window, "controller", None), paths.data_dir() / "breaks",
                                    notice=self._say)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.title = QLineEdit()
        self.title.setPlaceholderText(tr("e.g. Topps Chrome Jumbo - MLB"))
        form.addRow(tr("Title"), self.title)
        self.format = QComboBox()
        self.format.addItem(tr("Random teams"), BreakFormat.RANDOM_TEAM.value)
        self.format.addItem(tr("Pick your team"), BreakFormat.PICK_YOUR_TEAM.value)
        form.addRow(tr("Format"), self.format)
        self.spots = QComboBox()
        self.spots.setEditable(True)  # or a number, or "Team A, Team B, ..."
        for label, spec in SPOT_CHOICES:
            self.spots.addItem(label, spec)
        form.addRow(tr("Spots"), self.spots)
        self.price = QLineEdit("25,00" if current_locale() == "nb" else "25.00")
        form.addRow(tr("Price per spot"), self.price)
        layout.addLayout(form)
        self.open_button = QPushButton(tr("Open break"))
        self.open_button.clicked.connect(self.open_break)
        layout.addWidget(self.open_button)
        self.count = QLabel("")
        self.count.setStyleSheet("font-weight: 700;")
        layout.addWidget(self.count)
        self.spot_list = QListWidget()
        layout.addWidget(self.spot_list, 1)
        self.on_stream = QCheckBox(tr("Board on stream"))
        self.on_stream.setChecked(True)
        self.on_stream.toggled.connect(lambda on: self.session.set_on_stream(on))
        layout.addWidget(self.on_stream)
        row = QHBoxLayout()
        self.announce_button = QPushButton(tr("Post commitment"))
        self.announce_button.clicked.connect(self.announce)
        self.draw_button = QPushButton(tr("Draw"))
        self.draw_button.clicked.connect(self.draw)
        self.reassign_button = QPushButton(tr("Reassign…"))
        self.reassign_button.clicked.connect(self._reassign_dialog)
        self.manifest_button = QPushButton(tr("Packing list…"))
        self.manifest_button.clicked.connect(self._manifest_dialog)
        for button in (self.announce_button, self.draw_button, self.reassign_button, self.manifest_button):
            row.addWidget(button)
        layout.addLayout(row)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)
        board = self.session.resume_latest()  # a restarted studio has the same board
        if board is not None:
            self._say(tr('Break “{title}” restored: {filled}/{total} spots filled.').format(title=board.spec.title, filled=board.filled, total=board.total))
        self._timer = QTimer(self)  # the board changes on the show's loop: redraw the list calmly
        self._timer.timeout.connect(self.refresh)
        self._timer.start(250)
        self.refresh()

    # --- actions -------------------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        self.status.setText(tr_text(text))  # lines from the break session (core) come in English

    def _act(self, action: Any, *args: Any) -> Any:
        try:
            return action(*args)
        except (BreakError, SellingError) as err:
            self._say(tr_text(str(err)))
            return None
        finally:
            self.refresh()

    def open_break(self) -> Any:
        spec = self.spots.currentData() if self.spots.currentText() == self.spots.itemText(
            self.spots.currentIndex()) else self.spots.currentText()
        price = self.price.text().strip().replace("\u00a0", "").replace(" ", "")
        if "," in price and "." not in price:
            price = price.replace(",", ".")  # a decimal comma, as Norwegian sellers type it: 25,50
        board = self._act(self.session.open_break, self.title.text(), self.format.currentData(), str(spec), price)
        if board is not None:
            self._say(tr('Break open: seed hash {seed_hash} (posted on the board). Show its item').format(seed_hash=board.seed_hash)
                      + ("s" if len(board.spec.listings) > 1 else "") + tr(" and open buy it now to sell the spots."))
        return board

    def announce(self) -> Any:
        announcement = self._act(self.session.announce)
        if announcement is not None:
            self._say(tr('Commitment {commitment} posted with {value} buyers in order.').format(commitment=announcement.commitment, value=len(announcement.buyers)))
        return announcement

    def draw(self) -> Any:
        question = self.session.draw_question()
        if question is not None and not self.window_ref.confirm(tr("Start the draw?"), question):
            return None
        result = self._act(self.session.draw)
        if result is not None and self.session.board is not None:
            self._say(tr('Drawn. Seed {seed}. Anyone can check: {value}').format(seed=result.seed, value=self.session.board.verify_command()))
        return result

    def reassign(self, spot: str, buyer: str, reason: str) -> Any:
        board = self.session.board
        if board is None:
            self._say(tr("Open a break first."))
            return None
        return self._act(board.reassign, spot, buyer, reason)

    def export_manifest(self, path: Path) -> Any:
        board = self.session.board
        if board is None:
            self._say(tr("Open a break first."))
            return None
        count = self._act(board.export_manifest, path)
        if count is not None:
            self._say(tr('Packing list: {count} spots in {path}').format(count=count, path=path))
        return count

    def _reassign_dialog(self) -> None:
        spot, ok = QInputDialog.getText(self, tr("Reassign a spot"), tr("Spot (its team, or #N for the Nth spot sold):"))
        if not ok:
            return
        buyer, ok = QInputDialog.getText(self, tr("Reassign a spot"), tr("New buyer:"))
        if not ok:
            return
        reason, ok = QInputDialog.getText(self, tr("Reassign a spot"), tr("Why (kept in the journal):"))
        if ok:
            self.reassign(spot, buyer, reason)

    def _manifest_dialog(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, tr("Packing list"), "break-manifest.csv", "CSV (*.csv)")
        if name:
            self.export_manifest(Path(name))

    # --- view ----------------------------------------------------------------------------------------

    def refresh(self) -> None:
        board = self.session.board
        if board is None:
            self.count.setText(tr("No break open."))
            self.spot_list.clear()
            for button in (self.announce_button, self.draw_button, self.reassign_button, self.manifest_button):
                button.setEnabled(False)
            return
        is_random = board.spec.format is BreakFormat.RANDOM_TEAM
        self.count.setText(tr('{title}: {filled}/{total} spots filled').format(title=board.spec.title, filled=board.filled, total=board.total)
                           + (tr(" - drawn") if board.is_drawn else ""))
        lines = [f"{s.label}: {s.buyer or tr('open')}" + (f"  ->  {s.team}" if s.team and s.team != s.label else "")
                 for s in board.spots()]
        lines += [tr("Refused: {reason}").format(reason=tr_text(r.reason)) for r in board.rejected]
        if [self.spot_list.item(i).text() for i in range(self.spot_list.count())] != lines:
            self.spot_list.clear()
            self.spot_list.addItems(lines)
        self.announce_button.setEnabled(is_random and not board.is_drawn and board.filled > 0)
        self.draw_button.setEnabled(is_random and not board.is_drawn and board.announcement is not None)
        self.reassign_button.setEnabled(board.filled > 0)
        self.manifest_button.setEnabled(board.is_drawn or not is_random)
