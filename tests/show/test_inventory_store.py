from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from seller_studio.show import inventory
from seller_studio.show.inventory import DatabaseError, InventoryStore, Item


def test_store_uses_wal_and_full_sync(store: InventoryStore) -> None:
    conn = store._writer
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.schema_version() == inventory.SCHEMA_VERSION


def test_default_path_follows_seller_studio_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SELLER_STUDIO_HOME", str(tmp_path))
    with InventoryStore() as s:
        assert s.path == tmp_path / "data" / "inventory.db"
    assert (tmp_path / "data" / "inventory.db").exists()


def test_migration_hook_runs_new_steps_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "inv.db"
    InventoryStore(path).close()
    calls = []

    def add_notes(conn: sqlite3.Connection) -> None:
        calls.append(1)
        conn.execute("ALTER TABLE items ADD COLUMN notes TEXT NOT NULL DEFAULT ''")

    monkeypatch.setattr(inventory, "MIGRATIONS", [*inventory.MIGRATIONS, add_notes])
    monkeypatch.setattr(inventory, "SCHEMA_VERSION", len(inventory.MIGRATIONS))
    with InventoryStore(path) as s:
        assert s.schema_version() == 2
    with InventoryStore(path) as s:
        assert s.schema_version() == 2
    assert calls == [1]


def test_failed_migration_leaves_the_database_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "inv.db"
    with InventoryStore(path) as s:
        s.add_item(Item("Kept", sku="K"))

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM items")
        raise RuntimeError("bug in a migration")

    monkeypatch.setattr(inventory, "MIGRATIONS", [*inventory.MIGRATIONS, broken])
    monkeypatch.setattr(inventory, "SCHEMA_VERSION", 2)
    with pytest.raises(RuntimeError):
        InventoryStore(path)
    monkeypatch.undo()
    with InventoryStore(path) as s:
        assert s.schema_version() == 1 and s.count_items() == 1


def test_newer_or_foreign_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "inv.db"
    InventoryStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE schema_version SET version = 99")
    conn.commit()
    conn.close()
    with pytest.raises(DatabaseError, match="newer Seller Studio"):
        InventoryStore(path)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DatabaseError, match="not a Seller Studio inventory database"):
        InventoryStore(junk)


def test_record_sale_takes_stock_and_sets_status(store: InventoryStore) -> None:
    lot = store.add_item(Item("Hobby box", type="auction", price_cents=2500, quantity=2, sku="A"))
    bin_item = store.add_item(Item("Pack", type="buy_it_now", price_cents=999, quantity=1, sku="B"))
    assert lot.id and bin_item.id
    sale = store.record_sale(lot.id, buyer="ann", price_cents=3100, show_id="s", auction_id="a1")
    assert sale.is_new and sale.sku == "A" and sale.type == "auction"
    assert store.get_item(lot.id).quantity == 1  # type: ignore[union-attr]
    assert store.get_item(lot.id).status == "available"  # type: ignore[union-attr]
    store.record_sale(lot.id, buyer="bob", price_cents=2900, show_id="s", auction_id="a2")
    assert store.get_item(lot.id).status == "sold"  # type: ignore[union-attr]
    store.record_sale(bin_item.id, buyer="cat", price_cents=999, show_id="s", auction_id="o1")
    assert store.get_item(bin_item.id).status == "sold_out"  # type: ignore[union-attr]
    assert [s.buyer for s in store.list_sales("s")] == ["ann", "bob", "cat"]


def test_replayed_result_is_recorded_once(store: InventoryStore) -> None:
    item = store.add_item(Item("Slab", quantity=5))
    assert item.id
    first = store.record_sale(item.id, buyer="ann", price_cents=500, show_id="s", auction_id="a1")
    again = store.record_sale(item.id, buyer="ann", price_cents=500, show_id="s", auction_id="a1")
    assert first.is_new and not again.is_new and again.id == first.id
    assert store.get_item(item.id).quantity == 4  # type: ignore[union-attr]
    assert len(store.list_sales()) == 1


