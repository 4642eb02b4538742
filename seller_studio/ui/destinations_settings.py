"""Settings → More destinations: the show's other destinations, one per line in the command line's
``--dest`` form (``NAME=URL[,canvas=vertical][,preset=tiktok]``), and the stream key of each, which
goes to the keyring entry ``stream-key:NAME`` (never into the profile). docs/destinations.md.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from seller_studio.common.errors import UserError
from seller_studio.common.secrets import stream_key_name
from seller_studio.i18n import tr
from seller_studio.studio.destination import DEFAULT_NAME, parse_dest
from seller_studio.studio.settings import Profile, SettingsStore

EXAMPLE_LINE = "tiktok=rtmp://push.example/live,canvas=vertical,preset=tiktok"  # the same in every language


def dest_line(entry: dict[str, str]) -> str:
    """A profile entry as its ``--dest`` line."""
    options = [f"{k}={entry[k]}" for k in ("canvas", "preset", "protocol")
               if entry.get(k) and entry[k] not in ("landscape", "custom")]
    return ",".join([f"{entry['name']}={entry['url']}", *options])


def parse_lines(text: str) -> list[dict[str, str]]:
    """The editor's lines as profile entries; ValueError with one line naming the bad one."""
    entries: list[dict[str, str]] = []
    for line in (raw.strip() for raw in text.splitlines()):
        if not line or line.startswith("#"):
            continue
        try:
            spec = parse_dest(line)
        except UserError as exc:
            raise ValueError(str(exc)) from None
        if spec.name == DEFAULT_NAME or any(e["name"] == spec.name for e in entries):
            raise ValueError(f"destination '{spec.name}': the name is used twice (each destination needs its own)")
        entries.append({"name": spec.name, "url": spec.url, "canvas": spec.canvas, "preset": spec.preset,
                        "protocol": spec.protocol})
    return entries


class MoreDestinations(QWidget):
    def __init__(self, store: SettingsStore, profile: Profile, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        layout = QVBoxLayout(self)
        intro = QLabel(tr("Go live on more destinations at once, one per line: NAME=URL, then ,canvas=vertical "
                          "or ,preset=tiktok (youtube, facebook, twitch, platform, custom) if needed."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.lines = QPlainTextEdit("\n".join(dest_line(e) for e in profile.destinations))
        self.lines.setPlaceholderText(EXAMPLE_LINE)
        layout.addWidget(self.lines, 1)
        keys = QHBoxLayout()
        keys.addWidget(QLabel(tr("Stream key for")))
        self.key_for = QComboBox()
        self.key_for.setEditable(True)
        self.key_for.addItems([e["name"] for e in profile.destinations])
        keys.addWidget(self.key_for)
        self.key = QLineEdit()
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        keys.addWidget(self.key, 1)
        save = QPushButton(tr("Save key"))
        save.clicked.connect(self.save_key)
        keys.addWidget(save)
        layout.addLayout(keys)
        self.note = QLabel()
        self.note.setWordWrap(True)
        layout.addWidget(self.note)

    def save_key(self) -> None:
        name, key = self.key_for.currentText().strip(), self.key.text().strip()
        if not name or not key:
            self.note.setText(tr("Choose a destination and paste its stream key."))
            return
        saved = self.store.secrets.set(stream_key_name(name), key)
        self.key.clear()
        self.note.setText(tr("Saved in your system keyring.") if saved else self.store.memory_only_notice)

    def apply(self, profile: Profile) -> None:
        """Write the lines into ``profile``; ValueError with one line naming a bad destination."""
        profile.destinations = parse_lines(self.lines.toPlainText())
