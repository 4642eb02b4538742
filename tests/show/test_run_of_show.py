from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seller_studio.show.csv_import import import_csv
from seller_studio.show.inventory import InventoryStore
from seller_studio.show.run_of_show import RunOfShow


@pytest.fixture
def queue(store: InventoryStore, sample_csv: Path) -> RunOfShow:
    import_csv(store, sample_csv)
    ros = RunOfShow(store, "tonight")
    ros.build_from_inventory()
    return ros


def titles(ros: RunOfShow) -> list[str]:
    return [item.sku or "" for item in ros.items()]


def test_build_reorder_and_persist(store: InventoryStore, queue: RunOfShow) -> None:
    events: list[tuple[str, dict[str, Any]]] = []
    queue.events.subscribe(lambda name, payload: events.append((name, payload)))
    assert titles(queue) == ["PKM-0001", "PKM-0002", "SPT-0101", "SPT-0202", "PKM-0003", "TOY-0007"]
    queue.show(1)  # PKM-0002 on
    queue.move(5, 0)  # drag the He-Man to the top
    assert titles(queue)[0] == "TOY-0007"
    assert queue.now_index == 2 and queue.now_item().sku == "PKM-0002"  # type: ignore[union-attr]
    assert [name for name, _ in events] == ["now_showing_changed", "queue_changed"]
    assert events[0][1]["item_id"] == queue.now_item_id
    # A restart (or a crash) resumes the same queue and position.
    again = RunOfShow(store, "tonight")
    assert again.item_ids == queue.item_ids and again.now_index == 2
    assert RunOfShow(store, "another show").item_ids == []


def test_next_previous_skip_sold_and_mark_showing(store: InventoryStore, queue: RunOfShow) -> None:
    first = queue.next()
    assert first is not None and first.sku == "PKM-0001" and first.status == "showing"
    ids = queue.item_ids
    store.record_sale(ids[1], buyer="a", price_cents=999, quantity=24)  # PKM-0002 sold out
    second = queue.next()
    assert second is not None and second.sku == "SPT-0101"
    assert store.get_item(ids[0]).status == "available"  # type: ignore[union-attr]
    back = queue.previous()  # previous does not skip: the seller may want to show it again
    assert back is not None and back.sku == "PKM-0002" and back.status == "sold_out"
    queue.show(len(queue) - 1)
    assert queue.next().sku == "TOY-0007"  # type: ignore[union-attr]  # stays at the end


def test_search_filter_add_remove(queue: RunOfShow) -> None:
    assert queue.search("charizard") == [0]
    assert queue.search("pkm-000") == [0, 1, 4]
    assert queue.filter_category("sports cards") == [2, 3]
    assert queue.filter_category("Pokémon Cards") == [0, 1, 4]  # sub category too
    assert queue.categories() == ["Sports Cards", "Trading Card Games", "Vintage Toys"]
    removed = queue.item_ids[0]
    queue.show(0)
    queue.remove(removed)
    assert queue.now_index is None and len(queue) == 5
    queue.add(removed, position=2)
    assert queue.item_ids[2] == removed
    with pytest.raises(IndexError):
        queue.move(10, 0)


def test_guard_keeps_the_item_on_while_an_auction_runs(store: InventoryStore, queue: RunOfShow) -> None:
    from seller_studio.show.selling import SellingError, SellingSession

    selling = SellingSession(store, "tonight")
    guarded = RunOfShow(store, "tonight", guard=selling.check_can_change_item)
    first = guarded.next()
    assert first is not None and first.id is not None
    selling.set_item(first.id)
    selling.on_auction_started("a-1", item_id=first.id, ends_at=selling.clock.server_now() + 30,
                               starting_bid_cents=100)
    with pytest.raises(SellingError):
        guarded.next()
    assert guarded.now_item_id == first.id
    selling.on_auction_ended("a-1", winner="ash", price_cents=100)
    assert guarded.next() is not None and guarded.now_index == 1
