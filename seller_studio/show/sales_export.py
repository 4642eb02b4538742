"""Export a show's results to CSV for the seller's spreadsheet (formula-safe, written atomically)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from seller_studio.show.csv_safety import write_csv_atomically
from seller_studio.show.inventory import TYPE_LABELS, InventoryStore, Sale

SALES_HEADER = ("Item", "SKU", "Buyer", "Price", "Time", "Type", "Quantity", "Show", "Auction ID")


def format_price(price_cents: int) -> str:
    """Plain number with two decimals (no currency sign) so the spreadsheet can sum it."""
    return f"{price_cents // 100}.{price_cents % 100:02d}"


def format_time(epoch_s: float) -> str:
    """Local wall-clock time, the way a spreadsheet parses it."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch_s))


def sale_row(sale: Sale) -> list[str]:
    return [
        sale.title,
        sale.sku or "",
        sale.buyer,
        format_price(sale.price_cents),
        format_time(sale.sold_at),
        TYPE_LABELS.get(sale.type, sale.type),
        str(sale.quantity),
        sale.show_id or "",
        sale.auction_id or "",
    ]


def export_sales(store: InventoryStore, path: Path | str, show_id: str | None = None) -> int:
    """Write every sale (or one show's) to ``path``. Returns the number of sales written."""
    sales = store.list_sales(show_id)
    return write_csv_atomically(Path(path), SALES_HEADER, (sale_row(s) for s in sales))


def write_sales(path: Path | str, sales: Iterable[Sale]) -> int:
    """Write the given sales (e.g. this show's) to ``path``. Returns the number written."""
    return write_csv_atomically(Path(path), SALES_HEADER, (sale_row(s) for s in sales))
