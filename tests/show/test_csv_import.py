from __future__ import annotations

import csv
from pathlib import Path

import pytest

from seller_studio.show.csv_import import (
    MAX_FIELD_BYTES,
    ImportFileError,
    import_csv,
    parse_inventory_csv,
    parse_price_cents,
    parse_quantity,
    parse_type,
)
from seller_studio.show.inventory import InventoryStore
from seller_studio.show.sales_export import export_sales

HEADER = "Category,Sub Category,Title,Description,Quantity,Type,Price,Shipping Profile,Condition,SKU"


def write(tmp_path: Path, data: bytes, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_sample_imports_fully(store: InventoryStore, sample_csv: Path) -> None:
    result = import_csv(store, sample_csv)
    assert result.errors == [] and result.skipped == [] and result.warnings == []
    assert [row for row, _ in result.imported] == [2, 3, 4, 5, 6, 7]
    items = {i.sku: i for i in store.list_items()}
    assert len(items) == 6
    booster = items["PKM-0002"]
    assert booster.title == "Scarlet & Violet Booster Pack, 151"
    assert (booster.type, booster.price_cents, booster.quantity) == ("buy_it_now", 999, 24)
    assert items["PKM-0001"].sub_category == "Pokémon Cards"
    assert items["PKM-0003"].type == "giveaway"
    assert items["SPT-0101"].description == "Sealed hobby box; 1 of 6"
    assert items["TOY-0007"].condition == "Used - Good"


def test_reimport_creates_no_duplicates(store: InventoryStore, sample_csv: Path) -> None:
    import_csv(store, sample_csv)
    again = import_csv(store, sample_csv)
    assert again.imported == [] and again.errors == []
    assert [i.row for i in again.skipped] == [2, 3, 4, 5, 6, 7]
    assert store.count_items() == 6


def test_rows_without_sku_dedupe_by_identifying_fields(store: InventoryStore, tmp_path: Path) -> None:
    rows = [
        "Cards,Pokémon,Mystery pack,first,3,Auction,5,0-1 oz,New",
        "Cards,Pokémon,Mystery pack,same listing again,3,Auction,5,0-1 oz,New",
        "Cards,Pokémon,Mystery pack,different price,3,Auction,6,0-1 oz,New",
    ]
    header = "Category,Sub Category,Title,Description,Quantity,Type,Price,Shipping Profile,Condition"
    path = write(tmp_path, ("\n".join([header, *rows]) + "\n").encode())
    first = import_csv(store, path)
    assert [r for r, _ in first.imported] == [2, 4]
    assert [(i.row, i.message) for i in first.skipped] == [(3, "same item as row 2")]
    # Fixing the description and re-importing adds nothing.
    path.write_bytes(path.read_bytes().replace(b"first", b"first, fixed typo"))
    second = import_csv(store, path)
    assert second.imported == [] and store.count_items() == 2


def hostile_csv() -> tuple[bytes, dict[int, str]]:
    """Rows of every kind; returns the bytes and {row number: expected error fragment}."""
    big = "x" * (1024 * 1024)
    lines = [
        # BOM, odd header case and spacing, an extra image column.
        "\ufeff category , SUB CATEGORY,title,Description, quantity ,TYPE,Price,Shipping Profile,Condition,sku,Image URL",
        'Cards,Pokémon,Good one,"Commas, and ""quotes""",1,Auction,1,0-1 oz,NM,H-1,https://x/a.jpg https://x/b.jpg',
        'Cards,Pokémon,"=HYPERLINK(""http://evil.example"",""click"")",+cmd|\' /C calc\'!A0,1,Buy It Now,2,0-1 oz,-2+3,H-2,',
        f"Cards,Pokémon,Huge,{big},1,Auction,1,0-1 oz,NM,H-3,",
        "Cards,Pokémon,LATIN1_PLACEHOLDER,desc,1,BIN,3,0-1 oz,NM,H-4,",
        'Cards,Pokémon,Multi line,"line one\nline two, with comma\r\nline three",2,buy-it-now,4.50,0-1 oz,NM,H-5,',
        "Cards,Pokémon,Zero qty,desc,0,Auction,1,0-1 oz,NM,H-6,",
        "Cards,Pokémon,Bad price,desc,1,Auction,abc,0-1 oz,NM,H-7,",
        "Cards,Pokémon,Bad type,desc,1,Raffle,1,0-1 oz,NM,H-8,",
        "Cards,Pokémon,,no title,1,Auction,1,0-1 oz,NM,H-9,",
        "Cards,Pokémon,Short row,desc",
        "Cards,Pokémon,Too many,desc,1,Auction,1,0-1 oz,NM,H-11,,extra,cells",
        "",
        "@SUM(A1:A9),\t=1+1,Giveaway thing,desc,1,Giveaway,0,0-1 oz,NM,H-13,",
        "Cards,Pokémon,Neg qty,desc,-3,Auction,1,0-1 oz,NM,H-14,",
        "Cards,Pokémon,Cents,desc,1,Auction,1.999,0-1 oz,NM,H-15,",
        'Cards,Pokémon,Unclosed,"this quote never ends,1,Auction,1,0-1 oz,NM,H-16,',
        "Cards,Pokémon,Swallowed by the open quote,desc,1,Auction,1,0-1 oz,NM,H-17,",
    ]
    data = "\r\n".join(lines).encode("utf-8")
    data = data.replace(b"LATIN1_PLACEHOLDER", "Pokémon Jumbo".encode("latin-1"))
    expected_errors = {
        4: "Description is too large",
        7: "Quantity must be 1 or more",
        8: "Price is not a number",
        9: "unknown Type 'Raffle'",
        10: "missing Title",
        11: "missing Quantity",
        12: "the row has 13 cells but the header has 11",
        15: "Quantity must be 1 or more",
        16: "more than 2 decimal places",
        17: "never closed",
    }
    return data, expected_errors


def test_hostile_csv_reports_each_bad_row_and_imports_the_rest(store: InventoryStore, tmp_path: Path) -> None:
    data, expected = hostile_csv()
    result = import_csv(store, write(tmp_path, data))

    errors = {issue.row: issue.message for issue in result.errors}
    assert sorted(errors) == sorted(expected), errors
    for row, fragment in expected.items():
        assert fragment in errors[row], (row, errors[row])
    assert [row for row, _ in result.imported] == [2, 3, 5, 6, 14]
    # Nothing lost: every data row (blank row 13 aside) is imported, skipped or reported.
    assert len(result.imported) + len(result.skipped) + len(result.errors) == 15
    # Messages stay one short line even for a 1 MB cell.
    assert all("\n" not in m and len(m) < 300 for m in errors.values())

    items = {i.sku: i for i in store.list_items()}
    assert items["H-1"].description == 'Commas, and "quotes"'
    assert items["H-1"].images == ["https://x/a.jpg", "https://x/b.jpg"]
    # Formula cells are kept as plain text, exactly as typed.
    assert items["H-2"].title == '=HYPERLINK("http://evil.example","click")'
    assert items["H-2"].description == "+cmd|' /C calc'!A0"
    assert items["H-2"].condition == "-2+3"
    assert items["H-13"].category == "@SUM(A1:A9)"
    assert items["H-13"].sub_category == "=1+1"  # the tab was surrounding whitespace
    # Latin-1 bytes: read as Windows-1252, imported, and the row is named in a warning.
    assert items["H-4"].title == "Pokémon Jumbo"
    assert items["H-4"].type == "buy_it_now"
    assert [w.row for w in result.warnings] == [5]
    assert "Windows-1252" in result.warnings[0].message
    assert items["H-5"].description == "line one\nline two, with comma\r\nline three"
    assert (items["H-5"].price_cents, items["H-5"].quantity) == (450, 2)


def test_formula_cells_survive_a_round_trip_through_export(store: InventoryStore, tmp_path: Path) -> None:
    data, _ = hostile_csv()
    import_csv(store, write(tmp_path, data))
    item = store.get_item_by_sku("H-2")
    assert item is not None and item.id is not None
    store.record_sale(item.id, buyer="@buyer", price_cents=200, show_id="s1")
    out = tmp_path / "sales.csv"
    export_sales(store, out)
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[1][0] == "'=HYPERLINK(\"http://evil.example\",\"click\")"
    assert rows[1][2] == "'@buyer"


def test_semicolon_file_with_decimal_commas(store: InventoryStore, tmp_path: Path) -> None:
    text = (
        "Category;Sub Category;Title;Description;Quantity;Type;Price;Shipping Profile;Condition\n"
        'Toys;Figures;"He-Man; loose";"a; b, c";1;Auction;12,50;8-12 oz;Used\n'
        "Toys;Figures;Skeletor;x;2;Buy It Now;1.234,00;8-12 oz;Used\n"
        "Toys;Figures;Orko;x;2;Buy It Now;9.99;8-12 oz;Used\n"
    )
    result = import_csv(store, write(tmp_path, text.encode()))
    assert result.delimiter == ";" and result.errors == []
    prices = {item.title: item.price_cents for _, item in result.imported}
    assert prices == {"He-Man; loose": 1250, "Skeletor": 123400, "Orko": 999}


def test_whole_file_in_windows_1252_is_read_with_one_warning(store: InventoryStore, tmp_path: Path) -> None:
    text = HEADER + "\nCards,Pokémon,Café “special”,€ sign,1,Auction,1,0-1 oz,NM,W-1\n"
    result = import_csv(store, write(tmp_path, text.encode("cp1252")))
    assert result.encoding == "windows-1252" and result.errors == []
    assert [w.row for w in result.warnings] == [None]
    item = store.get_item_by_sku("W-1")
    assert item is not None and item.title == "Café “special”" and item.description == "€ sign"


def test_utf16_and_mac_line_endings(store: InventoryStore, tmp_path: Path) -> None:
    text = HEADER.replace(",", "\t") + "\nCards\tPokémon\tTab file\td\t1\tAuction\t1\t0-1 oz\tNM\tU-1\n"
    result = import_csv(store, write(tmp_path, text.encode("utf-16"), "u16.csv"))
    assert result.errors == [] and result.delimiter == "\t" and len(result.imported) == 1
    mac = (HEADER + "\rCards,Pokémon,Mac file,d,1,Auction,1,0-1 oz,NM,M-1\r").encode()
    result = import_csv(store, write(tmp_path, mac, "mac.csv"))
    assert result.errors == [] and len(result.imported) == 1


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"Category,Title,Quantity,Type\nA,B,1,Auction\n", "missing required column Price"),
        (b"Name,Count\nx,1\n", "missing required columns Title, Quantity, Type, Price"),
        (b"", "is empty"),
        (b"\n\n", "is empty"),
        (b"PK\x03\x04\x14\x00rest-of-a-zip", "Excel workbook"),
        (b"\x00\x01\x02\x03" * 100, "binary"),
        (b"Title,Title,Quantity,Type,Price\n", "two Title columns"),
    ],
)
def test_unusable_files_fail_with_one_clear_line(tmp_path: Path, data: bytes, fragment: str) -> None:
    with pytest.raises(ImportFileError) as err:
        parse_inventory_csv(data, name="in.csv")
    assert fragment in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_and_unreadable_files(store: InventoryStore, tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="no such file"):
        import_csv(store, tmp_path / "nope.csv")
    with pytest.raises(ImportFileError, match="folder"):
        import_csv(store, tmp_path)


