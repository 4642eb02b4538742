"""The seller's inventory and sales record: one SQLite file (stdlib sqlite3, WAL).

Threading: one writer at a time (a lock around a single write connection) and any number of
readers, each thread with its own read connection; WAL lets them read while a sale commits.
Durability: ``synchronous=FULL`` so a committed sale survives a crash or a power cut, not just a
killed process. Money is integer cents everywhere.

Damage: every open runs ``PRAGMA quick_check`` before anything is written. A damaged file raises
``DamagedDatabaseError`` (one sentence naming the way out) and is never written to; ``recover()`` sets
it aside and rebuilds the inventory from the last good backup (``NAME.last-good.db``, refreshed at most
hourly by clean writable opens) plus every sale still readable from the damaged file. ``read_only=True``
opens for reading only (``inventory list``, ``export-sales``), which also works on a read-only disk.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from seller_studio.common.errors import ExitCode, UnwritablePathError, UserError
from seller_studio.common.paths import data_dir
from seller_studio.i18n import tr_noop

log = logging.getLogger(__name__)

DB_FILENAME = "inventory.db"

ITEM_TYPES = ("auction", "buy_it_now", "giveaway")
ITEM_STATUSES = ("available", "showing", "sold", "sold_out", "unsold")
TYPE_LABELS = {"auction": tr_noop("Auction"), "buy_it_now": tr_noop("Buy It Now"), "giveaway": tr_noop("Giveaway")}


def default_db_path() -> Path:
    return data_dir() / DB_FILENAME


@dataclass
class Item:
    title: str
    type: str = "auction"
    price_cents: int = 0  # starting bid for auctions
    quantity: int = 1
    sku: str | None = None
    description: str = ""
    category: str = ""
    sub_category: str = ""
    condition: str = ""
    shipping_profile: str = ""
    images: list[str] = field(default_factory=list)  # local paths or URLs
    status: str = "available"
    id: int | None = None
    import_key: str | None = None  # what makes a re-import a duplicate (see csv_import)
    created_at: float = 0.0
    updated_at: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "sku": self.sku,
            "title": self.title,
            "description": self.description,
            "category": self.category,
            "sub_category": self.sub_category,
            "condition": self.condition,
            "type": self.type,
            "price_cents": self.price_cents,
            "quantity": self.quantity,
            "shipping_profile": self.shipping_profile,
            "images": list(self.images),
            "status": self.status,
        }


@dataclass(frozen=True)
class Sale:
    id: int
    item_id: int | None
    sku: str | None
    title: str
    buyer: str
    price_cents: int
    sold_at: float  # unix epoch seconds (server time when known)
    type: str
    show_id: str | None
    auction_id: str | None
    quantity: int = 1
    is_new: bool = True  # False when this result was already recorded (a replayed event)
    currency: str = "USD"  # ISO 4217 of price_cents: its show's currency (settings "currency:SHOW_ID")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "item_id": self.item_id,
            "sku": self.sku,
            "title": self.title,
            "buyer": self.buyer,
            "price_cents": self.price_cents,
            "sold_at": self.sold_at,
            "type": self.type,
            "show_id": self.show_id,
            "auction_id": self.auction_id,
            "quantity": self.quantity,
            "currency": self.currency,
        }


# --- schema and migrations -------------------------------------------------------------------------

_SCHEMA_V1 = """
CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    sku TEXT UNIQUE,
    import_key TEXT UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL DEFAULT '',
    sub_category TEXT NOT NULL DEFAULT '',
    condition TEXT NOT NULL DEFAULT '',
    type TEXT NOT NULL CHECK (type IN ('auction', 'buy_it_now', 'giveaway')),
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    quantity INTEGER NOT NULL CHECK (quantity >= 0),
    shipping_profile TEXT NOT NULL DEFAULT '',
    images TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL DEFAULT 'available'
        CHECK (status IN ('available', 'showing', 'sold', 'sold_out', 'unsold')),
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX items_category ON items (category);