def test_sale_of_a_deleted_item_is_still_recorded(store: InventoryStore) -> None:
    item = store.add_item(Item("Gone", sku="G"))
    assert item.id
    store.delete_item(item.id)
    sale = store.record_sale(item.id, buyer="ann", price_cents=700, show_id="s", auction_id="a9")
    assert sale.item_id is None and sale.title == f"(deleted item {item.id})"
    assert [s.buyer for s in store.list_sales("s")] == ["ann"]


def test_readers_see_commits_while_a_writer_writes(store: InventoryStore) -> None:
    item = store.add_item(Item("Pack", type="buy_it_now", quantity=100_000))
    assert item.id
    stop = threading.Event()
    seen: list[list[int]] = [[], []]
    errors: list[BaseException] = []

    def reader(counts: list[int]) -> None:
        try:
            while not stop.is_set():
                counts.append(len(store.list_sales()))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=reader, args=(counts,)) for counts in seen]
    for t in threads:
        t.start()
    for n in range(100):
        store.record_sale(item.id, buyer=f"b{n}", price_cents=100)
    stop.set()
    for t in threads:
        t.join()
    assert not errors
    for counts in seen:  # each reader sees whole commits, in order
        assert counts and counts == sorted(counts)
    assert len(store.list_sales()) == 100


_WRITER = textwrap.dedent(
    """
    import sys
    from seller_studio.show.inventory import InventoryStore, Item
    store = InventoryStore(sys.argv[1])
    item = store.get_item_by_sku("ENDLESS") or store.add_item(
        Item("Endless pack", type="buy_it_now", price_cents=100, quantity=1_000_000, sku="ENDLESS"))
    print("ready", flush=True)
    n = 0
    while True:
        n += 1
        sale = store.record_sale(item.id, buyer=f"buyer{n}", price_cents=100, show_id="live",
                                 auction_id=f"{sys.argv[2]}-{n}")
        print(sale.id, flush=True)  # acknowledged only after COMMIT returned
    """
)


def _run_and_kill(db: Path, round_name: str, after_sales: int) -> list[int]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(db), round_name], stdout=subprocess.PIPE, text=True, bufsize=1
    )
    acknowledged: list[int] = []
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 20
        while len(acknowledged) < after_sales and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            acknowledged.append(int(line))
        os.kill(proc.pid, signal.SIGKILL)
        # Sales printed after our last read were also acknowledged: collect them too.
        acknowledged.extend(int(line) for line in proc.stdout.read().split())
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return acknowledged


def test_kill_9_mid_show_loses_no_recorded_sale(tmp_path: Path) -> None:
    db = tmp_path / "inv.db"
    acknowledged: list[int] = []
    # Three studio runs killed mid-show; each restart recovers the WAL and carries on.
    for round_number, after_sales in enumerate((150, 37, 90)):
        got = _run_and_kill(db, f"run{round_number}", after_sales)
        assert len(got) >= after_sales
        acknowledged.extend(got)
    with InventoryStore(db) as store:
        assert store._reader().execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        recorded = store.sale_ids()
        assert set(acknowledged) <= recorded
        item = store.get_item_by_sku("ENDLESS")
        assert item is not None
        # Stock and sales moved together: every recorded sale took exactly one unit.
        assert item.quantity == 1_000_000 - len(recorded)


def test_update_item_validates(store: InventoryStore) -> None:
    a = store.add_item(Item("A", sku="A"))
    b = store.add_item(Item("B", sku="B"))
    assert a.id and b.id
    assert store.update_item(a.id, price_cents=250, images=["x.jpg"]).price_cents == 250
    assert store.get_item(a.id).images == ["x.jpg"]  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="already has SKU"):
        store.update_item(b.id, sku="A")
    with pytest.raises(ValueError):
        store.update_item(b.id, type="raffle")
    with pytest.raises(ValueError):
        store.update_item(b.id, id=5)
