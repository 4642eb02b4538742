"""The show's chat as a bounded ring (no Qt): the newest 10,000 messages, flagged for the seller.

Messages are addressed by an absolute index that never changes (``base`` + position in the ring),
so a list view can follow the ring in batches: rows fall off the front as new ones come in at the
back. Flags are computed once on arrival (buyer, question, filtered) so painting is cheap.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

CHAT_CAPACITY = 10_000
_QUESTION_START = re.compile(
    r"^\s*(how|what|when|where|which|who|why|is|are|do|does|did|can|could|will|would|any)\b", re.IGNORECASE)


@dataclass
class ChatEntry:
    msg_id: str
    user: str
    text: str
    ts: float  # server epoch seconds
    badges: tuple[str, ...] = ()
    reply_to: str | None = None
    is_buyer: bool = False
    is_question: bool = False
    is_filtered: bool = False  # contains one of the seller's filter words: shown collapsed
    is_deleted: bool = False
    is_pinned: bool = False
    is_host: bool = False
    index: int = field(default=-1, compare=False)  # absolute index in the log


def is_question(text: str) -> bool:
    return "?" in text or bool(_QUESTION_START.match(text))


class ChatLog:
    """Use from one thread (the asyncio loop, which is the GUI thread under qasync)."""

    def __init__(self, capacity: int = CHAT_CAPACITY) -> None:
        self.capacity = capacity
        self._entries: deque[ChatEntry] = deque(maxlen=capacity)
        self._by_id: dict[str, ChatEntry] = {}
        self.base = 0  # absolute index of the oldest kept message
        self.total = 0  # messages ever appended
        self.buyers: set[str] = set()
        self._filter_words: tuple[str, ...] = ()
        self._filter_re: re.Pattern[str] | None = None
        self.pinned_msg_id: str | None = None

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def end(self) -> int:
        """Absolute index one past the newest message."""
        return self.base + len(self._entries)

    def at(self, index: int) -> ChatEntry | None:
        """The message at absolute ``index`` (None if it fell out of the ring)."""
        pos = index - self.base
        if 0 <= pos < len(self._entries):
            return self._entries[pos]
        return None

    def get(self, msg_id: str) -> ChatEntry | None:
        return self._by_id.get(msg_id)

    def entries(self) -> list[ChatEntry]:
        return list(self._entries)

    # --- flags -----------------------------------------------------------------------------------------

    @property
    def filter_words(self) -> tuple[str, ...]:
        return self._filter_words

    def set_filter_words(self, words: Iterable[str]) -> None:
        """Words (any case, whole words) whose messages are collapsed; re-flags the kept ones."""
        cleaned = tuple(dict.fromkeys(w.strip().casefold() for w in words if w.strip()))
        self._filter_words = cleaned
        self._filter_re = (re.compile(r"\b(" + "|".join(re.escape(w) for w in cleaned) + r")\b", re.IGNORECASE)
                           if cleaned else None)
        for entry in self._entries:
            entry.is_filtered = self._is_filtered(entry.text)

    def _is_filtered(self, text: str) -> bool:
        return self._filter_re is not None and self._filter_re.search(text) is not None

    def add_buyer(self, user: str) -> None:
        """A user who bought tonight: their later messages are highlighted (earlier ones too)."""
        if user in self.buyers:
            return
        self.buyers.add(user)
        for entry in self._entries:
            if entry.user == user:
                entry.is_buyer = True

    # --- changes ---------------------------------------------------------------------------------------

    def append(self, msg_id: str, user: str, text: str, ts: float, badges: Iterable[str] = (),
               reply_to: str | None = None) -> ChatEntry | None:
        """Add a message; a replayed msg_id is ignored (returns None)."""
        if msg_id in self._by_id:
            return None
        badge_tuple = tuple(str(b) for b in badges)
        is_host = "host" in badge_tuple
        entry = ChatEntry(
            msg_id=msg_id, user=user, text=text, ts=ts, badges=badge_tuple, reply_to=reply_to,
            is_buyer="buyer" in badge_tuple or user in self.buyers,
            is_question=not is_host and is_question(text),
            is_filtered=not is_host and self._is_filtered(text),
            is_host=is_host, index=self.end,
        )
        if len(self._entries) == self.capacity:
            dropped = self._entries.popleft()
            self._by_id.pop(dropped.msg_id, None)
            self.base += 1
        self._entries.append(entry)
        self._by_id[msg_id] = entry
        self.total += 1
        return entry

    def mark_deleted(self, msg_id: str) -> ChatEntry | None:
        entry = self._by_id.get(msg_id)
        if entry is not None:
            entry.is_deleted = True
        return entry

    def mark_pinned(self, msg_id: str) -> ChatEntry | None:
        previous = self._by_id.get(self.pinned_msg_id) if self.pinned_msg_id else None
        if previous is not None:
            previous.is_pinned = False
        self.pinned_msg_id = msg_id
        entry = self._by_id.get(msg_id)
        if entry is not None:
            entry.is_pinned = True
        return entry
