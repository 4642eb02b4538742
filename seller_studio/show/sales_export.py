"""Export a show's results to CSV for the seller's spreadsheet (formula-safe, written atomically).

Prices are plain numbers a spreadsheet can sum, written the seller's way: "1299.00" with "," between
cells (English), or "1299,00" with ";" between cells (Norwegian, and any decimal-comma spreadsheet),
which is what nb/de/fr spreadsheets read and export. The last column is each sale's ISO 4217 currency.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from seller_studio.i18n import current_locale
from seller_studio.show.csv_safety import write_csv_atomically
from seller_studio.show.inventory import TYPE_LABELS, InventoryStore, Sale

SALES_HEADER = ("Item", "SKU", "Buyer", "Price", "Time", "Type", "Quantity", "Show", "Auction ID", "Currency")
DECIMAL_COMMA_LOCALES = ("nb",)  # languages whose spreadsheets write 1299,00 (the studio speaks en and nb)


def format_price(price_cents: int, *, decimal_comma: bool = False) -> str:
    """Plain number with two decimals (no currency sign) so the spreadsheet can sum it."""
    return f"{price_cents // 100}{',' if decimal_comma else '.'}{price_cents % 100:02d}"


def format_time(epoch_s: float) -> str:
    """Local wall-clock time, the way a spreadsheet parses it."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch_s))


def sale_row(sale: Sale, *, decimal_comma: bool = False) -> list[str]:
    return [
        sale.title,
        sale.sku or "",
        sale.buyer,
        format_price(sale.price_cents, decimal_comma=decimal_comma),
        format_time(sale.sold_at),
        TYPE_LABELS.get(sale.type, sale.type),
        str(sale.quantity),
        sale.show_id or "",
        sale.auction_id or "",
        sale.currency,
    ]


def uses_decimal_comma(decimal_comma: bool | None = None) -> bool:
    """``decimal_comma`` when given, else what the studio's language writes."""
    return current_locale() in DECIMAL_COMMA_LOCALES if decimal_comma is None else decimal_comma


def export_sales(store: InventoryStore, path: Path | str, show_id: str | None = None, *,
                 decimal_comma: bool | None = None) -> int:
    """Write every sale (or one show's) to ``path``. Returns the number of sales written."""
    return write_sales(path, store.list_sales(show_id), decimal_comma=decimal_comma)


def write_sales(path: Path | str, sales: Iterable[Sale], *, decimal_comma: bool | None = None) -> int:
    """Write the given sales (e.g. this show's) to ``path``. Returns the number written.
    ``decimal_comma`` None: the studio's language decides (nb: "1299,00" and ";")."""
    comma = uses_decimal_comma(decimal_comma)
    return write_csv_atomically(Path(path), SALES_HEADER, (sale_row(s, decimal_comma=comma) for s in sales),
                                delimiter=";" if comma else ",")
