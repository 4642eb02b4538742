"""Import a bulk-listing CSV (Category, Sub Category, Title, Description, Quantity, Type, Price,
Shipping Profile, Condition; optional SKU and image columns) into the inventory.

What sellers send: Google Sheets / Excel exports, UTF-8 with or without BOM, Excel's plain "CSV"
(Windows-1252), comma or semicolon separated, quoted cells with commas and newlines.

Rules:
- Row numbers are the ones the seller sees in the spreadsheet: the header is row 1 and a quoted
  cell with line breaks is still one row.
- A bad row is reported with its number and reason and imports nothing; good rows import.
- Bytes that are not UTF-8 are read as Windows-1252 (what Excel writes) with a warning naming the
  rows, so nothing is dropped and the seller knows what to check.
- Cells are stored as text; nothing is ever evaluated.
- Re-importing creates no duplicates: the key is the SKU, else a hash of the identifying fields.
"""

from __future__ import annotations

import csv
import hashlib
import re
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from seller_studio.common.errors import ExitCode, UserError
from seller_studio.i18n import tr, tr_noop, tr_text
from seller_studio.platform.rules import MONEY_MAX_CENTS
from seller_studio.show.csv_safety import unneutralise_cell
from seller_studio.show.inventory import InventoryStore, Item

MAX_FIELD_BYTES = 64 * 1024
MAX_FILE_BYTES = 200 * 1024 * 1024
DECIMAL_STYLES = ("auto", "comma", "point")  # `inventory import --decimal`
MAX_PRICE_CENTS = MONEY_MAX_CENTS  # the platform refuses more; anything above is a typo, not a listing
MAX_QUANTITY = 1_000_000

REQUIRED = ("title", "quantity", "type", "price")
LABELS = {
    "category": "Category",
    "sub_category": "Sub Category",
    "title": "Title",
    "description": "Description",
    "quantity": "Quantity",
    "type": "Type",
    "price": "Price",
    "shipping_profile": "Shipping Profile",
    "condition": "Condition",
    "sku": "SKU",
    "images": "Image URL",
}
_ALIASES = {
    "category": "category",
    "sub category": "sub_category",
    "subcategory": "sub_category",
    "title": "title",
    "description": "description",
    "quantity": "quantity",
    "qty": "quantity",
    "type": "type",
    "listing type": "type",
    "price": "price",
    "shipping profile": "shipping_profile",
    "condition": "condition",
    "sku": "sku",
    # Norwegian column names (a seller's own nb sheet)
    "kategori": "category",
    "underkategori": "sub_category",
    "tittel": "title",
    "beskrivelse": "description",
    "antall": "quantity",
    "annonsetype": "type",
    "pris": "price",
    "fraktprofil": "shipping_profile",
    "tilstand": "condition",
}
_TYPES = {
    "auction": "auction",
    "buyitnow": "buy_it_now",
    "bin": "buy_it_now",
    "buynow": "buy_it_now",
    "giveaway": "giveaway",
    # Norwegian sheets: Auksjon, Kjøp nå (ø and å fall out of the key), Giveaway
    "auksjon": "auction",
    "kjpn": "buy_it_now",
    "kjopna": "buy_it_now",
}


class ImportFileError(UserError):
    """The whole file cannot be used (missing, unreadable, not a CSV, required column missing)."""

    exit_code = ExitCode.BAD_INPUT_FILE


@dataclass(frozen=True)
class RowIssue:
    row: int | None  # spreadsheet row number (header = 1); None for the whole file
    message: str
    is_plain_duplicate: bool = False  # skipped because it is already in the inventory, unchanged
    parts: tuple[str, ...] = ()  # the problems ``message`` joins with "; ", each its own English template

    def __str__(self) -> str:
        return tr_noop("row {row}: {message}").format(row=self.row, message=self.message) if self.row is not None \
            else self.message

    def shown(self) -> str:
        """The line in the studio's language (``str()`` stays English for logs): each joined problem
        is translated on its own, so "missing Price; the row has only 2 ..." reads Norwegian too."""
        message = "; ".join(tr_text(p) for p in self.parts) if self.parts else tr_text(self.message)
        return tr("row {row}: {message}").format(row=self.row, message=message) if self.row is not None else message


