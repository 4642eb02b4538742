"""The demo's inventory: its own database, started with a few sample items (no Qt).

``seller-studio --demo`` is where a new seller tries Next, auctions and buy-it-now: an empty
inventory there would make every show button do nothing. The samples live in
``resources/samples/demo-inventory.csv`` (the bulk-listing format of the sample sheets) and are
imported only while the demo inventory is empty; the seller's real inventory is never touched.
"""

from __future__ import annotations

import sys
from pathlib import Path

from seller_studio.common.paths import data_dir
from seller_studio.i18n import current_language, tr_noop
from seller_studio.show.inventory import InventoryStore

DEMO_DB_FILENAME = "demo-inventory.db"
SAMPLE_RELATIVE = Path("resources") / "samples" / "demo-inventory.csv"


def demo_db_path() -> Path:
    return data_dir() / DEMO_DB_FILENAME


def sample_inventory_path(language: str | None = None) -> Path:
    """The shipped sample sheet: beside the bundle's executable (PyInstaller) or the source tree.
    In Norwegian (``language``, default the studio's) the nb sheet: Norwegian titles and columns,
    ';'-separated with kroner written "1 299,00" (what a Norwegian spreadsheet exports)."""
    candidates = []
    bundle = getattr(sys, "_MEIPASS", None)
    relative = SAMPLE_RELATIVE
    if (language or current_language()) == "nb":
        relative = SAMPLE_RELATIVE.with_name("demo-inventory.nb.csv")
    if bundle:
        candidates.append(Path(bundle) / relative)
    candidates.append(Path(__file__).resolve().parents[2] / relative)
    for path in candidates:
        if path.exists():
            return path
    raise FileNotFoundError(tr_noop("the demo's sample inventory is missing ({path})").format(path=candidates[-1]))


def open_demo_store(path: Path | None = None) -> InventoryStore:
    return InventoryStore(path or demo_db_path())


def needs_samples(store: InventoryStore) -> bool:
    return store.count_items() == 0
