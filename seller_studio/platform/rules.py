"""The platform's selling rules, in one place: money, bid increments and limits (no I/O, no Qt).

The sandbox server, the protocol validation, the show's selling code, the CSV import and the show
panel's widgets all import these, so the studio never offers what the platform would refuse and the
two sides never round a price differently. This module imports nothing from the project, so any
layer may use it. docs/protocol.md states the same rules for other implementations.

Money is integer minor units ("cents": øre, öre, cents, pence) everywhere inside the studio and the
sandbox, in the show's currency (ISO 4217, ``CURRENCIES``; USD unless the show says otherwise). The
wire carries decimal major units (JSON numbers with at most 2 decimals); ``to_cents`` is the one
conversion, ``to_dollars`` the way back. ``format_money`` is the one formatter a person reads
(Babel, by locale and currency: "kr 1 299,00" in nb, "$1,299.00" in en). The increment table and
the limits are the same numbers in every currency (1 from 1, 2 from 30, ... in kroner as in dollars).
"""

from __future__ import annotations

import functools
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_symbol

# --- money --------------------------------------------------------------------------------------------

MONEY_MAX_CENTS = 100_000_000  # 1,000,000.00 (any currency): a price, bid or max bid above it is refused
MIN_STARTING_BID_CENTS = 100  # auctions start at 1.00 or more

# The currencies a show can have (ISO 4217) and their minor-unit digits. Every one has 2: the wire's
# "at most 2 decimals" and the integer minor units hold for all of them.
CURRENCIES: dict[str, int] = {"USD": 2, "NOK": 2, "SEK": 2, "DKK": 2, "EUR": 2, "GBP": 2}
DEFAULT_CURRENCY = "USD"  # a show that names no currency (and every show before currencies existed)
WIRE_LOCALE = "en"  # protocol error messages and logs are English

_CENT = Decimal("0.01")


def to_cents(dollars: float | int | str | Decimal) -> int:
    """Dollars (12.5, "12.50", 12) as integer cents.

    The one rounding rule: the amount's shortest decimal form (``str`` of a float, so 0.1 + 0.2 is
    never 30.000000000000004 cents) rounded half-up to the cent: 12.345 -> 1235, 0.005 -> 1.
    Raises ValueError for anything that is not a finite number (NaN, infinity, bools, text that is
    not a number).
    """
    if isinstance(dollars, bool):
        raise ValueError("a money amount must be a number, not true/false")
    try:
        amount = dollars if isinstance(dollars, Decimal) else Decimal(str(dollars))
    except (InvalidOperation, ValueError):
        raise ValueError(f"not a money amount: {str(dollars)[:40]!r}") from None
    if not amount.is_finite():
        raise ValueError("a money amount must be a finite number")
    return int((amount * 100).to_integral_value(ROUND_HALF_UP))


def to_dollars(cents: int) -> float:
    """Cents as the wire's decimal dollars (exact for every amount up to the money maximum)."""
    return cents / 100


def money_error(dollars: object, *, minimum_cents: int = 1, currency: str = DEFAULT_CURRENCY) -> str | None:
    """Why ``dollars`` is not an acceptable wire amount, or None if it is.

    Acceptable: a JSON number (not a bool), at most 2 decimals, from ``minimum_cents`` up to
    MONEY_MAX_CENTS. Never raises, whatever the value (a 400-digit integer, NaN, a string).
    """
    if isinstance(dollars, bool) or not isinstance(dollars, int | float | Decimal):
        return "must be a number"
    try:
        amount = Decimal(str(dollars))
    except (InvalidOperation, ValueError):
        return "must be a number"
    if not amount.is_finite():
        return "must be a finite number"
    if amount > Decimal(MONEY_MAX_CENTS) / 100:
        return f"must be at most {format_wire_money(MONEY_MAX_CENTS, currency)}"
    if amount * 100 < minimum_cents:
        return f"must be at least {format_wire_money(minimum_cents, currency)}"
    if amount != amount.quantize(_CENT, rounding=ROUND_HALF_UP):
        return "must have at most 2 decimals"
    return None


def format_wire_money(cents: int, currency: str = DEFAULT_CURRENCY) -> str:
    """An amount as protocol error messages and logs write it: English, plain spaces
    ("$1,000,000.00", "NOK 1,000,000.00"), as docs/protocol.md quotes them."""
    return format_money(cents, currency, WIRE_LOCALE).replace("\u00a0", " ")


def format_dollars(cents: int) -> str:
    """US cents in English: 123456 -> "$1,234.56" (``format_money`` with USD and en)."""
    return format_money(cents, "USD", WIRE_LOCALE)


def format_money(cents: int, currency: str = DEFAULT_CURRENCY, locale: str = WIRE_LOCALE) -> str:
    """Minor units as a person reads them in ``locale``: (129900, "NOK", "nb") -> "kr 1 299,00",
    (129900, "USD", "en") -> "$1,299.00", (129900, "NOK", "en") -> "NOK 1,299.00".

    The one money formatter of the studio (product card, panel, notes, recap, quick replies, sales
    export, chapters, error messages). Babel's CLDR data gives the digits, separators and symbol;
    Norwegian puts the symbol first ("kr 1 299,00", as Norwegian shops and banks write it), and a
    symbol made of letters is kept apart from the digits by a no-break space ("NOK 1,299.00"). The
    spaces inside an amount are no-break spaces, so a label never wraps an amount. An unknown
    currency or locale falls back to USD / English rather than failing on a price.
    """
    code = currency if currency in CURRENCIES else DEFAULT_CURRENCY
    return _money_formatter(code, _babel_locale(locale))(cents)


