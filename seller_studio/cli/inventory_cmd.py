"""`seller-studio inventory import|list|export-sales`: the inventory for sellers' scripts and support."""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from pathlib import Path

from seller_studio.common.errors import ExitCode
from seller_studio.i18n import tr, tr_text
from seller_studio.show.csv_import import DECIMAL_STYLES, RowIssue, import_csv
from seller_studio.show.inventory import TYPE_LABELS, InventoryStore, default_db_path, recover
from seller_studio.show.sales_export import export_sales, format_price, write_sales

MAX_LISTED_ISSUES = 200  # beyond this the count is enough; the seller fixes and re-imports


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("inventory", help="import items from CSV, list them, export sales")
    sub = parser.add_subparsers(dest="inventory_command", metavar="ACTION", required=True)

    def add_db(p: argparse.ArgumentParser) -> None:
        p.add_argument("--db", type=Path, metavar="PATH",
                       help="inventory database (default: inventory.db in the app data folder)")

    p_import = sub.add_parser("import", help="import a bulk-listing CSV")
    p_import.add_argument("file", type=Path, metavar="FILE")
    p_import.add_argument("--decimal", choices=DECIMAL_STYLES, default="auto",
                          help="how prices are written: comma (1299,00), point (1299.00) or auto "
                               "(default: comma in ;-separated files, else point)")
    add_db(p_import)
    p_import.set_defaults(func=run_import)

    p_list = sub.add_parser("list", help="list the inventory")
    p_list.add_argument("--json", action="store_true", help="machine-readable output")
    add_db(p_list)
    p_list.set_defaults(func=run_list)

    p_export = sub.add_parser("export-sales", help="write recorded sales to a CSV file")
    p_export.add_argument("file", type=Path, metavar="FILE")
    p_export.add_argument("--show", metavar="SHOW_ID", help="only this show's sales")
    p_export.add_argument("--decimal", choices=DECIMAL_STYLES, default="auto",
                          help="prices as 1299,00 with ;-separated cells (comma) or 1299.00 with commas "
                               "(point); default: the studio's language (nb: comma)")
    add_db(p_export)
    p_export.set_defaults(func=run_export_sales)

    p_recover = sub.add_parser("recover", help="set a damaged database aside and rebuild it from the last good "
                                               "backup and the sales it still holds")
    add_db(p_recover)
    p_recover.set_defaults(func=run_recover)


def printable(text: str) -> str:
    """Cell text made safe for a terminal: no escape sequences, no line breaks."""
    return "".join(
        " " if ch in "\r\n\t" else ("?" if unicodedata.category(ch) in ("Cc", "Cf") else ch) for ch in text
    )


def _row_ranges(rows: list[int]) -> str:
    parts: list[str] = []
    start = prev = None
    for row in sorted(rows):
        if start is None:
            start = prev = row
        elif row == prev + 1:
            prev = row
        else:
            parts.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = row
    if start is not None:
        parts.append(f"{start}" if start == prev else f"{start}-{prev}")
    return ", ".join(parts)


def _print_issues(title: str, issues: list[RowIssue]) -> None:
    print(title)
    for issue in issues[:MAX_LISTED_ISSUES]:
        print(f"  {printable(issue.shown())}")  # made in English (logs), printed in the seller's language
    if len(issues) > MAX_LISTED_ISSUES:
        print(f"  ... and {len(issues) - MAX_LISTED_ISSUES} more")


def run_import(args: argparse.Namespace) -> int:
    with InventoryStore(args.db) as store:
        result = import_csv(store, args.file, decimal=getattr(args, "decimal", "auto"))
    delimiter = {",": "comma", ";": "semicolon", "\t": "tab"}.get(result.delimiter, repr(result.delimiter))
    rows = len(result.imported) + len(result.skipped) + len(result.errors)
    style = "decimal comma" if result.decimal_comma else "decimal point"
    print(f"{printable(str(args.file))}: {rows} rows ({result.encoding}, {delimiter}-separated, {style})")
    print(f"imported: {len(result.imported)}")
    already = [i.row for i in result.skipped if i.is_plain_duplicate and i.row]
    noted = [i for i in result.skipped if not i.is_plain_duplicate]
    line = f"skipped (duplicates): {len(result.skipped)}"
    if already:
        line += f" - already in the inventory: rows {_row_ranges(already)}"
    print(line)
    if noted:
        _print_issues("skipped rows:", noted)
    print(f"errors: {len(result.errors)}")
    if result.errors:
        _print_issues("rejected rows (nothing from them was imported):", result.errors)
    if result.warnings:
        _print_issues("warnings:", result.warnings)
    return int(ExitCode.SOME_ROWS_REJECTED) if result.errors else int(ExitCode.OK)


def run_list(args: argparse.Namespace) -> int:
    # Read-only: works on a read-only disk, and never writes to a file it is only asked to show.
    items = []
    if (args.db or default_db_path()).exists():
        with InventoryStore(args.db, read_only=True) as store:
            items = store.list_items()
            if store.notice:
                print(f"{tr('note')}: {tr_text(store.notice)}", file=sys.stderr)
    if args.json:
        text = json.dumps([item.to_dict() for item in items], ensure_ascii=False, indent=2)
        # json leaves DEL and C1 controls (e.g. U+009B, a terminal CSI) raw: escape them too.
        print("".join(f"\\u{ord(ch):04x}" if 0x7F <= ord(ch) <= 0x9F else ch for ch in text))
        return 0
    if not items:
        print("the inventory is empty")
        return 0
    print(f"{'ID':>5}  {'SKU':<14} {'TYPE':<10} {'PRICE':>10} {'QTY':>5}  {'STATUS':<9}  TITLE")
    for item in items:
        print(
            f"{item.id:>5}  {printable(item.sku or '-')[:14]:<14} {TYPE_LABELS[item.type]:<10} "
            f"{format_price(item.price_cents):>10} {item.quantity:>5}  {item.status:<9}  "
            f"{printable(item.title)[:60]}"
        )
    return 0


def run_export_sales(args: argparse.Namespace) -> int:
    decimal = getattr(args, "decimal", "auto")
    comma = None if decimal == "auto" else decimal == "comma"
    if not (args.db or default_db_path()).exists():
        count = write_sales(args.file, [], decimal_comma=comma)  # no database yet: the file the seller asked for
    else:
        with InventoryStore(args.db, read_only=True) as store:
            count = export_sales(store, args.file, show_id=args.show, decimal_comma=comma)
            if store.notice:
                print(f"{tr('note')}: {tr_text(store.notice)}", file=sys.stderr)
    print(f"wrote {count} sale{'s' if count != 1 else ''} to {printable(str(args.file))}")
    return 0


def run_recover(args: argparse.Namespace) -> int:
    report = recover(args.db or default_db_path())
    print(tr_text(report.summary()))  # English in the log, the seller's language here
    return 0