-- Sales copy sku/title so the record stays readable if the item is later deleted.
CREATE TABLE sales (
    id INTEGER PRIMARY KEY,
    item_id INTEGER REFERENCES items (id) ON DELETE SET NULL,
    sku TEXT,
    title TEXT NOT NULL,
    buyer TEXT NOT NULL,
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    quantity INTEGER NOT NULL DEFAULT 1 CHECK (quantity >= 1),
    sold_at REAL NOT NULL,
    type TEXT NOT NULL,
    show_id TEXT,
    auction_id TEXT,
    recorded_at REAL NOT NULL
);
-- A result replayed after a reconnect must not become a second sale.
CREATE UNIQUE INDEX sales_once ON sales (show_id, auction_id) WHERE auction_id IS NOT NULL;
CREATE INDEX sales_show ON sales (show_id);

CREATE TABLE run_of_show (
    show_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    PRIMARY KEY (show_id, item_id)
);
CREATE TABLE show_state (
    show_id TEXT PRIMARY KEY,
    now_showing_item_id INTEGER,
    updated_at REAL NOT NULL
);

CREATE TABLE quick_replies (
    id INTEGER PRIMARY KEY,
    position INTEGER NOT NULL,
    label TEXT NOT NULL,
    text TEXT NOT NULL
);

CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run statements one by one: executescript() would COMMIT first and break the migration's
    all-or-nothing transaction."""
    statement = ""
    for line in script.splitlines(keepends=True):
        if line.lstrip().startswith("--"):
            continue
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError("incomplete SQL statement in migration")


def _migrate_to_v1(conn: sqlite3.Connection) -> None:
    _run_script(conn, _SCHEMA_V1)


# MIGRATIONS[n] takes a database at version n to version n + 1. Append; never edit a shipped step.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_migrate_to_v1]
SCHEMA_VERSION = len(MIGRATIONS)


class DatabaseError(UserError):
    exit_code = ExitCode.BAD_INPUT_FILE


class DamagedDatabaseError(DatabaseError):
    """The database failed SQLite's quick_check. Nothing was written to it."""

    def __init__(self, path: Path, detail: str):
        super().__init__(tr_noop(
            "the inventory database {path} is damaged ({detail}); nothing was written to it - run "
            "`seller-studio inventory recover --db {path}` to set it aside and rebuild it from the last good "
            "backup and the sales it still holds").format(path=path, detail=detail[:80]))
        self.path = path
        self.detail = detail


class DiskFullError(UserError):
    exit_code = ExitCode.UNWRITABLE_PATH


BACKUP_SUFFIX = ".last-good.db"
BACKUP_EVERY_S = 3600.0  # a clean writable open refreshes the backup when it is older than this


def backup_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.stem + BACKUP_SUFFIX)


def is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return exc.errno == errno.ENOSPC
    return isinstance(exc, sqlite3.Error) and (
        getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or "database or disk is full" in str(exc))


def quick_check(conn: sqlite3.Connection) -> str | None:
    """None if SQLite's quick_check passes, else its first complaint."""
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    problems = [str(r[0]) for r in rows if r and r[0] != "ok"]
    return "; ".join(problems[:2]) if problems else None


_ITEM_COLUMNS = (
    "id, sku, import_key, title, description, category, sub_category, condition, type, "
    "price_cents, quantity, shipping_profile, images, status, created_at, updated_at"
)
# A sale's currency is its show's: the settings row "currency:SHOW_ID" (written with each of its
# sale; no row, as for every sale before currencies existed: dollars). No schema change needed.
_SALE_COLUMNS = (
    "id, item_id, sku, title, buyer, price_cents, sold_at, type, show_id, auction_id, quantity, "
    "COALESCE((SELECT value FROM settings WHERE key = 'currency:' || sales.show_id), 'USD')"
)


def _row_to_item(row: Sequence[Any]) -> Item:
    return Item(
        id=row[0],
        sku=row[1],
        import_key=row[2],
        title=row[3],
        description=row[4],
        category=row[5],
        sub_category=row[6],
        condition=row[7],
        type=row[8],
        price_cents=row[9],
        quantity=row[10],
        shipping_profile=row[11],
        images=json.loads(row[12]),
        status=row[13],
        created_at=row[14],
        updated_at=row[15],
    )


