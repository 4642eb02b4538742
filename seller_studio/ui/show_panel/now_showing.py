"""Now showing: the item card, Next/Previous, auction presets with the live bid and clock, buy it now,
giveaway. The clock label reads the controller's corrected countdown every 100 ms.

Every line here is read from the core's state for the item showing (``SellingSession.note_text``,
``product_card``, ``open_listing``), never kept from an event: after Next nothing of the previous
item stays, and a result for another item never shows under this one."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from seller_studio.i18n import tr, tr_text
from seller_studio.platform import rules
from seller_studio.show.selling import SellingError

ARM_TIMEOUT_MS = 3000  # after the auction hotkey, the preset key must come within 3 s
_DIGITS = {getattr(Qt.Key, f"Key_{n}"): n for n in range(1, 10)}


class NowShowingWidget(QWidget):
    error = Signal(str)

    def __init__(self, controller: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        # Asked before an auction starts (the window's health gate): False keeps it from starting.
        self.ask_before_start: Any = None
        self.is_armed = False
        self.last_error = ""
        self._hint: str | None = None  # controller.empty_hint(), cached between events
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

        card = QFrame()
        card.setObjectName("nowShowingCard")
        card.setStyleSheet("QFrame#nowShowingCard { background: #24262b; border-radius: 6px; }")
        grid = QGridLayout(card)
        self.title = QLabel(tr("Nothing showing — press Next"))
        self.title.setStyleSheet("font-size: 13pt; font-weight: 700;")
        self.title.setWordWrap(True)
        grid.addWidget(self.title, 0, 0, 1, 2)
        self.caption = QLabel("")
        grid.addWidget(self.caption, 1, 0)
        self.price = QLabel("")
        self.price.setStyleSheet("font-size: 18pt; font-weight: 800; color: #ffcc33;")
        grid.addWidget(self.price, 2, 0)
        self.countdown = QLabel("")
        self.countdown.setObjectName("auctionClock")
        self.countdown.setStyleSheet("font-size: 22pt; font-weight: 800; font-family: monospace;")
        self.countdown.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        grid.addWidget(self.countdown, 1, 1, 2, 1)
        self.bidder = QLabel("")
        grid.addWidget(self.bidder, 3, 0, 1, 2)
        self.rule = QLabel("")  # the rule that just applied, in words: extension, sudden death, no bids
        self.rule.setObjectName("ruleLabel")
        self.rule.setWordWrap(True)
        self.rule.setStyleSheet("color: #f5a524;")
        grid.addWidget(self.rule, 4, 0, 1, 2)
        layout.addWidget(card)

        nav = QHBoxLayout()
        self.previous_button = QPushButton(tr("◀ Previous"))
        self.previous_button.clicked.connect(self.previous_item)
        self.next_button = QPushButton(tr("Next ▶"))
        self.next_button.clicked.connect(self.next_item)
        nav.addWidget(self.previous_button)
        nav.addWidget(self.next_button)
        layout.addLayout(nav)

        self.presets_row = QHBoxLayout()
        self.preset_buttons: list[QPushButton] = []
        for i, preset in enumerate(controller.presets):
            button = QPushButton(f"{i + 1} · {tr(preset.name)}")
            button.setToolTip(tr('{duration_s:g} s, counter-bid {counter_bid_s:g} s').format(duration_s=preset.duration_s, counter_bid_s=preset.counter_bid_s)
                              + (tr(", sudden death") if preset.is_sudden_death else "")
                              + tr('\nHotkey: auction key, then {value}').format(value=i + 1))
            button.clicked.connect(lambda _=False, i=i: self.start_auction(i))
            self.presets_row.addWidget(button)
            self.preset_buttons.append(button)
        layout.addLayout(self.presets_row)
        self.run_back_button = QPushButton(tr("Run it back"))
        self.run_back_button.setToolTip(tr("No bids: put the same item up again with the same preset"))
        self.run_back_button.clicked.connect(self.run_it_back)
        layout.addWidget(self.run_back_button)

        bin_row = QHBoxLayout()
        bin_row.addWidget(QLabel(tr("Buy it now qty")))
        self.bin_quantity = QSpinBox()
        self.bin_quantity.setRange(1, 9999)
        bin_row.addWidget(self.bin_quantity)
        self.bin_button = QPushButton(tr("Open Buy It Now"))
        self.bin_button.clicked.connect(self.open_buy_now)
        bin_row.addWidget(self.bin_button)
        layout.addLayout(bin_row)

        give_row = QHBoxLayout()
        give_row.addWidget(QLabel(tr("Giveaway window (s)")))
        self.giveaway_s = QSpinBox()
        self.giveaway_s.setRange(int(rules.GIVEAWAY_MIN_S), int(rules.GIVEAWAY_MAX_S))  # 1 s to 5 min
        self.giveaway_s.setValue(int(rules.GIVEAWAY_DEFAULT_S))
        give_row.addWidget(self.giveaway_s)
        self.giveaway_button = QPushButton(tr("Start giveaway"))
        self.giveaway_button.clicked.connect(self.start_giveaway)
        give_row.addWidget(self.giveaway_button)
        self.draw_button = QPushButton(tr("Draw now"))
        self.draw_button.clicked.connect(self.draw_now)
        give_row.addWidget(self.draw_button)
        layout.addLayout(give_row)

        self.status = QLabel("")
        self.status.setObjectName("showStatus")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)

        self._disarm_timer = QTimer(self)
        self._disarm_timer.setSingleShot(True)
        self._disarm_timer.timeout.connect(self.disarm)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self._timer.start(100)
        self.refresh()

    # --- actions (each one a button and, for some, a hotkey) ------------------------------------------

    def _act(self, action: Any, *args: Any) -> Any:
        try:
            result = action(*args)
        except SellingError as err:
            self.show_error(tr_text(str(err)))
            return None
        self._hint = None
        self.status.setText("")
        self.refresh()
        return result

    def next_item(self) -> Any:
        return self._act(self.controller.next_item)

    def previous_item(self) -> Any:
        return self._act(self.controller.previous_item)

    def _may_start(self, action: str) -> bool:
        return self.ask_before_start is None or bool(self.ask_before_start(action))

    def start_auction(self, preset_index: int) -> Any:
        self.disarm()
        self.rule.setText("")
        if not self._may_start("auction"):
            return None
        return self._act(self.controller.start_auction, preset_index)

    def run_it_back(self) -> Any:
        self.rule.setText("")
        if not self._may_start("auction"):
            return None
        return self._act(self.controller.run_it_back)

    def open_buy_now(self) -> Any:
        return self._act(self.controller.open_buy_now, self.bin_quantity.value())

    def start_giveaway(self) -> Any:
        return self._act(self.controller.start_giveaway, float(self.giveaway_s.value()))

    def draw_now(self) -> Any:
        return self._act(self.controller.draw_giveaway_now)

    # --- two-keystroke auction: the auction hotkey arms, a digit (or Enter) picks the preset -----------

    def arm_auction(self) -> None:
        if self.controller.session.item is None:
            self.show_error(tr("show an item first (Next)"))
            return
        self.is_armed = True
        self.status.setText(tr("Auction: press ") + " / ".join(
            f"{i + 1} {p.name}" for i, p in enumerate(self.controller.presets)) + tr(" — Enter for the first, Esc cancels"))
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self._disarm_timer.start(ARM_TIMEOUT_MS)

    def disarm(self) -> None:
        if not self.is_armed:
            return
        self.is_armed = False
        self._disarm_timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        if self.status.text().startswith("Auction: press"):
            self.status.setText("")

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if not self.is_armed or event.type() not in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            return False
        key = event.key()  # type: ignore[attr-defined]
        index = _DIGITS.get(key)
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            index = 1
        if index is None and key != Qt.Key.Key_Escape:
            return False
        # Take the key from the window's shortcuts (digits switch scenes otherwise).
        event.accept()
        if event.type() == QEvent.Type.KeyPress:
            if key == Qt.Key.Key_Escape:
                self.disarm()
            elif index is not None and index <= len(self.controller.presets):
                self.start_auction(index - 1)
        return True

    # --- state -> labels -------------------------------------------------------------------------------

    def on_event(self, name: str, payload: dict[str, Any]) -> None:
        self._hint = None  # the queue or the stock may have changed: ask again on this refresh
        if name == "error":
            self.show_error(str(payload.get("message", "")))
        self.refresh()

    @staticmethod
    def _set(label: QLabel, text: str) -> None:
        if label.text() != text:
            label.setText(text)

    def refresh(self) -> None:
        s = self.controller.session
        card = self.controller.product_card()
        item = s.item
        if card is None or item is None:
            if self._hint is None:  # asked on events, not on every 100 ms tick (it reads the queue's items)
                self._hint = self.controller.empty_hint() or ""
            hint = self._hint
            self._set(self.title, tr("Nothing to sell yet") if hint else tr("Nothing showing — press Next"))
            for label in (self.caption, self.price, self.countdown, self.bidder):
                self._set(label, "")
            self._set(self.rule, tr_text(hint) if hint else "")  # the core's words are English
        else:
            self._set(self.rule, s.note_text())
            self.title.setText(card.title)
            self.caption.setText(card.price_caption)
            self.price.setText(card.price_text)
            self.countdown.setText(card.countdown_text or "")
            if card.sold_to:
                self.bidder.setText(tr('Winner: {sold_to}').format(sold_to=card.sold_to))
            elif card.bidder:
                self.bidder.setText(tr('Leading: {bidder}').format(bidder=card.bidder))
            elif card.quantity_left is not None:
                self.bidder.setText(tr('{quantity_left} left').format(quantity_left=card.quantity_left))
            else:
                self.bidder.setText("")
        is_running = s.is_auction_running
        is_auction_item = item is not None and item.type == "auction" and item.quantity > 0
        for button in self.preset_buttons:
            button.setEnabled(is_auction_item and not is_running and not s.can_run_it_back)
        self.run_back_button.setEnabled(s.can_run_it_back)
        self.next_button.setEnabled(not is_running)
        self.previous_button.setEnabled(not is_running)
        listing = s.open_listing()
        self._set(self.bin_button, tr("Open Buy It Now") if listing is None
                  else tr('Buy It Now open · {quantity_left} left').format(quantity_left=listing.quantity_left))
        if self.bin_button.property("open") != (listing is not None):
            self.bin_button.setProperty("open", listing is not None)
            self.bin_button.setStyleSheet("" if listing is None else
                                          "QPushButton { color: #2fbf71; font-weight: 700; }")
        self.bin_button.setEnabled(item is not None and item.type == "buy_it_now" and item.quantity > 0
                                   and listing is None)
        if item is not None and item.type == "buy_it_now":
            self.bin_quantity.setMaximum(max(1, item.quantity))
        giveaway_open = s.giveaway is not None and not s.giveaway.is_closed
        self.giveaway_button.setEnabled(item is not None and not giveaway_open)
        self.draw_button.setEnabled(giveaway_open)

    def show_error(self, text: str) -> None:
        self.last_error = text
        self.status.setText(text)
        self.error.emit(text)
