"""Money in the seller's currency: one formatter, the protocol's currency, the sandbox honouring it,
the show following it, CSV decimal commas and the sales export (issue 18)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from seller_studio import i18n
from seller_studio.platform import protocol as p
from seller_studio.platform import rules
from seller_studio.platform.protocol import ErrorCode
from seller_studio.platform.sandbox.embedded import start_sandbox
from seller_studio.platform.sandbox.server import SandboxConfig
from seller_studio.show.csv_import import import_csv, parse_price_cents
from seller_studio.show.inventory import InventoryStore, Item
from seller_studio.show.sales_export import write_sales
from seller_studio.show.selling import SellingSession, format_money, format_total
from tests.platform.conftest import FakeClock
from tests.platform.test_protocol_conformance import Raw

pytestmark = pytest.mark.timeout(30)
NBSP = "\u00a0"


def plain(text: str) -> str:
    return text.replace(NBSP, " ")


@pytest.fixture
def norwegian():
    i18n.set_language("nb")
    yield
    i18n.set_language("en")


@pytest.mark.parametrize(("cents", "currency", "locale", "text"), [
    (129900, "NOK", "nb", "kr 1 299,00"),
    (129900, "USD", "en", "$1,299.00"),
    (129900, "NOK", "en", "NOK 1,299.00"),
    (129900, "EUR", "nb", "€ 1 299,00"),
    (129900, "EUR", "en", "€1,299.00"),
    (129900, "GBP", "en", "£1,299.00"),
    (129900, "SEK", "nb", "SEK 1 299,00"),
    (129900, "DKK", "en", "DKK 1,299.00"),
    (5, "NOK", "nb_NO.UTF-8", "kr 0,05"),
    (-150, "USD", "en_US", "-$1.50"),
    (100_000_000, "NOK", "nb", "kr 1 000 000,00"),
    (129900, "NOK", "xx_NOWHERE", "NOK 1,299.00"),  # an unknown locale is English, never an error
])
def test_one_formatter_by_locale_and_currency(cents: int, currency: str, locale: str, text: str) -> None:
    out = rules.format_money(cents, currency, locale)
    assert plain(out) == text
    assert " " not in out  # no-break spaces only: a label never wraps an amount


def test_currency_signs_and_locale_names() -> None:
    assert rules.currency_symbol("NOK", "nb") == "kr" and rules.currency_symbol("NOK", "en") == "NOK"
    assert rules.currency_symbol("USD", "en") == "$" and rules.currency_symbol("XYZ", "en") == "$"
    assert rules.currency_symbol("EUR", "not a locale!") == "€"
    for name in ("nb", "nb_NO", "nb-NO", "nb_NO.UTF-8", "no", "nn_NO", "no_NO@euro"):
        assert plain(rules.format_money(100, "NOK", name)) == "kr 1,00", name
    assert plain(rules.format_money(100, "NOK", "")) == "NOK 1.00"
    assert plain(rules.format_money(100, "xyz", "nb")) == "USD 1,00"  # an unknown currency: dollars, never a crash


def test_format_dollars_is_the_formatter_in_usd_english() -> None:
    assert rules.format_dollars(123456) == rules.format_money(123456, "USD", "en") == "$1,234.56"


def test_every_supported_currency_has_two_minor_digits_and_a_distinct_sign() -> None:
    assert set(rules.CURRENCIES) >= {"NOK", "SEK", "DKK", "EUR", "GBP", "USD"}
    assert all(digits == 2 for digits in rules.CURRENCIES.values())
    signs = {code: plain(rules.format_money(100, code, "en")).replace("1.00", "").strip() for code in rules.CURRENCIES}
    assert len(set(signs.values())) == len(signs), signs
    assert rules.currency_error("NOK") is None and rules.currency_error("nok") and rules.currency_error("XYZ")
    assert rules.normal_currency(" nok ") == "NOK" and rules.normal_currency("XYZ") == "USD"


def test_money_limits_speak_the_shows_currency() -> None:
    assert rules.money_error(1_000_000.01) == "must be at most $1,000,000.00"
    assert plain(rules.money_error(1_000_000.01, currency="NOK") or "") == "must be at most NOK 1,000,000.00"
    with pytest.raises(p.ProtocolError, match="NOK"):
        p.ListingBuyNow.from_data({"item_id": "a", "price": 2_000_000}, currency="NOK")


def test_show_notes_card_and_quick_replies_use_the_shows_currency(tmp_path: Path, norwegian: None) -> None:
    with InventoryStore(tmp_path / "inv.db") as store:
        item = store.add_item(Item("Lampe", type="buy_it_now", price_cents=129900, quantity=3))
        session = SellingSession(store, "show-1")
        session.currency = "NOK"
        session.set_item(item.id)
        card = session.product_card()
        assert card is not None and plain(card.price_text) == "kr 1 299,00"
        session.on_purchase(buyer="kari", item_id=item.id, price_cents=129900, order_id="o1")
        sale = store.list_sales("show-1")[0]
        assert sale.currency == "NOK" and sale.price_cents == 129900
        assert "kr 1 299,00" in plain(session.note.text)  # type: ignore[union-attr]
        assert plain(format_total(store.list_sales())) == "kr 1 299,00"
        from seller_studio.show.selling import QuickReplies
        replies = QuickReplies(store)
        replies.add("Pris", "Pris: {price}")
        assert plain(replies.render(len(replies) - 1, item=item, currency="NOK")) == "Pris: kr 1 299,00"


def test_totals_never_add_across_currencies(tmp_path: Path) -> None:
    with InventoryStore(tmp_path / "inv.db") as store:
        a = store.add_item(Item("A", type="buy_it_now", price_cents=1000, quantity=5))
        store.record_sale(a.id, buyer="x", price_cents=1000, show_id="s-usd", currency="USD")
        store.record_sale(a.id, buyer="y", price_cents=2000, show_id="s-nok", currency="NOK")
        sales = store.list_sales()
        assert [s.currency for s in sales] == ["USD", "NOK"]
        assert plain(format_total(sales)) == "$10.00 + NOK 20.00"
        assert plain(format_money(0, "NOK")) == "NOK 0.00"


def test_sandbox_carries_the_currency_in_welcome_and_show_start() -> None:
    sandbox = start_sandbox(SandboxConfig(port=0, token="test-token", simulate_viewers=False, clock=FakeClock(),
                                          currency="NOK"), with_ingest=False)
    try:
        raw = Raw(sandbox.ws_url)
        assert raw.welcome["data"]["currency"] == "NOK"
        bad = raw.command("show.start", {"currency": "XYZ"})
        assert bad["type"] == "error" and bad["data"]["code"] == ErrorCode.BAD_MESSAGE
        assert "currency" in bad["data"]["message"]
        assert raw.command("show.start", {"currency": "SEK"})["type"] == "ack"
        started = [e for e in raw.events() if e["type"] == "show.started"]
        assert started and started[0]["data"]["currency"] == "SEK"
        clash = raw.command("show.start", {"currency": "EUR"})  # prices on the wire are already SEK
        assert clash["type"] == "error" and "SEK" in clash["data"]["message"]
        assert raw.command("show.start", {"currency": "SEK"})["type"] == "ack"  # the same: idempotent
        # Increments follow the same table in kronor: 1 from 1, 2 from 30, ...
        raw.command("auction.start", {"item_id": "lamp", "starting_bid": 29, "duration_s": 60})
        aid = [e for e in raw.events() if e["type"] == "auction.started"][0]["data"]["auction_id"]
        raw.command("auction.place_bid", {"auction_id": aid, "user": "ann", "amount": 30})
        low = raw.command("auction.place_bid", {"auction_id": aid, "user": "bo", "amount": 31})
        assert low["data"]["code"] == ErrorCode.BID_TOO_LOW and "32.00" in low["data"]["message"]
        too_much = raw.command("listing.buy_now", {"item_id": "x", "price": 2_000_000})
        assert "SEK 1,000,000.00" in plain(too_much["data"]["message"])
        # A new connection is welcomed in the show's currency.
        other = Raw(sandbox.ws_url)
        assert other.welcome["data"]["currency"] == "SEK"
        raw.close()
        other.close()
    finally:
        sandbox.stop()


def test_older_platforms_without_currency_mean_dollars() -> None:
    event = p.ShowStarted.from_data({"show_id": "s", "started_at": 1.0})
    assert event.currency is None
    assert p.ShowStart().to_data() == {}  # nothing new on the wire unless a currency is asked


def test_decimal_comma_csv(tmp_path: Path) -> None:
    text = ("Title;Type;Price;Quantity\n"
            "Lampe;Buy It Now;1299,00;1\n"
            "Vase;Buy It Now;kr 1 299,50;1\n"
            "Stol;Buy It Now;450,-;1\n"
            "Bord;Auction;1.299;1\n"
            "Skap;Auction;1.299,00;1\n")
    path = tmp_path / "varer.csv"
    path.write_text(text, encoding="utf-8")
    with InventoryStore(tmp_path / "inv.db") as store:
        result = import_csv(store, path)
    assert result.delimiter == ";" and result.decimal_comma
    prices = {item.title: item.price_cents for _, item in result.imported}
    assert prices == {"Lampe": 129900, "Vase": 129950, "Stol": 45000, "Skap": 129900}
    assert len(result.errors) == 1 and result.errors[0].row == 5
    line = str(result.errors[0])
    assert "\n" not in line and "ambiguous" in line and "'1.299'" in line and "1299,00" in line


def test_decimal_style_can_be_said_explicitly(tmp_path: Path) -> None:
    path = tmp_path / "comma.csv"
    path.write_text('Title,Type,Price,Quantity\nLamp,Buy It Now,"1299,00",1\nVase,Buy It Now,"12,5",1\n')
    with InventoryStore(tmp_path / "a.db") as store:
        as_comma = import_csv(store, path, decimal="comma")
    assert {i.title: i.price_cents for _, i in as_comma.imported} == {"Lamp": 129900, "Vase": 1250}
    semi = tmp_path / "semi.csv"
    semi.write_text("Title;Type;Price;Quantity\nLamp;Auction;1.299;1\nVase;Auction;12.50;1\n")
    with InventoryStore(tmp_path / "b.db") as store:
        auto = import_csv(store, semi)
    assert auto.decimal_comma and [e.row for e in auto.errors] == [2] and "ambiguous" in auto.errors[0].message
    with InventoryStore(tmp_path / "b2.db") as store:
        as_point = import_csv(store, semi, decimal="point")  # the seller says: points are decimals
    assert not as_point.decimal_comma and "more than 2 decimal places" in as_point.errors[0].message
    assert "ambiguous" in as_point.errors[0].message and "1299.00" in as_point.errors[0].message
    assert [i.price_cents for _, i in as_point.imported] == [1250]
    with pytest.raises(ValueError, match="decimal style"):
        import_csv(InventoryStore(tmp_path / "c.db"), path, decimal="guess")
    assert parse_price_cents("1,299", decimal_comma=False) == 129900  # a US thousands comma, as before
    with pytest.raises(ValueError, match="ambiguous"):
        parse_price_cents("1,299", decimal_comma=True)


def test_sales_export_writes_the_sellers_decimal_style(tmp_path: Path, norwegian: None) -> None:
    with InventoryStore(tmp_path / "inv.db") as store:
        item = store.add_item(Item("Lampe", type="buy_it_now", price_cents=129900, quantity=2))
        store.record_sale(item.id, buyer="kari", price_cents=129900, show_id="s", currency="NOK")
        nb_file, en_file = tmp_path / "nb.csv", tmp_path / "en.csv"
        write_sales(nb_file, store.list_sales())
        write_sales(en_file, store.list_sales(), decimal_comma=False)
    with nb_file.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    assert rows[0][3] == "Price" and rows[0][-1] == "Currency"
    assert rows[1][3] == "1299,00" and rows[1][-1] == "NOK"
    with en_file.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[1][3] == "1299.00" and rows[1][-1] == "NOK"


def test_the_show_takes_the_currency_the_studio_starts_it_in(tmp_path: Path) -> None:
    """The studio sends its profile's currency in show.start; the platform's show.started carries it
    back and the show controller (and every sale it records) follows it."""
    import asyncio

    from seller_studio.platform.client import PlatformClient
    from seller_studio.show.controller import ShowController

    sandbox = start_sandbox(SandboxConfig(port=0, token="t", simulate_viewers=False), with_ingest=False)
    store = InventoryStore(tmp_path / "inv.db")

    async def scenario() -> tuple[str, str, str]:
        client = PlatformClient(sandbox.ws_url, sandbox.token)
        buyer = PlatformClient(sandbox.ws_url, sandbox.token)
        await client.connect()
        await buyer.connect()
        try:
            ctl = ShowController(store, "kveld", client=client, currency="DKK")
            before = ctl.currency  # the platform's welcome said USD: its word wins until the show starts
            await client.start_show(currency="DKK")
            for _ in range(100):
                if ctl.currency == "DKK":
                    break
                await asyncio.sleep(0.02)
            ctl.add_item(Item("Lampe", type="buy_it_now", price_cents=45000, quantity=2))
            ctl.show_index(0)
            await ctl.open_buy_now(1)
            item = ctl.session.item
            assert item is not None
            await buyer.command("listing.purchase", {"item_id": str(item.id), "buyer": "mads"})
            for _ in range(100):
                if store.list_sales():
                    break
                await asyncio.sleep(0.02)
            return before, ctl.currency, store.list_sales()[0].currency
        finally:
            await buyer.close()
            await client.close()

    try:
        before, after, sale_currency = asyncio.run(asyncio.wait_for(scenario(), 20))
    finally:
        sandbox.stop()
        store.close()
    assert (before, after, sale_currency) == ("USD", "DKK", "DKK")


def test_the_norwegian_demo_sheet_imports_in_kroner(tmp_path: Path) -> None:
    from seller_studio.show.demo import sample_inventory_path

    path = sample_inventory_path("nb")
    assert path.name == "demo-inventory.nb.csv" and sample_inventory_path("en").name == "demo-inventory.csv"
    with InventoryStore(tmp_path / "inv.db") as store:
        result = import_csv(store, path)
    assert result.errors == [] and result.decimal_comma and result.delimiter == ";"
    items = {item.title: item for _, item in result.imported}
    lamp = items["Messinglampe fra 1960-tallet"]
    assert lamp.price_cents == 129900 and lamp.type == "auction" and lamp.category == "Interiør"
    assert items["Scarlet & Violet boosterpakke, 151"].type == "buy_it_now"
    assert items["He-Man fra 1985, løs"].price_cents == 15000