def test_field_limit_is_64_kb() -> None:
    ok = "a" * MAX_FIELD_BYTES
    data = f"Title,Quantity,Type,Price,Description\nT1,1,Auction,1,{ok}\nT2,1,Auction,1,{ok}b\n".encode()
    parsed = parse_inventory_csv(data)
    assert [r for r, _ in parsed.rows] == [2]
    assert [e.row for e in parsed.errors] == [3]


@pytest.mark.parametrize(
    ("text", "cents"),
    [("1", 100), ("9.99", 999), ("$9.99", 999), (" 25 ", 2500), ("1,234.50", 123450), ("0", 0),
     ("9,99", 999), (".5", 50), ("3.", 300), ("US$4", 400)],
)
def test_parse_price(text: str, cents: int) -> None:
    assert parse_price_cents(text) == cents


@pytest.mark.parametrize("text", ["abc", "1.2.3", "-5", "", "1e5", "NaN", "inf", "9.999", "99999999"])
def test_parse_price_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_price_cents(text)


def test_parse_quantity_and_type() -> None:
    assert parse_quantity("3") == 3 and parse_quantity("2.0") == 2
    for bad in ["0", "-1", "1.5", "two", ""]:
        with pytest.raises(ValueError):
            parse_quantity(bad)
    for text, kind in [("Buy It Now", "buy_it_now"), ("buy-it-now", "buy_it_now"), ("BIN", "buy_it_now"),
                       ("Auction", "auction"), (" giveaway ", "giveaway"), ("Give Away", "giveaway")]:
        assert parse_type(text) == kind
    with pytest.raises(ValueError, match="unknown Type"):
        parse_type("Raffle")