@dataclass
class ParsedFile:
    path: Path | None
    encoding: str
    delimiter: str
    columns: dict[str, int]  # field -> 0-based column index (images: the first image column)
    decimal_comma: bool = False  # prices read as 1299,00 (see decimal_comma_for)
    rows: list[tuple[int, Item]] = field(default_factory=list)  # (row number, item) for good rows
    errors: list[RowIssue] = field(default_factory=list)
    warnings: list[RowIssue] = field(default_factory=list)
    blank_rows: int = 0

    @property
    def data_rows(self) -> int:
        return len(self.rows) + len(self.errors)


@dataclass
class ImportResult:
    path: Path | None
    encoding: str
    delimiter: str
    decimal_comma: bool = False
    imported: list[tuple[int, Item]] = field(default_factory=list)
    skipped: list[RowIssue] = field(default_factory=list)  # duplicates: already there or twice in file
    errors: list[RowIssue] = field(default_factory=list)
    warnings: list[RowIssue] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def is_complete(self) -> bool:
        """Every row made it into the inventory (imported now or already there)."""
        return not self.errors


# --- reading and decoding ----------------------------------------------------------------------------


def read_file_bytes(path: Path | str) -> bytes:
    path = Path(path)
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise ImportFileError(tr_noop('{path} is a folder, not a CSV file').format(path=path))
        if size > MAX_FILE_BYTES:
            raise ImportFileError(tr_noop('{path} is {value:.0f} MB; the limit is {value2} MB').format(path=path, value=size / 1e6, value2=MAX_FILE_BYTES // 10**6))
        return path.read_bytes()
    except FileNotFoundError:
        raise ImportFileError(tr_noop('{path}: no such file').format(path=path)) from None
    except PermissionError:
        raise ImportFileError(tr_noop('{path}: permission denied').format(path=path)) from None
    except OSError as exc:
        raise ImportFileError(tr_noop('{path}: cannot read ({value})').format(path=path, value=exc.strerror or exc)) from None


@dataclass
class _Decoded:
    lines: list[str]
    encoding: str
    fallback_lines: set[int]  # 1-based physical lines read as Windows-1252
    warning: str | None = None


def _decode_cp1252(raw: bytes) -> str:
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:  # 5 bytes cp1252 leaves undefined: latin-1 maps every byte
        return raw.decode("latin-1")


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+$")
_LINE_BYTES = re.compile(rb"[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+$")


def _split_lines(text: str) -> list[str]:
    # Only CR/LF end a line: str.splitlines would also split on U+2028 etc. inside a cell.
    return _LINE.findall(text)


def decode_csv_bytes(data: bytes, name: str = "file") -> _Decoded:
    if data.startswith(b"PK\x03\x04"):
        raise ImportFileError(
            tr_noop('{name} is an Excel workbook (.xlsx), not a CSV: in Excel use File > Save As > CSV UTF-8').format(name=name)
        )
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(tr_noop('{name} is an old Excel workbook (.xls), not a CSV: save it as CSV UTF-8').format(name=name))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise ImportFileError(tr_noop('{name} says it is UTF-16 but is not valid UTF-16').format(name=name)) from None
        return _Decoded(_split_lines(text), "utf-16", set())
    if data.count(b"\0") > max(16, len(data) // 100):
        raise ImportFileError(tr_noop('{name} is not a text CSV (it contains binary data)').format(name=name))
    encoding = "utf-8"
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        encoding = "utf-8 (BOM)"
    try:
        return _Decoded(_split_lines(data.decode("utf-8")), encoding, set())
    except UnicodeDecodeError:
        pass
    # Not UTF-8 as a whole: decide line by line so a mostly-UTF-8 file keeps its good rows intact.
    lines: list[str] = []
    fallback: set[int] = set()
    has_utf8_text = False
    for number, raw in enumerate(_LINE_BYTES.findall(data), start=1):
        try:
            line = raw.decode("utf-8")
            has_utf8_text = has_utf8_text or not raw.isascii()
        except UnicodeDecodeError:
            line = _decode_cp1252(raw)
            fallback.add(number)
        lines.append(line)
    if not has_utf8_text:
        return _Decoded(
            lines,
            "windows-1252",
            set(),
            warning=tr_noop(
                "{name} is not UTF-8; read it as Windows-1252 (Excel's plain CSV). Check accented "
                "letters; saving as \"CSV UTF-8\" avoids this"
            ).format(name=name),
        )
    return _Decoded(lines, "utf-8 (some rows windows-1252)", fallback)


def _sniff_delimiter(lines: list[str]) -> str:
    for line in lines[:20]:
        if not line.strip():
            continue
        counts = {",": 0, ";": 0, "\t": 0}
        in_quotes = False
        for ch in line:
            if ch == '"':
                in_quotes = not in_quotes
            elif not in_quotes and ch in counts:
                counts[ch] += 1
        best = max(counts, key=lambda d: (counts[d], d == ","))
        return best if counts[best] else ","
    return ","


def _records(lines: list[str], delimiter: str) -> Iterator[tuple[int, int, list[str] | str]]:
    """Yield (first_line, last_line, cells or csv error text) per spreadsheet row."""
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    previous_line = 0
    while True:
        try:
            cells: list[str] | str = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            cells = str(exc)
        yield previous_line + 1, reader.line_num, cells
        previous_line = reader.line_num


# --- cell parsing --------------------------------------------------------------------------------------


def normalise_header(name: str) -> str:
    return re.sub(r"[\s_\-]+", " ", name.replace("\ufeff", "").strip().casefold())


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def shown(value: str, limit: int = 30) -> str:
    """A cell quoted for a one-line message: short, with control characters escaped."""
    cut = value if len(value) <= limit else value[:limit] + "…"
    return repr(cut)


_US_NUMBER = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+)?(?:\.(\d*))?")
_EU_NUMBER = re.compile(r"(\d{1,3}(?:\.\d{3})+|\d+)?(?:,(\d*))?")


# Currency marks a seller's sheet may put around a price: "$9.99", "US$ 9.99", "kr 1 299,00",
# "1 299,00 kr", "NOK 450", "€12", "1299,-" (Norwegian for a whole amount).
_CURRENCY_MARK = re.compile(
    r"^(?:US\$|USD|NOK|SEK|DKK|EUR|GBP|kr\.?|[$€£])|(?:US\$|USD|NOK|SEK|DKK|EUR|GBP|kr\.?|[$€£]|[,.]-)$",
    re.IGNORECASE)
_AMBIGUOUS_DOT = re.compile(r"(\d{1,3})\.(\d{3})")  # "1.299": 1299 (nb/de) or 1.299 (en)?
_AMBIGUOUS_COMMA = re.compile(r"(\d{1,3}),(\d{3})")  # "1,299" in a decimal-comma file: 1299 or 1,299?


def parse_price_cents(text: str, *, decimal_comma: bool = False) -> int:
    """'9.99', '$1,234.50', '9,99' (decimal-comma files), 'kr 1 299,00', '1299,-' -> cents.

    Raises ValueError with the reason. In a decimal-comma file a lone '.' or ',' before exactly three
    digits ('1.299') could be a thousands separator or a decimal point: the row is refused with a
    message saying how to write it, never guessed. (With decimal points, '1.299' has more than 2
    decimal places and '1,299' is one thousand two hundred ninety-nine, as before.)
    """
    s = re.sub(r"[\s\u00a0\u202f]", "", text)
    for _ in range(2):  # a mark on each side at most ("US$ 5 USD" is not a price anyone writes)
        s = _CURRENCY_MARK.sub("", s)
    if not s:
        raise ValueError(tr_noop("missing Price"))
    if s.startswith("-"):
        raise ValueError(tr_noop('Price cannot be negative (got {value})').format(value=shown(text)))
    ambiguous = (_AMBIGUOUS_DOT.fullmatch(s) or _AMBIGUOUS_COMMA.fullmatch(s)) if decimal_comma else None
    if ambiguous:
        whole = ambiguous.group(1) + ambiguous.group(2)
        raise ValueError(tr_noop('Price {value} is ambiguous ({whole} or {value2}?): write {whole},00 for {whole}, or at most 2 decimals').format(value=shown(text), whole=whole, value2=s.replace(',', '.')))
    patterns = (_EU_NUMBER, _US_NUMBER) if decimal_comma else (_US_NUMBER, _EU_NUMBER)
    for pattern in patterns:
        m = pattern.fullmatch(s)
        if m and (m.group(1) or m.group(2)):
            if pattern is _EU_NUMBER and not decimal_comma and "," not in s:
                continue  # "1.234" in a comma file is not one thousand two hundred
            whole = re.sub(r"[.,]", "", m.group(1) or "0")
            frac = m.group(2) or ""
            if len(frac) > 2:
                dot = _AMBIGUOUS_DOT.fullmatch(s)
                if dot:  # "1.299" in a decimal-point file: 1.299 has too many decimals, or 1299 was meant
                    whole = dot.group(1) + dot.group(2)
                    raise ValueError(tr_noop('Price has more than 2 decimal places (got {value}): ambiguous - write {whole}.00 for {whole}, or at most 2 decimals').format(value=shown(text), whole=whole))
                raise ValueError(tr_noop('Price has more than 2 decimal places (got {value})').format(value=shown(text)))
            cents = int(Decimal(whole) * 100 + Decimal(frac.ljust(2, "0")))
            if cents > MAX_PRICE_CENTS:
                raise ValueError(tr_noop('Price is too large (got {value})').format(value=shown(text)))
            return cents
    raise ValueError(tr_noop('Price is not a number (got {value})').format(value=shown(text)))


def parse_quantity(text: str) -> int:
    s = text.strip()
    if not s:
        raise ValueError(tr_noop("missing Quantity"))
    m = re.fullmatch(r"([+-]?\d+)(?:\.0*)?", s)
    if not m:
        raise ValueError(tr_noop('Quantity is not a whole number (got {value})').format(value=shown(text)))
    value = int(m.group(1))
    if value < 1:
        raise ValueError(tr_noop('Quantity must be 1 or more (got {value})').format(value=shown(text)))
    if value > MAX_QUANTITY:
        raise ValueError(tr_noop('Quantity is too large (got {value})').format(value=shown(text)))
    return value


def parse_type(text: str) -> str:
    key = re.sub(r"[^a-z]", "", text.casefold())
    if not key:
        raise ValueError(tr_noop("missing Type"))
    try:
        return _TYPES[key]
    except KeyError:
        raise ValueError(
            tr_noop('unknown Type {value} (use Auction, Buy It Now or Giveaway)').format(value=shown(text))
        ) from None


def split_images(cell: str) -> list[str]:
    """Several images in one cell: split on | or line breaks, and before each URL. A local path
    may contain spaces ("C:\\My Photos\\a.jpg"), so plain spaces only split between URLs."""
    parts = re.split(r"\s*[|\r\n]+\s*|[\s,;]+(?=(?:https?|file)://)", cell.strip())
    return [p.strip() for p in parts if p.strip()]


def import_key(item: Item) -> str:
    """The duplicate key: the SKU when there is one, else a stable hash of what identifies a
    listing (not the description or quantity, so fixing those and re-importing adds nothing)."""
    if item.sku:
        return "sku:" + item.sku
    parts = [item.title, item.category, item.sub_category, item.condition, item.type, str(item.price_cents)]
    norm = "\x1f".join(" ".join(unicodedata.normalize("NFC", p).casefold().split()) for p in parts)
    return "row:" + hashlib.sha256(norm.encode("utf-8")).hexdigest()[:32]


_COMPARED = (("title", "title"), ("type", "type"), ("price_cents", "price"), ("description", "description"),
             ("category", "category"), ("sub_category", "sub category"), ("condition", "condition"),
             ("shipping_profile", "shipping profile"), ("images", "image list"))


def listing_differences(a: Item, b: Item) -> list[str]:
    """Names of the listing details that differ (quantity and status change during shows)."""
    return [label for attr, label in _COMPARED if getattr(a, attr) != getattr(b, attr)]


# --- the parser ----------------------------------------------------------------------------------------


def _map_header(cells: list[str], name: str) -> tuple[dict[str, int], list[int], list[str]]:
    columns: dict[str, int] = {}
    image_columns: list[int] = []
    ignored: list[str] = []
    for index, raw in enumerate(cells):
        key = normalise_header(raw)
        field_name = _ALIASES.get(key)
        if field_name is None and re.match(r"(image|photo|picture)s?\b", key):
            image_columns.append(index)
            continue
        if field_name is None:
            if key:
                ignored.append(f"{raw.strip()!r} (column {column_letter(index)})")
            continue
        if field_name in columns:
            raise ImportFileError(
                tr_noop('{name}: two {value} columns ({value2} and {value3}); keep one').format(name=name, value=LABELS[field_name], value2=column_letter(columns[field_name]), value3=column_letter(index))
            )
        columns[field_name] = index
    missing = [LABELS[f] for f in REQUIRED if f not in columns]
    if missing:
        found = ", ".join(c.strip() for c in cells if c.strip()) or "nothing"
        raise ImportFileError(
            tr_noop('{name}: missing required column{value} {value2} in the header row (found: {value3})').format(name=name, value='s' if len(missing) > 1 else '', value2=', '.join(missing), value3=shown(found, 120))
        )
    return columns, image_columns, ignored


def _parse_row(
    cells: list[str], columns: dict[str, int], image_columns: list[int], width: int, decimal_comma: bool
) -> tuple[Item | None, list[str]]:
    problems: list[str] = []
    extra = [c for c in cells[width:] if c.strip()]
    if extra:
        problems.append(
            tr_noop("the row has {cells} cells but the header has {width} "
                    "(a comma or semicolon inside a cell that is not quoted?)").format(cells=len(cells), width=width)
        )
        return None, problems

    def cell(name: str) -> str:
        index = columns.get(name)
        if index is None or index >= len(cells):
            return ""
        return unneutralise_cell(cells[index].strip())

    values = {name: cell(name) for name in columns}
    images: list[str] = []
    for index in image_columns:
        if index < len(cells):
            if len(cells[index].encode("utf-8")) > MAX_FIELD_BYTES or "\0" in cells[index]:
                problems.append(tr_noop("{label} in column {column} is too large or binary").format(
                    label=LABELS["images"], column=column_letter(index)))
            else:
                images.extend(split_images(cells[index]))
    for name, value in values.items():
        size = len(value.encode("utf-8"))
        if size > MAX_FIELD_BYTES:
            problems.append(tr_noop("{label} is too large ({size} bytes; the limit is {limit})").format(
                label=LABELS[name], size=f"{size:,}", limit=f"{MAX_FIELD_BYTES:,}"))
        elif "\0" in value:
            problems.append(tr_noop("{label} contains a NUL character (binary data pasted in?)").format(label=LABELS[name]))
    if problems:
        return None, problems

    short = len(cells) < width
    title = values.get("title", "")
    if not title:
        problems.append("missing Title")
    quantity = price_cents = 0
    item_type = ""
    try:
        quantity = parse_quantity(values.get("quantity", ""))
    except ValueError as exc:
        problems.append(str(exc))
    try:
        item_type = parse_type(values.get("type", ""))
    except ValueError as exc:
        problems.append(str(exc))
    try:
        price_cents = parse_price_cents(values.get("price", ""), decimal_comma=decimal_comma)
    except ValueError as exc:
        problems.append(str(exc))
    if problems:
        if short:
            problems.append(tr_noop("the row has only {cells} of the header's {width} cells").format(cells=len(cells), width=width))
        return None, problems
    item = Item(
        title=title,
        type=item_type,
        price_cents=price_cents,
        quantity=quantity,
        sku=values.get("sku") or None,
        description=values.get("description", ""),
        category=values.get("category", ""),
        sub_category=values.get("sub_category", ""),
        condition=values.get("condition", ""),
        shipping_profile=values.get("shipping_profile", ""),
        images=images,
    )
    item.import_key = import_key(item)
    return item, []


def decimal_comma_for(decimal: str, delimiter: str) -> bool:
    """Whether prices are read with a decimal comma: ``decimal`` "comma" or "point" says so; "auto"
    follows the file: ';'-separated files are what nb/de/fr spreadsheets export, with '1299,00'."""
    if decimal not in DECIMAL_STYLES:
        raise ValueError(tr_noop('decimal style must be one of {value}, not {decimal!r}').format(value=', '.join(DECIMAL_STYLES), decimal=decimal))
    return delimiter == ";" if decimal == "auto" else decimal == "comma"


def parse_inventory_csv(data: bytes, name: str = "file", path: Path | None = None, *,
                        decimal: str = "auto") -> ParsedFile:
    """Parse and validate without touching the inventory (the UI uses this for a preview).
    ``decimal``: "auto" (decimal comma in ';'-separated files), "comma" or "point"."""
    decoded = decode_csv_bytes(data, name)
    delimiter = _sniff_delimiter(decoded.lines)
    decimal_comma = decimal_comma_for(decimal, delimiter)
    parsed = ParsedFile(path=path, encoding=decoded.encoding, delimiter=delimiter, columns={},
                        decimal_comma=decimal_comma)
    if decoded.warning:
        parsed.warnings.append(RowIssue(None, decoded.warning))
    header: list[str] | None = None
    columns: dict[str, int] = {}
    image_columns: list[int] = []
    row_number = 0
    old_limit = csv.field_size_limit()
    # Parse big cells fully (the size check below reports them) instead of desynchronising.
    csv.field_size_limit(max(old_limit, len(data) + 1))
    try:
        for first_line, last_line, cells in _records(decoded.lines, delimiter):
            row_number += 1
            if isinstance(cells, str):
                if "unexpected end of data" in cells:
                    message = tr_noop(
                        "a quoted cell opened in this row is never closed, so the rest of the file "
                        "(text lines {first}-{last}) could not be read").format(first=first_line, last=last_line)
                else:
                    message = tr_noop("cannot read this row ({error}; a stray quote?)").format(error=cells)
                if header is None:
                    raise ImportFileError(tr_noop('{name}: cannot read the header row ({cells})').format(name=name, cells=cells))
                parsed.errors.append(RowIssue(row_number, message))
                continue
            if not any(c.strip() for c in cells):
                if header is not None:
                    parsed.blank_rows += 1
                continue
            if header is None:
                header = cells
                columns, image_columns, ignored = _map_header(cells, name)
                parsed.columns = dict(columns)
                if image_columns:
                    parsed.columns["images"] = image_columns[0]
                if ignored:
                    parsed.warnings.append(RowIssue(None, tr_noop("ignored columns: ") + ", ".join(ignored)))
                continue
            item, problems = _parse_row(
                cells, columns, image_columns, len(header), decimal_comma=decimal_comma
            )
            if item is None:
                parsed.errors.append(RowIssue(row_number, "; ".join(problems), parts=tuple(problems)))
                continue
            if decoded.fallback_lines.intersection(range(first_line, last_line + 1)):
                parsed.warnings.append(RowIssue(
                    row_number,
                    tr_noop('not valid UTF-8; read as Windows-1252 - check the text (title {value})').format(value=shown(item.title)),
                ))
            parsed.rows.append((row_number, item))
    finally:
        csv.field_size_limit(old_limit)
    if header is None:
        raise ImportFileError(tr_noop('{name} is empty (no header row)').format(name=name))
    return parsed


def import_csv(store: InventoryStore, path: Path | str, *, decimal: str = "auto") -> ImportResult:
    """Import the good rows of ``path`` in one transaction; report the rest. ``decimal`` as in
    ``parse_inventory_csv``."""
    started = time.perf_counter()
    path = Path(path)
    parsed = parse_inventory_csv(read_file_bytes(path), name=str(path), path=path, decimal=decimal)
    result = ImportResult(
        path=path,
        encoding=parsed.encoding,
        delimiter=parsed.delimiter,
        decimal_comma=parsed.decimal_comma,
        errors=list(parsed.errors),
        warnings=list(parsed.warnings),
    )
    first_seen: dict[str, tuple[int, Item]] = {}
    to_insert: list[tuple[int, Item]] = []
    for row_number, item in parsed.rows:
        key = item.import_key or ""
        if key in first_seen:
            first_row, first_item = first_seen[key]
            differences = listing_differences(first_item, item)
            if item.sku and differences:
                # Same SKU, different listing: a copy-paste slip; importing either would hide one.
                result.errors.append(RowIssue(
                    row_number,
                    tr_noop('SKU {value} is also on row {first_row} with a different {value2}; give each item its own SKU').format(value=shown(item.sku), first_row=first_row, value2=', '.join(differences)),
                ))
            else:
                what = f"same SKU {shown(item.sku)}" if item.sku else "same item"
                result.skipped.append(RowIssue(row_number, tr_noop('{what} as row {first_row}').format(what=what, first_row=first_row)))
            continue
        first_seen[key] = (row_number, item)
        to_insert.append((row_number, item))
    inserted = store.add_items(item for _, item in to_insert)
    for (row_number, item), stored in zip(to_insert, inserted, strict=True):
        if stored is not None:
            result.imported.append((row_number, stored))
            continue
        existing = store.get_item_by_sku(item.sku) if item.sku else None
        differences = listing_differences(existing, item) if existing else []
        what = f"SKU {shown(item.sku)}" if item.sku else "this item"
        note = f" (this row has a different {', '.join(differences)}; the inventory was not changed)" if differences else ""
        result.skipped.append(
            RowIssue(row_number, tr_noop('{what} is already in the inventory{note}').format(what=what, note=note), is_plain_duplicate=not note)
        )
    result.errors.sort(key=lambda issue: issue.row or 0)
    result.skipped.sort(key=lambda issue: issue.row or 0)
    result.elapsed_s = time.perf_counter() - started
    return result