def _row_to_sale(row: Sequence[Any], is_new: bool = True) -> Sale:
    return Sale(
        id=row[0],
        item_id=row[1],
        sku=row[2],
        title=row[3],
        buyer=row[4],
        price_cents=row[5],
        sold_at=row[6],
        type=row[7],
        show_id=row[8],
        auction_id=row[9],
        quantity=row[10],
        is_new=is_new,
        currency=row[11],
    )


def _validate_item(item: Item) -> None:
    if not item.title.strip():
        raise ValueError(tr_noop("an item needs a title"))
    if item.type not in ITEM_TYPES:
        raise ValueError(tr_noop("unknown item type {value}").format(value=repr(item.type)))
    if item.status not in ITEM_STATUSES:
        raise ValueError(tr_noop("unknown item status {value}").format(value=repr(item.status)))
    if item.price_cents < 0 or item.quantity < 0:
        raise ValueError(tr_noop("price and quantity cannot be negative"))


class InventoryStore:
    """Items, sales, run-of-show queues and quick replies in one SQLite file."""

    def __init__(self, path: Path | str | None = None, *, busy_timeout_s: float = 10.0,
                 read_only: bool = False) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        self._busy_timeout_s = busy_timeout_s
        self.is_read_only = read_only
        self.notice: str | None = None  # one line worth telling the user (read-only snapshot)
        self._ro_uri: str | None = None
        self._write_lock = threading.RLock()
        self._local = threading.local()
        self._all_conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        if read_only:
            if self.path.is_dir():
                raise UnwritablePathError(tr_noop('cannot open {path}: it is a folder, not a database file').format(path=self.path))
            if not self.path.is_file():
                raise DatabaseError(tr_noop('there is no inventory database at {path}').format(path=self.path))
            self._writer = None
            self._local.conn = self._connect_read_only()
            self._check_schema_read_only()
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UnwritablePathError(tr_noop('cannot create {parent}: {strerror}').format(parent=self.path.parent, strerror=exc.strerror)) from None
        existed = self.path.is_file() and self.path.stat().st_size > 0
        self._writer = self._connect(check=existed)
        try:
            self._migrate()
        except sqlite3.Error as exc:
            if is_disk_full(exc):
                raise DiskFullError(tr_noop('the disk holding {path} is full; free some space and try again').format(path=self.path)) from None
            raise
        if existed:
            self._refresh_backup()

    # --- connections -------------------------------------------------------------------------------

    def _connect(self, *, check: bool = False) -> sqlite3.Connection:
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves so a sale is one explicit unit.
            conn = sqlite3.connect(
                self.path, timeout=self._busy_timeout_s, isolation_level=None, check_same_thread=False
            )
            if check:
                # Before any pragma or migration writes: a damaged file must never be written to.
                problem = quick_check(conn)
                if problem is not None:
                    conn.close()
                    if "not a database" in problem or "file is encrypted" in problem:
                        raise DatabaseError(tr_noop('{path} is not a Seller Studio inventory database ({problem})').format(path=self.path, problem=problem))
                    raise DamagedDatabaseError(self.path, problem)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")  # a committed sale survives a power cut
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.OperationalError as exc:  # a folder, no permission, disk full
            if is_disk_full(exc):
                raise DiskFullError(tr_noop('the disk holding {path} is full; free some space and try again').format(path=self.path)) from None
            raise UnwritablePathError(tr_noop('cannot open {path}: {exc}').format(path=self.path, exc=exc)) from None
        except sqlite3.DatabaseError as exc:
            raise DatabaseError(
                tr_noop('{path} is not a Seller Studio inventory database ({exc})').format(path=self.path, exc=exc)
            ) from None
        with self._conns_lock:
            self._all_conns.append(conn)
        return conn

    def _connect_read_only(self) -> sqlite3.Connection:
        """A reader that never writes, not even the WAL index: on a read-only disk SQLite cannot create
        the -shm file, so it falls back to reading the file as immutable."""
        base = self.path.resolve().as_uri()
        for uri in ([self._ro_uri] if self._ro_uri else [f"{base}?mode=ro", f"{base}?mode=ro&immutable=1"]):
            try:
                conn = sqlite3.connect(uri, uri=True, timeout=self._busy_timeout_s, isolation_level=None,
                                       check_same_thread=False)
                problem = quick_check(conn) if self._ro_uri is None else None
            except sqlite3.OperationalError:
                continue
            if problem is not None and "unable to open" in problem:
                conn.close()
                continue
            if problem is not None:
                conn.close()
                if "not a database" in problem or "file is encrypted" in problem:
                    raise DatabaseError(tr_noop('{path} is not a Seller Studio inventory database ({problem})').format(path=self.path, problem=problem))
                raise DamagedDatabaseError(self.path, problem)
            self._ro_uri = uri
            wal = Path(str(self.path) + "-wal")
            if "immutable=1" in uri and wal.is_file() and wal.stat().st_size > 0:
                # Read as a snapshot of the main file: changes still in the WAL are not visible.
                self.notice = tr_noop("the disk is read-only and {wal} holds changes not yet folded into "
                                      "{db}: the newest of them are not shown").format(wal=wal.name, db=self.path.name)
                log.debug("%s", self.notice)
            with self._conns_lock:
                self._all_conns.append(conn)
            return conn
        raise UnwritablePathError(tr_noop('cannot read {path}').format(path=self.path))

    def _check_schema_read_only(self) -> None:
        try:
            version = self.schema_version()
        except sqlite3.Error as exc:
            raise DatabaseError(tr_noop('{path} is not a Seller Studio inventory database ({exc})').format(path=self.path, exc=exc)) from None
        if version != SCHEMA_VERSION:
            raise DatabaseError(tr_noop('{path} has schema {version}, this Seller Studio reads {SCHEMA_VERSION}; open it once with a writable disk (or update the app) first').format(path=self.path, version=version, SCHEMA_VERSION=SCHEMA_VERSION))

    def _refresh_backup(self) -> None:
        """Keep a copy of the last database that passed the check (at most hourly; never fatal)."""
        target = backup_path(self.path)
        try:
            if target.exists() and time.time() - target.stat().st_mtime < BACKUP_EVERY_S:
                return
            tmp = target.with_name(target.name + ".tmp")
            tmp.unlink(missing_ok=True)
            dest = sqlite3.connect(tmp)
            try:
                with self._write_lock:
                    self._writer.backup(dest)  # type: ignore[union-attr]
            finally:
                dest.close()
            os.replace(tmp, target)
        except (OSError, sqlite3.Error) as exc:
            log.warning("could not refresh the inventory backup %s: %s", target, exc)

    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect_read_only() if self.is_read_only else self._connect()
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction on the writer connection (serialised across threads).

        A full disk becomes DiskFullError (one line; the transaction is rolled back, nothing half-written)."""
        if self._writer is None:
            raise DatabaseError(tr_noop('{path} was opened read-only').format(path=self.path))
        with self._write_lock:
            conn = self._writer
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):  # SQLite may have rolled back already
                        conn.execute("ROLLBACK")
                    raise
                else:
                    conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if is_disk_full(exc):
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                    raise DiskFullError(tr_noop('the disk holding {path} is full; nothing from this change was saved - free some space and try again').format(path=self.path)) from None
                raise

    def close(self) -> None:
        with self._conns_lock:
            conns, self._all_conns = self._all_conns, []
        for conn in conns:
            try:
                conn.close()
            except sqlite3.Error:  # pragma: no cover
                pass

    def __enter__(self) -> InventoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        with self._write_lock:
            conn = self._writer
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.DatabaseError as exc:
                raise DatabaseError(
                    tr_noop('{path} is not a Seller Studio inventory database ({exc})').format(path=self.path, exc=exc)
                ) from None
            try:
                conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                row = conn.execute("SELECT version FROM schema_version").fetchone()
                version = row[0] if row else 0
                if row is None:
                    conn.execute("INSERT INTO schema_version (version) VALUES (0)")
                if version > SCHEMA_VERSION:
                    raise DatabaseError(
                        tr_noop('{path} was written by a newer Seller Studio (schema {version}); update the app to open it').format(path=self.path, version=version)
                    )
                for step in range(version, SCHEMA_VERSION):
                    log.debug("migrating %s from schema %d to %d", self.path, step, step + 1)
                    MIGRATIONS[step](conn)
                    conn.execute("UPDATE schema_version SET version = ?", (step + 1,))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def schema_version(self) -> int:
        return int(self._reader().execute("SELECT version FROM schema_version").fetchone()[0])

    # --- items ---------------------------------------------------------------------------------------

    def add_item(self, item: Item) -> Item:
        with self.transaction() as conn:
            return self._insert_item(conn, item)

    def add_items(self, items: Iterable[Item]) -> list[Item | None]:
        """Insert many items in one transaction. Returns None where the item already existed
        (same SKU or import key): re-importing a file must not create duplicates."""
        out: list[Item | None] = []
        with self.transaction() as conn:
            for item in items:
                out.append(self._insert_item(conn, item, skip_existing=True))
        return out

    def _insert_item(self, conn: sqlite3.Connection, item: Item, skip_existing: bool = False) -> Item | None:
        _validate_item(item)
        now = time.time()
        conflict = " ON CONFLICT DO NOTHING" if skip_existing else ""
        try:
            cur = conn.execute(
                "INSERT INTO items (sku, import_key, title, description, category, sub_category, "
                "condition, type, price_cents, quantity, shipping_profile, images, status, created_at, "
                f"updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?){conflict}",
                (
                    item.sku,
                    item.import_key,
                    item.title,
                    item.description,
                    item.category,
                    item.sub_category,
                    item.condition,
                    item.type,
                    item.price_cents,
                    item.quantity,
                    item.shipping_profile,
                    json.dumps(item.images, ensure_ascii=False),
                    item.status,
                    now,
                    now,
                ),
            )
        except sqlite3.IntegrityError as exc:
            raise ValueError(tr_noop("item {value} already exists ({error})").format(value=repr(item.sku or item.title), error=exc)) from None
        if cur.rowcount == 0:
            return None
        return replace(item, id=cur.lastrowid, created_at=now, updated_at=now)

    def get_item(self, item_id: int) -> Item | None:
        row = self._reader().execute(
            f"SELECT {_ITEM_COLUMNS} FROM items WHERE id = ?", (item_id,)
        ).fetchone()
        return _row_to_item(row) if row else None

    def get_item_by_sku(self, sku: str) -> Item | None:
        row = self._reader().execute(
            f"SELECT {_ITEM_COLUMNS} FROM items WHERE sku = ?", (sku,)
        ).fetchone()
        return _row_to_item(row) if row else None

    def list_items(
        self, *, category: str | None = None, status: str | Sequence[str] | None = None
    ) -> list[Item]:
        sql = f"SELECT {_ITEM_COLUMNS} FROM items"
        where: list[str] = []
        params: list[Any] = []
        if category is not None:
            where.append("category = ? COLLATE NOCASE")
            params.append(category)
        if status is not None:
            statuses = [status] if isinstance(status, str) else list(status)
            where.append(f"status IN ({','.join('?' * len(statuses))})")
            params.extend(statuses)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id"
        return [_row_to_item(r) for r in self._reader().execute(sql, params)]

    def count_items(self) -> int:
        return int(self._reader().execute("SELECT COUNT(*) FROM items").fetchone()[0])

    def categories(self) -> list[str]:
        rows = self._reader().execute(
            "SELECT DISTINCT category FROM items WHERE category != '' ORDER BY category COLLATE NOCASE"
        )
        return [r[0] for r in rows]

    _EDITABLE = frozenset(
        {"sku", "title", "description", "category", "sub_category", "condition", "type",
         "price_cents", "quantity", "shipping_profile", "images", "status"}
    )

    def update_item(self, item_id: int, **changes: Any) -> Item:
        unknown = set(changes) - self._EDITABLE
        if unknown:
            raise ValueError(f"cannot change {sorted(unknown)}")
        with self.transaction() as conn:
            row = conn.execute(f"SELECT {_ITEM_COLUMNS} FROM items WHERE id = ?", (item_id,)).fetchone()
            if row is None:
                raise KeyError(item_id)
            item = replace(_row_to_item(row), **changes)
            _validate_item(item)
            sets = ", ".join(f"{k} = ?" for k in changes)
            values = [json.dumps(v, ensure_ascii=False) if k == "images" else v for k, v in changes.items()]
            item.updated_at = time.time()
            try:
                conn.execute(
                    f"UPDATE items SET {sets}, updated_at = ? WHERE id = ?", (*values, item.updated_at, item_id)
                )
            except sqlite3.IntegrityError:
                raise ValueError(tr_noop("another item already has SKU {value}").format(value=repr(item.sku))) from None
            return item

    def set_status(self, item_id: int, status: str) -> Item:
        return self.update_item(item_id, status=status)

    def mark_showing(self, item_id: int | None) -> None:
        """Make ``item_id`` the one "showing" item; the previous one goes back to available.
        Sold and sold-out items keep their status."""
        with self.transaction() as conn:
            now = time.time()
            conn.execute(
                "UPDATE items SET status = 'available', updated_at = ? WHERE status = 'showing'", (now,)
            )
            if item_id is not None:
                conn.execute(
                    "UPDATE items SET status = 'showing', updated_at = ? "
                    "WHERE id = ? AND status IN ('available', 'unsold')",
                    (now, item_id),
                )

    def delete_item(self, item_id: int) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM items WHERE id = ?", (item_id,))

    # --- sales ---------------------------------------------------------------------------------------

    def record_sale(
        self,
        item_id: int,
        *,
        buyer: str,
        price_cents: int,
        sale_type: str | None = None,
        show_id: str | None = None,
        auction_id: str | None = None,
        quantity: int = 1,
        sold_at: float | None = None,
        currency: str = "USD",
    ) -> Sale:
        """Record a sale and take it out of stock, in one durable transaction.

        Idempotent per (show_id, auction_id): a result the platform sends again after a reconnect
        returns the sale already recorded (``is_new`` False) and changes nothing. A sale the
        platform confirms is recorded even if local stock says 0 - the buyer paid; we log it.
        """
        if price_cents < 0 or quantity < 1:
            raise ValueError("a sale needs price_cents >= 0 and quantity >= 1")
        with self.transaction() as conn:
            if auction_id is not None:
                row = conn.execute(
                    f"SELECT {_SALE_COLUMNS} FROM sales WHERE show_id IS ? AND auction_id = ?",
                    (show_id, auction_id),
                ).fetchone()
                if row is not None:
                    return _row_to_sale(row, is_new=False)
            item_row = conn.execute(
                "SELECT sku, title, type, quantity FROM items WHERE id = ?", (item_id,)
            ).fetchone()
            stored_item_id: int | None = item_id
            if item_row is None:
                # The platform says it sold: keep the sale even though the item was deleted here.
                log.warning("sale for item %d, which is no longer in the inventory", item_id)
                stored_item_id = None
                item_row = (None, f"(deleted item {item_id})", sale_type or "auction", quantity)
            sku, title, item_type, stock = item_row
            sale_type = sale_type or item_type
            if stock < quantity:
                log.warning("sale of %d x item %d with only %d in stock", quantity, item_id, stock)
            left = max(stock - quantity, 0)
            # Sold out: an auction/giveaway lot is "sold"; a buy-it-now listing is "sold out".
            # (No row matches for a deleted item, so these updates then do nothing.)
            if left == 0:
                status = "sold_out" if item_type == "buy_it_now" else "sold"
                conn.execute(
                    "UPDATE items SET quantity = 0, status = ?, updated_at = ? WHERE id = ?",
                    (status, time.time(), item_id),
                )
            else:
                conn.execute(
                    "UPDATE items SET quantity = ?, updated_at = ? WHERE id = ?",
                    (left, time.time(), item_id),
                )
            now = time.time()
            cur = conn.execute(
                "INSERT INTO sales (item_id, sku, title, buyer, price_cents, quantity, sold_at, type, "
                "show_id, auction_id, recorded_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (stored_item_id, sku, title, buyer, price_cents, quantity, sold_at if sold_at is not None else now,
                 sale_type, show_id, auction_id, now),
            )
            if show_id is not None:
                conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                             (f"currency:{show_id}", currency))
            sale_id = cur.lastrowid
            row = conn.execute(f"SELECT {_SALE_COLUMNS} FROM sales WHERE id = ?", (sale_id,)).fetchone()
            return _row_to_sale(row)

    def list_sales(self, show_id: str | None = None) -> list[Sale]:
        if show_id is None:
            rows = self._reader().execute(f"SELECT {_SALE_COLUMNS} FROM sales ORDER BY id")
        else:
            rows = self._reader().execute(
                f"SELECT {_SALE_COLUMNS} FROM sales WHERE show_id = ? ORDER BY id", (show_id,)
            )
        return [_row_to_sale(r) for r in rows]

    def sale_ids(self) -> set[int]:
        return {r[0] for r in self._reader().execute("SELECT id FROM sales")}

    # --- run of show persistence (the model is in run_of_show.py) -----------------------------------

    def load_queue(self, show_id: str) -> tuple[list[int], int | None]:
        conn = self._reader()
        ids = [r[0] for r in conn.execute(
            "SELECT item_id FROM run_of_show WHERE show_id = ? ORDER BY position", (show_id,)
        )]
        row = conn.execute(
            "SELECT now_showing_item_id FROM show_state WHERE show_id = ?", (show_id,)
        ).fetchone()
        return ids, (row[0] if row else None)

    def save_queue(self, show_id: str, item_ids: Sequence[int], now_showing_item_id: int | None) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM run_of_show WHERE show_id = ?", (show_id,))
            conn.executemany(
                "INSERT INTO run_of_show (show_id, position, item_id) VALUES (?,?,?)",
                [(show_id, pos, item_id) for pos, item_id in enumerate(item_ids)],
            )
            conn.execute(
                "INSERT INTO show_state (show_id, now_showing_item_id, updated_at) VALUES (?,?,?) "
                "ON CONFLICT (show_id) DO UPDATE SET now_showing_item_id = excluded.now_showing_item_id, "
                "updated_at = excluded.updated_at",
                (show_id, now_showing_item_id, time.time()),
            )

    # --- quick replies persistence -------------------------------------------------------------------

    def load_quick_replies(self) -> list[tuple[int, str, str]] | None:
        """(id, label, text) in order, or None if the seller never saved any (use the defaults)."""
        conn = self._reader()
        has_saved = conn.execute("SELECT 1 FROM settings WHERE key = 'quick_replies_saved'").fetchone()
        if not has_saved:
            return None
        return [(r[0], r[1], r[2]) for r in conn.execute(
            "SELECT id, label, text FROM quick_replies ORDER BY position"
        )]

    def save_quick_replies(self, replies: Sequence[tuple[str, str]]) -> list[int]:
        with self.transaction() as conn:
            conn.execute("DELETE FROM quick_replies")
            ids = []
            for pos, (label, text) in enumerate(replies):
                cur = conn.execute(
                    "INSERT INTO quick_replies (position, label, text) VALUES (?,?,?)", (pos, label, text)
                )
                ids.append(int(cur.lastrowid or 0))
            # Remember that an empty list was chosen on purpose (so the defaults do not come back).
            conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('quick_replies_saved', '1')")
            return ids


# --- recovery ------------------------------------------------------------------------------------------


@dataclass
class RecoveryReport:
    damaged_copy: Path  # where the damaged file was set aside (never deleted)
    backup_used: Path | None  # the last good backup the rebuild started from, if there was one
    items: int  # items in the rebuilt database
    sales: int  # sales in the rebuilt database
    items_salvaged: int  # of those, read back from the damaged file
    sales_salvaged: int

    def summary(self) -> str:
        start = (tr_noop("the backup {name}").format(name=self.backup_used.name) if self.backup_used
                 else tr_noop("an empty database"))
        return tr_noop("rebuilt from {start} plus {items_salvaged} items and {sales_salvaged} sales read back from the "
                       "damaged file: {items} items, {sales} sales; the damaged file is kept as {copy}").format(
            start=start, items_salvaged=self.items_salvaged, sales_salvaged=self.sales_salvaged, items=self.items,
            sales=self.sales, copy=self.damaged_copy.name)


def recover(db_path: Path | str) -> RecoveryReport:
    """Set a damaged inventory aside and rebuild it: start from the last good backup (if it passes its own
    check) and add every item and sale row the damaged file still yields that the backup lacks, so no
    sale recorded after the backup is lost if its page survived. Never deletes anything."""
    db_path = Path(db_path)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = db_path.with_name(f"{db_path.stem}.damaged-{stamp}.db")
    try:
        for suffix in ("", "-wal", "-shm"):
            src = Path(str(db_path) + suffix)
            if src.exists():
                os.replace(src, Path(str(aside) + suffix))
        backup = backup_path(db_path)
        backup_used: Path | None = None
        if backup.is_file():
            with contextlib.closing(sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)) as conn:
                is_good = quick_check(conn) is None
            if is_good:
                shutil.copyfile(backup, db_path)
                backup_used = backup
    except OSError as exc:
        if is_disk_full(exc):
            raise DiskFullError(tr_noop('the disk holding {db_path} is full; free some space and recover again').format(db_path=db_path)) from None
        raise UnwritablePathError(tr_noop('cannot set {db_path} aside: {strerror}').format(db_path=db_path, strerror=exc.strerror)) from None
    with InventoryStore(db_path) as store:
        items_salvaged = _salvage(aside, store, "items")
        sales_salvaged = _salvage(aside, store, "sales")
        items = len(store.list_items())
        sales = len(store.list_sales())
    return RecoveryReport(aside, backup_used, items, sales, items_salvaged, sales_salvaged)


def _salvage(damaged: Path, store: InventoryStore, table: str) -> int:
    """Copy the readable rows of ``table`` the store lacks, row by row around damaged pages."""
    try:
        src = sqlite3.connect(f"{damaged.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return 0
    with contextlib.closing(src):
        try:
            columns = [r[1] for r in src.execute(f"PRAGMA table_info({table})").fetchall()]
        except sqlite3.DatabaseError:
            return 0
        wanted = [r[1] for r in store._reader().execute(f"PRAGMA table_info({table})").fetchall()]
        shared = [c for c in wanted if c in columns]
        if "id" not in shared:
            return 0
        select = f"SELECT {', '.join(shared)} FROM {table}"
        rows: list[tuple[Any, ...]] = []
        try:
            rows = src.execute(select).fetchall()
        except sqlite3.DatabaseError:
            # The table's tree is damaged: walk the ids one by one and keep what still reads.
            misses = 0
            rowid = 0
            while misses < 2000:
                rowid += 1
                try:
                    row = src.execute(f"{select} WHERE id = ?", (rowid,)).fetchone()
                except sqlite3.DatabaseError:
                    row = None
                if row is None:
                    misses += 1
                    continue
                misses = 0
                rows.append(row)
    placeholders = ", ".join("?" for _ in shared)
    added = 0
    with store.transaction() as conn:
        for row in rows:
            try:
                cur = conn.execute(f"INSERT OR IGNORE INTO {table} ({', '.join(shared)}) VALUES ({placeholders})", row)
            except sqlite3.IntegrityError:
                if table != "sales":
                    continue
                # The sale's item was lost with its page: keep the sale (it copies sku and title).
                fixed = tuple(None if c == "item_id" else v for c, v in zip(shared, row, strict=True))
                cur = conn.execute(f"INSERT OR IGNORE INTO {table} ({', '.join(shared)}) VALUES ({placeholders})",
                                   fixed)
            added += cur.rowcount
    return added