def test_sku_conflicts_are_errors_and_changed_rows_are_named(store: InventoryStore, tmp_path: Path) -> None:
    text = (
        HEADER + "\n"
        "Cards,Pokémon,Charizard,d,1,Auction,1,0-1 oz,NM,C-1\n"
        "Cards,Pokémon,Charizard,d,1,Auction,1,0-1 oz,NM,C-1\n"  # exact repeat: a plain duplicate
        "Cards,Pokémon,Blastoise,d,1,Auction,1,0-1 oz,NM,C-1\n"  # copy-pasted SKU on another item
    )
    result = import_csv(store, write(tmp_path, text.encode()))
    assert [r for r, _ in result.imported] == [2]
    assert [(i.row, i.message) for i in result.skipped] == [(3, "same SKU 'C-1' as row 2")]
    assert [i.row for i in result.errors] == [4]
    assert "also on row 2 with a different title" in result.errors[0].message
    # Re-import with a changed price: kept as it is in the inventory, and the row says so.
    changed = write(tmp_path, (HEADER + "\nCards,Pokémon,Charizard,d,1,Auction,2,0-1 oz,NM,C-1\n").encode(), "b.csv")
    again = import_csv(store, changed)
    assert again.imported == [] and not again.skipped[0].is_plain_duplicate
    assert "different price" in again.skipped[0].message
    assert store.get_item_by_sku("C-1").price_cents == 100  # type: ignore[union-attr]


def test_image_cells_split_between_urls_but_keep_paths_with_spaces() -> None:
    from seller_studio.show.csv_import import split_images

    assert split_images("https://x/a.jpg https://x/b.jpg, https://x/c.jpg") == [
        "https://x/a.jpg", "https://x/b.jpg", "https://x/c.jpg"]
    assert split_images("C:\\My Photos\\a.jpg | /home/me/b c.png\nhttps://x/d.jpg") == [
        "C:\\My Photos\\a.jpg", "/home/me/b c.png", "https://x/d.jpg"]
    assert split_images("  ") == []
