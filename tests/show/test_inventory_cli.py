"""`seller-studio inventory ...` as a seller's script runs it: a real subprocess."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from seller_studio.common.errors import ExitCode
from seller_studio.show.inventory import InventoryStore, Item

from .test_csv_import import hostile_csv


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SELLER_STUDIO_HOME": str(tmp_path / "home")}
    return subprocess.run(
        [sys.executable, "-m", "seller_studio.cli.main", "inventory", *args],
        capture_output=True, text=True, env=env, timeout=60,
    )


def test_import_list_and_reimport(tmp_path: Path, sample_csv: Path) -> None:
    first = cli(tmp_path, "import", str(sample_csv))
    assert first.returncode == 0, first.stderr
    assert "imported: 6" in first.stdout and "errors: 0" in first.stdout
    assert (tmp_path / "home" / "data" / "inventory.db").exists()  # the default location
    again = cli(tmp_path, "import", str(sample_csv))
    assert again.returncode == 0
    assert "imported: 0" in again.stdout and "skipped (duplicates): 6" in again.stdout
    listed = cli(tmp_path, "list", "--json")
    items = json.loads(listed.stdout)
    assert len(items) == 6 and items[1]["price_cents"] == 999 and items[1]["type"] == "buy_it_now"


def test_some_rows_rejected_has_its_own_exit_code(tmp_path: Path) -> None:
    data, expected = hostile_csv()
    src = tmp_path / "hostile.csv"
    src.write_bytes(data)
    db = tmp_path / "custom.db"
    result = cli(tmp_path, "import", str(src), "--db", str(db))
    assert result.returncode == ExitCode.SOME_ROWS_REJECTED
    assert "imported: 5" in result.stdout and f"errors: {len(expected)}" in result.stdout
    for row in expected:
        assert f"row {row}: " in result.stdout
    assert "Traceback" not in result.stderr
    assert db.exists() and not (tmp_path / "home" / "data" / "inventory.db").exists()
    # The formula title lists as text; the terminal gets no control characters.
    table = cli(tmp_path, "list", "--db", str(db)).stdout
    assert '=HYPERLINK("http://evil.example","click")' in table
    assert "\x1b" not in table


def test_bad_input_file_is_one_line_without_traceback(tmp_path: Path) -> None:
    missing = cli(tmp_path, "import", str(tmp_path / "nope.csv"))
    assert missing.returncode == ExitCode.BAD_INPUT_FILE
    assert missing.stderr.strip().count("\n") == 0 and "no such file" in missing.stderr
    xlsx = tmp_path / "inventory.xlsx"
    xlsx.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    result = cli(tmp_path, "import", str(xlsx))
    assert result.returncode == ExitCode.BAD_INPUT_FILE and "Save As > CSV UTF-8" in result.stderr
    assert "Traceback" not in result.stderr


def test_export_sales_is_formula_safe(tmp_path: Path) -> None:
    db = tmp_path / "inv.db"
    with InventoryStore(db) as store:
        item = store.add_item(Item("=1+1 mystery", type="buy_it_now", price_cents=999, quantity=10, sku="@S"))
        assert item.id
        for buyer in ["=cmd|' /C calc'!A0", "+1", "-1", "@x", "\tx", "plain", "'=already"]:
            store.record_sale(item.id, buyer=buyer, price_cents=999, show_id="show-1")
    out = tmp_path / "sales.csv"
    result = cli(tmp_path, "export-sales", str(out), "--db", str(db))
    assert result.returncode == 0 and "wrote 7 sales" in result.stdout
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:6] == ["Item", "SKU", "Buyer", "Price", "Time", "Type"]
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
        assert row[0] == "'=1+1 mystery" and row[1] == "'@S" and row[3] == "9.99" and row[5] == "Buy It Now"
    assert [r[2] for r in rows[1:]] == ["'=cmd|' /C calc'!A0", "'+1", "'-1", "'@x", "'\tx", "plain", "'=already"]


def test_db_path_problems_are_one_line(tmp_path: Path) -> None:
    result = cli(tmp_path, "list", "--db", str(tmp_path))  # a folder
    assert result.returncode == ExitCode.UNWRITABLE_PATH and "Traceback" not in result.stderr
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database" * 200)
    result = cli(tmp_path, "list", "--db", str(junk))
    assert result.returncode == ExitCode.BAD_INPUT_FILE and "not a Seller Studio inventory" in result.stderr


def test_list_json_keeps_text_exact_but_terminal_safe(tmp_path: Path) -> None:
    db = tmp_path / "inv.db"
    title = "Evil \x9b31m title \x1b[2J Pokémon \u202e"
    with InventoryStore(db) as store:
        store.add_item(Item(title, sku="E-1"))
    out = cli(tmp_path, "list", "--json", "--db", str(db)).stdout
    assert "\x9b" not in out and "\x1b" not in out
    assert json.loads(out)[0]["title"] == title
    table = cli(tmp_path, "list", "--db", str(db)).stdout
    assert "\x9b" not in table and "\x1b" not in table and "\u202e" not in table