def currency_symbol(currency: str = DEFAULT_CURRENCY, locale: str = WIRE_LOCALE) -> str:
    """The sign ``format_money`` writes for ``currency`` in ``locale``: "kr" (NOK, nb), "$" (USD, en)."""
    code = currency if currency in CURRENCIES else DEFAULT_CURRENCY
    try:
        return get_currency_symbol(code, locale=_babel_locale(locale))
    except Exception:
        return get_currency_symbol(code, locale="en_US")


def currency_error(code: object) -> str | None:
    """Why ``code`` is not a currency a show can have, or None if it is (see ``CURRENCIES``)."""
    if not isinstance(code, str) or code not in CURRENCIES:
        return f"must be one of {', '.join(CURRENCIES)} (ISO 4217)"
    return None


def normal_currency(code: object, default: str = DEFAULT_CURRENCY) -> str:
    """``code`` upper-cased when it is a supported currency, else ``default`` (for untrusted input)."""
    upper = code.strip().upper() if isinstance(code, str) else ""
    return upper if upper in CURRENCIES else default


def _babel_locale(locale: str) -> str:
    """"nb_NO.UTF-8", "nb-NO", "no", "en_US" -> the Babel locale we format with ("nb", "en_US")."""
    base = (locale or "").split(".")[0].split("@")[0].replace("-", "_")
    lang = base.split("_")[0].lower()
    if lang in ("nb", "no", "nn"):
        return "nb"
    if lang == "en" or not lang:
        return "en_US" if base in ("", "en") else base
    return base


@functools.cache
def _money_formatter(currency: str, locale: str):  # type: ignore[no-untyped-def]
    try:
        get_currency_symbol(currency, locale=locale)
        format_currency(1, currency, locale=locale)
    except Exception:  # an unknown or malformed locale: English, never a failed price
        locale = "en_US"
    pattern = "¤ #,##0.00" if locale == "nb" else None  # "kr 1 299,00"
    symbol = get_currency_symbol(currency, locale=locale)
    is_word = symbol[-1:].isalpha()

    def fmt(cents: int) -> str:
        amount = Decimal(cents).scaleb(-CURRENCIES[currency])
        text = format_currency(amount, currency, format=pattern, locale=locale, currency_digits=True)
        text = text.replace(" ", "\u00a0").replace("\u202f", "\u00a0")
        if is_word:  # "NOK1,299.00" -> "NOK 1,299.00"
            text = re.sub(f"({re.escape(symbol)})(?=[\\d-])", "\\1\u00a0", text)
        return text

    return fmt


# --- bid increments -----------------------------------------------------------------------------------

# (price from, minimum increment), both in cents, highest band first. The leading live-shopping app's
# table: $1 from $1, $2 from $30, $3 from $50, $5 from $100, $10 from $300, $20 from $1,000,
# $50 from $2,000 up.
INCREMENT_BANDS_CENTS: tuple[tuple[int, int], ...] = (
    (200_000, 5_000),
    (100_000, 2_000),
    (30_000, 1_000),
    (10_000, 500),
    (5_000, 300),
    (3_000, 200),
    (0, 100),
)


def increment_cents(price_cents: int) -> int:
    """The minimum raise over a standing bid of ``price_cents``."""
    for floor_cents, step_cents in INCREMENT_BANDS_CENTS:
        if price_cents >= floor_cents:
            return step_cents
    return INCREMENT_BANDS_CENTS[-1][1]


def next_min_bid_cents(current_bid_cents: int | None, starting_bid_cents: int) -> int:
    """The lowest acceptable next bid: the starting bid first, then the standing bid + its increment."""
    if current_bid_cents is None:
        return starting_bid_cents
    return current_bid_cents + increment_cents(current_bid_cents)


# --- time limits --------------------------------------------------------------------------------------

# Auction length: 1 s to 1 hour. One range for the platform and the studio's presets (the studio
# used to refuse presets under 3 s that the platform accepts).
AUCTION_DURATION_MIN_S = 1.0
AUCTION_DURATION_MAX_S = 3600.0
COUNTER_BID_WINDOW_S = 10.0  # a bid with less than this left resets the clock (unless sudden death)
COUNTER_BID_MIN_S = 1.0  # what the clock is reset to: counter_bid_s, 1-60 s, default 10
COUNTER_BID_MAX_S = 60.0
COUNTER_BID_DEFAULT_S = 10.0
GIVEAWAY_MIN_S = 1.0  # giveaway entry window: 1 s to 5 minutes, default 60 s
GIVEAWAY_MAX_S = 300.0
GIVEAWAY_DEFAULT_S = 60.0
TIMEOUT_MIN_S = 1  # user.timeout: 1 s to 24 h
TIMEOUT_MAX_S = 86_400

# --- sizes and text lengths ---------------------------------------------------------------------------

BUY_NOW_MAX_QUANTITY = 100_000
MAX_CHAT_CHARS = 500  # chat.send text, 1-500 characters
MAX_ID_CHARS = 64  # command ids, and the ids of items, auctions, giveaways and chat messages
MAX_NAME_CHARS = 64  # user names in bids, purchases, giveaway entries and moderation
MAX_TITLE_CHARS = 200  # show.start title

