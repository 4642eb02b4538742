"""Issue 15 "Files": a damaged, read-only or full inventory database never breaks the studio or loses a sale.

Real files throughout: a page of a real SQLite file overwritten with noise, a read-only bind mount
and a 256 KiB tmpfs (both in a private mount namespace, `unshare -m`), the real CLI in a subprocess.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from seller_studio.common.errors import ExitCode
from seller_studio.show.inventory import (
    DamagedDatabaseError,
    InventoryStore,
    Item,
    backup_path,
    quick_check,
    recover,
)

pytestmark = pytest.mark.timeout(120)
ROOT = Path(__file__).resolve().parents[2]
needs_unshare = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None,
                                   reason="mount namespaces need root and unshare (CI has both)")


def cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SELLER_STUDIO_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "seller_studio.cli.main", "inventory", *args],
                          capture_output=True, text=True, env=env, timeout=60, check=False)


def make_inventory(db: Path, items: int = 400, sales: int = 40) -> None:
    with InventoryStore(db) as store:
        for i in range(items):
            store.add_item(Item(f"Item {i}", sku=f"S{i}", description="x" * 300, price_cents=100 + i))
        for i in range(sales):
            store.record_sale(i + 1, buyer=f"b{i}", price_cents=500 + i, sale_type="auction", show_id="fri",
                              auction_id=f"a{i}")


def damage(db: Path, page: int = 20) -> None:
    with db.open("r+b") as f:
        f.seek(4096 * page)
        f.write(os.urandom(4096))
    with sqlite3.connect(db) as conn:
        assert quick_check(conn) is not None


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_damaged_database_is_never_written_and_says_so_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "inv.db"
    make_inventory(db)
    damage(db)
    before = digest(db)
    csv = tmp_path / "new.csv"
    csv.write_text("Title,Type,Price,Quantity\nNew thing,Auction,5,1\n")
    for args in (["list"], ["import", str(csv)], ["export-sales", str(tmp_path / "out.csv")]):
        result = cli(*args, "--db", str(db), home=tmp_path)
        assert result.returncode == ExitCode.BAD_INPUT_FILE, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "damaged" in lines[0] and "inventory recover" in lines[0], result.stderr
        assert "Traceback" not in result.stderr
    assert digest(db) == before  # not one byte written
    assert not (tmp_path / "out.csv").exists()
    with pytest.raises(DamagedDatabaseError):
        InventoryStore(db)
    assert digest(db) == before


def test_recover_keeps_the_damaged_copy_and_every_readable_sale(tmp_path: Path) -> None:
    db = tmp_path / "inv.db"
    make_inventory(db, sales=30)
    InventoryStore(db).close()  # a clean open of an existing file writes the last good backup
    assert backup_path(db).is_file()
    with InventoryStore(db) as store:  # sales after the backup (the backup is at most hourly)
        for i in range(30, 40):
            store.record_sale(i + 1, buyer=f"late{i}", price_cents=900, sale_type="auction", show_id="fri",
                              auction_id=f"a{i}")
    damage(db)
    damaged_bytes = digest(db)
    result = cli("recover", "--db", str(db), home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "rebuilt from the backup" in result.stdout
    kept = list(tmp_path.glob("inv.damaged-*.db"))
    assert len(kept) == 1 and digest(kept[0]) == damaged_bytes
    with InventoryStore(db) as store:
        sales = store.list_sales()
        assert len(sales) == 40  # 30 from the backup, the 10 later ones read back from the damaged file
        assert {s.buyer for s in sales} >= {f"late{i}" for i in range(30, 40)}
        assert len(store.list_items()) == 400
    assert cli("list", "--db", str(db), home=tmp_path).returncode == 0


def test_recover_without_a_backup_salvages_what_reads(tmp_path: Path) -> None:
    db = tmp_path / "inv.db"
    make_inventory(db)  # a brand-new file: no backup yet
    damage(db)
    report = recover(db)
    assert report.backup_used is None and report.sales == 40 and 300 < report.items < 400
    with sqlite3.connect(db) as conn:
        assert quick_check(conn) is None


@needs_unshare
def test_list_and_export_sales_work_on_a_read_only_disk(tmp_path: Path) -> None:
    data = tmp_path / "ro"
    data.mkdir()
    db = data / "inv.db"
    make_inventory(db, items=5, sales=3)
    out = tmp_path / "sales.csv"
    script = (f"mount --bind {data} {data} && mount -o remount,ro,bind {data} && "
              f"{sys.executable} -m seller_studio.cli.main inventory list --db {db} && "
              f"{sys.executable} -m seller_studio.cli.main inventory export-sales {out} --db {db} && "
              f"! touch {data}/proof-it-is-read-only")
    env = {**os.environ, "SELLER_STUDIO_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    result = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, env=env,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Item 4" in result.stdout and "wrote 3 sales" in result.stdout
    assert len(out.read_text().splitlines()) == 4


@needs_unshare
def test_a_full_disk_mid_import_is_one_line_and_imports_nothing(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    csv = tmp_path / "big.csv"
    rows = "".join(f"Item {i} {'y' * 400},Auction,5,1,SKU-{i}\n" for i in range(3000))
    csv.write_text("Title,Type,Price,Quantity,SKU\n" + rows)
    script = (f"mount -t tmpfs -o size=256k tmpfs {disk} && "
              f"{sys.executable} -m seller_studio.cli.main inventory import {csv} --db {disk}/inv.db; "
              f"echo rc=$?; {sys.executable} -m seller_studio.cli.main inventory list --json --db {disk}/inv.db")
    env = {**os.environ, "SELLER_STUDIO_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    result = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, env=env,
                            timeout=60, check=False)
    assert f"rc={int(ExitCode.UNWRITABLE_PATH)}" in result.stdout, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and "full" in errors[0] and "Traceback" not in result.stderr, result.stderr
    assert result.stdout.rstrip().endswith("[]")  # the import was one transaction: nothing half-imported


@needs_unshare
def test_a_read_only_disk_with_unfolded_changes_says_so(tmp_path: Path) -> None:
    """After a crash the WAL can still hold the newest changes; a read-only disk cannot fold them in."""
    data = tmp_path / "ro"
    data.mkdir()
    live = tmp_path / "live.db"
    make_inventory(live, items=3, sales=1)
    store = InventoryStore(live)  # still open, as if the studio had crashed: its WAL holds this item
    store.add_item(Item("Added just before the crash", sku="LATE"))
    for suffix in ("", "-wal"):
        shutil.copyfile(str(live) + suffix, str(data / "inv.db") + suffix)
    store.close()
    script = (f"mount --bind {data} {data} && mount -o remount,ro,bind {data} && "
              f"{sys.executable} -m seller_studio.cli.main inventory list --db {data}/inv.db")
    env = {**os.environ, "SELLER_STUDIO_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    result = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, env=env,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "Item 2" in result.stdout
    notes = result.stderr.strip().splitlines()
    assert len(notes) == 1 and notes[0].startswith("note:") and "read-only" in notes[0], result.stderr
