from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from seller_studio.show.inventory import InventoryStore

SAMPLE_CSV = Path(__file__).resolve().parents[3] / "shared" / "samples" / "inventory-sample.csv"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[InventoryStore]:
    s = InventoryStore(tmp_path / "inventory.db")
    yield s
    s.close()


@pytest.fixture
def sample_csv() -> Path:
    if not SAMPLE_CSV.exists():
        pytest.skip(f"sample not found at {SAMPLE_CSV}")
    return SAMPLE_CSV
