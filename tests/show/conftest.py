from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from seller_studio.show.inventory import InventoryStore

# The shared sample when the checkout sits beside shared/ (CI, developers); else the copy kept here.
SHARED_SAMPLE_CSV = Path(__file__).resolve().parents[3] / "shared" / "samples" / "inventory-sample.csv"
SAMPLE_CSV = SHARED_SAMPLE_CSV if SHARED_SAMPLE_CSV.exists() else Path(__file__).parent / "data" / "inventory-sample.csv"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[InventoryStore]:
    s = InventoryStore(tmp_path / "inventory.db")
    yield s
    s.close()


@pytest.fixture
def sample_csv() -> Path:
    assert SAMPLE_CSV.exists(), f"sample not found at {SAMPLE_CSV}"
    return SAMPLE_CSV
