"""Keep spreadsheets from running what a seller or a buyer typed (CSV formula injection).

Cells are always stored as plain text. On the way out, a cell that a spreadsheet would read as a
formula gets a leading apostrophe, which Excel, LibreOffice and Google Sheets show as text.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from seller_studio.common.errors import UnwritablePathError
from seller_studio.i18n import tr_noop

# What Excel/LibreOffice/Sheets treat as the start of a formula (tab and CR too: OWASP's list).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: str) -> str:
    """Return a cell that no spreadsheet evaluates."""
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def unneutralise_cell(value: str) -> str:
    """Undo :func:`neutralise_cell` so our own exports re-import to the same text."""
    if len(value) > 1 and value[0] == "'" and value[1:].startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


def write_csv_atomically(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]], *,
                         delimiter: str = ",") -> int:
    """Write a formula-safe CSV (UTF-8 with BOM so Excel shows accents). The file appears whole or
    not at all. Returns the number of data rows. ``delimiter`` ";" for decimal-comma spreadsheets."""
    import csv

    path = Path(path)
    directory = path.parent  # Path("x.csv").parent is Path("."): the temp file always sits beside the target
    count = 0
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise UnwritablePathError(tr_noop('cannot write {path}: {value}').format(path=path, value=exc.strerror or exc)) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL)
            writer.writerow([neutralise_cell(h) for h in header])
            for row in rows:
                writer.writerow([neutralise_cell(str(v)) for v in row])
                count += 1
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, path)
    except OSError as exc:
        try:
            os.unlink(tmp_name)
        except OSError:
            pass
        raise UnwritablePathError(tr_noop('cannot write {path}: {value}').format(path=path, value=exc.strerror or exc)) from None
    except BaseException:
        try:
            os.unlink(tmp_name)
        except OSError:
            pass
        raise
    return count
