"""Tonight's queue: which items the seller will show, in what order, and which one is on now.

A pure model (no Qt): the side panel wraps it and listens to ``events``. Every change is saved to
the inventory database at once, so a crash or a restart resumes the same queue and position.

Events (``name``, payload):
- ``queue_changed``  {"item_ids": [...]}  after add / remove / move / rebuild
- ``now_showing_changed``  {"index": int | None, "item_id": int | None, "previous_item_id": ...}
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from seller_studio.common.events import EventEmitter
from seller_studio.show.inventory import InventoryStore, Item

SELLABLE = ("available", "showing", "unsold")


class RunOfShow:
    """Use from one thread (the UI's); the store underneath is thread-safe.

    ``guard`` (optional) is called before the now-showing item changes and may raise to refuse,
    e.g. ``SellingSession.check_can_change_item`` while an auction runs."""

    def __init__(
        self, store: InventoryStore, show_id: str, guard: Callable[[], None] | None = None
    ) -> None:
        self.store = store
        self.show_id = show_id
        self.guard = guard
        self.events = EventEmitter()
        ids, now_id = store.load_queue(show_id)
        self._item_ids: list[int] = ids
        self._now_item_id: int | None = now_id if now_id in ids else None

    # --- reading -------------------------------------------------------------------------------------

    @property
    def item_ids(self) -> list[int]:
        return list(self._item_ids)

    def __len__(self) -> int:
        return len(self._item_ids)

    def items(self) -> list[Item]:
        """The queue's items, fresh from the store (status and quantity change during a show)."""
        by_id = {item.id: item for item in self.store.list_items()}
        return [by_id[i] for i in self._item_ids if i in by_id]

    @property
    def now_index(self) -> int | None:
        if self._now_item_id is None:
            return None
        return self._item_ids.index(self._now_item_id)

    @property
    def now_item_id(self) -> int | None:
        return self._now_item_id

    def now_item(self) -> Item | None:
        return self.store.get_item(self._now_item_id) if self._now_item_id is not None else None

    def search(self, text: str) -> list[int]:
        """Queue indices whose title, SKU, category or description contain ``text`` (any case)."""
        needle = text.casefold().strip()
        if not needle:
            return list(range(len(self._item_ids)))
        hits = []
        for index, item in enumerate(self.items()):
            haystack = " ".join(
                (item.title, item.sku or "", item.category, item.sub_category, item.description)
            ).casefold()
            if needle in haystack:
                hits.append(index)
        return hits

    def filter_category(self, category: str | None) -> list[int]:
        """Queue indices in ``category`` (any case); None means all."""
        if category is None:
            return list(range(len(self._item_ids)))
        wanted = category.casefold()
        return [
            index for index, item in enumerate(self.items())
            if wanted in (item.category.casefold(), item.sub_category.casefold())
        ]

    def categories(self) -> list[str]:
        return sorted({item.category for item in self.items() if item.category}, key=str.casefold)

    # --- editing -------------------------------------------------------------------------------------

    def build_from_inventory(self, *, category: str | None = None, statuses: Iterable[str] = SELLABLE) -> None:
        """Replace the queue with every sellable item (optionally one category), in inventory order."""
        items = self.store.list_items(category=category, status=tuple(statuses))
        self._item_ids = [item.id for item in items if item.id is not None]
        if self._now_item_id not in self._item_ids:
            self._set_now(None, emit=True)
        self._save_and_emit()

    def add(self, item_id: int, position: int | None = None) -> None:
        if item_id in self._item_ids:
            return
        if self.store.get_item(item_id) is None:
            raise KeyError(f"no item {item_id}")
        if position is None:
            self._item_ids.append(item_id)
        else:
            self._item_ids.insert(max(0, min(position, len(self._item_ids))), item_id)
        self._save_and_emit()

    def remove(self, item_id: int) -> None:
        if item_id not in self._item_ids:
            return
        if item_id == self._now_item_id:
            self._set_now(None, emit=True)
        self._item_ids.remove(item_id)
        self._save_and_emit()

    def move(self, from_index: int, to_index: int) -> None:
        """Drag and drop: the item at ``from_index`` ends up at ``to_index``. The now-showing item
        stays the same item (its index follows it)."""
        n = len(self._item_ids)
        if not (0 <= from_index < n):
            raise IndexError(from_index)
        to_index = max(0, min(to_index, n - 1))
        if from_index == to_index:
            return
        item_id = self._item_ids.pop(from_index)
        self._item_ids.insert(to_index, item_id)
        self._save_and_emit()

    # --- now showing ---------------------------------------------------------------------------------

    def show(self, index: int | None) -> Item | None:
        """Make the item at ``index`` "now showing" (None: nothing on)."""
        if index is None:
            self._set_now(None, emit=True)
            self._save()
            return None
        if not (0 <= index < len(self._item_ids)):
            raise IndexError(index)
        self._set_now(self._item_ids[index], emit=True)
        self._save()
        return self.now_item()

    def next(self, *, skip_sold: bool = True) -> Item | None:
        """Show the next item (skipping sold ones by default). Stays put at the end."""
        return self._step(+1, skip_sold)

    def previous(self, *, skip_sold: bool = False) -> Item | None:
        return self._step(-1, skip_sold)

    def _step(self, direction: int, skip_sold: bool) -> Item | None:
        if not self._item_ids:
            return None
        current = self.now_index
        index = (-1 if direction > 0 else len(self._item_ids)) if current is None else current
        by_id = {item.id: item for item in self.items()} if skip_sold else {}
        while True:
            index += direction
            if not (0 <= index < len(self._item_ids)):
                return self.now_item()
            if not skip_sold:
                break
            item = by_id.get(self._item_ids[index])
            if item is not None and item.status in SELLABLE:
                break
        return self.show(index)

    def _set_now(self, item_id: int | None, emit: bool) -> None:
        previous = self._now_item_id
        if previous == item_id:
            return
        if self.guard is not None:
            self.guard()
        self._now_item_id = item_id
        self.store.mark_showing(item_id)
        if emit:
            self.events.emit(
                "now_showing_changed",
                index=self.now_index,
                item_id=item_id,
                previous_item_id=previous,
            )

    def _save(self) -> None:
        self.store.save_queue(self.show_id, self._item_ids, self._now_item_id)

    def _save_and_emit(self) -> None:
        self._save()
        self.events.emit("queue_changed", item_ids=list(self._item_ids))
