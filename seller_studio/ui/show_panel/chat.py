"""The chat list: a QListView over the controller's 10,000-message ring, fed in batches.

At 50 messages/s the model does not insert row by row: a 50 ms timer inserts what arrived since
the last tick in one ``beginInsertRows`` and removes what fell out of the ring in one
``beginRemoveRows``. Rows are one line each (uniform sizes), so the view never measures 10,000
rows. Flags (buyer, question, filtered) are computed in the core on arrival.

Nothing moves under the pointer: while it is over the list (or a menu is open) the list stops
following new messages and keeps the rows in place even as old ones fall out of the ring, so a
click lands on the message the seller aimed at. Ban asks first, naming the user and the message.
A reply target is explicit (R, Enter or Reply on a message) and clears once the reply is sent,
when the seller deletes the @mention, or with Esc.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPoint, QStringListModel, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QCursor, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from seller_studio.i18n import tr, tr_text
from seller_studio.platform import rules
from seller_studio.show.chat import ChatEntry
from seller_studio.show.selling import SellingError

FLUSH_MS = 50
BUYER_BG = QColor("#1d3b2a")
QUESTION_BG = QColor("#3b3320")
HOST_FG = QColor("#8fb8ff")
DIM_FG = QColor("#6b7079")
PINNED_BG = QColor("#26364f")


def entry_text(entry: ChatEntry) -> str:
    if entry.is_deleted:
        return tr("{user}: (deleted)").format(user=entry.user)
    if entry.is_filtered:
        return tr("{user}: (hidden by a filter word)").format(user=entry.user)
    # A buyer's mark is a star, not "$": the show may be priced in kroner or euros.
    marks = ("📌 " if entry.is_pinned else "") + ("★ " if entry.is_buyer else "")
    return f"{marks}{entry.user}: {entry.text}"


class ChatModel(QObject):
    """Rows are the ring's messages, oldest first; ``flush()`` catches up with the ring.

    The view's model is a C++ ``QStringListModel`` of empty rows (``qmodel``); the delegate reads
    each visible row's message from the ring. Why not a Python QAbstractListModel: the view calls
    its ``rowCount`` once per row on every relayout (~30 ms per batch at 10,000 rows). Why not
    QStandardItemModel: in PySide 6.12 its appendRow/setData drop a reference to None each call."""

    def __init__(self, controller: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.chat = controller.chat
        self.qmodel = QStringListModel(self)
        self._start = self.chat.base  # absolute index of row 0
        self._end = self.chat.base
        self.flushes = 0
        self.flush()

    def rowCount(self) -> int:  # noqa: N802 - reads like the Qt model it stands for
        return self._end - self._start

    def index(self, row: int, column: int = 0) -> QModelIndex:
        return self.qmodel.index(row, column)

    def entry(self, row: int) -> ChatEntry | None:
        return self.chat.at(self._start + row) if 0 <= row < self._end - self._start else None

    def row_of(self, msg_id: str) -> int | None:
        entry = self.chat.get(msg_id)
        if entry is None or not (self._start <= entry.index < self._end):
            return None
        return entry.index - self._start

    def flush(self) -> None:
        """Bring the rows in line with the ring: one removal at the front, one insertion at the back."""
        new_start, new_end = self.chat.base, self.chat.end
        if new_start == self._start and new_end == self._end:
            return
        self.flushes += 1
        if new_start >= self._end:  # everything shown fell out (a burst bigger than the ring)
            self.qmodel.removeRows(0, self.qmodel.rowCount())
            self._start = self._end = new_start
        elif new_start > self._start:
            self.qmodel.removeRows(0, new_start - self._start)
            self._start = new_start
        if new_end > self._end:
            self.qmodel.insertRows(self.qmodel.rowCount(), new_end - self._end)
            self._end = new_end


class ChatDelegate(QStyledItemDelegate):
    """Paints a row from its ring entry: text, buyer/question/pinned background, dimmed if hidden."""

    def __init__(self, model: ChatModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex) -> None:  # noqa: N802
        super().initStyleOption(option, index)
        entry = self.model.entry(index.row())
        if entry is None:
            return
        option.text = entry_text(entry)
        background = None
        if entry.is_pinned:
            background = PINNED_BG
        elif not (entry.is_deleted or entry.is_filtered):
            background = BUYER_BG if entry.is_buyer else QUESTION_BG if entry.is_question else None
        if background is not None:
            option.backgroundBrush = QBrush(background)
        foreground = DIM_FG if entry.is_deleted or entry.is_filtered else HOST_FG if entry.is_host else None
        if foreground is not None:
            option.palette.setColor(QPalette.ColorRole.Text, foreground)


class QuickRepliesDialog(QDialog):
    """Edit the canned replies: label and text, add, remove, reorder."""

    def __init__(self, replies: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Quick replies"))
        self.replies = replies
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr("Placeholders: {item} (showing item), {price}, {user}")))
        self.list = QListWidget()
        layout.addWidget(self.list)
        row = QHBoxLayout()
        for text, slot in (("Add…", self._add), ("Edit…", self._edit), ("Remove", self._remove),
                           ("Up", lambda: self._move(-1)), ("Down", lambda: self._move(1))):
            button = QPushButton(text)
            button.clicked.connect(slot)
            row.addWidget(button)
        layout.addLayout(row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.accept)
        layout.addWidget(buttons)
        self._reload()

    def _reload(self) -> None:
        self.list.clear()
        for reply in self.replies.replies():
            self.list.addItem(QListWidgetItem(f"{reply.label}: {reply.text}"))

    def _ask(self, title: str, label: str, text: str) -> str | None:
        value, ok = QInputDialog.getText(self, title, label, QLineEdit.EchoMode.Normal, text)
        return value if ok else None

    def _add(self) -> None:
        label = self._ask(tr("New quick reply"), tr("Label:"), "")
        text = self._ask(tr("New quick reply"), tr("Text:"), "") if label is not None else None
        if text:
            self.replies.add(label or "", text)
            self._reload()

    def _edit(self) -> None:
        row = self.list.currentRow()
        if row < 0:
            return
        reply = self.replies.replies()[row]
        label = self._ask(tr("Edit quick reply"), tr("Label:"), reply.label)
        text = self._ask(tr("Edit quick reply"), tr("Text:"), reply.text) if label is not None else None
        if text:
            self.replies.update(row, label=label, text=text)
            self._reload()

    def _remove(self) -> None:
        row = self.list.currentRow()
        if row >= 0:
            self.replies.remove(row)
            self._reload()

    def _move(self, step: int) -> None:
        row = self.list.currentRow()
        if row < 0:
            return
        self.replies.move(row, row + step)
        self._reload()
        self.list.setCurrentRow(max(0, min(row + step, self.list.count() - 1)))


class ChatWidget(QWidget):
    """Chat list, input, reply (R on a selected message), quick replies, moderation, filter words."""

    def __init__(self, controller: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.reply_to_msg_id: str | None = None
        self.reply_to_user: str | None = None
        self.last_error = ""
        self.is_pointer_over = False
        self.is_menu_open = False
        self.unseen_count = 0
        self._follow_on_resume = True
        # Asks before a ban (tests replace it): (title, text) -> True to go ahead.
        self.confirm: Callable[[str, str], bool] = self._confirm_dialog
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.model = ChatModel(controller, self)
        self.view = QListView()
        self.view.setModel(self.model.qmodel)
        self.delegate = ChatDelegate(self.model, self)
        self.view.setItemDelegate(self.delegate)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setUniformItemSizes(True)  # no per-row measuring: 10,000 rows stay cheap
        self.view.setWordWrap(False)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.installEventFilter(self)
        layout.addWidget(self.view, 1)
        self.new_button = QPushButton("")
        self.new_button.setObjectName("chatNewMessages")
        self.new_button.setToolTip(tr("The chat holds still while the pointer is on it; click to jump to the newest"))
        self.new_button.clicked.connect(self.jump_to_newest)
        self.new_button.hide()
        layout.addWidget(self.new_button)

        mod = QHBoxLayout()
        self.pin_button = QPushButton(tr("Pin"))
        self.delete_button = QPushButton(tr("Delete"))
        self.timeout_button = QPushButton(tr("Timeout 10 min"))
        self.ban_button = QPushButton(tr("Ban"))
        for button, slot in ((self.pin_button, self.pin_selected), (self.delete_button, self.delete_selected),
                             (self.timeout_button, self.timeout_selected), (self.ban_button, self.ban_selected)):
            button.clicked.connect(slot)
            mod.addWidget(button)
        layout.addLayout(mod)

        self.quick_row = QHBoxLayout()
        layout.addLayout(self.quick_row)
        self._quick_buttons: list[QPushButton] = []
        self._build_quick_buttons()
        controller.quick_replies.events.subscribe(lambda *_: None)  # changes come back through _edit_quick

        entry = QHBoxLayout()
        self.reply_label = QLabel("")
        self.reply_label.hide()
        entry.addWidget(self.reply_label)
        self.cancel_reply_button = QPushButton(tr("Cancel reply"))
        self.cancel_reply_button.setToolTip(tr("Not a reply: send to everyone (Esc)"))
        self.cancel_reply_button.clicked.connect(self.cancel_reply)
        self.cancel_reply_button.hide()
        entry.addWidget(self.cancel_reply_button)
        self.input = QLineEdit()
        self.input.setPlaceholderText(tr("Message the chat (select a message and press R to reply)"))
        self.input.setMaxLength(rules.MAX_CHAT_CHARS)
        self.input.returnPressed.connect(self.send_input)
        self.input.textEdited.connect(self._on_input_edited)
        self.input.installEventFilter(self)
        entry.addWidget(self.input, 1)
        send = QPushButton(tr("Send"))
        send.clicked.connect(self.send_input)
        entry.addWidget(send)
        layout.addLayout(entry)

        filters = QHBoxLayout()
        filters.addWidget(QLabel(tr("Filter words:")))
        self.filter_edit = QLineEdit(", ".join(controller.chat.filter_words))
        self.filter_edit.setPlaceholderText(tr("comma separated; matching messages are hidden"))
        self.filter_edit.editingFinished.connect(self._apply_filter_words)
        filters.addWidget(self.filter_edit, 1)
        layout.addLayout(filters)
        self.status = QLabel("")
        self.status.setObjectName("chatStatus")
        layout.addWidget(self.status)

        self._timer = QTimer(self)
        self._timer.timeout.connect(self.flush)
        self._timer.start(FLUSH_MS)
        self._reply_shortcut = QShortcut(QKeySequence("R"), self.view, self.reply_to_selected,
                                         context=Qt.ShortcutContext.WidgetShortcut)

    # --- list ----------------------------------------------------------------------------------------

    @property
    def is_follow_paused(self) -> bool:
        """The list holds still: the pointer is on it, or one of its menus is open."""
        return self.is_pointer_over or self.is_menu_open

    def _is_pointer_on_list(self) -> bool:
        viewport = self.view.viewport()
        return viewport.isVisible() and viewport.rect().contains(viewport.mapFromGlobal(QCursor.pos()))

    def flush(self) -> None:
        self._set_pointer_over(self._is_pointer_on_list())
        bar = self.view.verticalScrollBar()
        is_at_bottom = bar.value() >= bar.maximum() - 4
        if not self.is_follow_paused:
            self.model.flush()
            if is_at_bottom:
                self.view.scrollToBottom()
            return
        # Paused: keep the row under the top edge exactly where it is while rows come and go.
        top_index = self.view.indexAt(QPoint(1, 1))
        anchor = self.model.entry(top_index.row()) if top_index.isValid() else None
        anchor_top = self.view.visualRect(top_index).top()
        end_before = self.model._end
        self.model.flush()
        self.unseen_count += max(0, self.model._end - end_before)
        if anchor is not None and (row := self.model.row_of(anchor.msg_id)) is not None:
            self.view.doItemsLayout()
            bar.setValue(bar.value() + self.view.visualRect(self.model.index(row)).top() - anchor_top)
        if self.unseen_count:
            self.new_button.setText(tr('▼ {unseen_count} new message(s)').format(unseen_count=self.unseen_count))
            self.new_button.show()

    def jump_to_newest(self) -> None:
        self.unseen_count = 0
        self.new_button.hide()
        self.model.flush()
        self.view.scrollToBottom()

    def _set_pointer_over(self, is_over: bool) -> None:
        if is_over == self.is_pointer_over:
            return
        self.is_pointer_over = is_over
        bar = self.view.verticalScrollBar()
        if is_over:
            self._follow_on_resume = bar.value() >= bar.maximum() - 4
        elif not self.is_menu_open and self._follow_on_resume:
            self.jump_to_newest()  # it was following the newest before the pointer came: follow again

    def on_changed(self, msg_id: str = "") -> None:
        """Flags changed (delete, pin, buyers, filter words): the delegate reads them on repaint."""
        self.model.flush()
        self.view.viewport().update()

    def selected(self) -> ChatEntry | None:
        indexes = self.view.selectionModel().selectedIndexes()
        return self.model.entry(indexes[0].row()) if indexes else None

    def select_msg(self, msg_id: str) -> bool:
        entry = self.controller.chat.get(msg_id)
        if entry is None:
            return False
        self.model.flush()
        row = self.model.row_of(msg_id)
        if row is None:
            return False
        index = self.model.index(row, 0)
        self.view.setCurrentIndex(index)
        return True

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if obj is self.view and kind == QEvent.Type.KeyPress:
            key = event.key()  # type: ignore[attr-defined]
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.reply_to_selected()
                return True
        elif obj is getattr(self, "input", None) and kind == QEvent.Type.KeyPress:
            if event.key() == Qt.Key.Key_Escape and self.reply_to_msg_id:  # type: ignore[attr-defined]
                self.cancel_reply(clear_text=True)
                return True
        return super().eventFilter(obj, event)

    # --- sending ---------------------------------------------------------------------------------------

    def reply_to_selected(self) -> None:
        """One keystroke: "@user " in the input, threaded to the selected message, focus to type."""
        entry = self.selected()
        if entry is None:
            return
        self.reply_to_msg_id = entry.msg_id
        self.reply_to_user = entry.user
        self.reply_label.setText(f"↩ {entry.user}")
        self.reply_label.show()
        self.cancel_reply_button.show()
        self.input.setText(f"@{entry.user} ")
        self.input.setFocus()
        self.input.end(False)

    def cancel_reply(self, *, clear_text: bool = False) -> None:
        """The next message goes to everyone (and the selection no longer points at anyone)."""
        if clear_text and self.reply_to_user and self.input.text().strip() == f"@{self.reply_to_user}":
            self.input.clear()
        self.reply_to_msg_id = None
        self.reply_to_user = None
        self.reply_label.hide()
        self.cancel_reply_button.hide()

    def _on_input_edited(self, text: str) -> None:
        # The seller deleted the @mention: this is no longer a reply.
        if self.reply_to_user and not text.lstrip().startswith(f"@{self.reply_to_user}"):
            self.cancel_reply()

    def send_input(self) -> None:
        text = self.input.text()
        try:
            if self.reply_to_msg_id and self.controller.chat.get(self.reply_to_msg_id) is not None:
                self.controller.reply(self.reply_to_msg_id, text)
            else:
                self.controller.send_chat(text)
        except SellingError as err:
            self.show_error(tr_text(str(err)))
            return
        self.input.clear()
        self._after_send()

    def _after_send(self) -> None:
        self.cancel_reply()
        self.view.clearSelection()
        self.view.setCurrentIndex(QModelIndex())

    def _build_quick_buttons(self) -> None:
        for button in self._quick_buttons:
            button.deleteLater()
        self._quick_buttons.clear()
        for i, reply in enumerate(self.controller.quick_replies.replies()):
            button = QPushButton(reply.label)
            button.setToolTip(reply.text + (tr('  (Alt+{value})').format(value=i + 1) if i < 9 else ""))
            button.clicked.connect(lambda _=False, i=i: self.send_quick(i))
            if i < 9:
                button.setShortcut(QKeySequence(f"Alt+{i + 1}"))
            self.quick_row.addWidget(button)
            self._quick_buttons.append(button)
        edit = QPushButton(tr("Edit…"))
        edit.setToolTip(tr("Edit the quick replies"))
        edit.clicked.connect(self._edit_quick)
        self.quick_row.addWidget(edit)
        self._quick_buttons.append(edit)

    def send_quick(self, index: int) -> None:
        """A canned reply: to the reply target when one is set (R), else to everyone."""
        try:
            self.controller.send_quick_reply(index, reply_to_msg_id=self.reply_to_msg_id)
        except SellingError as err:
            self.show_error(tr_text(str(err)))
            return
        if self.reply_to_user and self.input.text().strip() == f"@{self.reply_to_user}":
            self.input.clear()
        self._after_send()

    def _edit_quick(self) -> None:
        QuickRepliesDialog(self.controller.quick_replies, self).exec()
        self._build_quick_buttons()

    # --- moderation ------------------------------------------------------------------------------------

    def _moderate(self, action: Any) -> None:
        entry = self.selected()
        if entry is None:
            self.show_error(tr("select a message first"))
            return
        try:
            action(entry)
        except SellingError as err:
            self.show_error(tr_text(str(err)))

    def pin_selected(self) -> None:
        self._moderate(lambda e: self.controller.pin(e.msg_id))

    def delete_selected(self) -> None:
        self._moderate(lambda e: self.controller.delete(e.msg_id))

    def timeout_selected(self) -> None:
        self._moderate(lambda e: self.controller.timeout_user(e.user))

    def ban_selected(self) -> None:
        """Ban the author of the selected message, after a question that names them and quotes the
        message (the one clicked, whatever the chat did meanwhile)."""
        entry = self.selected()
        if entry is None:
            self.show_error(tr("select a message first"))
            return
        quote = entry.text if len(entry.text) <= 80 else entry.text[:79] + "…"
        if not self.confirm(tr('Ban {user}?').format(user=entry.user),
                            tr('Ban {user} from your shows? They can no longer chat, bid or buy.\n\nTheir message: “{quote}”').format(user=entry.user, quote=quote)):
            self.status.setText(tr('Not banned: {user}').format(user=entry.user))
            return
        self._moderate(lambda _: self.controller.ban_user(entry.user))

    def _confirm_dialog(self, title: str, text: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=self)
        go = box.addButton(title.rstrip("?"), QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)  # Enter on a moving chat never bans anyone
        box.exec()
        return box.clickedButton() is go

    def _context_menu(self, pos: Any) -> None:
        if self.selected() is None:
            return
        menu = QMenu(self)
        menu.addAction(tr("Reply (R)"), self.reply_to_selected)
        menu.addAction(tr("Pin"), self.pin_selected)
        menu.addAction(tr("Delete"), self.delete_selected)
        menu.addAction(tr("Timeout 10 min"), self.timeout_selected)
        menu.addAction(tr("Ban…"), self.ban_selected)
        self.is_menu_open = True
        try:
            menu.exec(self.view.viewport().mapToGlobal(pos))
        finally:
            self.is_menu_open = False

    def _apply_filter_words(self) -> None:
        words = [w for w in self.filter_edit.text().replace(";", ",").split(",") if w.strip()]
        self.controller.set_filter_words(words)

    def show_error(self, text: str) -> None:
        self.last_error = text
        self.status.setText(text)
