"""The many-destinations benchmark runs and prints its figures (slow; the goal lives in the printout,
not in an assertion on timing)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.rtmp]


def test_cpu_of_n_destinations_vs_one_is_printed(capsys):
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "many_destinations.py"
    spec = importlib.util.spec_from_file_location("many_destinations", path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    summary = module.main(["--seconds", "8", "--max", "3", "--rounds", "1", "--size", "640x360"])
    out = capsys.readouterr().out
    with capsys.disabled():
        print("\n" + out)
    assert set(summary["process_pct"]) == {1, 2, 3}
    assert summary["output_thread_pct_median"] > 0  # each destination's thread really did the sending
    assert summary["dropped"] == 0
